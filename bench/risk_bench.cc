// Risk decision cost: features + evaluate of the default rule pack + observe, per decision, on
// one core, and heap allocations per decision (alloc_counter.cc).
//
// Store: 100,000 cards, 20,000 tokens, 100,000 accounts, 10,000 merchants, 50,000 terminals,
// 20,000 devices, warmed with 1,000,000 messages before timing so that every window, sketch and
// history is populated. Traffic (fixed-seed generator, the clock advancing 0.5 s a message):
// 80% chip at home, 10% card-not-present at home, 5% card-not-present abroad, 5% on a token
// (a fifth of those abroad), 1 in 50 an advice; amounts CNY 1 to 2,000.
//
//   BM_Decide     features(msg) + RuleSet::evaluate (default pack) + observe: one decision
//   BM_Features   features(msg) alone
//   BM_Evaluate   evaluate alone, over a feature vector filled once
//
// Counters: items_per_second = decisions, allocs_per_decision. The default pack is read from
// config/rules/default.rules (path compiled in as HOLDFAST_DEFAULT_RULES).
#include <benchmark/benchmark.h>

#include <fstream>
#include <sstream>
#include <vector>

#include "alloc_counter.h"
#include "risk/risk.h"

namespace holdfast::risk {
namespace {

constexpr uint64_t kCards = 100'000;
constexpr uint64_t kTokens = 20'000;
constexpr uint64_t kMerchants = 10'000;
constexpr uint64_t kWarmup = 1'000'000;
constexpr int64_t kStartUs = 1'780'000'000LL * 1'000'000;

struct Traffic {
  uint64_t state = 0x243F6A8885A308D3ull;  // fixed seed
  int64_t now_us = kStartUs;
  uint64_t next() {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    return state >> 33;
  }
  Message message() {
    now_us += 500'000;
    const uint64_t r = next() % 100;
    Message m;
    m.time = Timestamp{now_us};
    const uint64_t card = 1 + next() % kCards;
    const uint64_t merchant = 1 + next() % kMerchants;
    m.ids = EntityIds{card, 0, card, merchant, (merchant - 1) * 5 + 1 + next() % 5, 0};
    m.amount_minor = static_cast<int64_t>(100 + next() % 200'000);
    m.mcc = static_cast<uint16_t>(5000 + next() % 20);
    m.country = 156;
    m.home_country = 156;
    m.chip_card = true;
    m.entry_mode = EntryMode::chip;
    m.cryptogram = Check::match;
    if (r >= 80 && r < 95) {
      m.channel = Channel::card_not_present;
      m.entry_mode = EntryMode::ecommerce;
      m.cryptogram = Check::not_present;
      m.cvv2 = next() % 20 ? Check::match : Check::mismatch;
      if (r >= 90) m.country = 250;
    } else if (r >= 95) {
      m.ids.token = 1 + card % kTokens;
      m.ids.device = 1 + card % kTokens;
      m.entry_mode = EntryMode::contactless_chip;
      if (r == 99) m.country = 764;
    }
    m.advice = next() % 50 == 0;
    return m;
  }
};

struct Rig {
  Rig() : store(config()), pack(load_pack()) {
    for (uint64_t t = 1; t <= kTokens; ++t)
      store.observe(TokenProvisioning{Timestamp{kStartUs}, t, t, t, 156, 156, 1, false});
    for (uint64_t i = 0; i < kWarmup; ++i) decide(traffic.message());
  }
  static FeatureStoreConfig config() {
    FeatureStoreConfig c;
    c.capacity = {kCards, kTokens, kCards, kMerchants, kMerchants * 5, kTokens};
    return c;
  }
  static RuleSet load_pack() {
    std::ifstream in(HOLDFAST_DEFAULT_RULES);
    std::stringstream text;
    text << in.rdbuf();
    auto r = RuleSet::compile(text.str());
    if (!r) std::abort();
    return std::move(r).value();
  }
  Decision decide(const Message& m) {
    store.features(m, &fv);
    const Decision d = pack.evaluate(fv);
    const bool refused = d.verdict == Verdict::decline || d.verdict == Verdict::step_up;
    store.observe({m, refused && !m.advice ? Outcome::declined : Outcome::approved});
    return d;
  }
  FeatureStore store;
  RuleSet pack;
  FeatureVector fv;
  Traffic traffic;
};

Rig& rig() {
  static Rig r;
  return r;
}

// Messages made before timing, so that the generator is not measured.
std::vector<Message> batch(Rig& r, size_t n) {
  std::vector<Message> out;
  out.reserve(n);
  for (size_t i = 0; i < n; ++i) out.push_back(r.traffic.message());
  return out;
}

void report(benchmark::State& state, uint64_t allocations) {
  state.SetItemsProcessed(state.iterations());
  state.counters["allocs_per_decision"] =
      static_cast<double>(allocations) / static_cast<double>(std::max<int64_t>(state.iterations(), 1));
}

void BM_Decide(benchmark::State& state) {
  Rig& r = rig();
  const auto messages = batch(r, 1 << 16);
  size_t i = 0;
  uint64_t declines = 0;
  const uint64_t before = bench::allocation_count();
  for (auto _ : state) {
    const Decision d = r.decide(messages[i++ & (messages.size() - 1)]);
    declines += d.verdict == Verdict::decline;
    benchmark::DoNotOptimize(d);
  }
  report(state, bench::allocation_count() - before);
  state.counters["decline_pct"] =
      100.0 * static_cast<double>(declines) / static_cast<double>(state.iterations());
}
BENCHMARK(BM_Decide);

void BM_Features(benchmark::State& state) {
  Rig& r = rig();
  const auto messages = batch(r, 1 << 16);
  size_t i = 0;
  const uint64_t before = bench::allocation_count();
  for (auto _ : state) {
    r.store.features(messages[i++ & (messages.size() - 1)], &r.fv);
    benchmark::DoNotOptimize(r.fv);
  }
  report(state, bench::allocation_count() - before);
}
BENCHMARK(BM_Features);

void BM_Evaluate(benchmark::State& state) {
  Rig& r = rig();
  r.store.features(r.traffic.message(), &r.fv);
  const uint64_t before = bench::allocation_count();
  for (auto _ : state) benchmark::DoNotOptimize(r.pack.evaluate(r.fv));
  report(state, bench::allocation_count() - before);
}
BENCHMARK(BM_Evaluate);

}  // namespace
}  // namespace holdfast::risk

BENCHMARK_MAIN();
