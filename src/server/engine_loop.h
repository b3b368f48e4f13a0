// The engine thread: the single writer. It owns the Engine and the Journal, and turns queued
// requests into durable, applied commands:
//
//   pop up to max_batch requests -> stamp them with one wall-clock time (never earlier than
//   the last) -> verify the card security values -> encode + journal.append each command ->
//   journal.commit() ONCE (group commit: one write + one fdatasync) -> apply each command in
//   queue order, answering admin queries at their place in that order -> hand each reply to
//   its connection's executor.
// Verification reads cards from engine state: a card message that follows an issue_card in the
// same batch starts a new stretch (verify, journal, commit, apply), so it sees the new card.
//
// Durability rule: a command is applied, and its reply leaves, only after the commit covering
// it returned Ok. So every answer a client ever saw is in the journal, and state after a crash
// (snapshot + replay) is at least everything that was answered. A failed commit is fatal: the
// process exits non-zero (fail-stop) and the next start recovers from the journal.
//
// Timer pulses (Tick) go through the same path, but only when the engine has a timer due
// (Engine::next_timer_due(), checked every tick interval): an idle server journals nothing.
//
// Snapshots (cadence: snapshot_every_commands or snapshot_interval_s, whichever first) are
// taken without stopping the engine thread: between two batches, when the engine's state is
// exactly the journal up to last_committed_sequence(), the engine thread fork()s. The child
// owns a copy-on-write image of that state; it serialises it and writes it with
// Journal::write_snapshot, then _exits with the result in its status (and a line on a pipe).
// The engine thread reaps it with waitpid(WNOHANG) on later loop iterations; one child at a
// time. Why that is safe with this journal and this process:
//   - the child has one thread (the forking one); it takes no lock another thread could have
//     held at the fork except malloc's and stdio's, which glibc resets in the child; it never
//     logs (spdlog has its own mutexes) and never touches the queue, sockets or asio;
//   - the journal's LOCK is a POSIX record lock, owned by the parent process and never
//     inherited: a restart after a SIGKILL is never refused the lock because of a child;
//   - as its very first action it closes every inherited descriptor except stdio and its report
//     pipe, so it holds neither the active segment nor the listening sockets (a server killed
//     between the fork and that close can find its ports taken on restart until the child has
//     run: the start fails with "address in use" and a supervisor's retry succeeds);
//   - Journal::write_snapshot touches only snapshot files (temp file, rename, directory fsync,
//     pruning old snapshots); the server opens the journal with delete_covered_segments off,
//     so the child never changes a file the parent's Journal object describes;
//   - PR_SET_PDEATHSIG(SIGKILL) (checked against a parent that died before the prctl) kills
//     the child when the engine thread's process dies, and a half-written snapshot is only a
//     snapshot-*.snap.tmp, which Journal::open removes.
// The final snapshot at shutdown is written inline, after reaping any child.
// Threading: everything here runs on the engine thread, except recover() (before it starts).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <sys/types.h>

#include <spdlog/logger.h>
#include <nlohmann/json.hpp>

#include "base/result.h"
#include "engine/engine.h"
#include "journal/journal.h"
#include "security/verifier.h"
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

// Start-up, after recover() and before the engine thread runs: makes the engine run under
// `wanted` through the journal. On a fresh journal (no entries) a Configure command is always
// journaled first, so a replay without snapshot starts from the settings this directory was
// created with, whatever the config file says then; later, a Configure is journaled only when
// `wanted` differs from engine.config(). The command is committed, then applied (the
// durability rule). Returns whether a Configure was journaled; an error is a failed commit.
Result<bool, RecoveryError> apply_engine_config(journal::Journal& journal, engine::Engine& engine,
                                                const engine::EngineConfig& wanted);

class EngineLoop {
 public:
  // `snapshot_sequence`: the sequence of the snapshot recovery started from (0 = none).
  EngineLoop(const ServerConfig& config, journal::Journal& journal, engine::Engine& engine,
             EngineQueue& queue, ServerMetrics& metrics, std::shared_ptr<spdlog::logger> log,
             uint64_t snapshot_sequence = 0);
  ~EngineLoop();

  // Runs until the queue is closed and drained, then waits for a snapshot child still running
  // and writes a final snapshot when anything was journaled since the last one.
  void run();

  // Card security: `stage` verifies each card message before it is journaled; `keys` is what
  // the admin op reload_keys reloads. Either may be null. REQUIRES: before run().
  void set_security(const security::SecurityStage* stage, security::KeyRing* keys) {
    security_ = stage;
    keys_ = keys;
  }

 private:
  void process(std::vector<EngineRequest>& batch);
  static void refuse_out_of_bounds(std::vector<EngineRequest>& batch);
  size_t check_security(std::vector<EngineRequest>& batch, size_t from);
  size_t append_until_full(const std::vector<EngineRequest>& batch, size_t from, size_t end, Timestamp time);
  void commit_or_die();
  void apply_and_answer(std::vector<EngineRequest>& batch, size_t from, size_t to, Timestamp time);
  void answer_query(EngineRequest& request);
  nlohmann::json reload_keys();
  nlohmann::json stats_json(bool audit) const;
  void add_due_tick(std::vector<EngineRequest>& batch, std::chrono::steady_clock::time_point now);
  void maybe_log_stats(std::chrono::steady_clock::time_point now);
  bool snapshot_due(std::chrono::steady_clock::time_point now) const;
  void start_snapshot(std::chrono::steady_clock::time_point now);
  bool fork_snapshot();
  void write_snapshot_inline();
  void reap_snapshot(bool wait);
  Timestamp next_stamp();

  const ServerConfig& config_;
  journal::Journal& journal_;
  engine::Engine& engine_;
  EngineQueue& queue_;
  ServerMetrics& metrics_;
  std::shared_ptr<spdlog::logger> log_;
  const security::SecurityStage* security_ = nullptr;
  security::KeyRing* keys_ = nullptr;

  Timestamp last_stamp_;
  std::chrono::steady_clock::time_point next_tick_check_;
  std::chrono::steady_clock::time_point next_stats_;

  // Snapshots. Cadence counts from the last one started (a failed one is not retried before
  // the next cadence point); the final snapshot at shutdown is skipped when the newest written
  // one already covers everything journaled.
  struct SnapshotChild {
    pid_t pid = -1;
    int report_fd = -1;  // read end of the child's report pipe
    uint64_t sequence = 0;
    std::chrono::steady_clock::time_point started;
    double fork_ms = 0;
  };
  std::optional<SnapshotChild> child_;
  uint64_t snapshot_started_sequence_ = 0;
  uint64_t snapshot_written_sequence_ = 0;
  std::chrono::steady_clock::time_point snapshot_started_at_;
  // Reused on every command so the steady state allocates nothing here.
  std::vector<uint8_t> payload_;
  std::vector<engine::Event> events_;
  std::vector<uint8_t> snapshot_state_;
};

}  // namespace holdfast::server
