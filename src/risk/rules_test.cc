// risk: the rule language, rule set versions, and the default pack against the seed's stories.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "risk/risk.h"
#include "risk/test_messages.h"

uint64_t risk_test_allocations();  // risk_test.cc

namespace holdfast::risk {
namespace {

using testing::home_chip;
using testing::kChina;
using testing::online;
constexpr uint16_t kThailand = 764;
constexpr uint16_t kJapan = 392;
constexpr int64_t kEpoch = 1'780'000'000;

Timestamp at(int64_t day, int64_t second = 0) {
  return Timestamp::from_seconds(kEpoch + day * 86'400 + second);
}

RuleSet compile_ok(std::string_view text) {
  auto r = RuleSet::compile(text);
  if (!r.ok()) {
    for (const auto& e : r.error()) ADD_FAILURE() << e.line << ":" << e.column << ": " << e.message;
    return RuleSet();  // empty: the test fails on the errors above
  }
  return std::move(r).value();
}

// ---- the language ----------------------------------------------------------------------------

constexpr std::string_view kSample = R"(
list hot = (250, 392)
rule allow_vip when card in (7, 8) then approve
rule block_hot when country in @hot and not (amount < 1.00) then decline 59 "hot country", open_case
rule alert_big when amount >= 1_000.00 or card_attempts_1h > 3 then approve_and_alert "big"
rule suspend when is_token and cross_border then suspend_token
rule above_history when amount > card_amount_max and country not in @hot and card_known != 0
  then step_up 1A "above the card's history"
)";

FeatureVector vec(int64_t country, int64_t amount) {
  FeatureVector fv;
  fv[Feature::country] = country;
  fv[Feature::amount] = amount;
  return fv;
}

TEST(Rules, ComparisonsListsAndLogicDecide) {
  const RuleSet rules = compile_ok(kSample);
  ASSERT_EQ(rules.rule_count(), 5u);

  Decision d = rules.evaluate(vec(250, 500));
  EXPECT_EQ(d.verdict, Verdict::decline);
  EXPECT_EQ(d.deciding_rule, rules.find_rule("block_hot"));
  EXPECT_EQ(d.response_code, (std::array<char, 2>{'5', '9'}));
  EXPECT_EQ(d.effects, kOpenCase);
  EXPECT_EQ(rules.rule(d.deciding_rule).reason, "hot country");

  d = rules.evaluate(vec(250, 99));  // not (amount < 1.00) is false
  EXPECT_EQ(d.verdict, Verdict::none);
  EXPECT_EQ(d.hits.count(), 0u);

  d = rules.evaluate(vec(156, 100'000));  // exactly 1000.00
  EXPECT_EQ(d.verdict, Verdict::approve_and_alert);
  EXPECT_EQ(d.effects, kAlert);

  FeatureVector fv = vec(156, 10);
  fv[Feature::card_attempts_1h] = 4;
  EXPECT_EQ(rules.evaluate(fv).verdict, Verdict::approve_and_alert) << "the right side of 'or'";

  fv = vec(156, 10);
  fv[Feature::is_token] = 1;
  fv[Feature::cross_border] = 1;
  d = rules.evaluate(fv);
  EXPECT_EQ(d.verdict, Verdict::none);
  EXPECT_EQ(d.effects, kSuspendToken);

  fv = vec(156, 5'000);
  fv[Feature::card_amount_max] = 4'999;
  fv[Feature::card_known] = 1;
  d = rules.evaluate(fv);
  EXPECT_EQ(d.verdict, Verdict::step_up);
  EXPECT_EQ(d.response_code, (std::array<char, 2>{'1', 'A'}));
  fv[Feature::country] = 392;  // not in @hot fails now, block_hot hits instead
  EXPECT_EQ(rules.evaluate(fv).verdict, Verdict::decline);
}

TEST(Rules, AnAllowRuleBeatsADeclineAndDropsItsEffects) {
  const RuleSet rules = compile_ok(kSample);
  FeatureVector fv = vec(392, 200'000);
  fv[Feature::card] = 7;
  const Decision d = rules.evaluate(fv);
  EXPECT_EQ(d.verdict, Verdict::approve);
  EXPECT_EQ(d.deciding_rule, rules.find_rule("allow_vip"));
  EXPECT_EQ(d.effects, 0);
  EXPECT_EQ(d.hits.count(), 3u) << "allow_vip, block_hot, alert_big all recorded";
  EXPECT_TRUE(d.hits.test(rules.find_rule("block_hot")));
}

TEST(Rules, EveryErrorIsReportedWithLineAndColumn) {
  const std::string_view text =
      "rule a\n"
      "  when amount >\n"
      "  then approve\n"
      "rule b when bogus_feature == 1 then approve\n"
      "rule c when amount > 1 then decline 00 \"x\"\n"
      "rule d when amount = 1 then approve\n"
      "rule e when amount > 1 then approve, decline 59 \"two verdicts\"\n"
      "rule f when country in @nowhere then approve\n"
      "rule a when amount > 1 then approve\n"
      "rule g when amount > 1.5 then approve\n"
      "rule h when amount > 1 then explode\n";
  auto r = RuleSet::compile(text);
  ASSERT_FALSE(r.ok());
  std::vector<std::string> got;
  for (const auto& e : r.error())
    got.push_back(std::to_string(e.line) + ":" + std::to_string(e.column) + ": " + e.message);
  const std::vector<std::string> want{
      "3:3: expected a feature, a number or '(', found 'then'",
      "4:13: unknown feature or constant 'bogus_feature'",
      "5:37: expected an ISO response code: two digits or capitals, not 00, found '00'",
      "6:20: '=' is not a comparison: use '==', found '='",
      "7:38: a rule has one verdict (approve, decline, step_up or approve_and_alert)",
      "8:25: unknown list 'nowhere' (define it with 'list' before use)",
      "9:6: rule 'a' defined twice",
      "10:22: bad number (digits, '_' separators, or exactly two decimals), found '1.5'",
      "11:29: unknown action 'explode' (approve, decline, step_up, approve_and_alert, suspend_token, "
      "list_card, open_case)",
  };
  EXPECT_EQ(got, want);
}

TEST(Rules, TruncatedTextNamesTheEnd) {
  auto r = RuleSet::compile("rule x when amount > 1 then");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().at(0).message, "expected an action (at end of file)");
  EXPECT_EQ(r.error().at(0).line, 1);
  EXPECT_EQ(r.error().at(0).column, 28);
}

// ---- versions --------------------------------------------------------------------------------

TEST(RuleSetVersions, RoundTripAndValidation) {
  const RuleSetVersion v{3, RuleSetState::shadow, std::string(kSample)};
  const auto bytes = encode_rule_set_version(v);
  auto back = decode_rule_set_version(bytes);
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(back->version, 3u);
  EXPECT_EQ(back->state, RuleSetState::shadow);
  EXPECT_EQ(back->source, v.source);

  auto bad_state = bytes;
  bad_state[10] = 3;
  EXPECT_EQ(decode_rule_set_version(bad_state).error().message, "rule set version: offset 10: state 3");
  auto zero = encode_rule_set_version(RuleSetVersion{0, RuleSetState::draft, ""});
  EXPECT_EQ(decode_rule_set_version(zero).error().code, RiskErrc::bad_value);
  auto trailing = bytes;
  trailing.push_back(0);
  EXPECT_EQ(decode_rule_set_version(trailing).error().code, RiskErrc::trailing_bytes);
  EXPECT_EQ(decode_rule_set_version(std::span(bytes).first(12)).error().code, RiskErrc::truncated);
  auto broken =
      decode_rule_set_version(encode_rule_set_version({4, RuleSetState::draft, "rule x when then approve"}));
  ASSERT_FALSE(broken.ok());
  EXPECT_EQ(broken.error().code, RiskErrc::syntax);
  EXPECT_NE(broken.error().message.find("source 1:13:"), std::string::npos) << broken.error().message;
}

TEST(RuleSetVersions, StateChangesGoThroughShadow) {
  using S = RuleSetState;
  EXPECT_TRUE(check_state_change(S::draft, S::shadow).ok());
  EXPECT_TRUE(check_state_change(S::shadow, S::active).ok());
  EXPECT_TRUE(check_state_change(S::active, S::shadow).ok());
  EXPECT_TRUE(check_state_change(S::shadow, S::draft).ok());
  EXPECT_FALSE(check_state_change(S::draft, S::active).ok());
  EXPECT_FALSE(check_state_change(S::active, S::draft).ok());
  EXPECT_FALSE(check_state_change(S::active, S::active).ok());
}

// ---- the default pack, as stories ------------------------------------------------------------

std::string default_pack_text() {
  std::ifstream in(std::string(HOLDFAST_CONFIG_DIR) + "/rules/default.rules");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(DefaultPack, Compiles) {
  const RuleSet pack = compile_ok(default_pack_text());
  EXPECT_GE(pack.rule_count(), 15u);
  for (const char* name :
       {"dormant_token_abroad", "card_testing", "cvv2_guessing", "token_burst_after_provisioning",
        "cross_border_velocity", "over_limit_abroad", "stripe_on_chip_card", "offline_after_refusals"})
    EXPECT_NE(pack.find_rule(name), kNoRule) << name;
}

// One issuer: the feature store and the default pack, deciding like the engine will.
struct Issuer {
  Issuer() : store(config()), pack(compile_ok(default_pack_text())) {}
  static FeatureStoreConfig config() {
    FeatureStoreConfig c;
    c.capacity.fill(256);
    return c;
  }
  // over_limit: the engine refuses it for the open-to-buy whatever the rules say.
  Decision decide(const Message& m, bool over_limit = false) {
    store.features(m, &fv);
    const Decision d = pack.evaluate(fv);
    const bool refused = !m.advice && (d.verdict == Verdict::decline || d.verdict == Verdict::step_up);
    store.observe({m, over_limit ? Outcome::declined_over_limit
                      : refused  ? Outcome::declined
                                 : Outcome::approved});
    return d;
  }
  std::string rule_name(const Decision& d) const {
    return d.deciding_rule == kNoRule ? "(none)" : pack.rule(d.deciding_rule).name;
  }
  FeatureStore store;
  RuleSet pack;
  FeatureVector fv;
};

bool refused(const Decision& d) { return d.verdict == Verdict::decline || d.verdict == Verdict::step_up; }

Message on_token(Message m, uint64_t token, uint64_t device) {
  m.ids.token = token;
  m.ids.device = device;
  return m;
}

void live_at_home(Issuer& issuer, uint64_t card, int first_day, int last_day) {
  for (int day = first_day; day <= last_day; day += 3) {
    const Decision d =
        issuer.decide(home_chip(card, 8'000 + 100 * (day % 7), at(day, 40'000), 500 + day % 4));
    ASSERT_FALSE(refused(d)) << "home purchase on day " << day << ": " << issuer.rule_name(d);
  }
}

TEST(DefaultPackStory, DormantTokenAbroadIsStoppedAtTheFirstCheckAndThePlasticKeepsWorking) {
  // A CNY 800 card, tokenised into a wallet on day 0, the token never used; the plastic used at
  // home until day 100. Day 120: the fraudster, abroad, wakes the token with a CNY 1 online check.
  Issuer issuer;
  issuer.store.observe(TokenProvisioning{at(0), 77, 1, 900, kChina, kChina, 1, false});
  live_at_home(issuer, 1, 0, 100);

  const Decision probe = issuer.decide(on_token(online(1, 100, at(120, 3'600), kThailand, 700), 77, 900));
  EXPECT_EQ(probe.verdict, Verdict::decline);
  EXPECT_EQ(issuer.rule_name(probe), "dormant_token_abroad");
  EXPECT_EQ(probe.response_code, (std::array<char, 2>{'5', '9'}));
  EXPECT_TRUE(probe.effects & kSuspendToken);
  EXPECT_FALSE(probe.effects & kListCard) << "the plastic is not blamed for the token's fraud";

  // Two over-limit tries abroad seeking an uplift: refused, the token suspended again.
  for (int i = 0; i < 2; ++i) {
    const Decision d = issuer.decide(
        on_token(online(1, 90'000 - i * 5'000, at(120, 3'700 + i * 60), kThailand, 701), 77, 900), true);
    EXPECT_EQ(d.verdict, Verdict::decline) << i;
    EXPECT_TRUE(d.effects & kSuspendToken) << i;
  }
  // Offline taps abroad arrive as advices: they cannot be refused, but each suspends the token
  // and opens a case.
  Message tap = on_token(home_chip(1, 30'000, at(120, 7'200), 702), 77, 900);
  tap.country = kThailand;
  tap.entry_mode = EntryMode::contactless_chip;
  tap.advice = true;
  const Decision offline = issuer.decide(tap);
  EXPECT_EQ(offline.verdict, Verdict::approve_and_alert);
  EXPECT_TRUE(offline.effects & kSuspendToken);
  EXPECT_TRUE(offline.effects & kOpenCase);

  // The cardholder, at home the next morning, pays with the plastic: approved.
  const Decision genuine = issuer.decide(home_chip(1, 6'800, at(121, 30'000), 501));
  EXPECT_FALSE(refused(genuine)) << issuer.rule_name(genuine);
  EXPECT_EQ(genuine.effects, 0);
}

TEST(DefaultPackStory, ATravellersFirstPurchasesAbroadAreNotDeclined) {
  Issuer issuer;
  live_at_home(issuer, 2, 0, 60);
  const Decision first = issuer.decide([] {
    Message m = home_chip(2, 45'000, at(61, 50'000), 800);
    m.country = kJapan;
    m.entry_mode = EntryMode::contactless_chip;
    return m;
  }());
  EXPECT_FALSE(refused(first)) << issuer.rule_name(first);
  Message second = home_chip(2, 12'000, at(62, 30'000), 801);
  second.country = kJapan;
  const Decision d2 = issuer.decide(second);
  EXPECT_FALSE(refused(d2)) << issuer.rule_name(d2);
  EXPECT_EQ(d2.effects & (kListCard | kSuspendToken), 0);
}

TEST(DefaultPackStory, CardTestingIsStoppedAtTheSecondSmallCheck) {
  Issuer issuer;
  live_at_home(issuer, 3, 0, 30);
  const Decision first = issuer.decide(online(3, 100, at(31, 100), kChina, 900));
  EXPECT_FALSE(refused(first)) << "one CNY 1 check alone is a normal card verification";
  for (int i = 1; i < 5; ++i) {
    const Decision d = issuer.decide(online(3, 100 + i, at(31, 100 + 60 * i), kChina, 900 + i));
    EXPECT_EQ(d.verdict, Verdict::decline) << i;
    EXPECT_EQ(issuer.rule_name(d), "card_testing") << i;
  }
}

TEST(DefaultPackStory, AMerchantTestingManyCardsIsStoppedAtTheNinthCard) {
  Issuer issuer;
  for (uint64_t card = 10; card < 20; ++card) {
    const Decision d = issuer.decide(online(card, 100, at(5, 10 * static_cast<int64_t>(card)), kChina, 4242));
    EXPECT_EQ(d.verdict == Verdict::decline, card >= 18) << card << ": " << issuer.rule_name(d);
  }
}

TEST(DefaultPackStory, Cvv2GuessingIsStoppedAtTheThirdWrongValue) {
  Issuer issuer;
  live_at_home(issuer, 4, 0, 30);
  for (int i = 0; i < 3; ++i) {
    Message m = online(4, 30'000, at(31, 60 * i), kChina, 600);
    m.cvv2 = Check::mismatch;
    const Decision d = issuer.decide(m);
    // The engine refuses a wrong CVV2 itself; the pack adds a listing at the third.
    EXPECT_EQ(d.verdict == Verdict::decline, i == 2) << i;
    if (i == 2) {
      EXPECT_EQ(d.response_code, (std::array<char, 2>{'N', '7'}));
      EXPECT_TRUE(d.effects & kListCard);
    }
  }
}

TEST(DefaultPackStory, ATokenBurstAfterProvisioningAbroadIsStoppedAtTheSecondPurchase) {
  Issuer issuer;
  live_at_home(issuer, 5, 0, 40);
  issuer.store.observe(TokenProvisioning{at(41, 1'000), 55, 5, 901, kThailand, kChina, 3, false});
  Message buy = on_token(home_chip(5, 20'000, at(41, 1'600), 750), 55, 901);
  buy.country = kThailand;
  buy.entry_mode = EntryMode::contactless_chip;
  EXPECT_FALSE(refused(issuer.decide(buy)));
  buy.time = at(41, 1'900);
  buy.ids.merchant = 751;
  const Decision second = issuer.decide(buy);
  EXPECT_EQ(second.verdict, Verdict::decline);
  EXPECT_EQ(issuer.rule_name(second), "token_burst_after_provisioning");
  EXPECT_TRUE(second.effects & kSuspendToken);
}

TEST(DefaultPackStory, ATokenProvisionedAtHomeBuysTwiceAtHome) {
  Issuer issuer;
  live_at_home(issuer, 6, 0, 40);
  issuer.store.observe(TokenProvisioning{at(41, 1'000), 56, 6, 902, kChina, kChina, 1, false});
  for (int i = 0; i < 3; ++i) {
    Message buy = on_token(home_chip(6, 3'000, at(41, 1'600 + 300 * i), 760 + i), 56, 902);
    buy.entry_mode = EntryMode::contactless_chip;
    const Decision d = issuer.decide(buy);
    EXPECT_FALSE(refused(d)) << i << ": " << issuer.rule_name(d);
  }
}

TEST(DefaultPackStory, AStripeReadOfAChipCardIsDeclined) {
  Issuer issuer;
  live_at_home(issuer, 7, 0, 30);
  Message m = home_chip(7, 50'000, at(31), 520);
  m.entry_mode = EntryMode::magstripe;
  m.cryptogram = Check::not_present;
  const Decision d = issuer.decide(m);
  EXPECT_EQ(d.verdict, Verdict::decline);
  EXPECT_EQ(issuer.rule_name(d), "stripe_on_chip_card");
  m.entry_mode = EntryMode::fallback;  // a fallback at home, no refusals: alerted only
  m.time = at(32);
  EXPECT_EQ(issuer.decide(m).verdict, Verdict::approve_and_alert);
}

TEST(DefaultPackStory, OverLimitTriesAbroadSeekingAnUpliftAreStoppedAtTheSecond) {
  Issuer issuer;
  live_at_home(issuer, 8, 0, 30);
  const Decision first = issuer.decide(online(8, 90'000, at(31, 100), kThailand, 710), true);
  EXPECT_FALSE(refused(first)) << "the engine refuses it for the open-to-buy; the pack has no signal yet";
  const Decision second = issuer.decide(online(8, 85'000, at(31, 160), kThailand, 711), true);
  EXPECT_EQ(second.verdict, Verdict::decline);
  EXPECT_EQ(issuer.rule_name(second), "over_limit_abroad");
  EXPECT_TRUE(second.effects & kOpenCase);
}

TEST(DefaultPackStory, AThirdCountryWithinADayIsDeclined) {
  Issuer issuer;
  live_at_home(issuer, 9, 0, 30);
  EXPECT_FALSE(refused(issuer.decide(home_chip(9, 5'000, at(31, 1'000), 530))));
  Message bangkok = home_chip(9, 5'000, at(31, 20'000), 720);
  bangkok.country = kThailand;
  EXPECT_FALSE(refused(issuer.decide(bangkok))) << "a first country abroad";
  Message tokyo = home_chip(9, 5'000, at(31, 30'000), 721);
  tokyo.country = kJapan;
  const Decision d = issuer.decide(tokyo);
  EXPECT_EQ(d.verdict, Verdict::decline);
  EXPECT_EQ(issuer.rule_name(d), "cross_border_velocity");
}

TEST(DefaultPack, DecidingAllocatesNothing) {
  Issuer issuer;
  issuer.store.observe(TokenProvisioning{at(0), 77, 1, 900, kChina, kChina, 1, false});
  live_at_home(issuer, 1, 0, 10);
  const uint64_t before = risk_test_allocations();
  for (int i = 0; i < 500; ++i) {
    Message m = i % 2 ? home_chip(1 + i % 50, 1'000 + i, at(11, i), 500 + i % 30)
                      : on_token(online(1, 100, at(11, i), kThailand, 700 + i % 9), 77, 900);
    (void)issuer.decide(m);
  }
  EXPECT_EQ(risk_test_allocations(), before);
}

}  // namespace
}  // namespace holdfast::risk
