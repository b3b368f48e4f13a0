// risk: the feature store, the rule language and the default pack, as stories.
#include "risk/risk.h"
#include "risk/test_messages.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <new>
#include <sstream>

// Counts heap allocations so that the tests can prove the decision path allocates nothing.
namespace {
std::atomic<uint64_t> g_allocations{0};
}
uint64_t risk_test_allocations() { return g_allocations.load(std::memory_order_relaxed); }
void* operator new(std::size_t n) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

namespace holdfast::risk {
namespace {

using testing::home_chip;
using testing::kChina;
using testing::online;
constexpr uint16_t kFrance = 250;
constexpr uint16_t kThailand = 764;
constexpr uint16_t kJapan = 392;
constexpr int64_t kEpoch = 1'780'000'000;  // a Tuesday in 2026, seconds

Timestamp at(int64_t day, int64_t second = 0) {
  return Timestamp::from_seconds(kEpoch + day * 86'400 + second);
}

// The genuine cardholder at home: chip read, cryptogram right.

FeatureStoreConfig small_config(uint32_t n = 64) {
  FeatureStoreConfig c;
  c.capacity.fill(n);
  return c;
}

int64_t feature(const FeatureStore& s, const Message& m, Feature f) {
  FeatureVector fv;
  s.features(m, &fv);
  return fv[f];
}

// ---- feature store ---------------------------------------------------------------------------

TEST(FeatureStore, WindowsCountAndSumWhatIsInsideAndNothingOlder) {
  FeatureStore s(small_config());
  s.observe({home_chip(1, 1000, at(0, 0)), Outcome::approved});
  s.observe({home_chip(1, 2000, at(0, 300)), Outcome::declined});
  s.observe({home_chip(1, 4000, at(0, 1500)), Outcome::approved});
  const Message now = home_chip(1, 1, at(0, 1600));
  EXPECT_EQ(feature(s, now, Feature::card_attempts_10m), 1);
  EXPECT_EQ(feature(s, now, Feature::card_amount_10m), 4000);
  EXPECT_EQ(feature(s, now, Feature::card_attempts_1h), 3);
  EXPECT_EQ(feature(s, now, Feature::card_amount_1h), 7000);
  EXPECT_EQ(feature(s, now, Feature::card_declines_1h), 1);
  EXPECT_EQ(feature(s, now, Feature::card_attempts_30d), 3);
  // A day and a half later: out of 10 min, 1 h and 24 h; still in 7 d and 30 d.
  const Message later = home_chip(1, 1, at(1, 43'200));
  EXPECT_EQ(feature(s, later, Feature::card_attempts_24h), 0);
  EXPECT_EQ(feature(s, later, Feature::card_declines_24h), 0);
  EXPECT_EQ(feature(s, later, Feature::card_attempts_7d), 3);
  EXPECT_EQ(feature(s, later, Feature::card_amount_7d), 7000);
  EXPECT_EQ(feature(s, home_chip(1, 1, at(40)), Feature::card_attempts_30d), 0);
}

TEST(FeatureStore, WindowErrorIsOneBucketAtMost) {
  // For every start offset: an event 5/6 of the window old is counted; one a window old is not.
  for (int64_t offset = 0; offset < 600; offset += 37) {
    FeatureStore s(small_config());
    s.observe({home_chip(1, 100, at(0, offset)), Outcome::approved});
    EXPECT_EQ(feature(s, home_chip(1, 1, at(0, offset + 500)), Feature::card_attempts_10m), 1) << offset;
    EXPECT_EQ(feature(s, home_chip(1, 1, at(0, offset + 600)), Feature::card_attempts_10m), 0) << offset;
    EXPECT_EQ(feature(s, home_chip(1, 1, at(0, offset + 3'000)), Feature::card_attempts_1h), 1) << offset;
    EXPECT_EQ(feature(s, home_chip(1, 1, at(0, offset + 3'600)), Feature::card_attempts_1h), 0) << offset;
  }
}

TEST(FeatureStore, DistinctCountsAndFirstSeenFlags) {
  FeatureStore s(small_config());
  Message first = home_chip(1, 100, at(0), 501);
  EXPECT_EQ(feature(s, first, Feature::card_new_merchant), 0) << "no history: nothing is new";
  s.observe({first, Outcome::approved});
  s.observe({home_chip(1, 100, at(0, 60), 502), Outcome::approved});
  s.observe({online(1, 100, at(0, 120), kFrance, 503), Outcome::approved});
  const Message again = home_chip(1, 100, at(0, 180), 502);
  EXPECT_EQ(feature(s, again, Feature::card_distinct_merchants_1h), 3);
  EXPECT_EQ(feature(s, again, Feature::card_distinct_countries_24h), 2);
  EXPECT_EQ(feature(s, again, Feature::card_new_merchant), 0);
  EXPECT_EQ(feature(s, again, Feature::card_new_country), 0);
  const Message abroad = online(1, 100, at(0, 240), kJapan, 504);
  EXPECT_EQ(feature(s, abroad, Feature::card_new_merchant), 1);
  EXPECT_EQ(feature(s, abroad, Feature::card_new_country), 1);
  EXPECT_EQ(feature(s, abroad, Feature::cross_border), 1);
  EXPECT_EQ(feature(s, abroad, Feature::merchant_distinct_cards_1h), 0);
  EXPECT_EQ(feature(s, again, Feature::merchant_distinct_cards_1h), 1);
  // Two days later the 24 h distinct count has emptied; the 30 d one has not.
  const Message later = home_chip(1, 100, at(2), 502);
  EXPECT_EQ(feature(s, later, Feature::card_distinct_countries_24h), 0);
  EXPECT_EQ(feature(s, later, Feature::card_distinct_countries_30d), 2);
}

TEST(FeatureStore, DormancyTokenAgeAndProvisioningContext) {
  FeatureStore s(small_config());
  s.observe(TokenProvisioning{at(0), 77, 1, 900, kThailand, kChina, 12, false});
  s.observe({home_chip(1, 100, at(0)), Outcome::approved});
  Message m = online(1, 100, at(120, 3'600), kThailand, 600);
  m.ids.token = 77;
  EXPECT_EQ(feature(s, m, Feature::token_dormancy_days), 120);
  EXPECT_EQ(feature(s, m, Feature::card_dormancy_days), 120);
  EXPECT_EQ(feature(s, m, Feature::token_age_days), 120);
  EXPECT_EQ(feature(s, m, Feature::token_age_hours), 120 * 24 + 1);
  EXPECT_EQ(feature(s, m, Feature::token_provisioned_abroad), 1);
  EXPECT_EQ(feature(s, m, Feature::token_wallet_score), 9) << "clamped to 0..9";
  EXPECT_EQ(feature(s, m, Feature::is_token), 1);
  s.observe({m, Outcome::approved});
  EXPECT_EQ(feature(s, online(1, 100, at(121), kThailand, 600), Feature::card_dormancy_days), 0);
}

TEST(FeatureStore, FailureStreaksResetOnAMatch) {
  FeatureStore s(small_config());
  Message m = online(1, 100, at(0), kChina, 600);
  m.cvv2 = Check::mismatch;
  s.observe({m, Outcome::declined});
  m.time = at(0, 10);
  s.observe({m, Outcome::declined});
  EXPECT_EQ(feature(s, m, Feature::card_cvv2_fail_streak), 2);
  m.cvv2 = Check::not_present;  // a message without CVV2 neither adds nor resets
  s.observe({m, Outcome::approved});
  EXPECT_EQ(feature(s, m, Feature::card_cvv2_fail_streak), 2);
  m.cvv2 = Check::match;
  s.observe({m, Outcome::approved});
  EXPECT_EQ(feature(s, m, Feature::card_cvv2_fail_streak), 0);
}

TEST(FeatureStore, AmountAgainstHistoryChannelMixAndOverLimit) {
  FeatureStore s(small_config());
  for (int i = 0; i < 3; ++i) s.observe({home_chip(1, 10'000, at(0, i * 60)), Outcome::approved});
  s.observe({online(1, 90'000, at(0, 200), kFrance, 7), Outcome::declined_over_limit});
  const Message m = online(1, 30'000, at(0, 300), kFrance, 7);
  EXPECT_EQ(feature(s, m, Feature::card_amount_max), 10'000) << "only approved amounts are history";
  EXPECT_EQ(feature(s, m, Feature::card_amount_vs_max_pct), 300);
  EXPECT_EQ(feature(s, m, Feature::card_amount_vs_mean_pct), 300);
  EXPECT_EQ(feature(s, m, Feature::card_cnp_share_pct), 25);
  EXPECT_EQ(feature(s, m, Feature::card_cross_border_share_pct), 25);
  EXPECT_EQ(feature(s, m, Feature::card_over_limit_24h), 1);
  EXPECT_EQ(feature(s, online(1, 1, at(1, 300), kFrance, 7), Feature::card_over_limit_24h), 0);
}

TEST(FeatureStore, AFullPoolLeavesTheEntityUntrackedAndSaysSo) {
  FeatureStore s(small_config(2));
  EXPECT_EQ(s.observe({home_chip(1, 100, at(0), 1), Outcome::approved}), 0);
  EXPECT_EQ(s.observe({home_chip(2, 100, at(0), 1), Outcome::approved}), 0);
  const UntrackedKinds u = s.observe({home_chip(3, 100, at(0), 1), Outcome::approved});
  EXPECT_EQ(u, (1u << static_cast<int>(EntityKind::card)) | (1u << static_cast<int>(EntityKind::account)));
  EXPECT_EQ(s.size(EntityKind::card), 2u);
  EXPECT_EQ(feature(s, home_chip(3, 1, at(0, 5), 1), Feature::card_known), 0);
  EXPECT_EQ(feature(s, home_chip(3, 1, at(0, 5), 1), Feature::merchant_attempts_10m), 3);
}

TEST(FeatureStore, MemoryPerCardStaysWithinTheDocumentedBudget) {
  // src/risk/README.md states these figures; change both together.
  EXPECT_LE(state_bytes_per_entity(EntityKind::card), 1024u);
  EXPECT_LE(state_bytes_per_entity(EntityKind::merchant), 512u);
}

// ---- snapshots -------------------------------------------------------------------------------

FeatureStore busy_store() {
  FeatureStore s(small_config());
  s.observe(TokenProvisioning{at(0), 77, 1, 900, kChina, kChina, 2, true});
  for (int i = 0; i < 20; ++i) {
    Message m = i % 3 ? home_chip(1 + i % 4, 100 * i, at(i / 5, i * 61), 500 + i % 6)
                      : online(1, 50, at(i / 5, i * 61), kFrance, 9);
    if (i % 5 == 0) m.ids.token = 77;
    s.observe({m, i % 7 ? Outcome::approved : Outcome::declined_over_limit});
  }
  return s;
}

TEST(FeatureSnapshot, RoundTripGivesTheSameFeaturesAndBytes) {
  const FeatureStore a = busy_store();
  const auto bytes = a.serialize();
  FeatureStore b(small_config());
  ASSERT_TRUE(b.deserialize(bytes).ok());
  EXPECT_EQ(b.serialize(), bytes);
  Message probe = online(1, 700, at(4), kThailand, 501);
  probe.ids.token = 77;
  FeatureVector fa, fb;
  a.features(probe, &fa);
  b.features(probe, &fb);
  EXPECT_EQ(fa.values, fb.values);
  EXPECT_EQ(busy_store().serialize(), bytes) << "same observations, same bytes";
}

void fix_crc(std::vector<uint8_t>* bytes);

TEST(FeatureSnapshot, BadBytesAreErrorsNamingTheOffsetAndLeaveTheStoreAlone) {
  const auto good = busy_store().serialize();
  FeatureStore s(small_config());
  s.observe({home_chip(42, 100, at(0)), Outcome::approved});
  const auto before = s.serialize();

  auto flipped = good;
  flipped[40] ^= 1;
  auto r = s.deserialize(flipped);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, RiskErrc::checksum);
  EXPECT_NE(r.error().message.find("offset " + std::to_string(good.size() - 4)), std::string::npos)
      << r.error().message;

  r = s.deserialize(std::span(good).first(7));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, RiskErrc::truncated);

  auto trailing = good;
  trailing.insert(trailing.end() - 4, uint8_t{0});
  fix_crc(&trailing);
  r = s.deserialize(trailing);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, RiskErrc::trailing_bytes);

  auto zero_id = good;  // the first card's id sits right after the header and the card count
  for (int i = 0; i < 8; ++i) zero_id[10 + i] = 0;
  fix_crc(&zero_id);
  r = s.deserialize(zero_id);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, RiskErrc::bad_value);
  EXPECT_NE(r.error().message.find("offset 10: card entry 0: id 0"), std::string::npos) << r.error().message;

  FeatureStore tiny(small_config(2));
  r = tiny.deserialize(good);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, RiskErrc::capacity);
  EXPECT_NE(r.error().message.find("offset 6: 4 card entries, capacity 2"), std::string::npos)
      << r.error().message;

  EXPECT_EQ(s.serialize(), before) << "a refused snapshot changes nothing";
}

}  // namespace
}  // namespace holdfast::risk

// CRC32C as base computes it, recomputed after a deliberate edit (tests only).
#include "base/crc32c.h"
namespace holdfast::risk {
namespace {
void fix_crc(std::vector<uint8_t>* bytes) {
  const size_t body = bytes->size() - 4;
  const uint32_t crc = crc32c(std::span(*bytes).first(body));
  std::memcpy(bytes->data() + body, &crc, 4);
}
}  // namespace
}  // namespace holdfast::risk
