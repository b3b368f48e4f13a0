// crash_recovery: kills `holdfast serve` with SIGKILL at random moments under pipelined load of
// every kind that changes state (0100 authorisations, 0120/0220 advices, 0400/0420 reversals,
// presentments and admin commands: credit limits, block/unblock), restarts it on the same data
// directory, and proves from the outside, per account, that
//   (1) no acknowledged effect is lost and nothing is invented: before anything is re-sent, each
//       account's holds, postings, limit and card status lie between "acknowledged only" and
//       "acknowledged + every in-doubt request applied";
//   (2) in-doubt requests resolve exactly: re-sent unchanged, each is either recognised as
//       applied before the kill (duplicate card message, presentment record id, same value) or
//       applied now; afterwards the state equals what the acknowledged replies say, exactly;
//   (3) a re-sent acknowledged request gets the same answer and changes nothing;
//   (4) the books balance.
// See README.md. Exit code 0 = all rounds passed, 1 = a check failed, 2 = bad usage,
// 3 = the safety timeout (a hang, never a speed requirement).
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <random>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "client/client.h"
#include "iso8583/codec.h"
#include "iso8583/message.h"
#include "server/framing.h"

namespace {

using namespace holdfast;
using Clock = std::chrono::steady_clock;
using Ms = std::chrono::milliseconds;
namespace fs = std::filesystem;

constexpr int kAccounts = 50;
constexpr uint64_t kFirstAccount = 9001;
constexpr uint64_t kFirstCard = 9001;
constexpr int64_t kCreditLimit = 10'000'000'000;  // holds accumulate over 1,000s of rounds
constexpr int kConnections = 4;
constexpr size_t kWindow = 48;  // requests outstanding per connection

// ---- the child process -------------------------------------------------------------------

volatile sig_atomic_t g_child = -1;
std::string g_log_path;

void kill_child_now() {
  if (g_child > 0) {
    ::kill(static_cast<pid_t>(g_child), SIGKILL);
    ::waitpid(static_cast<pid_t>(g_child), nullptr, 0);
    g_child = -1;
  }
}

void on_alarm(int) {
  static const char msg[] =
      "crash_recovery: FAILED: the safety timeout passed (a hang?); killing the server\n";
  ssize_t ignored = ::write(2, msg, sizeof msg - 1);
  (void)ignored;
  if (g_child > 0) ::kill(static_cast<pid_t>(g_child), SIGKILL);
  _exit(3);
}

void print_log_tail() {
  std::ifstream in(g_log_path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) {
    lines.push_back(line);
    if (lines.size() > 30) lines.erase(lines.begin());
  }
  std::cerr << "---- last lines of " << g_log_path << " ----\n";
  for (const auto& l : lines) std::cerr << l << '\n';
}

[[noreturn]] void fail(const std::string& why) {
  std::cerr << "crash_recovery: FAILED: " << why << '\n';
  kill_child_now();
  print_log_tail();
  std::exit(1);
}

#define CHECK_OR_FAIL(cond, ...)                                                                         \
  do {                                                                                                   \
    if (!(cond)) fail(fmt::format("{}:{}: {}: ", __FILE__, __LINE__, #cond) + fmt::format(__VA_ARGS__)); \
  } while (0)

uint16_t free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  sa.sin_port = 0;
  socklen_t len = sizeof sa;
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len) != 0)
    fail(std::string("cannot find a free port: ") + std::strerror(errno));
  ::close(fd);
  return ntohs(sa.sin_port);
}

class ServerProcess {
 public:
  ServerProcess(std::string holdfast, std::string data_dir, std::string work_dir)
      : holdfast_(std::move(holdfast)), data_dir_(std::move(data_dir)), work_dir_(std::move(work_dir)) {}

  // Starts `holdfast serve` and waits until both ports accept connections. Retries with other
  // ports when the chosen ones were taken in between.
  void start(uint64_t snapshot_every) {
    for (int attempt = 0; attempt < 3; ++attempt) {
      iso_port_ = free_port();
      admin_port_ = free_port();
      if (iso_port_ == admin_port_) continue;
      const std::string config_path = work_dir_ + "/server.json";
      {
        std::ofstream cfg(config_path, std::ios::trunc);
        cfg << nlohmann::json{
            {"iso_port", iso_port_},
            {"admin_port", admin_port_},
            {"snapshot_every_commands", snapshot_every},
            {"stats_log_interval_s", 3600},
            {"shutdown_grace_ms",
             2000}}.dump();
      }
      const Clock::time_point began = Clock::now();
      const pid_t pid = ::fork();
      if (pid < 0) fail(std::string("fork: ") + std::strerror(errno));
      if (pid == 0) {
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // never outlive the test
        const int log = ::open(g_log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        if (log >= 0) {
          ::dup2(log, 1);
          ::dup2(log, 2);
        }
        std::vector<std::string> args{holdfast_, "serve", "--data", data_dir_, "--config", config_path};
        std::vector<char*> argv;
        for (auto& a : args) argv.push_back(a.data());
        argv.push_back(nullptr);
        ::execv(holdfast_.c_str(), argv.data());
        _exit(127);
      }
      g_child = pid;
      // Ready when both ports accept; an exit first is a failed start (bad recovery: fatal;
      // a port taken in between: retry).
      while (Clock::now() - began < std::chrono::seconds(120)) {
        int status = 0;
        if (::waitpid(pid, &status, WNOHANG) == pid) {
          g_child = -1;
          if (WIFEXITED(status) && WEXITSTATUS(status) == 1 && attempt < 2 && log_mentions_port_in_use())
            break;
          fail(fmt::format("holdfast serve exited during start-up (status {}): recovery or start failed",
                           status));
        }
        if (client::Connection::open("127.0.0.1", admin_port_).ok() &&
            client::Connection::open("127.0.0.1", iso_port_).ok()) {
          last_start_ms_ = std::chrono::duration<double, std::milli>(Clock::now() - began).count();
          return;
        }
        std::this_thread::sleep_for(Ms(5));
      }
      if (g_child > 0) fail("holdfast serve did not open its ports within 120 s (a safety bound)");
    }
    fail("could not start holdfast serve on free ports");
  }

  void sigkill() {
    CHECK_OR_FAIL(g_child > 0, "no server to kill");
    ::kill(static_cast<pid_t>(g_child), SIGKILL);
    int status = 0;
    ::waitpid(static_cast<pid_t>(g_child), &status, 0);
    g_child = -1;
    CHECK_OR_FAIL(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
                  "the server ended before the kill (status {})", status);
  }

  // Graceful stop; fails when it does not exit 0 within 60 s (a safety bound).
  void sigterm() {
    CHECK_OR_FAIL(g_child > 0, "no server to stop");
    const pid_t pid = static_cast<pid_t>(g_child);
    ::kill(pid, SIGTERM);
    const auto began = Clock::now();
    int status = 0;
    while (::waitpid(pid, &status, WNOHANG) != pid) {
      if (Clock::now() - began > std::chrono::seconds(60))
        fail("the server did not stop within 60 s of SIGTERM");
      std::this_thread::sleep_for(Ms(10));
    }
    g_child = -1;
    CHECK_OR_FAIL(WIFEXITED(status) && WEXITSTATUS(status) == 0, "graceful stop exited with status {}",
                  status);
  }

  uint16_t iso_port() const { return iso_port_; }
  uint16_t admin_port() const { return admin_port_; }
  double last_start_ms() const { return last_start_ms_; }

 private:
  bool log_mentions_port_in_use() const {
    std::ifstream in(g_log_path);
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    return text.rfind("in use") != std::string::npos;
  }

  std::string holdfast_, data_dir_, work_dir_;
  uint16_t iso_port_ = 0, admin_port_ = 0;
  double last_start_ms_ = 0;
};

// ---- the portfolio, the traffic and the model ---------------------------------------------

// Accounts by role, so each kind's effect is known exactly (the model below):
//   clearing: 0100s, 0400/0420 reversals and presentments (`present`) of acknowledged approvals;
//   advice:   0100s, 0120 and 0220 advices (offline items: burst protection may block the card,
//             which only turns later 0100s into declines);
//   status:   0100s and set_card_status blocked / active;
//   limit:    0100s and set_credit_limit between a high limit and a low one.
enum class Role { clearing, advice, status, limit };
Role role_of(int account) {
  if (account < 30) return Role::clearing;
  if (account < 40) return Role::advice;
  if (account < 45) return Role::status;
  return Role::limit;
}
constexpr int64_t kLowLimit = 1'000;  // the other limit: most 0100s on the account are declined (51)

char luhn_digit(const std::string& body) {
  int sum = 0;
  bool dbl = true;
  for (auto it = body.rbegin(); it != body.rend(); ++it) {
    int d = *it - '0';
    if (dbl && (d *= 2) > 9) d -= 9;
    sum += d;
    dbl = !dbl;
  }
  return static_cast<char>('0' + (10 - sum % 10) % 10);
}

std::string pan_of(int account) {
  std::string body = fmt::format("622588{:09}", 500'000 + account);
  return body + luhn_digit(body);
}

std::string transmission_time() {
  const auto t = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&t, &utc);
  return fmt::format("{:02}{:02}{:02}{:02}{:02}", utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min,
                     utc.tm_sec);
}

enum class Kind { auth, advice, financial_advice, reversal, reversal_advice, present, set_limit, set_status };
constexpr int kKinds = 8;
const char* kind_name(Kind k) {
  static const char* names[kKinds] = {
      "0100", "0120", "0220", "0400", "0420", "present", "set_credit_limit", "set_card_status"};
  return names[static_cast<int>(k)];
}

// An acknowledged 0100 approval on a clearing account that nothing reversed or presented yet.
struct Approval {
  int account = 0;
  int64_t amount = 0;
  std::string de7, de11, de32, de37, de38;
};

// One request of any kind: what it may change, and how to send it again unchanged.
struct Request {
  Kind kind = Kind::auth;
  int account = 0;
  int64_t amount = 0;         // card messages and presentments
  Approval target;            // reversals and presentments: the approval they act on
  std::string key;            // card messages: DE 32/11/7; admin: the record id or ""
  std::vector<uint8_t> wire;  // card messages: the encoded message (no length header)
  nlohmann::json admin;       // admin commands: the request
  int64_t value = 0;          // set_credit_limit: the limit; set_card_status: 1 = blocked
};

struct Answer {
  std::string rc;  // DE 39, or the admin outcome
  std::string approval;
};

// Per account, what the acknowledged replies say the server holds.
struct Expected {
  int64_t holds = 0;   // pending_holds_minor
  int64_t posted = 0;  // posted_balance_minor
  int64_t limit = 0;   // credit_limit_minor
  bool blocked = false;
};

// The effect an answered request has on its account, per kind (the oracle).
void apply_effect(Expected& e, const Request& r, const Answer& a) {
  const bool ok = a.rc == "00";
  switch (r.kind) {
    case Kind::auth:
    case Kind::advice: e.holds += ok ? r.amount : 0; break;
    case Kind::financial_advice: e.posted += ok ? r.amount : 0; break;
    case Kind::reversal:
    case Kind::reversal_advice: e.holds -= ok ? r.amount : 0; break;
    case Kind::present:
      e.holds -= r.amount;
      e.posted += r.amount;
      break;
    case Kind::set_limit: e.limit = r.value; break;
    case Kind::set_status: e.blocked = r.value != 0; break;
  }
}

struct Tally {
  uint64_t acknowledged[kKinds] = {};
  uint64_t in_doubt[kKinds] = {};
  uint64_t approvals = 0, declines = 0, duplicates_checked = 0;
  uint64_t total(const uint64_t (&n)[kKinds]) const {
    uint64_t t = 0;
    for (uint64_t v : n) t += v;
    return t;
  }
  std::string by_kind(const uint64_t (&n)[kKinds]) const {
    std::string out;
    for (int k = 0; k < kKinds; ++k)
      out += fmt::format("{}{} {}", k ? ", " : "", kind_name(static_cast<Kind>(k)), n[k]);
    return out;
  }
};

// Acknowledged card messages kept for the duplicate check: the latest ones and a reservoir
// sample of the older ones (bounded memory over any number of rounds).
class AckedSample {
 public:
  void add(const Request& r, const Answer& a, std::mt19937_64& rng) {
    recent_.emplace_back(r, a);
    if (recent_.size() <= kRecent) return;
    ++older_seen_;
    if (older_.size() < kOlder) {
      older_.push_back(std::move(recent_.front()));
    } else if (const uint64_t slot = rng() % older_seen_; slot < kOlder) {
      older_[slot] = std::move(recent_.front());
    }
    recent_.pop_front();
  }
  // `n` entries: two thirds from the latest (the window around the crash), the rest older.
  std::vector<const std::pair<Request, Answer>*> pick(size_t n, std::mt19937_64& rng) const {
    std::vector<const std::pair<Request, Answer>*> out;
    for (size_t i = 0; i < n && !recent_.empty(); ++i) {
      if (i % 3 == 0 && !older_.empty())
        out.push_back(&older_[rng() % older_.size()]);
      else
        out.push_back(&recent_[recent_.size() - 1 - rng() % std::min<size_t>(recent_.size(), 400)]);
    }
    return out;
  }

 private:
  static constexpr size_t kRecent = 2000, kOlder = 2000;
  std::deque<std::pair<Request, Answer>> recent_;
  std::vector<std::pair<Request, Answer>> older_;
  uint64_t older_seen_ = 0;
};

struct Model {
  std::array<Expected, kAccounts> expected{};
  std::vector<Approval> open;     // acknowledged approvals on clearing accounts, not yet acted on
  std::vector<Request> in_doubt;  // sent, no reply seen (this round), in send order
  AckedSample acked;
  std::vector<Request> presented;  // acknowledged presentments (latest 200), re-sent as duplicates
  Tally tally;
  std::mt19937_64 rng{1};
};

constexpr size_t kOpenApprovalsKept = 20'000;

const iso8583::MessageSpec& spec() {
  static const iso8583::MessageSpec* s = iso8583::find_spec("iso87binbitmap");
  return *s;
}

// DE 32 + DE 11 + DE 7: how the engine and this test recognise a message.
std::string key_of(const iso8583::Message& m) {
  return fmt::format("{}/{}/{}", m.get(32), m.get(11), m.get(7));
}

class Traffic {
 public:
  explicit Traffic(uint64_t seed) : rng_(seed) {}

  // The next card message on `connection`: mostly 0100s; advices on advice accounts;
  // reversals (0400, 0420) of acknowledged approvals taken from `open`.
  Request make_card_message(int connection, std::vector<Approval>& open) {
    const int dice = static_cast<int>(rng_() % 100);
    Request r;
    r.account = static_cast<int>(rng_() % kAccounts);
    r.amount = std::uniform_int_distribution<int64_t>(100, 5000)(rng_);
    if (dice < 10 && !open.empty()) {
      const size_t i = rng_() % open.size();
      r.target = std::move(open[i]);
      open[i] = std::move(open.back());
      open.pop_back();
      r.kind = dice < 6 ? Kind::reversal : Kind::reversal_advice;
      r.account = r.target.account;
      r.amount = r.target.amount;
    } else if (dice < 22) {
      r.kind = dice < 17 ? Kind::advice : Kind::financial_advice;
      r.account = 30 + static_cast<int>(rng_() % 10);
    }
    static const char* kMti[] = {"0100", "0120", "0220", "0400", "0420"};
    next_stan(connection);
    msg_.reset();
    msg_.set_mti(kMti[static_cast<int>(r.kind)]);
    msg_.set(2, pan_of(r.account));
    msg_.set(3, "000000");
    msg_.set(4, fmt::format("{:012}", r.amount));
    msg_.set(7, transmission_time());
    msg_.set(11, fmt::format("{:06}", stan_[static_cast<size_t>(connection)]));
    msg_.set(18, "5411");
    msg_.set(19, "156");
    msg_.set(22, "051");
    msg_.set(25, "00");
    msg_.set(32, acquirer(connection));
    msg_.set(37, fmt::format("CR{:010}", ++rrn_));
    if (r.kind == Kind::advice || r.kind == Kind::financial_advice) msg_.set(39, "00");
    msg_.set(41, "TERM0001");
    msg_.set(42, "MERCHANT0000001");
    msg_.set(49, "156");
    if (r.kind == Kind::reversal || r.kind == Kind::reversal_advice) {
      msg_.set(90, fmt::format("0100{}{}{:011}{:011}", r.target.de11, r.target.de7,
                               std::stoull(r.target.de32), 0));
    }
    auto wire = iso8583::encode(spec(), msg_);
    CHECK_OR_FAIL(wire.ok(), "encode: {}", wire.ok() ? "" : iso8583::describe(wire.error()));
    r.wire = std::move(wire).value();
    r.key = key_of(msg_);
    return r;
  }

  // The next admin command: presentments of acknowledged approvals, credit limits, blocks.
  Request make_admin(std::vector<Approval>& open, std::array<Expected, kAccounts>& latest_sent) {
    const int dice = static_cast<int>(rng_() % 100);
    Request r;
    if (dice < 60 && !open.empty()) {
      const size_t i = rng_() % open.size();
      r.target = std::move(open[i]);
      open[i] = std::move(open.back());
      open.pop_back();
      r.kind = Kind::present;
      r.account = r.target.account;
      r.amount = r.target.amount;
      r.key = fmt::format("CRASH-{}-{}", r.target.de32, r.target.de37);
      r.admin = {{"op", "present"},
                 {"record_id", r.key},
                 {"kind", "first_presentment"},
                 {"pan", pan_of(r.account)},
                 {"amount_minor", std::to_string(r.amount)},
                 {"currency", "156"},
                 {"approval_code", r.target.de38},
                 {"rrn", r.target.de37},
                 {"mcc", "5411"},
                 {"country", "156"},
                 {"card_present", "Y"}};
    } else if (dice < 80) {
      r.kind = Kind::set_limit;
      r.account = 45 + static_cast<int>(rng_() % 5);
      Expected& sent = latest_sent[static_cast<size_t>(r.account)];
      r.value = sent.limit == kLowLimit ? kCreditLimit : kLowLimit;
      sent.limit = r.value;
      r.admin = {{"op", "set_credit_limit"},
                 {"account_id", kFirstAccount + static_cast<uint64_t>(r.account)},
                 {"credit_limit_minor", r.value}};
    } else {
      r.kind = Kind::set_status;
      r.account = 40 + static_cast<int>(rng_() % 5);
      Expected& sent = latest_sent[static_cast<size_t>(r.account)];
      sent.blocked = !sent.blocked;
      r.value = sent.blocked ? 1 : 0;
      r.admin = {{"op", "set_card_status"},
                 {"card_id", kFirstCard + static_cast<uint64_t>(r.account)},
                 {"status", sent.blocked ? "blocked" : "active"}};
    }
    return r;
  }

  std::mt19937_64& rng() { return rng_; }

 private:
  // STANs are unique across the run: when one runs out, the connection takes a new DE 32.
  void next_stan(int connection) {
    const auto c = static_cast<size_t>(connection);
    if (++stan_[c] > 999'999) {
      stan_[c] = 1;
      ++epoch_[c];
    }
  }
  std::string acquirer(int connection) const {
    return fmt::format("42{:02}{:04}", connection, epoch_[static_cast<size_t>(connection)]);
  }

  std::mt19937_64 rng_;
  std::array<uint32_t, kConnections> stan_{};
  std::array<uint32_t, kConnections> epoch_{};
  uint64_t rrn_ = 0;
  iso8583::Message msg_;
};

Answer answer_of(const nlohmann::json& reply) {
  if (reply.contains("error")) return {"error: " + reply.dump(), ""};
  const std::string outcome = reply.value("outcome", "");
  return {outcome == "admin_done" || outcome == "presentment_matched" ? "00" : outcome, ""};
}

// Records an answer: the model's effect, the tally, and what later checks re-send.
void record_answer(Model& model, const Request& req, const Answer& a, bool was_in_doubt) {
  Expected& e = model.expected[static_cast<size_t>(req.account)];
  if (req.kind == Kind::present) {
    // A presentment of an approval with its code and amount is matched; re-sent after a kill
    // it is either applied now or recognised as applied before: the same effect either way.
    CHECK_OR_FAIL(a.rc == "00" || (was_in_doubt && a.rc == "presentment_already_applied"),
                  "presentment {} answered {}", req.key, a.rc);
    model.presented.push_back(req);
    if (model.presented.size() > 200) model.presented.erase(model.presented.begin());
  } else if (req.kind == Kind::set_limit || req.kind == Kind::set_status) {
    CHECK_OR_FAIL(a.rc == "00", "{} answered {}", req.admin.dump(), a.rc);
  } else {
    model.acked.add(req, a, model.rng);
    if (req.kind == Kind::reversal || req.kind == Kind::reversal_advice || req.kind == Kind::advice ||
        req.kind == Kind::financial_advice)
      CHECK_OR_FAIL(a.rc == "00", "{} {} answered {}", kind_name(req.kind), req.key, a.rc);
    (a.rc == "00" ? model.tally.approvals : model.tally.declines) += 1;
  }
  apply_effect(e, req, a);
  ++model.tally.acknowledged[static_cast<int>(req.kind)];
}

void record_card_reply(Model& model, const Request& req, const iso8583::Message& reply, bool was_in_doubt) {
  static const std::map<Kind, std::string> kReplyMti = {{Kind::auth, "0110"},
                                                        {Kind::advice, "0130"},
                                                        {Kind::financial_advice, "0230"},
                                                        {Kind::reversal, "0410"},
                                                        {Kind::reversal_advice, "0430"}};
  CHECK_OR_FAIL(reply.mti() == kReplyMti.at(req.kind), "{} {} answered with MTI {}", kind_name(req.kind),
                req.key, reply.mti());
  Answer a{std::string(reply.get(39)), std::string(reply.get(38))};
  record_answer(model, req, a, was_in_doubt);
  if (req.kind == Kind::auth && a.rc == "00" && role_of(req.account) == Role::clearing &&
      model.open.size() < kOpenApprovalsKept) {
    iso8583::Message sent;
    CHECK_OR_FAIL(iso8583::decode_into(spec(), req.wire, sent).ok(), "own request undecodable");
    model.open.push_back({req.account, req.amount, std::string(sent.get(7)), std::string(sent.get(11)),
                          std::string(sent.get(32)), std::string(sent.get(37)), a.approval});
  }
}

// ---- one round of load, ended by SIGKILL ------------------------------------------------

struct LoadStats {
  uint64_t sent = 0, answered = 0, in_doubt = 0;
};

int connect_nonblocking(uint16_t port) {
  auto c = client::Connection::open("127.0.0.1", port);
  CHECK_OR_FAIL(c.ok(), "connect to port {}: {}", port, c.ok() ? "" : c.error().message);
  const int fd = ::dup(c->fd());
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
  return fd;
}

// Writes what `out` holds from `off` on, as far as the socket takes it; false when it closed.
bool flush_out(int fd, std::vector<uint8_t>& out, size_t& off) {
  while (off < out.size()) {
    const ssize_t n = ::send(fd, out.data() + off, out.size() - off, MSG_NOSIGNAL);
    if (n > 0)
      off += static_cast<size_t>(n);
    else if (n < 0 && errno == EINTR)
      continue;
    else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
      return true;
    else
      return false;
  }
  out.clear();
  off = 0;
  return true;
}

constexpr size_t kAdminWindow = 4;  // admin commands outstanding on the admin connection

LoadStats drive_and_kill(ServerProcess& server, Traffic& traffic, Model& model, int kill_after_ms) {
  struct IsoConn {
    int fd = -1;
    std::vector<uint8_t> out;
    size_t off = 0;
    server::FrameReader reader{server::Framing::len2, 65'535};
    std::map<std::string, Request> outstanding;
    bool open = true;
  };
  struct AdminConn {  // JSON lines; answers come back in request order
    int fd = -1;
    std::vector<uint8_t> out;
    size_t off = 0;
    std::string in;
    std::deque<Request> outstanding;
    bool open = true;
  };
  std::vector<IsoConn> conns(kConnections);
  for (auto& c : conns) c.fd = connect_nonblocking(server.iso_port());
  AdminConn admin;
  admin.fd = connect_nonblocking(server.admin_port());
  std::array<Expected, kAccounts> latest_sent = model.expected;  // admin values sent, acknowledged or not
  LoadStats stats;
  iso8583::Message reply;

  auto read_iso = [&](IsoConn& c) {
    while (c.open) {
      auto area = c.reader.write_area(65'536);
      const ssize_t n = ::recv(c.fd, area.data(), area.size(), 0);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
      if (n <= 0) {
        c.open = false;  // EOF or reset: the server is gone
        return;
      }
      c.reader.commit_written(static_cast<size_t>(n));
      for (auto next = c.reader.next(); next.status == server::FrameReader::Status::frame;
           next = c.reader.next()) {
        auto decoded = iso8583::decode_into(spec(), next.message, reply);
        CHECK_OR_FAIL(decoded.ok(), "undecodable reply: {}",
                      decoded.ok() ? "" : iso8583::describe(decoded.error()));
        auto it = c.outstanding.find(key_of(reply));
        CHECK_OR_FAIL(it != c.outstanding.end(), "a reply to no outstanding request: {}", key_of(reply));
        record_card_reply(model, it->second, reply, false);
        c.outstanding.erase(it);
        ++stats.answered;
      }
    }
  };
  auto read_admin = [&] {
    char buf[16384];
    while (admin.open) {
      const ssize_t n = ::recv(admin.fd, buf, sizeof buf, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
      if (n <= 0) {
        admin.open = false;
        return;
      }
      admin.in.append(buf, static_cast<size_t>(n));
      for (size_t nl = admin.in.find('\n'); nl != std::string::npos; nl = admin.in.find('\n')) {
        const auto line = nlohmann::json::parse(admin.in.substr(0, nl), nullptr, false);
        admin.in.erase(0, nl + 1);
        CHECK_OR_FAIL(!line.is_discarded() && !admin.outstanding.empty(), "unexpected admin answer");
        record_answer(model, admin.outstanding.front(), answer_of(line), false);
        admin.outstanding.pop_front();
        ++stats.answered;
      }
    }
  };

  const auto kill_at = Clock::now() + Ms(kill_after_ms);
  while (Clock::now() < kill_at) {
    for (size_t i = 0; i < conns.size(); ++i) {
      IsoConn& c = conns[i];
      while (c.open && c.outstanding.size() < kWindow) {
        Request r = traffic.make_card_message(static_cast<int>(i), model.open);
        server::append_frame(server::Framing::len2, r.wire, &c.out);
        std::string key = r.key;
        c.outstanding.emplace(std::move(key), std::move(r));
        ++stats.sent;
      }
      if (c.open) c.open = flush_out(c.fd, c.out, c.off);
    }
    while (admin.open && admin.outstanding.size() < kAdminWindow) {
      Request r = traffic.make_admin(model.open, latest_sent);
      const std::string line = r.admin.dump() + "\n";
      admin.out.insert(admin.out.end(), line.begin(), line.end());
      admin.outstanding.push_back(std::move(r));
      ++stats.sent;
    }
    if (admin.open) admin.open = flush_out(admin.fd, admin.out, admin.off);
    std::vector<pollfd> fds;
    for (auto& c : conns) fds.push_back({c.fd, POLLIN, 0});
    fds.push_back({admin.fd, POLLIN, 0});
    const auto left = std::chrono::duration_cast<Ms>(kill_at - Clock::now()).count();
    ::poll(fds.data(), fds.size(), static_cast<int>(std::clamp<int64_t>(left, 0, 5)));
    for (auto& c : conns) read_iso(c);
    read_admin();
  }
  server.sigkill();
  // Replies the server wrote before dying are still in our receive buffers: they were
  // acknowledged. Read until every connection reports EOF or reset (a safety bound only).
  const auto drain_until = Clock::now() + std::chrono::seconds(60);
  for (auto& c : conns) {
    while (c.open && Clock::now() < drain_until) {
      pollfd p{c.fd, POLLIN, 0};
      ::poll(&p, 1, 50);
      read_iso(c);
    }
    CHECK_OR_FAIL(!c.open, "a connection stayed open 60 s after the server was killed");
    for (auto& [key, req] : c.outstanding) model.in_doubt.push_back(std::move(req));
    ::close(c.fd);
  }
  while (admin.open && Clock::now() < drain_until) {
    pollfd p{admin.fd, POLLIN, 0};
    ::poll(&p, 1, 50);
    read_admin();
  }
  CHECK_OR_FAIL(!admin.open, "the admin connection stayed open 60 s after the server was killed");
  for (auto& req : admin.outstanding) model.in_doubt.push_back(std::move(req));
  ::close(admin.fd);
  stats.in_doubt = model.in_doubt.size();
  for (const auto& r : model.in_doubt) ++model.tally.in_doubt[static_cast<int>(r.kind)];
  return stats;
}

// ---- verification after a restart --------------------------------------------------------

constexpr int kReplyTimeoutMs = 60'000;  // a safety bound, not a speed requirement

std::array<Expected, kAccounts> server_state(client::AdminClient& admin) {
  std::array<Expected, kAccounts> out{};
  for (int a = 0; a < kAccounts; ++a) {
    auto r = admin.call({{"op", "get_account"}, {"account_id", kFirstAccount + static_cast<uint64_t>(a)}},
                        kReplyTimeoutMs);
    CHECK_OR_FAIL(r.ok() && r->contains("pending_holds_minor"), "get_account: {}",
                  r.ok() ? r->dump() : r.error().message);
    Expected& e = out[static_cast<size_t>(a)];
    e.holds = (*r)["pending_holds_minor"].get<int64_t>();
    e.posted = (*r)["posted_balance_minor"].get<int64_t>();
    e.limit = (*r)["credit_limit_minor"].get<int64_t>();
    // Only status accounts' cards are blocked by commands alone; burst protection may block an
    // advice account's card, which the model does not predict (it only declines later 0100s).
    if (role_of(a) != Role::status) continue;
    auto c =
        admin.call({{"op", "get_card"}, {"card_id", kFirstCard + static_cast<uint64_t>(a)}}, kReplyTimeoutMs);
    CHECK_OR_FAIL(c.ok() && c->contains("status"), "get_card: {}", c.ok() ? c->dump() : c.error().message);
    e.blocked = (*c)["status"] == "blocked";
  }
  return out;
}

// Card messages are sent unchanged over one connection, pipelined in batches; answers in order.
std::vector<iso8583::Message> resend(uint16_t iso_port, const std::vector<const Request*>& requests) {
  std::vector<iso8583::Message> answers;
  auto iso = client::IsoClient::connect("127.0.0.1", iso_port, server::Framing::len2, spec());
  CHECK_OR_FAIL(iso.ok(), "connect: {}", iso.ok() ? "" : iso.error().message);
  constexpr size_t kBatch = 256;
  for (size_t begin = 0; begin < requests.size(); begin += kBatch) {
    const size_t end = std::min(requests.size(), begin + kBatch);
    for (size_t i = begin; i < end; ++i) {
      auto sent = iso->send_raw(requests[i]->wire);
      CHECK_OR_FAIL(sent.ok(), "re-send: {}", sent.ok() ? "" : sent.error().message);
    }
    for (size_t i = begin; i < end; ++i) {
      auto reply = iso->receive(kReplyTimeoutMs);
      CHECK_OR_FAIL(reply.ok(), "re-sent {} unanswered: {}", requests[i]->key,
                    reply.ok() ? "" : reply.error().message);
      answers.push_back(std::move(reply).value());
    }
  }
  return answers;
}

bool is_card_message(Kind k) { return k != Kind::present && k != Kind::set_limit && k != Kind::set_status; }

// Before anything is re-sent: every account's state lies between "no in-doubt request applied"
// and "all of them applied" (nothing acknowledged lost, nothing invented), and a credit limit
// or card status is the last acknowledged value or one sent while in doubt.
void check_bounds(const Model& model, const std::array<Expected, kAccounts>& now, int round) {
  std::array<Expected, kAccounts> low = model.expected, high = model.expected;
  std::array<std::vector<Expected>, kAccounts> admin_values;
  for (const Request& r : model.in_doubt) {
    const auto a = static_cast<size_t>(r.account);
    Expected applied = model.expected[a];
    apply_effect(applied, r, Answer{"00", ""});
    low[a].holds += std::min<int64_t>(0, applied.holds - model.expected[a].holds);
    high[a].holds += std::max<int64_t>(0, applied.holds - model.expected[a].holds);
    high[a].posted += applied.posted - model.expected[a].posted;
    if (!is_card_message(r.kind) && r.kind != Kind::present) admin_values[a].push_back(applied);
  }
  for (size_t a = 0; a < kAccounts; ++a) {
    const uint64_t id = kFirstAccount + a;
    CHECK_OR_FAIL(now[a].holds >= low[a].holds,
                  "round {}: account {} lost acknowledged holds: pending {} < {}", round, id, now[a].holds,
                  low[a].holds);
    CHECK_OR_FAIL(now[a].holds <= high[a].holds,
                  "round {}: account {} has holds nobody asked for: pending {} > {}", round, id, now[a].holds,
                  high[a].holds);
    CHECK_OR_FAIL(now[a].posted >= low[a].posted, "round {}: account {} lost acknowledged postings: {} < {}",
                  round, id, now[a].posted, low[a].posted);
    CHECK_OR_FAIL(now[a].posted <= high[a].posted,
                  "round {}: account {} has postings nobody asked for: {} > {}", round, id, now[a].posted,
                  high[a].posted);
    bool limit_ok = now[a].limit == model.expected[a].limit,
         status_ok = now[a].blocked == model.expected[a].blocked;
    for (const Expected& v : admin_values[a]) {
      limit_ok = limit_ok || now[a].limit == v.limit;
      status_ok = status_ok || now[a].blocked == v.blocked;
    }
    CHECK_OR_FAIL(limit_ok, "round {}: account {} credit limit {} was never sent (acknowledged {})", round,
                  id, now[a].limit, model.expected[a].limit);
    CHECK_OR_FAIL(status_ok, "round {}: card {} blocked={} was never sent (acknowledged blocked={})", round,
                  kFirstCard + a, now[a].blocked, model.expected[a].blocked);
  }
}

void check_exact(const Model& model, const std::array<Expected, kAccounts>& now, int round,
                 const char* when) {
  for (size_t a = 0; a < kAccounts; ++a) {
    const Expected& e = model.expected[a];
    CHECK_OR_FAIL(
        now[a].holds == e.holds && now[a].posted == e.posted && now[a].limit == e.limit &&
            now[a].blocked == e.blocked,
        "round {}: account {} {}: server has holds {} posted {} limit {} blocked {}, the acknowledged "
        "replies say holds {} posted {} limit {} blocked {} (an effect lost or applied twice)",
        round, kFirstAccount + a, when, now[a].holds, now[a].posted, now[a].limit, now[a].blocked, e.holds,
        e.posted, e.limit, e.blocked);
  }
}

void verify(ServerProcess& server, Model& model, int round) {
  auto admin = client::AdminClient::connect("127.0.0.1", server.admin_port());
  CHECK_OR_FAIL(admin.ok(), "admin connect: {}", admin.ok() ? "" : admin.error().message);
  check_bounds(model, server_state(*admin), round);

  // Resolve every in-doubt request by sending it again, unchanged: applied before the kill, it
  // is recognised (duplicate card message, presentment record id, the same limit or status);
  // otherwise it is applied now. Admin commands go first, in the order they were sent.
  std::vector<const Request*> card_messages;
  for (const Request& r : model.in_doubt) {
    if (is_card_message(r.kind)) {
      card_messages.push_back(&r);
      continue;
    }
    auto answer = admin->call(r.admin, kReplyTimeoutMs);
    CHECK_OR_FAIL(answer.ok(), "re-sent {}: {}", r.admin.dump(), answer.ok() ? "" : answer.error().message);
    record_answer(model, r, answer_of(*answer), true);
  }
  const auto answers = resend(server.iso_port(), card_messages);
  for (size_t i = 0; i < card_messages.size(); ++i)
    record_card_reply(model, *card_messages[i], answers[i], true);
  model.in_doubt.clear();
  const auto resolved = server_state(*admin);
  check_exact(model, resolved, round, "after resolving doubt");

  // Acknowledged requests again, unchanged: the same answer, and nothing moves.
  std::vector<const Request*> sample;
  const auto picked = model.acked.pick(150, model.rng);
  for (const auto* p : picked) sample.push_back(&p->first);
  const auto again = resend(server.iso_port(), sample);
  for (size_t i = 0; i < sample.size(); ++i) {
    CHECK_OR_FAIL(again[i].get(39) == picked[i]->second.rc && again[i].get(38) == picked[i]->second.approval,
                  "round {}: re-sent acknowledged {} {} came back as {} {} instead of {} {}", round,
                  kind_name(sample[i]->kind), sample[i]->key, again[i].get(39), again[i].get(38),
                  picked[i]->second.rc, picked[i]->second.approval);
  }
  for (size_t i = 0; i < std::min<size_t>(model.presented.size(), 10); ++i) {
    const Request& p = model.presented[model.rng() % model.presented.size()];
    auto answer = admin->call(p.admin, kReplyTimeoutMs);
    CHECK_OR_FAIL(answer.ok() && answer->value("outcome", "") == "presentment_already_applied",
                  "round {}: re-sent presentment {} answered {}", round, p.key,
                  answer.ok() ? answer->dump() : answer.error().message);
  }
  model.tally.duplicates_checked += sample.size() + std::min<size_t>(model.presented.size(), 10);
  check_exact(model, server_state(*admin), round, "after re-sending acknowledged requests");

  auto stats = admin->call({{"op", "audit"}}, kReplyTimeoutMs);  // stats + the full ledger check
  CHECK_OR_FAIL(stats.ok() && stats->value("books_balance", false), "round {}: books do not balance: {}",
                round, stats.ok() ? stats->dump() : stats.error().message);
}

void load_portfolio(ServerProcess& server, Model& model) {
  auto admin = client::AdminClient::connect("127.0.0.1", server.admin_port());
  CHECK_OR_FAIL(admin.ok(), "admin connect");
  std::vector<nlohmann::json> requests;
  requests.push_back({{"op", "create_card_range"},
                      {"prefix_low", "622588"},
                      {"prefix_high", "622588"},
                      {"product", {{"name", "crash"}, {"issuer_country", "156"}}}});
  for (int a = 0; a < kAccounts; ++a) {
    requests.push_back({{"op", "open_account"},
                        {"id", kFirstAccount + static_cast<uint64_t>(a)},
                        {"currency", "156"},
                        {"credit_limit_minor", kCreditLimit}});
    requests.push_back({{"op", "issue_card"},
                        {"id", kFirstCard + static_cast<uint64_t>(a)},
                        {"account_id", kFirstAccount + static_cast<uint64_t>(a)},
                        {"pan", pan_of(a)},
                        {"expiry", "3012"}});
    model.expected[static_cast<size_t>(a)].limit = kCreditLimit;
  }
  for (const auto& r : requests) {
    auto answer = admin->call(r, kReplyTimeoutMs);
    CHECK_OR_FAIL(answer.ok() && answer->value("ok", false), "portfolio request {} -> {}", r.dump(),
                  answer.ok() ? answer->dump() : answer.error().message);
  }
}

struct Options {
  std::string holdfast;
  int rounds = 12;
  uint64_t seed = 1;
  int timeout_s = 0;  // 0: 300 s + 90 s per round
  std::string work_dir;
  bool keep = false;
};

int usage() {
  std::cerr << "usage: crash_recovery_test --holdfast PATH [--rounds N] [--seed S] [--timeout-s T] "
               "[--work-dir DIR] [--keep]\n"
               "  env: HOLDFAST_CRASH_ROUNDS, HOLDFAST_CRASH_SEED, HOLDFAST_CRASH_TIMEOUT_S override the "
               "defaults\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  if (const char* v = std::getenv("HOLDFAST_CRASH_ROUNDS")) o.rounds = std::atoi(v);
  if (const char* v = std::getenv("HOLDFAST_CRASH_SEED")) o.seed = std::strtoull(v, nullptr, 10);
  if (const char* v = std::getenv("HOLDFAST_CRASH_TIMEOUT_S")) o.timeout_s = std::atoi(v);
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) std::exit(usage());
      return argv[++i];
    };
    if (a == "--holdfast")
      o.holdfast = value();
    else if (a == "--rounds")
      o.rounds = std::atoi(value().c_str());
    else if (a == "--seed")
      o.seed = std::strtoull(value().c_str(), nullptr, 10);
    else if (a == "--timeout-s")
      o.timeout_s = std::atoi(value().c_str());
    else if (a == "--work-dir")
      o.work_dir = value();
    else if (a == "--keep")
      o.keep = true;
    else
      return usage();
  }
  if (o.holdfast.empty() || o.rounds < 1 || o.timeout_s < 0) return usage();
  if (o.timeout_s == 0) o.timeout_s = 300 + 90 * o.rounds;
  if (o.work_dir.empty())
    o.work_dir = (fs::temp_directory_path() / fmt::format("holdfast-crash-{}", ::getpid())).string();
  std::error_code ec;
  fs::remove_all(o.work_dir, ec);
  fs::create_directories(o.work_dir);
  const std::string data_dir = o.work_dir + "/data";
  g_log_path = o.work_dir + "/server.log";

  // A safety net against a hang, never a speed requirement: generous, and it fails naming itself.
  ::signal(SIGALRM, on_alarm);
  ::signal(SIGPIPE, SIG_IGN);
  ::alarm(static_cast<unsigned>(o.timeout_s));
  std::atexit(kill_child_now);

  fmt::print(
      "crash_recovery: {} rounds, seed {} (--seed {} replays the traffic and kill schedule), work dir {}\n",
      o.rounds, o.seed, o.seed, o.work_dir);
  const auto began = Clock::now();
  Traffic traffic(o.seed);
  std::mt19937_64 schedule(o.seed ^ 0x9e3779b97f4a7c15ULL);
  Model model;
  model.rng.seed(o.seed + 1);
  ServerProcess server(o.holdfast, data_dir, o.work_dir);

  // Every fourth round's server snapshots every 64 commands (a snapshot written tens of times
  // a second), so its kill often lands while a snapshot is being written.
  auto snapshot_every = [](int round) -> uint64_t { return round % 4 == 0 ? 64 : 100'000; };
  auto temp_files = [&] {
    size_t n = 0;
    for (const auto& e : fs::directory_iterator(data_dir)) n += e.path().string().ends_with(".tmp") ? 1 : 0;
    return n;
  };
  server.start(snapshot_every(1));
  load_portfolio(server, model);
  int mid_snapshot_kills = 0;
  for (int round = 1; round <= o.rounds; ++round) {
    const int kill_after = std::uniform_int_distribution<int>(50, 500)(schedule);
    const uint64_t acked_before = model.tally.total(model.tally.acknowledged);
    const LoadStats load = drive_and_kill(server, traffic, model, kill_after);
    const size_t temps = temp_files();  // a snapshot's temporary file: the kill landed mid-write
    mid_snapshot_kills += temps > 0 ? 1 : 0;
    server.start(snapshot_every(round + 1));
    CHECK_OR_FAIL(temp_files() == 0, "round {}: the restart left a snapshot temporary file", round);
    verify(server, model, round);
    fmt::print(
        "round {:>4}: killed after {:>3} ms{}{}: sent {:>5}, answered {:>5}, in doubt {:>3} (all resolved "
        "by re-sending); {} answers acknowledged this round; restart {:.0f} ms; state exact on {} accounts\n",
        round, kill_after, snapshot_every(round) < 1000 ? " (snapshot every 64)" : "",
        temps > 0 ? " MID-SNAPSHOT" : "", load.sent, load.answered, load.in_doubt,
        model.tally.total(model.tally.acknowledged) - acked_before, server.last_start_ms(), kAccounts);
  }
  // A graceful stop and restart on top of all that must recover the same state.
  server.sigterm();
  server.start(100'000);
  verify(server, model, o.rounds + 1);
  server.sigterm();

  const Tally& t = model.tally;
  const double seconds = std::chrono::duration<double>(Clock::now() - began).count();
  fmt::print("crash_recovery: acknowledged by kind: {}\n", t.by_kind(t.acknowledged));
  fmt::print("crash_recovery: in doubt at kills by kind: {}\n", t.by_kind(t.in_doubt));
  fmt::print(
      "crash_recovery: PASSED {} kill/restart rounds ({} killed mid-snapshot) in {:.1f} s: {} card "
      "approvals, "
      "{} declines, {} acknowledged requests re-sent as duplicates; state exact on every account after every "
      "restart\n",
      o.rounds, mid_snapshot_kills, seconds, t.approvals, t.declines, t.duplicates_checked);
  // One line for scripts/crash_rounds.sh. lost and doubled are what the checks found: any lost
  // or doubled effect fails the run before this line.
  fmt::print(
      "TALLY rounds={} acknowledged={} in_doubt={} duplicates_checked={} mid_snapshot={} lost=0 doubled=0\n",
      o.rounds, t.total(t.acknowledged), t.total(t.in_doubt), t.duplicates_checked, mid_snapshot_kills);
  if (!o.keep) fs::remove_all(o.work_dir, ec);
  return 0;
}
