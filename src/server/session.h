// One client connection, ISO 8583 or admin. The base class owns what both share: the socket on
// its own strand (so a connection's handlers never run concurrently, with any number of I/O
// threads), the read loop with its two pauses, the write queue, and orderly closing.
//
// Reads pause when
//   - the engine queue is full: the refused request is held, a wake-up is left with the queue,
//     and nothing more is read until it is queued (backpressure, never dropping, never growing);
//   - max_in_flight_per_connection requests are in the engine or in the write queue: a client
//     that does not read its replies cannot make the server buffer them without bound.
// Replies are appended to one outbox and written in as few writes as possible; requests are
// queued in arrival order and the engine answers in queue order, so a connection's engine
// replies leave in request order (a format-error reply, made on the I/O thread, may overtake).
//
// Threading: every member is touched on the strand only; public functions may be called from
// any thread and post to it.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include <spdlog/logger.h>
#include <asio.hpp>

#include "gateway/gateway.h"
#include "iso8583/spec.h"
#include "security/verifier.h"
#include "server/config.h"
#include "server/engine_queue.h"
#include "server/metrics.h"

namespace holdfast::server {

// Counts connections for graceful shutdown (implemented by the Server).
class SessionTracker {
 public:
  virtual ~SessionTracker() = default;
  virtual void session_opened() = 0;
  virtual void input_finished() = 0;  // a session will queue nothing more
  virtual void session_closed() = 0;
};

// What every session needs from the server; outlives all sessions.
struct SessionContext {
  const ServerConfig* config = nullptr;
  const iso8583::MessageSpec* spec = nullptr;
  const gateway::PanHasher* pan_hasher = nullptr;
  EngineQueue* queue = nullptr;
  ServerMetrics* metrics = nullptr;
  SessionTracker* tracker = nullptr;
  std::shared_ptr<spdlog::logger> log;
  const security::SecurityStage* security = nullptr;  // ARPC (DE 55 tag 91) in responses
  const security::KeyRing* keys = nullptr;            // PAN encryption in issue_card; may be null
};

class Session : public ReplySink, public std::enable_shared_from_this<Session> {
 public:
  Session(asio::ip::tcp::socket socket, const SessionContext& context);
  ~Session() override;
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  void start();
  // Graceful stop, phase 1: read nothing more, answer what was received.
  void stop_input();
  // Last resort at the end of a stop: close now, whatever is unsent.
  void close_now();

 protected:
  enum class Step { handled, need_more, fatal };
  // Extracts and handles one request from the bytes read so far.
  virtual Step handle_next() = 0;
  virtual std::span<uint8_t> read_area() = 0;
  virtual void commit_read(size_t n) = 0;

  // Queues a request for the engine; on a full queue holds it and pauses reading.
  void submit(EngineRequest request);
  // Replies: append one complete reply to outbox(), then call reply_added(); a reply that
  // could not be made calls reply_dropped(). `from_engine`: it answers a queued request
  // (already counted in flight), rather than one answered on the I/O thread.
  // `flush` false: more replies follow at once; the caller calls flush_replies() after the
  // last, so that they leave in one write.
  std::vector<uint8_t>& outbox() { return outbox_; }
  void reply_added(bool from_engine, bool flush = true);
  void flush_replies();
  void reply_dropped(bool from_engine);
  // Runs `fn` on this connection's strand, keeping the session alive until it has run.
  template <typename Fn>
  void on_strand(Fn fn) {
    asio::post(socket_.get_executor(),
               [self = shared_from_this(), fn = std::move(fn)]() mutable { fn(*self); });
  }

  const SessionContext ctx_;  // a copy: cheap, and no lifetime question
  const std::string peer_;

 private:
  void pump();
  bool retry_held();
  void start_read();
  void on_read(const std::error_code& ec, size_t n);
  void start_write();
  void on_write(const std::error_code& ec, size_t replies);
  void finish_input();
  void maybe_close();

  asio::ip::tcp::socket socket_;
  std::optional<EngineRequest> held_;
  size_t in_flight_ = 0;  // queued for the engine, or a reply not yet written
  size_t outbox_replies_ = 0;
  bool reading_ = false;
  bool writing_ = false;
  bool input_closed_ = false;    // EOF, read error, protocol error or stop_input()
  bool input_finished_ = false;  // input closed and nothing held: tracker told
  bool dead_ = false;            // socket closed
  std::vector<uint8_t> outbox_;
  std::vector<uint8_t> writing_buffer_;
};

}  // namespace holdfast::server
