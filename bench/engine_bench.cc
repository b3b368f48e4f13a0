// In-process engine throughput: decisions per second on one core, no I/O, no journal, no risk
// scoring (the engine has none yet), and heap allocations per decision.
//
// Portfolio: 100,000 accounts, one card each (one card range), built with admin commands
// before the timed loop. Traffic: 0100 authorisations round-robin over the cards, about 92%
// approved (a hold is placed), 1 in 16 above open-to-buy (51) and 1 in 64 for a card that was
// never issued (14): 92.2% approved. Every message has a fresh key (DE 32/11/7), so none is a duplicate.
//
//   BM_Authorize          one 0100 per iteration; holds accumulate (no expiry within the run)
//   BM_AuthorizeReverse   a 0100 and a full 0400 reversal (DE 90) of it per iteration: two
//                         decisions; holds placed and released, steady state
//   BM_AuthorizeExpire    one 0100 per iteration, the clock advancing 0.6048 s per message
//                         (7 days per 1,000,000 messages), a Tick every 1,024 messages: steady
//                         state of about 1M active holds with about 1,000 expiring per Tick.
//                         The Tick's cost is inside the measured time.
//   BM_EncodeCommand      the journal encoding of one 0100 command (what the server appends
//                         for every request), for the engine-vs-journal comparison
//
// The engine is bounded to 1,000,000 remembered messages (EngineConfig::max_message_records;
// default 8M) and warmed with that many messages first, so the timed loop runs with pruning
// active, as a server in steady state does.
//
// Counters: items_per_second = engine commands applied (decisions), allocs_per_decision =
// calls to global operator new during the timed loop / decisions (counted by the replacement
// operator new in alloc_counter.cc; the bench binary is single-threaded while measuring).
// Links: holdfast_engine, benchmark::benchmark (own main: it takes --iterations and --warmup).
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <string_view>
#include <vector>

#include "alloc_counter.h"
#include "engine/command_codec.h"
#include "engine/engine.h"
#include "engine/engine_test_support.h"

namespace holdfast::engine {
namespace {

using testing::kCny;
using testing::kStart;
using testing::pan_hash_of;

constexpr uint64_t kCards = 100'000;
constexpr uint64_t kFirstPan = 1'000'000;          // card i has PAN number kFirstPan + i
constexpr uint64_t kUnknownPan = 900'000'000;      // never issued
constexpr int64_t kCreditLimit = 100'000'000'000;  // CNY 1 billion: approvals never run out
constexpr int64_t kAboveLimit = 1'000'000'000'000;
constexpr uint32_t kMaxRecords = 1'000'000;
// Overridable from the command line (for short profiling runs):
//   --iterations=N  timed authorisations per benchmark (default 3,000,000; pairs: N/2)
//   --warmup=N      messages applied before timing (default 1,000,000 = the record bound;
//                   BM_AuthorizeExpire always warms 1.1 hold lifetimes = 1,100,000 unless 0)
uint64_t g_iterations = 3'000'000;
uint64_t g_warmup = kMaxRecords;
constexpr uint64_t kAcquirer = 12345678;

EngineConfig bench_config() {
  EngineConfig c;
  c.max_message_records = kMaxRecords;
  return c;
}

// The engine, its clock and the message being rewritten in place for every request.
struct Rig {
  Engine engine{bench_config()};
  Timestamp now = kStart;
  std::vector<Event> events;
  Command command;
  uint64_t sequence = 0;  // messages sent so far: every key derives from it (all distinct)
  uint64_t auths = 0;     // 0100s sent so far: card choice and amount derive from it
  int64_t step_us = 1;    // clock advance per message

  Rig() {
    events.reserve(64);
    apply_admin([] {
      CreateCardRange c;
      c.range.prefix_low = 622588;
      c.range.prefix_high = 622588;
      c.range.prefix_length = 6;
      return c;
    }());
    for (uint64_t i = 0; i < kCards; ++i) {
      OpenAccount a;
      a.currency = kCny;
      a.credit_limit_minor = kCreditLimit;
      a.requested_id = 1 + i;
      apply_admin(a);
      IssueCard c;
      c.requested_id = 1 + i;
      c.account_id = 1 + i;
      c.pan_hash = pan_hash_of(kFirstPan + i);
      c.masked_pan.length = 16;
      c.prefix = 62258800000;
      c.prefix_length = 11;
      c.expiry_yymm = 3012;
      apply_admin(c);
    }
    if (engine.find_card(pan_hash_of(kFirstPan + kCards - 1)) == nullptr) std::abort();
    CardMessage m;
    m.kind = MessageKind::authorization_request;
    m.mti = 100;
    m.has_pan = true;
    m.currency = kCny;
    m.mcc = 5411;
    m.acquirer_country = 156;
    m.pos_entry_mode = 51;
    command.body = m;
  }

  void apply_admin(CommandBody body) {
    events.clear();
    const Reply r = engine.apply(Command{now, std::move(body)}, &events);
    if (r.outcome != Outcome::admin_done) std::abort();
  }

  CardMessage& message() { return std::get<CardMessage>(command.body); }

  // Rewrites the message as the next 0100 and applies it.
  Reply authorize() {
    const uint64_t n = sequence++;
    const uint64_t a = auths++;
    now.us += step_us;
    CardMessage& m = message();
    m.kind = MessageKind::authorization_request;
    m.mti = 100;
    m.has_original = false;
    m.key = MessageKey{kAcquirer, static_cast<uint32_t>(n % 999'999 + 1), 1129000000 + n / 999'999};
    m.pan_hash = pan_hash_of(a % 64 == 7 ? kUnknownPan : kFirstPan + a % kCards);
    m.amount_minor = a % 16 == 15 ? kAboveLimit : 1'000 + static_cast<int64_t>(a % 97) * 10;
    // A fresh retrieval reference (DE 37), as acquirers send: the clearing match index keys on it.
    uint64_t rrn = n;
    for (int i = 11; i >= 0; --i, rrn /= 10)
      m.retrieval_reference[static_cast<size_t>(i)] = static_cast<char>('0' + rrn % 10);
    command.time = now;
    events.clear();
    return engine.apply(command, &events);
  }

  // Turns the message just authorised into its full reversal (0400 with DE 90) and applies it.
  Reply reverse_last() {
    const uint64_t n = sequence++;
    now.us += step_us;
    CardMessage& m = message();
    m.has_original = true;
    m.original_mti = 100;
    m.original_key = m.key;
    m.kind = MessageKind::reversal_request;
    m.mti = 400;
    m.key = MessageKey{kAcquirer, static_cast<uint32_t>(n % 999'999 + 1), 1129000000 + n / 999'999};
    command.time = now;
    events.clear();
    return engine.apply(command, &events);
  }

  Reply tick() {
    events.clear();
    return engine.apply(Command{now, Tick{}}, &events);
  }
};

void report(benchmark::State& state, const Rig& rig, uint64_t decisions, uint64_t allocations) {
  state.SetItemsProcessed(static_cast<int64_t>(decisions));
  state.counters["allocs_per_decision"] =
      decisions == 0 ? 0.0 : static_cast<double>(allocations) / static_cast<double>(decisions);
  const EngineCounters& c = rig.engine.counters();
  state.counters["approved_pct"] =
      c.card_messages == 0 ? 0.0
                           : 100.0 * static_cast<double>(c.approvals) / static_cast<double>(c.card_messages);
  state.counters["active_holds"] = static_cast<double>(rig.engine.ledger().active_hold_count());
  state.counters["records"] = static_cast<double>(rig.engine.message_record_count());
}

void BM_Authorize(benchmark::State& state) {
  Rig rig;
  for (uint64_t i = 0; i < g_warmup; ++i) rig.authorize();
  uint64_t decisions = 0;
  const uint64_t allocs_before = bench::allocation_count();
  for (auto _ : state) {
    Reply r = rig.authorize();
    benchmark::DoNotOptimize(r);
    ++decisions;
  }
  const uint64_t allocs = bench::allocation_count() - allocs_before;
  if (!rig.engine.ledger().books_balance()) state.SkipWithError("books do not balance");
  report(state, rig, decisions, allocs);
}

void BM_AuthorizeReverse(benchmark::State& state) {
  Rig rig;
  for (uint64_t i = 0; i < g_warmup / 2; ++i) {
    rig.authorize();
    rig.reverse_last();
  }
  uint64_t decisions = 0;
  uint64_t reversed = 0;
  const uint64_t allocs_before = bench::allocation_count();
  for (auto _ : state) {
    Reply a = rig.authorize();
    Reply r = rig.reverse_last();
    benchmark::DoNotOptimize(a);
    benchmark::DoNotOptimize(r);
    reversed += r.outcome == Outcome::reversal_applied;
    decisions += 2;
  }
  const uint64_t allocs = bench::allocation_count() - allocs_before;
  if (!rig.engine.ledger().books_balance()) state.SkipWithError("books do not balance");
  report(state, rig, decisions, allocs);
  state.counters["reversed_pct"] = 100.0 * static_cast<double>(reversed) / static_cast<double>(decisions / 2);
}

void BM_AuthorizeExpire(benchmark::State& state) {
  Rig rig;
  rig.step_us = 604'800;  // 7 days per 1,000,000 messages
  constexpr uint64_t kTickEvery = 1024;
  // Warm-up: one hold lifetime plus a little, so expiry is in steady state.
  for (uint64_t i = 0; i < (g_warmup == 0 ? 0 : g_warmup * 11 / 10); ++i) {
    rig.authorize();
    if (rig.sequence % kTickEvery == 0) rig.tick();
  }
  const uint64_t expired_before = rig.engine.counters().holds_expired;
  uint64_t decisions = 0;
  uint64_t ticks = 0;
  const uint64_t allocs_before = bench::allocation_count();
  for (auto _ : state) {
    Reply r = rig.authorize();
    benchmark::DoNotOptimize(r);
    ++decisions;
    if (rig.sequence % kTickEvery == 0) {
      Reply t = rig.tick();
      benchmark::DoNotOptimize(t);
      ++ticks;
    }
  }
  const uint64_t allocs = bench::allocation_count() - allocs_before;
  if (!rig.engine.ledger().books_balance()) state.SkipWithError("books do not balance");
  report(state, rig, decisions, allocs);
  const uint64_t expired = rig.engine.counters().holds_expired - expired_before;
  state.counters["expired_per_tick"] =
      ticks == 0 ? 0.0 : static_cast<double>(expired) / static_cast<double>(ticks);
  state.counters["expired"] = static_cast<double>(expired);
}

void BM_EncodeCommand(benchmark::State& state) {
  CardMessage m;
  m.kind = MessageKind::authorization_request;
  m.mti = 100;
  m.key = MessageKey{kAcquirer, 4711, 1129183301};
  m.has_pan = true;
  m.pan_hash = pan_hash_of(kFirstPan);
  m.amount_minor = 12'550;
  m.currency = kCny;
  m.mcc = 5411;
  const Command command{kStart, m};
  std::vector<uint8_t> out;
  out.reserve(1024);
  uint64_t bytes = 0;
  const uint64_t allocs_before = bench::allocation_count();
  for (auto _ : state) {
    out.clear();
    encode_command(command, &out);
    benchmark::DoNotOptimize(out.data());
    bytes += out.size();
  }
  const uint64_t allocs = bench::allocation_count() - allocs_before;
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
  state.counters["allocs_per_command"] =
      static_cast<double>(allocs) / static_cast<double>(state.iterations());
}

// Strips --iterations= and --warmup= (ours) and hands the rest to Google Benchmark.
int run(int argc, char** argv) {
  std::vector<char*> rest;
  for (int i = 0; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg.starts_with("--iterations=")) {
      g_iterations = std::strtoull(argv[i] + 13, nullptr, 10);
    } else if (arg.starts_with("--warmup=")) {
      g_warmup = std::strtoull(argv[i] + 9, nullptr, 10);
    } else {
      rest.push_back(argv[i]);
    }
  }
  if (g_iterations < 2) g_iterations = 2;
  const auto n = static_cast<benchmark::IterationCount>(g_iterations);
  benchmark::RegisterBenchmark("BM_Authorize", BM_Authorize)->Iterations(n);
  benchmark::RegisterBenchmark("BM_AuthorizeReverse", BM_AuthorizeReverse)->Iterations(n / 2);
  benchmark::RegisterBenchmark("BM_AuthorizeExpire", BM_AuthorizeExpire)->Iterations(n);
  benchmark::RegisterBenchmark("BM_EncodeCommand", BM_EncodeCommand);
  int rest_argc = static_cast<int>(rest.size());
  benchmark::Initialize(&rest_argc, rest.data());
  if (benchmark::ReportUnrecognizedArguments(rest_argc, rest.data())) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}

}  // namespace
}  // namespace holdfast::engine

int main(int argc, char** argv) { return holdfast::engine::run(argc, argv); }
