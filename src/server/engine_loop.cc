#include "server/engine_loop.h"

#include <algorithm>
#include <cstdlib>

#include "base/assert.h"
#include "engine/command_codec.h"
#include "gateway/admin_json.h"

namespace holdfast::server {
namespace {

using Clock = std::chrono::steady_clock;

bool is_journaled(const EngineRequest& r) {
  return r.kind == EngineRequest::Kind::card_message ||
         r.kind == EngineRequest::Kind::admin_command;
}

Timestamp wall_clock_now() {
  const auto since_epoch = std::chrono::system_clock::now().time_since_epoch();
  return Timestamp{std::chrono::duration_cast<std::chrono::microseconds>(since_epoch).count()};
}

}  // namespace

Result<RecoveryReport, RecoveryError> recover(journal::Journal& journal, engine::Engine& engine) {
  const auto started = Clock::now();
  RecoveryReport report;
  report.torn_bytes_cut = journal.open_report().torn_bytes_cut;
  report.torn_reason = journal.open_report().torn_reason;
  auto snapshot = journal.load_latest_snapshot();
  if (!snapshot) return RecoveryError{"snapshot: " + snapshot.error().message};
  if (snapshot->has_value()) {
    const journal::Snapshot& s = **snapshot;
    if (!engine.deserialize(s.state)) {
      return RecoveryError{"snapshot " + s.path + " does not deserialize into engine state"};
    }
    report.snapshot_loaded = true;
    report.snapshot_sequence = s.last_applied_sequence;
  }
  std::string replay_error;
  std::vector<engine::Event> events;
  auto replayed = journal.replay(report.snapshot_sequence + 1, [&](uint64_t seq,
                                                                   std::span<const uint8_t> p) {
    if (!replay_error.empty()) return;
    auto command = engine::decode_command(p);
    if (!command) {
      replay_error = "journal entry " + std::to_string(seq) +
                     " is not a command: " + command.error().message;
      return;
    }
    events.clear();
    (void)engine.apply(*command, &events);  // replies were sent in the original run
    ++report.entries_replayed;
  });
  if (!replayed) return RecoveryError{"journal replay: " + replayed.error().message};
  if (!replay_error.empty()) return RecoveryError{replay_error};
  report.last_sequence = journal.last_committed_sequence();
  report.seconds = std::chrono::duration<double>(Clock::now() - started).count();
  return report;
}

EngineLoop::EngineLoop(const ServerConfig& config, journal::Journal& journal,
                       engine::Engine& engine, EngineQueue& queue, ServerMetrics& metrics,
                       std::shared_ptr<spdlog::logger> log)
    : config_(config),
      journal_(journal),
      engine_(engine),
      queue_(queue),
      metrics_(metrics),
      log_(std::move(log)),
      last_stamp_(engine.now()) {
  payload_.reserve(1024);
  events_.reserve(64);
}

void EngineLoop::run() {
  const auto tick = std::chrono::milliseconds(config_.tick_interval_ms);
  next_tick_ = Clock::now() + tick;
  next_stats_ = Clock::now() + std::chrono::seconds(config_.stats_log_interval_s);
  std::vector<EngineRequest> batch;
  batch.reserve(config_.max_batch + 1);
  for (;;) {
    const bool open = queue_.pop_batch(&batch, config_.max_batch, std::min(next_tick_, next_stats_));
    const auto now = Clock::now();
    metrics_.queue_depth_max.store(queue_.max_depth(), std::memory_order_relaxed);
    if (open) add_due_tick(batch, now);
    if (!batch.empty()) process(batch);
    if (commands_since_snapshot_ >= config_.snapshot_every_commands) write_snapshot();
    maybe_log_stats(now);
    if (!open) break;
  }
  if (commands_since_snapshot_ > 0) write_snapshot();
}

void EngineLoop::add_due_tick(std::vector<EngineRequest>& batch, Clock::time_point now) {
  if (now < next_tick_) return;
  EngineRequest tick;
  tick.kind = EngineRequest::Kind::admin_command;
  tick.body = engine::Tick{};
  batch.push_back(std::move(tick));
  // Skipped pulses are not made up: one Tick expires everything due at its time.
  next_tick_ = now + std::chrono::milliseconds(config_.tick_interval_ms);
}

void EngineLoop::process(std::vector<EngineRequest>& batch) {
  const Timestamp time = next_stamp();
  size_t from = 0;
  while (from < batch.size()) {
    const size_t to = append_until_full(batch, from, time);
    commit_or_die();
    apply_and_answer(batch, from, to, time);
    from = to;
  }
}

// Appends journaled requests from `from` on until the batch is done or the journal's batch
// buffer is full; returns one past the last request covered.
size_t EngineLoop::append_until_full(const std::vector<EngineRequest>& batch, size_t from,
                                     Timestamp time) {
  size_t i = from;
  for (; i < batch.size(); ++i) {
    if (!is_journaled(batch[i])) continue;
    payload_.clear();
    engine::encode_command(engine::Command{time, batch[i].body}, &payload_);
    if (!journal_.can_append(payload_.size())) {
      HF_ASSERT(i > from);  // an empty batch always has room for one entry
      break;
    }
    journal_.append(payload_);
  }
  return i;
}

void EngineLoop::commit_or_die() {
  const size_t entries = journal_.pending_entries();
  if (entries == 0) return;
  auto committed = journal_.commit();
  if (!committed) {
    // Fail-stop: after a failed write or fsync nobody can say what is on disk, and no reply
    // for this batch has left. Restart re-verifies the journal and recovers.
    log_->critical("journal commit failed, stopping: {}", committed.error().message);
    log_->flush();
    std::_Exit(EXIT_FAILURE);
  }
  ServerMetrics::bump(metrics_.batches);
  ServerMetrics::bump(metrics_.entries_committed, entries);
}

void EngineLoop::apply_and_answer(std::vector<EngineRequest>& batch, size_t from, size_t to,
                                  Timestamp time) {
  for (size_t i = from; i < to; ++i) {
    EngineRequest& r = batch[i];
    if (!is_journaled(r)) {
      answer_query(r);
      continue;
    }
    events_.clear();
    const engine::Reply reply = engine_.apply(engine::Command{time, r.body}, &events_);
    ++commands_since_snapshot_;
    if (!r.sink) continue;  // a timer pulse: nobody to answer
    if (r.kind == EngineRequest::Kind::card_message) {
      r.sink->deliver_iso(std::move(r.iso_request), reply);
    } else {
      r.sink->deliver_line(dump_line(gateway::admin_reply_json(reply)));
    }
  }
}

void EngineLoop::answer_query(EngineRequest& request) {
  if (request.kind == EngineRequest::Kind::admin_echo) {
    if (request.sink) request.sink->deliver_line(dump_line(request.query));
    return;
  }
  nlohmann::json answer = gateway::answer_admin_query(request.query, engine_);
  if (request.query.value("op", "") == "stats") {
    nlohmann::json server = metrics_.to_json();
    server["queue_depth"] = queue_.size();
    server["journal_last_sequence"] = journal_.last_committed_sequence();
    answer["server"] = std::move(server);
  }
  if (request.sink) request.sink->deliver_line(dump_line(answer));
}

// One wall-clock reading per batch, never earlier than the previous stamp (nor than the state
// recovered at start), so a clock stepped back cannot reorder time in the journal.
Timestamp EngineLoop::next_stamp() {
  last_stamp_ = std::max(last_stamp_, wall_clock_now());
  return last_stamp_;
}

void EngineLoop::write_snapshot() {
  snapshot_state_.clear();
  engine_.serialize(&snapshot_state_);
  const uint64_t sequence = journal_.last_committed_sequence();
  auto written = journal_.write_snapshot(sequence, snapshot_state_);
  // Either way, the next attempt is snapshot_every_commands later: a failing disk is not
  // retried on every batch.
  commands_since_snapshot_ = 0;
  if (!written) {
    // Not fatal: the journal still holds everything a restart needs.
    log_->error("snapshot at sequence {} failed: {}", sequence, written.error().message);
    return;
  }
  ServerMetrics::bump(metrics_.snapshots);
  log_->info("snapshot written at sequence {} ({} bytes)", sequence, snapshot_state_.size());
}

void EngineLoop::maybe_log_stats(Clock::time_point now) {
  if (now < next_stats_) return;
  next_stats_ = now + std::chrono::seconds(config_.stats_log_interval_s);
  log_->info("stats {}", metrics_.to_json().dump());
}

}  // namespace holdfast::server
