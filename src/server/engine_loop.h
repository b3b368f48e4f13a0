// The engine thread: the single writer. It owns the Engine and the Journal, and turns queued
// requests into durable, applied commands:
//
//   pop up to max_batch requests -> stamp them with one wall-clock time (never earlier than
//   the last) -> encode + journal.append each command -> journal.commit() ONCE (group commit:
//   one write + one fdatasync) -> apply each command in queue order, answering admin queries
//   at their place in that order -> hand each reply to its connection's executor.
//
// Durability rule: a command is applied, and its reply leaves, only after the commit covering
// it returned Ok. So every answer a client ever saw is in the journal, and state after a crash
// (snapshot + replay) is at least everything that was answered. A failed commit is fatal: the
// process exits non-zero (fail-stop) and the next start recovers from the journal.
//
// Timer pulses (Tick) go through the same path every tick interval; a snapshot is written
// every snapshot_every_commands commands and when the loop ends.
// Threading: everything here runs on the engine thread, except recover() (before it starts).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <spdlog/logger.h>

#include "base/result.h"
#include "engine/engine.h"
#include "journal/journal.h"
#include "server/config.h"
#include "server/engine_queue.h"
#include "server/metrics.h"

namespace holdfast::server {

struct RecoveryReport {
  bool snapshot_loaded = false;
  uint64_t snapshot_sequence = 0;
  uint64_t entries_replayed = 0;
  uint64_t last_sequence = 0;
  uint64_t torn_bytes_cut = 0;
  std::string torn_reason;
  double seconds = 0;
};

struct RecoveryError {
  std::string message;
};

// Loads the newest snapshot into `engine` and re-applies the journal entries after it (replies
// discarded). Any corruption is an error: the server refuses to start rather than serve from
// state it cannot vouch for.
Result<RecoveryReport, RecoveryError> recover(journal::Journal& journal, engine::Engine& engine);

class EngineLoop {
 public:
  EngineLoop(const ServerConfig& config, journal::Journal& journal, engine::Engine& engine,
             EngineQueue& queue, ServerMetrics& metrics, std::shared_ptr<spdlog::logger> log);

  // Runs until the queue is closed and drained, then writes a final snapshot.
  void run();

 private:
  void process(std::vector<EngineRequest>& batch);
  size_t append_until_full(const std::vector<EngineRequest>& batch, size_t from, Timestamp time);
  void commit_or_die();
  void apply_and_answer(std::vector<EngineRequest>& batch, size_t from, size_t to,
                        Timestamp time);
  void answer_query(EngineRequest& request);
  void add_due_tick(std::vector<EngineRequest>& batch, std::chrono::steady_clock::time_point now);
  void maybe_log_stats(std::chrono::steady_clock::time_point now);
  void write_snapshot();
  Timestamp next_stamp();

  const ServerConfig& config_;
  journal::Journal& journal_;
  engine::Engine& engine_;
  EngineQueue& queue_;
  ServerMetrics& metrics_;
  std::shared_ptr<spdlog::logger> log_;

  Timestamp last_stamp_;
  uint64_t commands_since_snapshot_ = 0;
  std::chrono::steady_clock::time_point next_tick_;
  std::chrono::steady_clock::time_point next_stats_;
  // Reused on every command so the steady state allocates nothing here.
  std::vector<uint8_t> payload_;
  std::vector<engine::Event> events_;
  std::vector<uint8_t> snapshot_state_;
};

}  // namespace holdfast::server
