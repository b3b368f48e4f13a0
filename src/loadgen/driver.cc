// The load loop: one worker per thread, non-blocking sockets under epoll, requests pipelined,
// replies matched by DE 11 + DE 7. See loadgen.h for the two modes.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <ctime>
#include <deque>
#include <memory>
#include <random>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include <fmt/format.h>

#include <asio.hpp>

#include "iso8583/codec.h"
#include "iso8583/message.h"
#include "loadgen/loadgen.h"

namespace holdfast::loadgen {
namespace {

int64_t now_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

// DE 7 (MMDDhhmmss, UTC) of the current second, recomputed when the second changes.
class TransmissionClock {
 public:
  uint64_t now() {
    const time_t t = std::time(nullptr);
    if (t != second_) {
      second_ = t;
      std::tm utc{};
      gmtime_r(&t, &utc);
      value_ = static_cast<uint64_t>(utc.tm_mon + 1) * 100'000'000ULL +
               static_cast<uint64_t>(utc.tm_mday) * 1'000'000ULL +
               static_cast<uint64_t>(utc.tm_hour) * 10'000ULL + static_cast<uint64_t>(utc.tm_min) * 100ULL +
               static_cast<uint64_t>(utc.tm_sec);
      text_ = fmt::format("{:010}", value_);
    }
    return value_;
  }
  // The text of the value now() returned last.
  std::string_view text() const { return text_; }

 private:
  time_t second_ = 0;
  uint64_t value_ = 0;
  std::string text_;
};

uint64_t match_key(uint64_t de7, uint64_t stan) { return de7 * 1'000'000ULL + stan; }

bool parse_digits(std::string_view s, uint64_t* out) {
  if (s.empty() || s.size() > 19) return false;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  *out = v;
  return true;
}

struct Pending {
  int64_t start_ns;  // scheduled send (open loop) or actual send (closed loop)
  int64_t amount;
  uint32_t card;
  uint32_t stan;
  uint64_t de7;
  Kind kind;
  bool measured;
};

struct Approved {
  uint32_t stan;
  uint64_t de7;
  uint32_t card;
  int64_t amount;
};

struct Conn {
  Conn(int fd_in, uint64_t acquirer_in, server::Framing framing)
      : fd(fd_in),
        acquirer(acquirer_in),
        acquirer_text(std::to_string(acquirer_in)),
        reader(framing, 65'535) {}
  int fd;
  uint64_t acquirer;
  std::string acquirer_text;
  uint32_t stan = 0;
  std::vector<uint8_t> out;
  size_t out_off = 0;
  bool polling_out = false;
  bool dead = false;
  server::FrameReader reader;
  std::unordered_map<uint64_t, Pending> inflight;
  std::deque<std::pair<uint64_t, int64_t>> order;  // key, deadline; answered keys popped lazily
  std::unordered_set<uint64_t> timed_out;
  std::vector<Approved> approved;  // recent approvals that a reversal may pick (bounded)
  size_t backlog() const { return out.size() - out_off; }
};

class Worker {
 public:
  Worker(const LoadgenOptions& o, const iso8583::MessageSpec& spec, const std::vector<std::string>& pans,
         std::vector<std::unique_ptr<Conn>> conns, double rate, double phase, uint64_t seed, int64_t start_ns)
      : o_(o), spec_(spec), pans_(pans), conns_(std::move(conns)), rng_(seed), start_ns_(start_ns) {
    measure_start_ = start_ns_ + static_cast<int64_t>(o_.warmup_s * 1e9);
    send_end_ = measure_start_ + static_cast<int64_t>(o_.duration_s * 1e9);
    hard_end_ = send_end_ + static_cast<int64_t>(o_.drain_s * 1e9);
    period_ns_ = rate > 0 ? 1e9 / rate : 0;
    phase_ = phase;
    base_.set_mti("0100");
    base_.set(3, "000000");
    base_.set(18, "5411");
    base_.set(19, o_.portfolio.currency);
    base_.set(22, "051");
    base_.set(25, "00");
    base_.set(41, "TERM0001");
    base_.set(42, "MERCHANT0000001");
    base_.set(49, o_.portfolio.currency);
    result_.latency = Histogram{};
  }

  void run() {
    prctl(PR_SET_TIMERSLACK, 1000UL, 0, 0, 0);  // 1 us: wake-ups close to the schedule
    epfd_ = epoll_create1(EPOLL_CLOEXEC);
    for (size_t i = 0; i < conns_.size(); ++i) {
      epoll_event ev{};
      ev.events = EPOLLIN;
      ev.data.u64 = i;
      epoll_ctl(epfd_, EPOLL_CTL_ADD, conns_[i]->fd, &ev);
    }
    loop();
    finish();
    ::close(epfd_);
  }

  LoadgenResult& result() { return result_; }

 private:
  int64_t scheduled(uint64_t j) const {
    return start_ns_ + static_cast<int64_t>((static_cast<double>(j) + phase_) * period_ns_);
  }

  size_t live_connections() const {
    size_t n = 0;
    for (const auto& c : conns_) n += c->dead ? 0 : 1;
    return n;
  }
  size_t total_inflight() const {
    size_t n = 0;
    for (const auto& c : conns_) n += c->inflight.size();
    return n;
  }

  void loop() {
    std::array<epoll_event, 64> events{};
    int64_t next_sweep = start_ns_;
    while (true) {
      int64_t now = now_ns();
      bool sending = now < send_end_ && live_connections() > 0;
      if (now >= start_ns_ && sending) {
        if (o_.max_throughput) {
          top_up(now);
        } else {
          while (true) {
            const int64_t at = scheduled(next_);
            if (at > now || at >= send_end_) break;
            Conn& c = *conns_[next_ % conns_.size()];
            ++next_;
            if (c.dead || c.backlog() > o_.max_backlog_bytes) {
              if (at >= measure_start_) ++result_.not_sent;
              continue;
            }
            if (at >= measure_start_)
              result_.max_send_lag_us =
                  std::max(result_.max_send_lag_us, static_cast<double>(now - at) / 1e3);
            emit(c, at, now);
          }
        }
      }
      for (size_t i = 0; i < conns_.size(); ++i) flush(i);
      if (now >= next_sweep) {
        sweep(now);
        next_sweep = now + 10'000'000;
      }
      if (!sending && (total_inflight() == 0 || now >= hard_end_)) break;

      int64_t wait = 10'000'000;  // 10 ms: the sweep period
      if (now < start_ns_) {
        wait = start_ns_ - now;
      } else if (sending && !o_.max_throughput) {
        wait = std::max<int64_t>(scheduled(next_) - now, o_.min_sleep_us * 1000LL);
      } else if (sending) {
        wait = std::min<int64_t>(wait, send_end_ - now);
      } else {
        wait = std::min<int64_t>(wait, hard_end_ - now);
      }
      wait = std::clamp<int64_t>(wait, 0, 10'000'000);
      timespec ts{static_cast<time_t>(wait / 1'000'000'000), static_cast<long>(wait % 1'000'000'000)};
      const int n = epoll_pwait2(epfd_, events.data(), static_cast<int>(events.size()), &ts, nullptr);
      if (n < 0) {
        if (errno == EINTR) continue;
        ++result_.connection_errors;
        break;
      }
      now = now_ns();
      for (int k = 0; k < n; ++k) {
        const size_t i = events[static_cast<size_t>(k)].data.u64;
        Conn& c = *conns_[i];
        if (c.dead) continue;
        if (events[static_cast<size_t>(k)].events & (EPOLLIN | EPOLLERR | EPOLLHUP)) read(c, now);
        if (!c.dead && (events[static_cast<size_t>(k)].events & EPOLLOUT)) flush(i);
      }
    }
  }

  void top_up(int64_t now) {
    for (auto& cp : conns_) {
      Conn& c = *cp;
      while (!c.dead && c.inflight.size() < o_.in_flight) emit(c, now, now);
    }
  }

  Kind pick_kind(Conn& c) {
    if (o_.reversal_fraction <= 0 && o_.advice_fraction <= 0) return kAuthorization;
    const double u = std::uniform_real_distribution<double>(0, 1)(rng_);
    if (u < o_.reversal_fraction) return c.approved.empty() ? kAuthorization : kReversal;
    if (u < o_.reversal_fraction + o_.advice_fraction) return kAdvice;
    return kAuthorization;
  }

  void emit(Conn& c, int64_t start, int64_t now) {
    (void)now;
    const Kind kind = pick_kind(c);
    c.stan = c.stan % 999'999 + 1;
    const uint64_t de7 = clock_.now();
    Pending p{start, 0, 0, c.stan, de7, kind, start >= measure_start_};
    msg_ = base_;
    msg_.set(7, clock_.text());
    text_ = fmt::format("{:06}", c.stan);
    msg_.set(11, text_);
    msg_.set(32, c.acquirer_text);
    text_ = fmt::format("{:012}", ++rrn_);
    msg_.set(37, text_);
    if (kind == kReversal) {
      const size_t pick = rng_() % c.approved.size();
      const Approved a = c.approved[pick];
      c.approved[pick] = c.approved.back();
      c.approved.pop_back();
      p.card = a.card;
      p.amount = a.amount;
      msg_.set_mti("0400");
      text_ = fmt::format("0100{:06}{:010}{:011}{:011}", a.stan, a.de7, c.acquirer, 0);
      msg_.set(90, text_);
    } else {
      p.card = static_cast<uint32_t>(rng_() % pans_.size());
      p.amount = std::uniform_int_distribution<int64_t>(o_.min_amount_minor, o_.max_amount_minor)(rng_);
      if (kind == kAdvice) {
        msg_.set_mti("0120");
        msg_.set(38, "LG0001");
        msg_.set(39, "00");
      }
    }
    msg_.set(2, pans_[p.card]);
    text_ = fmt::format("{:012}", p.amount);
    msg_.set(4, text_);

    const size_t header = server::begin_frame(o_.framing, &c.out);
    if (!iso8583::encode_into(spec_, msg_, c.out).ok() || !server::end_frame(o_.framing, header, &c.out)) {
      c.out.resize(header);
      ++result_.decode_errors;
      return;
    }
    const uint64_t key = match_key(de7, c.stan);
    c.inflight[key] = p;
    c.order.emplace_back(key, start + static_cast<int64_t>(o_.timeout_ms) * 1'000'000);
    if (p.measured) {
      ++result_.sent;
      ++result_.kinds[kind].sent;
    } else {
      ++result_.warmup_sent;
    }
  }

  void flush(size_t i) {
    Conn& c = *conns_[i];
    if (c.dead) return;
    while (c.backlog() > 0) {
      const ssize_t n = ::send(c.fd, c.out.data() + c.out_off, c.backlog(), MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n > 0) {
        c.out_off += static_cast<size_t>(n);
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
      kill(c);
      return;
    }
    if (c.backlog() == 0) {
      c.out.clear();
      c.out_off = 0;
    } else if (c.out_off > (1U << 20) && c.out_off > c.out.size() / 2) {
      c.out.erase(c.out.begin(), c.out.begin() + static_cast<std::ptrdiff_t>(c.out_off));
      c.out_off = 0;
    }
    const bool want_out = c.backlog() > 0;
    if (want_out != c.polling_out) {
      epoll_event ev{};
      ev.events = EPOLLIN | (want_out ? EPOLLOUT : 0U);
      ev.data.u64 = i;
      epoll_ctl(epfd_, EPOLL_CTL_MOD, c.fd, &ev);
      c.polling_out = want_out;
    }
  }

  void kill(Conn& c) {
    if (c.dead) return;
    c.dead = true;
    ++result_.connection_errors;
    epoll_ctl(epfd_, EPOLL_CTL_DEL, c.fd, nullptr);
    ::close(c.fd);
    for (const auto& [key, p] : c.inflight)
      if (p.measured) ++result_.unanswered;
    c.inflight.clear();
    c.order.clear();
  }

  void read(Conn& c, int64_t now) {
    for (int rounds = 0; rounds < 16; ++rounds) {
      auto area = c.reader.write_area(65'536);
      const ssize_t n = ::recv(c.fd, area.data(), area.size(), MSG_DONTWAIT);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
      if (n <= 0) {
        kill(c);
        return;
      }
      c.reader.commit_written(static_cast<size_t>(n));
      while (true) {
        auto next = c.reader.next();
        if (next.status == server::FrameReader::Status::need_more) break;
        if (next.status != server::FrameReader::Status::frame) {
          ++result_.decode_errors;
          kill(c);
          return;
        }
        on_reply(c, next.message, now);
      }
      if (static_cast<size_t>(n) < area.size()) return;
    }
  }

  void on_reply(Conn& c, std::span<const uint8_t> wire, int64_t now) {
    if (!iso8583::decode_into(spec_, wire, reply_).ok()) {
      ++result_.decode_errors;
      return;
    }
    uint64_t stan = 0, de7 = 0;
    if (!parse_digits(reply_.get(11), &stan) || !parse_digits(reply_.get(7), &de7)) {
      ++result_.unmatched;
      return;
    }
    const uint64_t key = match_key(de7, stan);
    auto it = c.inflight.find(key);
    if (it == c.inflight.end()) {
      if (c.timed_out.erase(key) > 0) {
        ++result_.late_replies;
      } else {
        ++result_.unmatched;
      }
      return;
    }
    const Pending p = it->second;
    c.inflight.erase(it);
    if (now >= measure_start_ && now < send_end_) ++result_.throughput;  // a count until finish()
    const std::string_view rc = reply_.get(39);
    const bool approved = rc == "00";
    if (p.kind == kAuthorization && approved && c.approved.size() < 65'536)
      c.approved.push_back(Approved{p.stan, p.de7, p.card, p.amount});
    if (!p.measured) return;
    ++result_.answered;
    ++result_.kinds[p.kind].answered;
    if (approved) {
      ++result_.approved;
      ++result_.kinds[p.kind].approved;
    } else {
      ++result_.declined;
      ++result_.kinds[p.kind].declined;
    }
    uint64_t code = 0;
    if (rc.size() == 2 && parse_digits(rc, &code)) ++result_.response_codes[code];
    result_.latency.record(static_cast<uint64_t>(std::max<int64_t>(0, now - p.start_ns)));
  }

  void sweep(int64_t now) {
    for (auto& cp : conns_) {
      Conn& c = *cp;
      while (!c.order.empty()) {
        const auto [key, deadline] = c.order.front();
        auto it = c.inflight.find(key);
        if (it == c.inflight.end()) {
          c.order.pop_front();
          continue;
        }
        if (deadline > now) break;
        if (it->second.measured) ++result_.timeouts;
        c.inflight.erase(it);
        if (c.timed_out.size() < 1'000'000) c.timed_out.insert(key);
        c.order.pop_front();
      }
    }
  }

  void finish() {
    for (auto& cp : conns_) {
      Conn& c = *cp;
      for (const auto& [key, p] : c.inflight)
        if (p.measured) ++result_.unanswered;
      if (!c.dead) ::close(c.fd);
    }
  }

  const LoadgenOptions& o_;
  const iso8583::MessageSpec& spec_;
  const std::vector<std::string>& pans_;
  std::vector<std::unique_ptr<Conn>> conns_;
  std::mt19937_64 rng_;
  int64_t start_ns_;
  int64_t measure_start_ = 0;
  int64_t send_end_ = 0;
  int64_t hard_end_ = 0;
  double period_ns_ = 0;
  double phase_ = 0;
  uint64_t next_ = 0;
  uint64_t rrn_ = 0;
  int epfd_ = -1;
  TransmissionClock clock_;
  iso8583::Message base_;
  iso8583::Message msg_;
  iso8583::Message reply_;
  std::string text_;
  LoadgenResult result_;
};

Result<int, LoadgenError> connect_to(const std::string& address, uint16_t port) {
  const asio::ip::address a = asio::ip::make_address(address);
  const int family = a.is_v6() ? AF_INET6 : AF_INET;
  const int fd = ::socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return LoadgenError{LoadgenErrc::connect_failed, std::string("socket: ") + std::strerror(errno)};
  int rc = -1;
  if (a.is_v6()) {
    sockaddr_in6 sa{};
    sa.sin6_family = AF_INET6;
    sa.sin6_port = htons(port);
    const auto bytes = a.to_v6().to_bytes();
    std::memcpy(&sa.sin6_addr, bytes.data(), bytes.size());
    rc = ::connect(fd, reinterpret_cast<const sockaddr*>(&sa), sizeof sa);
  } else {
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port);
    const auto bytes = a.to_v4().to_bytes();
    std::memcpy(&sa.sin_addr, bytes.data(), bytes.size());
    rc = ::connect(fd, reinterpret_cast<const sockaddr*>(&sa), sizeof sa);
  }
  if (rc != 0) {
    const std::string why = std::strerror(errno);
    ::close(fd);
    return LoadgenError{LoadgenErrc::connect_failed,
                        fmt::format("cannot connect to {}:{}: {}", address, port, why)};
  }
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

}  // namespace

const char* kind_name(Kind k) {
  switch (k) {
    case kAuthorization: return "authorization";
    case kReversal: return "reversal";
    case kAdvice: return "advice";
    case kKinds: break;
  }
  return "?";
}

Result<LoadgenResult, LoadgenError> run(const LoadgenOptions& o) {
  auto bad = [](std::string why) { return LoadgenError{LoadgenErrc::bad_options, std::move(why)}; };
  const auto* spec = iso8583::find_spec(o.spec);
  if (spec == nullptr) return bad("unknown spec " + o.spec);
  if (o.connections < 1 || o.connections > 4096) return bad("connections must be 1..4096");
  if (o.threads < 1 || o.threads > 64 || o.threads > o.connections)
    return bad("threads must be 1..min(64, connections)");
  if (!o.max_throughput && !(o.rate > 0 && o.rate <= 10'000'000))
    return bad("rate must be in (0, 10,000,000]");
  if (o.max_throughput && (o.in_flight < 1 || o.in_flight > 100'000))
    return bad("in-flight must be 1..100,000");
  if (!(o.duration_s > 0 && o.duration_s <= 86'400)) return bad("duration must be in (0, 86400] s");
  if (!(o.warmup_s >= 0 && o.warmup_s <= 3600)) return bad("warm-up must be in [0, 3600] s");
  if (!(o.drain_s >= 0 && o.drain_s <= 600)) return bad("drain must be in [0, 600] s");
  if (o.timeout_ms < 1) return bad("timeout must be at least 1 ms");
  if (o.reversal_fraction < 0 || o.advice_fraction < 0 || o.reversal_fraction + o.advice_fraction > 1)
    return bad("mix fractions must be >= 0 and sum to at most 1");
  if (o.portfolio.cards < 1 || o.portfolio.cards >= 1'000'000'000) return bad("cards must be 1..999,999,999");
  if (o.min_amount_minor < 1 || o.max_amount_minor < o.min_amount_minor ||
      o.max_amount_minor > 999'999'999'999)
    return bad("amounts must satisfy 1 <= min <= max <= 999999999999");
  if (o.portfolio.card_prefix.size() != 6) return bad("card prefix must be 6 digits");

  auto address = resolve_loopback(o.host);
  if (!address.ok()) return address.error();

  std::vector<std::string> pans;
  pans.reserve(o.portfolio.cards);
  for (uint64_t i = 0; i < o.portfolio.cards; ++i) pans.push_back(card_pan(o.portfolio.card_prefix, i));

  // DE 32 per connection: a per-run base so that a rerun on the same data directory within the
  // same second does not look like duplicate transmissions.
  std::mt19937_64 seeder(o.seed);
  const uint64_t run_base = (static_cast<uint64_t>(std::time(nullptr)) % 100'000) * 10'000 +
                            (std::random_device{}() % 100) * 100'000'000ULL;
  std::vector<std::vector<std::unique_ptr<Conn>>> per_worker(o.threads);
  for (uint32_t i = 0; i < o.connections; ++i) {
    auto fd = connect_to(*address, o.port);
    if (!fd.ok()) {
      for (auto& w : per_worker)
        for (auto& c : w) ::close(c->fd);
      return fd.error();
    }
    per_worker[i % o.threads].push_back(
        std::make_unique<Conn>(*fd, 10'000'000'000ULL + run_base + i, o.framing));
  }

  const int64_t start_ns = now_ns() + 50'000'000;
  std::vector<std::unique_ptr<Worker>> workers;
  for (uint32_t t = 0; t < o.threads; ++t) {
    const double share = o.rate * static_cast<double>(per_worker[t].size()) / o.connections;
    workers.push_back(std::make_unique<Worker>(o, *spec, pans, std::move(per_worker[t]), share,
                                               static_cast<double>(t) / o.threads, seeder(), start_ns));
  }
  std::vector<std::thread> threads;
  for (auto& w : workers) threads.emplace_back([&w] { w->run(); });
  for (auto& t : threads) t.join();

  LoadgenResult r;
  r.mode = o.max_throughput ? "max" : "open";
  r.target_rate = o.max_throughput ? 0 : o.rate;
  r.duration_s = o.duration_s;
  r.connections = o.connections;
  for (auto& w : workers) {
    const LoadgenResult& x = w->result();
    for (size_t k = 0; k < kKinds; ++k) {
      r.kinds[k].sent += x.kinds[k].sent;
      r.kinds[k].answered += x.kinds[k].answered;
      r.kinds[k].approved += x.kinds[k].approved;
      r.kinds[k].declined += x.kinds[k].declined;
    }
    for (size_t k = 0; k < r.response_codes.size(); ++k) r.response_codes[k] += x.response_codes[k];
    r.sent += x.sent;
    r.answered += x.answered;
    r.approved += x.approved;
    r.declined += x.declined;
    r.timeouts += x.timeouts;
    r.late_replies += x.late_replies;
    r.unanswered += x.unanswered;
    r.not_sent += x.not_sent;
    r.unmatched += x.unmatched;
    r.decode_errors += x.decode_errors;
    r.connection_errors += x.connection_errors;
    r.warmup_sent += x.warmup_sent;
    r.throughput += x.throughput;
    r.max_send_lag_us = std::max(r.max_send_lag_us, x.max_send_lag_us);
    r.latency.merge(x.latency);
  }
  r.achieved_send_rate = static_cast<double>(r.sent) / o.duration_s;
  r.throughput /= o.duration_s;
  return r;
}

}  // namespace holdfast::loadgen
