// The holdfast server: ISO 8583 acquirer links and the admin port in front of the single-writer
// engine, with the journal making every answer durable first. See README.md for the threads,
// the queues and the durability rule.
//
//   Server server(data_dir, config);
//   if (auto started = server.start(); !started) ... started.error().message ...
//   ... server.iso_port(), server.admin_port() ...
//   server.stop();  // stop accepting, answer what was received, snapshot, release the data dir
//
// A data directory holds the journal (segments, snapshots, LOCK), owner-only; the PAN key lives
// outside it (pan_key.h). Only one server may use it at a time (the journal's lock).
// Threading: start() and stop() from one controlling thread; the port getters from any thread
// after start() returned Ok.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <spdlog/logger.h>
#include <asio.hpp>

#include "base/result.h"
#include "engine/engine.h"
#include "gateway/gateway.h"
#include "journal/journal.h"
#include "security/key_store.h"
#include "security/verifier.h"
#include "server/config.h"
#include "server/engine_loop.h"
#include "server/engine_queue.h"
#include "server/metrics.h"
#include "server/session.h"

namespace holdfast::server {

struct ServerError {
  std::string message;
};

class Server final : private SessionTracker {
 public:
  // `log` nullptr: spdlog's default logger.
  Server(std::string data_dir, ServerConfig config, std::shared_ptr<spdlog::logger> log = nullptr);
  ~Server() override;  // stop()
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Opens the journal, recovers state (snapshot + replay), binds both ports and starts the
  // engine and I/O threads. An error (corrupt journal, port in use, bad key file) leaves nothing
  // running. REQUIRES: called once.
  Result<Ok, ServerError> start();
  // Graceful stop: stop accepting, stop reading, answer everything already received, write a
  // snapshot, close. Bounded by config.shutdown_grace_ms for clients that stop reading.
  // Idempotent.
  void stop();

  uint16_t iso_port() const { return iso_port_; }
  uint16_t admin_port() const { return admin_port_; }
  const RecoveryReport& recovery() const { return recovery_; }
  const ServerMetrics& metrics() const { return metrics_; }

 private:
  Result<Ok, ServerError> open_state();
  Result<Ok, ServerError> listen(asio::ip::tcp::acceptor& acceptor, const std::string& address, uint16_t port,
                                 const char* what);
  template <typename SessionType>
  void accept(asio::ip::tcp::acceptor& acceptor);
  void stop_sessions_input();
  template <typename Pred>
  bool wait_sessions(Pred pred);

  void session_opened() override;
  void input_finished() override;
  void session_closed() override;

  const std::string data_dir_;
  const ServerConfig config_;
  std::shared_ptr<spdlog::logger> log_;
  ServerMetrics metrics_;
  RecoveryReport recovery_;

  // Engine-thread state (handed over when the thread starts).
  std::unique_ptr<journal::Journal> journal_;
  std::unique_ptr<engine::Engine> engine_;
  std::unique_ptr<gateway::PanHasher> pan_hasher_;
  std::unique_ptr<security::KeyRing> key_ring_;  // null without key_store_file
  std::unique_ptr<security::SecurityStage> security_;
  std::unique_ptr<EngineQueue> queue_;
  std::unique_ptr<EngineLoop> loop_;
  std::thread engine_thread_;

  asio::io_context io_;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_;
  asio::ip::tcp::acceptor iso_acceptor_;
  asio::ip::tcp::acceptor admin_acceptor_;
  std::vector<std::thread> io_threads_;
  SessionContext session_context_;
  std::atomic<uint16_t> iso_port_{0};
  std::atomic<uint16_t> admin_port_{0};

  std::mutex sessions_mu_;
  std::condition_variable sessions_cv_;
  std::vector<std::weak_ptr<Session>> sessions_;
  bool accepting_ = false;
  size_t live_sessions_ = 0;
  size_t open_inputs_ = 0;

  bool started_ = false;
  bool stopped_ = false;
};

// The `holdfast serve` entry point: loads the config (empty path = defaults), starts the server
// on `data_dir`, and blocks until SIGINT or SIGTERM, then stops gracefully. Returns the process
// exit code: 0 after a graceful stop, 2 for a bad config, 1 when the server cannot start.
int run_serve(const std::string& data_dir, const std::string& config_path);

}  // namespace holdfast::server
