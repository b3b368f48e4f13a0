// crash_recovery: kills `holdfast serve` with SIGKILL at random moments under pipelined load,
// restarts it on the same data directory, and proves from the outside that
//   (1) no acknowledged authorisation is lost:  pending holds >= acknowledged approvals
//   (2) nothing is invented:                    pending holds <= acknowledged + in doubt
//   (3) in-doubt requests resolve exactly: re-sent unchanged, each is either answered from the
//       journal (duplicate) or applied now; afterwards pending holds == acknowledged, per account
//   (4) a re-sent acknowledged request gets the same DE 39 / DE 38 and changes no hold.
// See README.md. Exit code 0 = all rounds passed, 1 = a check failed, 2 = bad usage,
// 3 = overall timeout.
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
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
constexpr int64_t kCreditLimit = 10'000'000;  // holds accumulate over rounds: declines appear after ~40
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
  static const char msg[] = "crash_recovery: FAILED: overall timeout; killing the server\n";
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

#define CHECK_OR_FAIL(cond, ...)                                                      \
  do {                                                                                \
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
        cfg << nlohmann::json{{"iso_port", iso_port_},
                              {"admin_port", admin_port_},
                              {"snapshot_every_commands", snapshot_every},
                              {"stats_log_interval_s", 3600},
                              {"shutdown_grace_ms", 2000}}
                   .dump();
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
      while (Clock::now() - began < std::chrono::seconds(20)) {
        int status = 0;
        if (::waitpid(pid, &status, WNOHANG) == pid) {
          g_child = -1;
          if (WIFEXITED(status) && WEXITSTATUS(status) == 1 && attempt < 2 && log_mentions_port_in_use()) break;
          fail(fmt::format("holdfast serve exited during start-up (status {}): recovery or start failed", status));
        }
        if (client::Connection::open("127.0.0.1", admin_port_).ok() &&
            client::Connection::open("127.0.0.1", iso_port_).ok()) {
          last_start_ms_ = std::chrono::duration<double, std::milli>(Clock::now() - began).count();
          return;
        }
        std::this_thread::sleep_for(Ms(5));
      }
      if (g_child > 0) fail("holdfast serve did not open its ports within 20 s");
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

  // Graceful stop; fails when it does not exit 0 within 15 s.
  void sigterm() {
    CHECK_OR_FAIL(g_child > 0, "no server to stop");
    const pid_t pid = static_cast<pid_t>(g_child);
    ::kill(pid, SIGTERM);
    const auto began = Clock::now();
    int status = 0;
    while (::waitpid(pid, &status, WNOHANG) != pid) {
      if (Clock::now() - began > std::chrono::seconds(15)) fail("the server did not stop within 15 s of SIGTERM");
      std::this_thread::sleep_for(Ms(10));
    }
    g_child = -1;
    CHECK_OR_FAIL(WIFEXITED(status) && WEXITSTATUS(status) == 0, "graceful stop exited with status {}", status);
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

// ---- requests and the model --------------------------------------------------------------

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
  return fmt::format("{:02}{:02}{:02}{:02}{:02}", utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec);
}

struct Request {
  int account = 0;
  int64_t amount = 0;
  std::vector<uint8_t> wire;  // the encoded message (no length header), re-sent unchanged
};

struct Answer {
  std::string rc;
  std::string approval;
};

// DE 32 + DE 11 + DE 7: how the engine and this test recognise a message.
std::string key_of(const iso8583::Message& m) {
  return fmt::format("{}/{}/{}", m.get(32), m.get(11), m.get(7));
}

struct Model {
  std::array<int64_t, kAccounts> acknowledged{};  // sum of approvals the client has seen
  std::map<std::string, Request> in_doubt;         // sent, no reply seen (this round)
  std::vector<std::pair<Request, Answer>> acked;   // acknowledged approvals (all rounds)
  uint64_t approvals = 0, declines = 0;
};

const iso8583::MessageSpec& spec() {
  static const iso8583::MessageSpec* s = iso8583::find_spec("iso87binbitmap");
  return *s;
}

class Traffic {
 public:
  explicit Traffic(uint64_t seed) : rng_(seed) {}

  Request make(int connection, const iso8583::Message** out_message = nullptr) {
    Request r;
    r.account = static_cast<int>(rng_() % kAccounts);
    r.amount = std::uniform_int_distribution<int64_t>(100, 5000)(rng_);
    uint32_t& stan = stan_[static_cast<size_t>(connection)];
    CHECK_OR_FAIL(stan < 999'999, "STAN space exhausted on connection {}", connection);
    ++stan;
    msg_.reset();
    msg_.set_mti("0100");
    msg_.set(2, pan_of(r.account));
    msg_.set(3, "000000");
    msg_.set(4, fmt::format("{:012}", r.amount));
    msg_.set(7, transmission_time());
    msg_.set(11, fmt::format("{:06}", stan));
    msg_.set(18, "5411");
    msg_.set(19, "156");
    msg_.set(22, "051");
    msg_.set(25, "00");
    msg_.set(32, fmt::format("4242{:02}", connection));
    msg_.set(37, fmt::format("CR{:010}", ++rrn_));
    msg_.set(41, "TERM0001");
    msg_.set(42, "MERCHANT0000001");
    msg_.set(49, "156");
    auto wire = iso8583::encode(spec(), msg_);
    CHECK_OR_FAIL(wire.ok(), "encode: {}", wire.ok() ? "" : iso8583::describe(wire.error()));
    r.wire = std::move(wire).value();
    if (out_message != nullptr) *out_message = &msg_;
    return r;
  }
  std::mt19937_64& rng() { return rng_; }

 private:
  std::mt19937_64 rng_;
  std::array<uint32_t, kConnections> stan_{};
  uint64_t rrn_ = 0;
  iso8583::Message msg_;
};

// ---- one round of load, ended by SIGKILL ------------------------------------------------

struct LoadStats {
  uint64_t sent = 0, answered = 0, in_doubt = 0;
};

int connect_nonblocking(uint16_t port) {
  auto c = client::Connection::open("127.0.0.1", port);
  CHECK_OR_FAIL(c.ok(), "connect to the ISO port: {}", c.ok() ? "" : c.error().message);
  const int fd = ::dup(c->fd());
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
  return fd;
}

void record_answer(Model& model, const Request& req, const iso8583::Message& reply) {
  Answer a{std::string(reply.get(39)), std::string(reply.get(38))};
  if (a.rc == "00") {
    model.acknowledged[static_cast<size_t>(req.account)] += req.amount;
    model.acked.emplace_back(req, std::move(a));
    ++model.approvals;
  } else {
    ++model.declines;
  }
}

LoadStats drive_and_kill(ServerProcess& server, Traffic& traffic, Model& model, int kill_after_ms) {
  struct Conn {
    int fd = -1;
    std::vector<uint8_t> out;
    size_t off = 0;
    server::FrameReader reader{server::Framing::len2, 65'535};
    std::map<std::string, Request> outstanding;
    bool open = true;
  };
  std::vector<Conn> conns(kConnections);
  for (auto& c : conns) c.fd = connect_nonblocking(server.iso_port());
  LoadStats stats;
  iso8583::Message reply;

  auto read_from = [&](Conn& c) {
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
      for (auto next = c.reader.next(); next.status == server::FrameReader::Status::frame; next = c.reader.next()) {
        auto decoded = iso8583::decode_into(spec(), next.message, reply);
        CHECK_OR_FAIL(decoded.ok(), "undecodable reply: {}", decoded.ok() ? "" : iso8583::describe(decoded.error()));
        auto it = c.outstanding.find(key_of(reply));
        CHECK_OR_FAIL(it != c.outstanding.end(), "a reply to no outstanding request: {}", key_of(reply));
        CHECK_OR_FAIL(reply.mti() == "0110", "reply MTI {}", reply.mti());
        record_answer(model, it->second, reply);
        c.outstanding.erase(it);
        ++stats.answered;
      }
    }
  };

  const auto kill_at = Clock::now() + Ms(kill_after_ms);
  const iso8583::Message* made = nullptr;
  while (Clock::now() < kill_at) {
    for (size_t i = 0; i < conns.size(); ++i) {
      Conn& c = conns[i];
      while (c.open && c.outstanding.size() < kWindow) {
        Request r = traffic.make(static_cast<int>(i), &made);
        const std::string key = key_of(*made);
        server::append_frame(server::Framing::len2, r.wire, &c.out);
        c.outstanding.emplace(key, std::move(r));
        ++stats.sent;
      }
      while (c.open && c.off < c.out.size()) {
        const ssize_t n = ::send(c.fd, c.out.data() + c.off, c.out.size() - c.off, MSG_NOSIGNAL);
        if (n > 0) {
          c.off += static_cast<size_t>(n);
        } else if (n < 0 && errno == EINTR) {
          continue;
        } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
          break;
        } else {
          c.open = false;
        }
      }
      if (c.off == c.out.size()) {
        c.out.clear();
        c.off = 0;
      }
    }
    std::vector<pollfd> fds;
    for (auto& c : conns) fds.push_back({c.fd, POLLIN, 0});
    const auto left = std::chrono::duration_cast<Ms>(kill_at - Clock::now()).count();
    ::poll(fds.data(), fds.size(), static_cast<int>(std::clamp<int64_t>(left, 0, 5)));
    for (auto& c : conns) read_from(c);
  }
  server.sigkill();
  // Replies the server wrote before dying are still in our receive buffers: they were
  // acknowledged. Read until every connection reports EOF or reset (bounded).
  const auto drain_until = Clock::now() + std::chrono::seconds(5);
  for (auto& c : conns) {
    while (c.open && Clock::now() < drain_until) {
      pollfd p{c.fd, POLLIN, 0};
      ::poll(&p, 1, 50);
      read_from(c);
    }
    CHECK_OR_FAIL(!c.open, "a connection stayed open after the server was killed");
    for (auto& [key, req] : c.outstanding) {
      model.in_doubt.emplace(key, std::move(req));
      ++stats.in_doubt;
    }
    ::close(c.fd);
  }
  return stats;
}

// ---- verification after a restart --------------------------------------------------------

std::array<int64_t, kAccounts> pending_holds(client::AdminClient& admin) {
  std::array<int64_t, kAccounts> out{};
  for (int a = 0; a < kAccounts; ++a) {
    auto r = admin.call({{"op", "get_account"}, {"account_id", kFirstAccount + static_cast<uint64_t>(a)}}, 10'000);
    CHECK_OR_FAIL(r.ok(), "get_account: {}", r.ok() ? "" : r.error().message);
    CHECK_OR_FAIL(r->contains("pending_holds_minor"), "get_account answer {}", r->dump());
    out[static_cast<size_t>(a)] = (*r)["pending_holds_minor"].get<int64_t>();
  }
  return out;
}

// Sends requests unchanged over one connection, pipelined in batches; answers in order.
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
      auto reply = iso->receive(10'000);
      CHECK_OR_FAIL(reply.ok(), "re-sent request unanswered: {}", reply.ok() ? "" : reply.error().message);
      answers.push_back(std::move(reply).value());
    }
  }
  return answers;
}

struct RoundReport {
  int64_t committed_unacknowledged_minor = 0;  // held before the re-send: committed, reply lost
  uint64_t in_doubt_approved = 0;
  uint64_t duplicates_checked = 0;
};

void verify(ServerProcess& server, Traffic& traffic, Model& model, int round, RoundReport* report) {
  auto admin = client::AdminClient::connect("127.0.0.1", server.admin_port());
  CHECK_OR_FAIL(admin.ok(), "admin connect: {}", admin.ok() ? "" : admin.error().message);

  // (1) and (2): bounds before anything is re-sent.
  std::array<int64_t, kAccounts> doubt{};
  for (const auto& [key, r] : model.in_doubt) doubt[static_cast<size_t>(r.account)] += r.amount;
  const auto before = pending_holds(*admin);
  for (size_t a = 0; a < kAccounts; ++a) {
    CHECK_OR_FAIL(before[a] >= model.acknowledged[a],
                  "round {}: account {} lost acknowledged holds: pending {} < acknowledged {}", round,
                  kFirstAccount + a, before[a], model.acknowledged[a]);
    CHECK_OR_FAIL(before[a] <= model.acknowledged[a] + doubt[a],
                  "round {}: account {} has holds nobody asked for: pending {} > acknowledged {} + in doubt {}",
                  round, kFirstAccount + a, before[a], model.acknowledged[a], doubt[a]);
    report->committed_unacknowledged_minor += before[a] - model.acknowledged[a];
  }

  // (3): resolve every in-doubt request by sending it again, unchanged.
  std::vector<const Request*> in_doubt;
  for (const auto& [key, r] : model.in_doubt) in_doubt.push_back(&r);
  const auto answers = resend(server.iso_port(), in_doubt);
  for (size_t i = 0; i < in_doubt.size(); ++i) {
    CHECK_OR_FAIL(answers[i].mti() == "0110", "in-doubt re-send answered with MTI {}", answers[i].mti());
    if (answers[i].get(39) == "00") ++report->in_doubt_approved;
    record_answer(model, *in_doubt[i], answers[i]);
  }
  model.in_doubt.clear();
  const auto resolved = pending_holds(*admin);
  for (size_t a = 0; a < kAccounts; ++a)
    CHECK_OR_FAIL(resolved[a] == model.acknowledged[a],
                  "round {}: account {} after resolving doubt: pending {} != acknowledged {} (a hold lost or doubled)",
                  round, kFirstAccount + a, resolved[a], model.acknowledged[a]);

  // (4): acknowledged approvals again, unchanged: same answer, no new hold.
  std::vector<const Request*> sample;
  std::vector<const Answer*> expected;
  const size_t n = std::min<size_t>(model.acked.size(), 150);
  for (size_t i = 0; i < n; ++i) {
    // Mostly recent ones (the window around the crash), some from any earlier round.
    const size_t size = model.acked.size();
    const size_t pick = (i % 3 == 0) ? traffic.rng()() % size : size - 1 - (traffic.rng()() % std::min<size_t>(size, 400));
    sample.push_back(&model.acked[pick].first);
    expected.push_back(&model.acked[pick].second);
  }
  const auto again = resend(server.iso_port(), sample);
  for (size_t i = 0; i < sample.size(); ++i) {
    CHECK_OR_FAIL(again[i].get(39) == expected[i]->rc && again[i].get(38) == expected[i]->approval,
                  "round {}: a re-sent acknowledged request came back as {} {} instead of {} {}", round,
                  again[i].get(39), again[i].get(38), expected[i]->rc, expected[i]->approval);
  }
  report->duplicates_checked += sample.size();
  const auto after = pending_holds(*admin);
  CHECK_OR_FAIL(after == resolved, "round {}: re-sending acknowledged requests changed pending holds", round);

  auto stats = admin->call({{"op", "audit"}});  // stats + the full ledger check
  CHECK_OR_FAIL(stats.ok() && stats->value("books_balance", false), "round {}: books do not balance: {}", round,
                stats.ok() ? stats->dump() : stats.error().message);
}

void load_portfolio(ServerProcess& server) {
  auto admin = client::AdminClient::connect("127.0.0.1", server.admin_port());
  CHECK_OR_FAIL(admin.ok(), "admin connect");
  std::vector<nlohmann::json> requests;
  requests.push_back({{"op", "create_card_range"}, {"prefix_low", "622588"}, {"prefix_high", "622588"},
                      {"product", {{"name", "crash"}, {"issuer_country", "156"}}}});
  for (int a = 0; a < kAccounts; ++a) {
    requests.push_back({{"op", "open_account"}, {"id", kFirstAccount + static_cast<uint64_t>(a)},
                        {"currency", "156"}, {"credit_limit_minor", kCreditLimit}});
    requests.push_back({{"op", "issue_card"}, {"id", kFirstCard + static_cast<uint64_t>(a)},
                        {"account_id", kFirstAccount + static_cast<uint64_t>(a)}, {"pan", pan_of(a)},
                        {"expiry", "3012"}});
  }
  for (const auto& r : requests) {
    auto answer = admin->call(r, 10'000);
    CHECK_OR_FAIL(answer.ok() && answer->value("ok", false), "portfolio request {} -> {}", r.dump(),
                  answer.ok() ? answer->dump() : answer.error().message);
  }
}

struct Options {
  std::string holdfast;
  int rounds = 20;
  uint64_t seed = 0;
  int timeout_s = 170;
  std::string work_dir;
  bool keep = false;
};

int usage() {
  std::cerr << "usage: crash_recovery_test --holdfast PATH [--rounds N] [--seed S] [--timeout-s T] [--work-dir DIR] [--keep]\n"
               "  env: HOLDFAST_CRASH_ROUNDS, HOLDFAST_CRASH_SEED, HOLDFAST_CRASH_TIMEOUT_S override the defaults\n";
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
    if (a == "--holdfast") o.holdfast = value();
    else if (a == "--rounds") o.rounds = std::atoi(value().c_str());
    else if (a == "--seed") o.seed = std::strtoull(value().c_str(), nullptr, 10);
    else if (a == "--timeout-s") o.timeout_s = std::atoi(value().c_str());
    else if (a == "--work-dir") o.work_dir = value();
    else if (a == "--keep") o.keep = true;
    else return usage();
  }
  if (o.holdfast.empty() || o.rounds < 1 || o.timeout_s < 1) return usage();
  if (o.seed == 0) o.seed = std::random_device{}();
  if (o.work_dir.empty()) o.work_dir = (fs::temp_directory_path() / fmt::format("holdfast-crash-{}", ::getpid())).string();
  std::error_code ec;
  fs::remove_all(o.work_dir, ec);
  fs::create_directories(o.work_dir);
  const std::string data_dir = o.work_dir + "/data";
  g_log_path = o.work_dir + "/server.log";

  ::signal(SIGALRM, on_alarm);
  ::signal(SIGPIPE, SIG_IGN);
  ::alarm(static_cast<unsigned>(o.timeout_s));
  std::atexit(kill_child_now);

  fmt::print("crash_recovery: {} rounds, seed {} (HOLDFAST_CRASH_SEED={} reproduces the schedule), work dir {}\n",
             o.rounds, o.seed, o.seed, o.work_dir);
  const auto began = Clock::now();
  Traffic traffic(o.seed);
  std::mt19937_64 schedule(o.seed ^ 0x9e3779b97f4a7c15ULL);
  Model model;
  ServerProcess server(o.holdfast, data_dir, o.work_dir);

  // Every fourth round's server snapshots every 64 commands (a 2-5 MB snapshot written tens of
  // times a second), so its kill often lands while a snapshot is being written.
  auto snapshot_every = [](int round) -> uint64_t { return round % 4 == 0 ? 64 : 100'000; };
  auto temp_files = [&] {
    size_t n = 0;
    for (const auto& e : fs::directory_iterator(data_dir))
      n += e.path().string().ends_with(".tmp") ? 1 : 0;
    return n;
  };
  server.start(snapshot_every(1));
  load_portfolio(server);
  RoundReport total;
  int mid_snapshot_kills = 0;
  for (int round = 1; round <= o.rounds; ++round) {
    const int kill_after = std::uniform_int_distribution<int>(50, 500)(schedule);
    const LoadStats load = drive_and_kill(server, traffic, model, kill_after);
    const size_t temps = temp_files();  // a snapshot's temporary file: the kill landed mid-write
    mid_snapshot_kills += temps > 0 ? 1 : 0;
    server.start(snapshot_every(round + 1));
    CHECK_OR_FAIL(temp_files() == 0, "round {}: the restart left a snapshot temporary file", round);
    RoundReport r;
    verify(server, traffic, model, round, &r);
    total.in_doubt_approved += r.in_doubt_approved;
    total.duplicates_checked += r.duplicates_checked;
    total.committed_unacknowledged_minor += r.committed_unacknowledged_minor;
    fmt::print("round {:>3}: killed after {:>3} ms{}{}: sent {:>5}, answered {:>5}, in doubt {:>3} "
               "(held before re-send: {} minor; {} approved on re-send); restart {:.0f} ms; "
               "{} acknowledged re-sent unchanged; holds exact on {} accounts\n",
               round, kill_after, snapshot_every(round) < 1000 ? " (snapshot every 64)" : "",
               temps > 0 ? " MID-SNAPSHOT" : "", load.sent, load.answered, load.in_doubt,
               r.committed_unacknowledged_minor, r.in_doubt_approved, server.last_start_ms(), r.duplicates_checked,
               kAccounts);
    if (round < o.rounds && std::chrono::duration<double>(Clock::now() - began).count() > o.timeout_s * 0.9)
      fail(fmt::format("only {} of {} rounds fit in the {} s budget", round, o.rounds, o.timeout_s));
  }
  // A graceful stop and restart on top of all that must recover the same state.
  server.sigterm();
  server.start(100'000);
  RoundReport last;
  verify(server, traffic, model, o.rounds + 1, &last);
  server.sigterm();

  const double seconds = std::chrono::duration<double>(Clock::now() - began).count();
  fmt::print("crash_recovery: PASSED {} kill/restart rounds ({} killed mid-snapshot) in {:.1f} s: {} approvals and "
             "{} declines acknowledged, {} minor units committed but unacknowledged at kills (all recovered), "
             "{} acknowledged requests re-sent as duplicates, pending holds exact on every account\n",
             o.rounds, mid_snapshot_kills, seconds, model.approvals, model.declines,
             total.committed_unacknowledged_minor, total.duplicates_checked + last.duplicates_checked);
  if (!o.keep) fs::remove_all(o.work_dir, ec);
  return 0;
}
