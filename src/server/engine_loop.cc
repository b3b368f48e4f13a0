#include "server/engine_loop.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <variant>

#include "base/assert.h"
#include "engine/command_codec.h"
#include "engine/limits.h"
#include "gateway/admin_json.h"
#include "journal/constants.h"

namespace holdfast::server {
namespace {

using Clock = std::chrono::steady_clock;

// A command within the engine's bounds always fits one journal entry (limits.h computes the
// largest of each kind against kMaxCommandBytes).
static_assert(engine::limits::kMaxCommandBytes <= journal::kMaxPayloadBytes,
              "every command the engine's bounds allow must fit one journal entry");

bool is_journaled(const EngineRequest& r) {
  return r.kind == EngineRequest::Kind::card_message || r.kind == EngineRequest::Kind::admin_command;
}

Timestamp wall_clock_now() {
  const auto since_epoch = std::chrono::system_clock::now().time_since_epoch();
  return Timestamp{std::chrono::duration_cast<std::chrono::microseconds>(since_epoch).count()};
}

// The request a card message carries, whichever way the queue holds it.
[[maybe_unused]] iso8583::Message* request_of(iso8583::Message& m) { return &m; }
[[maybe_unused]] iso8583::Message* request_of(const std::unique_ptr<iso8583::Message>& m) { return m.get(); }

double ms_since(Clock::time_point t) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}

// Snapshot child exit statuses (anything else: killed by a signal, or a crash).
constexpr int kChildOk = 0;
constexpr int kChildWriteFailed = 1;
constexpr int kChildOrphaned = 2;
constexpr int kChildException = 3;
constexpr int kReportFd = 3;  // the report pipe's number in the child

void report(const std::string& line) {
  // One short write (< PIPE_BUF: atomic, never blocks on an empty 64 KiB pipe).
  const size_t n = std::min(line.size(), size_t{1024});
  ssize_t ignored = ::write(kReportFd, line.data(), n);
  (void)ignored;
}

// The forked child: one thread, a copy-on-write image of the engine at `sequence`. Only
// async-signal-safe calls, malloc (glibc makes it fork-safe) and the journal's file I/O; no
// logging, no asio, no locks another thread might have held. Never returns.
[[noreturn]] void snapshot_child(pid_t parent, int report_fd, const engine::Engine& engine,
                                 journal::Journal& journal, uint64_t sequence) {
  // First of all, keep stdio and the report pipe and drop everything else: the listening and
  // client sockets, the journal's active segment, asio's descriptors. Their file descriptions
  // stay open in the parent, so nothing changes there; the sooner they go, the shorter the
  // moment in which a server killed right after the fork finds its ports still taken by this
  // child on restart. (The journal's LOCK is a POSIX lock: the child never holds it.)
  if (report_fd != kReportFd) {
    if (::dup2(report_fd, kReportFd) < 0) ::_exit(kChildWriteFailed);
  }
  ::close_range(kReportFd + 1, ~0U, 0);
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != parent) ::_exit(kChildOrphaned);  // the parent died before the prctl
  // A terminal's Ctrl-C reaches the whole process group: let the parent decide (it waits for
  // this child at shutdown). SIGKILL still ends it.
  ::signal(SIGINT, SIG_IGN);
  ::signal(SIGTERM, SIG_IGN);
  ::signal(SIGHUP, SIG_IGN);
  ::signal(SIGPIPE, SIG_IGN);
  // Yield to the server: the engine and I/O threads win the CPU (nice 10, within the server's
  // own scheduling group), and the disk queue serves the journal's commits before the
  // snapshot's bulk write (idle I/O class; mq-deadline and bfq honour it, with aging).
  ::setpriority(PRIO_PROCESS, 0, 10);
  constexpr int kIoprioClassIdle = 3, kIoprioClassShift = 13, kIoprioWhoProcess = 1;
  ::syscall(SYS_ioprio_set, kIoprioWhoProcess, 0, kIoprioClassIdle << kIoprioClassShift);
  try {
    std::vector<uint8_t> state;
    engine.serialize(&state);
    auto written = journal.write_snapshot(sequence, state);
    if (!written) {
      report(written.error().message);
      ::_exit(kChildWriteFailed);
    }
    report("ok " + std::to_string(state.size()));
    ::_exit(kChildOk);
  } catch (const std::exception& e) {
    report(std::string("exception: ") + e.what());
  } catch (...) {
    report("unknown exception");
  }
  ::_exit(kChildException);
}

std::string describe_status(int status) {
  if (WIFEXITED(status)) return "exit status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return std::string("killed by signal ") + ::strsignal(WTERMSIG(status));
  return "status " + std::to_string(status);
}

}  // namespace

Result<bool, RecoveryError> apply_engine_config(journal::Journal& journal, engine::Engine& engine,
                                                const engine::EngineConfig& wanted) {
  const bool fresh = journal.last_committed_sequence() == 0;
  if (!fresh && engine.config() == wanted) return false;
  if (auto v = engine::find_limit_violation(wanted))
    return RecoveryError{"engine settings: " + v->field + " " + v->reason};
  const Timestamp time = std::max(engine.now(), wall_clock_now());
  const engine::Command command{time, engine::Configure{wanted}};
  std::vector<uint8_t> payload;
  engine::encode_command(command, &payload);
  journal.append(payload);
  if (auto committed = journal.commit(); !committed) {
    return RecoveryError{"journaling the engine settings failed: " + committed.error().message};
  }
  std::vector<engine::Event> events;
  (void)engine.apply(command, &events);
  return true;
}

Result<RecoveryReport, RecoveryError> recover(journal::Journal& journal, engine::Engine& engine) {
  const auto started = Clock::now();
  RecoveryReport report;
  report.torn_bytes_cut = journal.open_report().torn_bytes_cut;
  report.torn_reason = journal.open_report().torn_reason;
  auto snapshot = journal.load_latest_snapshot();
  if (!snapshot) return RecoveryError{"snapshot: " + snapshot.error().message};
  if (snapshot->has_value()) {
    const journal::Snapshot& s = **snapshot;
    if (auto restored = engine.deserialize(s.state); !restored) {
      return RecoveryError{"snapshot " + s.path +
                           " does not deserialize into engine state: " + restored.error().message};
    }
    report.snapshot_loaded = true;
    report.snapshot_sequence = s.last_applied_sequence;
  }
  std::string replay_error;
  std::vector<engine::Event> events;
  auto replayed = journal.replay(report.snapshot_sequence + 1, [&](uint64_t seq, std::span<const uint8_t> p) {
    if (!replay_error.empty()) return;
    auto command = engine::decode_command(p);
    if (!command) {
      replay_error = "journal entry " + std::to_string(seq) + " in " + journal.segment_path_of(seq) +
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

EngineLoop::EngineLoop(const ServerConfig& config, journal::Journal& journal, engine::Engine& engine,
                       EngineQueue& queue, ServerMetrics& metrics, std::shared_ptr<spdlog::logger> log,
                       uint64_t snapshot_sequence)
    : config_(config),
      journal_(journal),
      engine_(engine),
      queue_(queue),
      metrics_(metrics),
      log_(std::move(log)),
      last_stamp_(engine.now()),
      snapshot_started_sequence_(snapshot_sequence),
      snapshot_written_sequence_(snapshot_sequence) {
  payload_.reserve(1024);
  events_.reserve(64);
}

EngineLoop::~EngineLoop() {
  // run() always reaps; this only matters if it never ran to the end (an exception).
  if (child_) {
    ::kill(child_->pid, SIGKILL);
    reap_snapshot(true);
  }
}

void EngineLoop::run() {
  // Children are reaped with waitpid: an inherited "ignore SIGCHLD" would make the kernel reap
  // them itself and hide their status.
  struct sigaction chld {};
  if (::sigaction(SIGCHLD, nullptr, &chld) == 0 && chld.sa_handler == SIG_IGN) {
    ::signal(SIGCHLD, SIG_DFL);
  }
  const auto start = Clock::now();
  next_tick_check_ = start + std::chrono::milliseconds(config_.tick_interval_ms);
  next_stats_ = start + std::chrono::seconds(config_.stats_log_interval_s);
  snapshot_started_at_ = start;
  std::vector<EngineRequest> batch;
  batch.reserve(config_.max_batch + 1);
  for (;;) {
    auto deadline = std::min(next_tick_check_, next_stats_);
    // While a child runs, look for its end at least every 50 ms even when idle.
    if (child_) deadline = std::min(deadline, Clock::now() + std::chrono::milliseconds(50));
    const bool open = queue_.pop_batch(&batch, config_.max_batch, deadline);
    const auto now = Clock::now();
    metrics_.queue_depth_max.store(queue_.max_depth(), std::memory_order_relaxed);
    if (open) add_due_tick(batch, now);
    if (!batch.empty()) process(batch);
    if (child_) reap_snapshot(false);
    if (snapshot_due(now)) start_snapshot(now);
    maybe_log_stats(now);
    if (!open) break;
  }
  if (child_) reap_snapshot(true);
  if (journal_.last_committed_sequence() > snapshot_written_sequence_) write_snapshot_inline();
}

// A Tick is journaled only when the engine has something due: hold expiries or message
// records to forget. Checked every tick interval; an idle server journals nothing.
void EngineLoop::add_due_tick(std::vector<EngineRequest>& batch, Clock::time_point now) {
  if (now < next_tick_check_) return;
  next_tick_check_ = now + std::chrono::milliseconds(config_.tick_interval_ms);
  const std::optional<Timestamp> due = engine_.next_timer_due();
  // The batch is stamped with max(last stamp, wall clock) >= this, so the Tick finds it due.
  if (!due || *due > std::max(last_stamp_, wall_clock_now())) return;
  EngineRequest tick;
  tick.kind = EngineRequest::Kind::admin_command;
  tick.body = engine::Tick{};
  batch.push_back(std::move(tick));
  ServerMetrics::bump(metrics_.ticks);
}

// An admin command beyond the bounds of engine/limits.h is answered with an error and never
// journaled. The admin edge refuses such commands already; this keeps the journal safe from
// any other producer.
void EngineLoop::refuse_out_of_bounds(std::vector<EngineRequest>& batch) {
  for (EngineRequest& r : batch) {
    if (r.kind != EngineRequest::Kind::admin_command) continue;
    const auto violation = engine::find_limit_violation(r.body);
    if (!violation) continue;
    r.kind = EngineRequest::Kind::admin_echo;
    r.query = nlohmann::json{{"error", violation->reason}, {"field", violation->field}};
    r.body = engine::Tick{};
  }
}

void EngineLoop::process(std::vector<EngineRequest>& batch) {
  refuse_out_of_bounds(batch);
  const Timestamp time = next_stamp();
  size_t from = 0;
  while (from < batch.size()) {
    const size_t end = check_security(batch, from);
    while (from < end) {
      const size_t to = append_until_full(batch, from, end, time);
      commit_or_die();
      apply_and_answer(batch, from, to, time);
      from = to;
    }
  }
}

// Card security, before anything is journaled: the values stay in the request (memory only),
// the command carries the results. Verification reads the card (and a wallet token) from engine
// state, so a card message that follows an issue_card or a provision_token of the same stretch
// must wait until that command is applied: the stretch ends before it (one more group commit,
// only for such batches).
// Returns one past the last request of the stretch.
size_t EngineLoop::check_security(std::vector<EngineRequest>& batch, size_t from) {
  if (security_ == nullptr) return batch.size();
  bool issued = false;
  size_t i = from;
  for (; i < batch.size(); ++i) {
    EngineRequest& r = batch[i];
    if (r.kind == EngineRequest::Kind::admin_command &&
        (std::holds_alternative<engine::IssueCard>(r.body) ||
         std::holds_alternative<engine::ProvisionToken>(r.body))) {
      issued = true;
      continue;
    }
    if (r.kind != EngineRequest::Kind::card_message) continue;
    if (issued) break;
    iso8583::Message* request = request_of(r.iso_request);
    if (request != nullptr) security_->check(engine_, *request, &std::get<engine::CardMessage>(r.body));
  }
  return i;
}

// Appends journaled requests from `from` on until `end` or until the journal's batch buffer
// is full; returns one past the last request covered.
size_t EngineLoop::append_until_full(const std::vector<EngineRequest>& batch, size_t from, size_t end,
                                     Timestamp time) {
  size_t i = from;
  for (; i < end; ++i) {
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

void EngineLoop::apply_and_answer(std::vector<EngineRequest>& batch, size_t from, size_t to, Timestamp time) {
  for (size_t i = from; i < to; ++i) {
    EngineRequest& r = batch[i];
    if (!is_journaled(r)) {
      answer_query(r);
      continue;
    }
    events_.clear();
    const engine::Reply reply = engine_.apply(engine::Command{time, r.body}, &events_);
    if (!r.sink) continue;  // a timer pulse: nobody to answer
    if (r.kind == EngineRequest::Kind::card_message) {
      r.sink->deliver_iso(std::move(r.iso_request), reply);
    } else {
      r.sink->deliver_line(dump_line(gateway::admin_reply_json(reply)));
    }
  }
}

void EngineLoop::answer_query(EngineRequest& request) {
  if (request.kind == EngineRequest::Kind::admin_query && request.query.value("op", "") == "reload_keys") {
    if (request.sink) request.sink->deliver_line(dump_line(reload_keys()));
    return;
  }
  if (request.kind == EngineRequest::Kind::admin_echo) {
    if (request.sink) request.sink->deliver_line(dump_line(request.query));
    return;
  }
  const std::string op = request.query.value("op", "");
  const nlohmann::json answer = op == "stats"   ? stats_json(false)
                                : op == "audit" ? stats_json(true)
                                                : gateway::answer_admin_query(request.query, engine_);
  if (request.sink) request.sink->deliver_line(dump_line(answer));
}

// `stats` is O(1) (counters only): it runs on the engine thread, between batches, and
// monitoring may poll it. `audit` adds the full ledger check (books_balance scans every
// account and hold), so it stalls the engine for as long as that takes: on demand only.
nlohmann::json EngineLoop::stats_json(bool audit) const {
  const engine::EngineCounters& k = engine_.counters();
  nlohmann::json answer{
      {"commands", k.commands},           {"card_messages", k.card_messages},
      {"approvals", k.approvals},         {"declines", k.declines},
      {"duplicates", k.duplicates},       {"advices_over_limit", k.advices_over_limit},
      {"holds_expired", k.holds_expired}, {"active_holds", engine_.ledger().active_hold_count()}};
  if (audit) {
    const auto started = Clock::now();
    answer["books_balance"] = engine_.ledger().books_balance();
    answer["audit_ms"] = ms_since(started);
  }
  nlohmann::json server = metrics_.to_json();
  server["queue_depth"] = queue_.size();
  server["journal_last_sequence"] = journal_.last_committed_sequence();
  server["snapshot_running"] = child_.has_value();
  server["snapshot_sequence"] = snapshot_written_sequence_;
  answer["server"] = std::move(server);
  return answer;
}

// One wall-clock reading per batch, never earlier than the previous stamp (nor than the state
// recovered at start), so a clock stepped back cannot reorder time in the journal.
Timestamp EngineLoop::next_stamp() {
  last_stamp_ = std::max(last_stamp_, wall_clock_now());
  return last_stamp_;
}

bool EngineLoop::snapshot_due(Clock::time_point now) const {
  if (child_) return false;  // one at a time
  const uint64_t last = journal_.last_committed_sequence();
  if (last <= snapshot_started_sequence_) return false;  // nothing new to cover
  if (last - snapshot_started_sequence_ >= config_.snapshot_every_commands) return true;
  return config_.snapshot_interval_s > 0 &&
         now - snapshot_started_at_ >= std::chrono::seconds(config_.snapshot_interval_s);
}

// Called between batches: the engine's state is exactly the journal up to the last commit.
void EngineLoop::start_snapshot(Clock::time_point now) {
  snapshot_started_sequence_ = journal_.last_committed_sequence();
  snapshot_started_at_ = now;
  if (config_.snapshot_fork && fork_snapshot()) return;
  write_snapshot_inline();
}

// True when a child is now writing the snapshot.
bool EngineLoop::fork_snapshot() {
  const uint64_t sequence = journal_.last_committed_sequence();
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    log_->warn("snapshot at sequence {}: pipe failed ({}); writing it inline", sequence,
               std::strerror(errno));
    return false;
  }
  const pid_t parent = ::getpid();
  const auto forking = Clock::now();
  const pid_t pid = ::fork();
  if (pid == 0) snapshot_child(parent, fds[1], engine_, journal_, sequence);  // never returns
  const double fork_ms = ms_since(forking);
  ::close(fds[1]);
  if (pid < 0) {
    const int err = errno;
    ::close(fds[0]);
    log_->warn("snapshot at sequence {}: fork failed ({}); writing it inline", sequence, std::strerror(err));
    return false;
  }
  ::fcntl(fds[0], F_SETFL, O_NONBLOCK);
  child_ = SnapshotChild{pid, fds[0], sequence, Clock::now(), fork_ms};
  metrics_.snapshot_fork_us_max.store(std::max(metrics_.snapshot_fork_us_max.load(std::memory_order_relaxed),
                                               static_cast<uint64_t>(fork_ms * 1000)),
                                      std::memory_order_relaxed);
  return true;
}

void EngineLoop::reap_snapshot(bool wait) {
  HF_ASSERT(child_.has_value());
  int status = 0;
  pid_t r;
  do {
    r = ::waitpid(child_->pid, &status, wait ? 0 : WNOHANG);
  } while (r < 0 && errno == EINTR);
  if (r == 0) return;  // still writing
  char buf[1025];
  const ssize_t n = ::read(child_->report_fd, buf, sizeof buf - 1);
  const std::string line = n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
  ::close(child_->report_fd);
  const SnapshotChild child = *child_;
  child_.reset();
  const double seconds = ms_since(child.started) / 1000;
  if (r < 0) {
    ServerMetrics::bump(metrics_.snapshot_failures);
    log_->error("snapshot at sequence {}: waitpid failed: {}", child.sequence, std::strerror(errno));
    return;
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == kChildOk) {
    snapshot_written_sequence_ = std::max(snapshot_written_sequence_, child.sequence);
    ServerMetrics::bump(metrics_.snapshots);
    const std::string bytes = line.starts_with("ok ") ? line.substr(3) : "?";
    log_->info("snapshot written at sequence {} ({} bytes) by child {} in {:.3f} s (fork {:.1f} ms)",
               child.sequence, bytes, child.pid, seconds, child.fork_ms);
    return;
  }
  // Not fatal: the journal still holds everything a restart needs. A half-written temp file
  // is removed when the journal is next opened.
  ServerMetrics::bump(metrics_.snapshot_failures);
  log_->error("snapshot at sequence {} failed ({}{}{})", child.sequence, describe_status(status),
              line.empty() ? "" : ": ", line);
}

// On the engine thread: every request waits. Used at shutdown, and when fork is off or fails.
void EngineLoop::write_snapshot_inline() {
  HF_ASSERT(!child_.has_value());
  const auto started = Clock::now();
  snapshot_state_.clear();
  engine_.serialize(&snapshot_state_);
  const uint64_t sequence = journal_.last_committed_sequence();
  auto written = journal_.write_snapshot(sequence, snapshot_state_);
  if (!written) {
    ServerMetrics::bump(metrics_.snapshot_failures);
    // Not fatal: the journal still holds everything a restart needs.
    log_->error("snapshot at sequence {} failed: {}", sequence, written.error().message);
    return;
  }
  snapshot_written_sequence_ = sequence;
  ServerMetrics::bump(metrics_.snapshots);
  log_->info("snapshot written at sequence {} ({} bytes) inline in {:.3f} s", sequence,
             snapshot_state_.size(), ms_since(started) / 1000);
}

void EngineLoop::maybe_log_stats(Clock::time_point now) {
  if (now < next_stats_) return;
  next_stats_ = now + std::chrono::seconds(config_.stats_log_interval_s);
  log_->info("stats {}", metrics_.to_json().dump());
}

// Reloads the key store between two batches; a failure keeps the keys in force.
nlohmann::json EngineLoop::reload_keys() {
  if (keys_ == nullptr) return {{"error", "no key store configured (key_store_file)"}};
  auto loaded = keys_->reload();
  if (!loaded) {
    log_->error("reload_keys failed, the keys in force stay: {}", loaded.error().message);
    return {{"error", "reload_keys failed: " + loaded.error().message}};
  }
  log_->info("reload_keys: {} keys in force", *loaded);
  return {{"op", "reload_keys"}, {"keys", *loaded}};
}

}  // namespace holdfast::server
