// holdfast loadgen: an ISO 8583 load generator for holdfast's acquirer port, run as a separate
// process from the server (see README.md).
//
//   Open loop (default): requests leave on a fixed schedule, `rate` per second spread evenly
//   over `connections`, whatever the replies do. Each request's latency is measured from its
//   *scheduled* send time to its reply, so a stalled server shows up as latency instead of
//   silently lowering the offered load (no coordinated omission).
//   Closed loop (`max_throughput`): each connection keeps `in_flight` requests outstanding and
//   sends a new one for every reply; latency is from the actual send. Finds the saturation point.
//
// Requests are pipelined; replies are matched to requests by DE 11 (STAN) + DE 7 per
// connection (each connection uses its own DE 32 acquirer id, so (DE 32, 11, 7) never repeats
// within a run and is unlikely to repeat across runs). Loopback targets only.
//
// Threading: run() uses `threads` worker threads, each owning every threads-th connection; the
// caller's thread only waits. Everything else is single-threaded helpers.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "base/result.h"
#include "loadgen/histogram.h"
#include "server/framing.h"

namespace holdfast::loadgen {

enum class LoadgenErrc { bad_options, not_loopback, resolve_failed, connect_failed, admin_failed };
using LoadgenError = Error<LoadgenErrc>;

// The generated portfolio: one card range, `cards` accounts with one card each.
struct PortfolioOptions {
  uint64_t cards = 1000;
  std::string card_prefix = "622588";              // 6 digits, one card range
  uint64_t first_account_id = 7'000'000;           // account i = first_account_id + i
  uint64_t first_card_id = 7'000'000;              // card i = first_card_id + i
  int64_t credit_limit_minor = 1'000'000'000'000;  // big: nearly every authorisation approves
  std::string currency = "156";
  std::string expiry_yymm = "3012";
};

// 16-digit PAN of card `index`: prefix + zero-padded counter + Luhn check digit.
// REQUIRES: prefix is 6 digits, index < 10^9.
std::string card_pan(const std::string& prefix, uint64_t index);
char luhn_check_digit(std::string_view digits_without_check);
bool luhn_valid(std::string_view pan);

// The admin requests that create the portfolio, in order (range, then account + card per index).
std::vector<nlohmann::json> portfolio_requests(const PortfolioOptions& options);

struct LoadReport {
  uint64_t requests = 0;
  uint64_t created = 0;
  uint64_t already_present = 0;  // duplicate id / card / range from an earlier load
  double seconds = 0;
};
// Sends portfolio_requests() over the admin port, pipelined in batches. Idempotent: records that
// already exist (a rerun on the same data directory) count as already_present.
Result<LoadReport, LoadgenError> load_portfolio(const std::string& host, uint16_t admin_port,
                                                const PortfolioOptions& options);

// Resolves `host` and refuses anything that is not loopback (127.0.0.0/8 or ::1). Returns the
// numeric address to connect to.
Result<std::string, LoadgenError> resolve_loopback(const std::string& host);

struct LoadgenOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 8583;
  server::Framing framing = server::Framing::len2;
  std::string spec = "iso87binbitmap";

  double rate = 10'000;    // open loop: requests per second, all connections together
  double duration_s = 10;  // measured period, after the warm-up
  double warmup_s = 1;     // sent and answered, not measured
  uint32_t connections = 4;
  uint32_t threads = 1;         // worker threads (connections are split between them)
  bool max_throughput = false;  // closed loop
  uint32_t in_flight = 64;      // closed loop: requests outstanding per connection

  // Mix: fractions of the traffic that are reversals (0400 of an earlier approval on the same
  // connection) and advices (0120 of a stand-in approval); the rest are 0100.
  double reversal_fraction = 0;
  double advice_fraction = 0;

  uint32_t timeout_ms = 5000;  // a request unanswered this long is a timeout
  double drain_s = 5;          // after the last send, how long to wait for replies
  // Open loop: while this many bytes per connection are queued but not yet written (the server
  // stopped reading), further requests on it are not sent (counted as not_sent): bounds memory.
  uint64_t max_backlog_bytes = 64ULL << 20;
  // Open loop: the worker sleeps until the next scheduled send, but at least this long between
  // wake-ups when nothing else happens (fewer system calls; sends may be up to this late, and
  // that lateness is measured as latency).
  uint32_t min_sleep_us = 0;

  uint64_t seed = 1;
  PortfolioOptions portfolio;  // which cards to use (cards, prefix); loading is separate
  int64_t min_amount_minor = 100;
  int64_t max_amount_minor = 10'000;
};

enum Kind : uint8_t { kAuthorization = 0, kReversal, kAdvice, kKinds };
const char* kind_name(Kind k);

struct KindCounts {
  uint64_t sent = 0;
  uint64_t answered = 0;
  uint64_t approved = 0;
  uint64_t declined = 0;
};

struct LoadgenResult {
  std::string mode;  // "open" | "max"
  double target_rate = 0;
  double duration_s = 0;  // measured period
  uint32_t connections = 0;
  // Measured period only (requests scheduled, or for max sent, after the warm-up):
  std::array<KindCounts, kKinds> kinds{};
  uint64_t sent = 0;
  uint64_t answered = 0;
  uint64_t approved = 0;
  uint64_t declined = 0;
  std::array<uint64_t, 100> response_codes{};  // DE 39 "00".."99" (measured replies)
  uint64_t timeouts = 0;      // no reply within timeout_ms (a late reply is counted as late too)
  uint64_t late_replies = 0;  // replies to requests already counted as timeouts
  uint64_t unanswered = 0;    // still outstanding when the drain ended, not yet timed out
  uint64_t not_sent = 0;      // backlog bound hit (open loop)
  uint64_t unmatched = 0;     // replies matching no request
  uint64_t decode_errors = 0;
  uint64_t connection_errors = 0;
  uint64_t warmup_sent = 0;
  double achieved_send_rate = 0;  // measured sent / duration
  double throughput = 0;          // replies received during the measured period / duration
  double max_send_lag_us = 0;     // worst lateness of a send behind its schedule (open loop)
  Histogram latency;              // ns, measured requests
};

// Runs the load. Fails only when it cannot start (options, loopback, connect); errors during the
// run are counted in the result. Bounded: returns at most warmup + duration + drain (+ connect)
// seconds after it starts.
Result<LoadgenResult, LoadgenError> run(const LoadgenOptions& options);

nlohmann::json to_json(const LoadgenResult& result);
std::string to_text(const LoadgenResult& result);

// `holdfast loadgen ...`: registers the subcommand; exit code 0 ok, 1 operating error, 2 bad
// options.
void add_loadgen_command(CLI::App& app, int* exit_code);

}  // namespace holdfast::loadgen
