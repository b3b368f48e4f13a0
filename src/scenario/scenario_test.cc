// The seed's attacks, replayed against the legacy issuer and against holdfast. Each test tells
// one story and checks what it means for the bank, not a number copied from a run.
#include <gtest/gtest.h>

#include "base/time.h"
#include "scenario/scenario.h"

namespace holdfast::scenario {
namespace {

using engine::EngineMode;

constexpr int64_t kYuan = 100;

ScenarioReport run(const char* name, EngineMode mode) {
  auto report = run_scenario(name, mode);
  EXPECT_TRUE(report.ok()) << (report.ok() ? "" : report.error());
  return report.value();
}

Timestamp day(int y, int m, int d) {
  return Timestamp::from_seconds(days_from_civil(y, m, d) * kSecondsPerDay);
}

TEST(OfflineBurst, TheLegacyIssuerLosesTheWholeBurstOnACny600Card) {
  const ScenarioReport legacy = run("seed-offline-burst", EngineMode::legacy);
  EXPECT_EQ(legacy.currency.code, 156);
  EXPECT_EQ(legacy.credit_limit_minor, 600 * kYuan);
  // Every offline purchase went through and was presented: about CNY 20,000 on a CNY 600 card.
  EXPECT_EQ(legacy.offline_blocked, 0u);
  EXPECT_GE(legacy.gross_fraud_minor, 20'000 * kYuan);
  EXPECT_GT(legacy.max_over_limit_minor, 30 * legacy.credit_limit_minor);
  // Nobody noticed and nothing was charged back.
  EXPECT_FALSE(legacy.card_blocked_at.has_value());
  EXPECT_EQ(legacy.chargebacks_raised, 0u);
  EXPECT_EQ(legacy.issuer_loss_minor, legacy.gross_fraud_minor);
  EXPECT_TRUE(legacy.books_balanced);
}

TEST(OfflineBurst, HoldfastProtectsTheCardOnTheFirstDayAndTheLaterWavesFail) {
  const ScenarioReport holdfast = run("seed-offline-burst", EngineMode::holdfast);
  ASSERT_TRUE(holdfast.card_blocked_at.has_value());
  // The advices of the first wave reveal the burst on day 0 (2026-03-01), before any of it is
  // presented and before the second wave starts on day 1.
  EXPECT_GE(*holdfast.card_blocked_at, day(2026, 3, 1));
  EXPECT_LT(*holdfast.card_blocked_at, day(2026, 3, 2));
  EXPECT_EQ(holdfast.tokens_suspended, 1u);
  // Waves two and three: six and four offline taps refused by the suspended token, and their
  // card-not-present checks declined online (the card is blocked). The first wave's check was
  // declined too: CNY 500 against the CNY 480 left, and no uplift for card-not-present.
  EXPECT_EQ(holdfast.offline_blocked, 10u);
  EXPECT_EQ(holdfast.online_declined, 3u);
  EXPECT_EQ(holdfast.uplifts_refused, 1u);
  EXPECT_TRUE(holdfast.books_balanced);
}

TEST(OfflineBurst, HoldfastChargesBackWhatWasAboveTheFloorAndLosesAFractionOfTheLegacyLoss) {
  const ScenarioReport holdfast = run("seed-offline-burst", EngineMode::holdfast);
  const ScenarioReport legacy = run("seed-offline-burst", EngineMode::legacy);
  EXPECT_GE(holdfast.chargebacks_raised, 1u);
  EXPECT_GT(holdfast.recovered_minor, 0);
  EXPECT_EQ(holdfast.issuer_loss_minor, holdfast.gross_fraud_minor - holdfast.recovered_minor);
  EXPECT_LT(holdfast.gross_fraud_minor, legacy.gross_fraud_minor / 2);
  EXPECT_LT(holdfast.issuer_loss_minor, legacy.issuer_loss_minor / 2);
}

TEST(UpliftAbuse, LegacyRaisesTheLimitAbroadBlindlyAndTheFraudsterSpendsIt) {
  const ScenarioReport legacy = run("seed-uplift-abuse", EngineMode::legacy);
  EXPECT_GE(legacy.uplifts_granted, 1u);
  EXPECT_EQ(legacy.uplifts_refused, 0u);
  // Well beyond the CNY 600 limit, on authorised (not offline) spending.
  EXPECT_GT(legacy.gross_fraud_minor, 3 * legacy.credit_limit_minor);
  EXPECT_EQ(legacy.issuer_loss_minor, legacy.gross_fraud_minor);
  EXPECT_EQ(legacy.legitimate_declined, 0u);
}

TEST(UpliftAbuse, HoldfastRefusesTheFraudstersUpliftsButGrantsTheTraveller) {
  const ScenarioReport holdfast = run("seed-uplift-abuse", EngineMode::holdfast);
  const ScenarioReport legacy = run("seed-uplift-abuse", EngineMode::legacy);
  // Card-not-present, a fresh token, a stripe fallback: every uplift request refused...
  EXPECT_GE(holdfast.uplifts_refused, 3u);
  // ...while the genuine traveller's chip purchase abroad got its uplift and went through.
  EXPECT_EQ(holdfast.uplifts_granted, 1u);
  EXPECT_EQ(holdfast.legitimate_declined, 0u);
  EXPECT_LE(holdfast.gross_fraud_minor, holdfast.credit_limit_minor);
  EXPECT_LT(holdfast.issuer_loss_minor, legacy.issuer_loss_minor / 3);
  EXPECT_TRUE(holdfast.books_balanced);
}

TEST(LatePresentment, LegacyLetsExpiredHoldsReuseTheLimitAndKeepsTheLoss) {
  const ScenarioReport legacy = run("seed-late-presentment", EngineMode::legacy);
  EXPECT_EQ(legacy.fraud_completed, 4u);
  EXPECT_EQ(legacy.gross_fraud_minor, 4 * 550 * kYuan);
  EXPECT_EQ(legacy.chargebacks_raised, 0u);
  EXPECT_EQ(legacy.issuer_loss_minor, legacy.gross_fraud_minor);
}

TEST(LatePresentment, HoldfastChargesBackTheLateItemsThatPutTheAccountOverItsLimit) {
  const ScenarioReport holdfast = run("seed-late-presentment", EngineMode::holdfast);
  EXPECT_EQ(holdfast.gross_fraud_minor, 4 * 550 * kYuan);
  // The three presented after their holds expired, each arriving while the account is beyond
  // its limit, are charged back; the last, presented in time, is the issuer's to bear.
  EXPECT_EQ(holdfast.chargebacks_raised, 3u);
  EXPECT_EQ(holdfast.recovered_minor, 3 * 550 * kYuan);
  EXPECT_EQ(holdfast.issuer_loss_minor, 550 * kYuan);
  EXPECT_TRUE(holdfast.books_balanced);
}

TEST(Scenarios, AReportIsAFunctionOfTheScenarioAndTheMode) {
  for (const auto& s : scenarios())
    for (EngineMode mode : {EngineMode::holdfast, EngineMode::legacy})
      EXPECT_EQ(to_json(run(s.name.c_str(), mode)).dump(), to_json(run(s.name.c_str(), mode)).dump())
          << s.name;
}

TEST(Scenarios, AnUnknownNameIsRefusedWithTheKnownOnes) {
  auto report = run_scenario("seed-nothing", EngineMode::holdfast);
  ASSERT_FALSE(report.ok());
  EXPECT_NE(report.error().find("seed-offline-burst"), std::string::npos);
}

TEST(Scenarios, TheJsonReportCarriesTheFieldsOperatorsCompare) {
  const auto j = to_json(run("seed-late-presentment", EngineMode::holdfast));
  for (const char* field :
       {"issuer_loss_minor", "gross_fraud_minor", "chargebacks_raised", "card_blocked_at", "currency"})
    EXPECT_TRUE(j.contains(field)) << field;
  EXPECT_EQ(j["currency"], "CNY");
  EXPECT_EQ(j["mode"], "holdfast");
}

}  // namespace
}  // namespace holdfast::scenario
