// The scripted scenarios. Each builds the same world in either mode and lets the engine decide;
// nothing in a script looks at the mode (the fraudster does not know which issuer it faces).
// Amounts are CNY fen (minor units); the acquirers abroad send USD with the CNY billing amount.
#include <algorithm>

#include "base/assert.h"
#include "disputes/case.h"
#include "scenario/world.h"

namespace holdfast::scenario {
namespace {

using engine::Channel;
using engine::Outcome;

constexpr int64_t kCny100 = 100;  // fen per yuan
constexpr int64_t kHour = 3600;
constexpr int64_t kMinute = 60;

// 2026-03-01 00:00:00 UTC: day 0 of every scenario.
Timestamp day0() { return Timestamp::from_seconds(days_from_civil(2026, 3, 1) * kSecondsPerDay); }
Timestamp at(int64_t day, int64_t hour, int64_t minute = 0) {
  return Timestamp::from_seconds(day0().seconds() + day * kSecondsPerDay + hour * kHour + minute * kMinute);
}

// The seed's card (BRIEF.md): a World Mastercard with a CNY 600 limit. Mastercard lets chip
// terminals approve offline up to USD 200 (RULES.md section 3: about CNY 1,400 here); card-not-
// present and everything else has a zero floor. Stripe fallback is accepted by the product (the
// seed: stripe acceptance is still common abroad), so only risk can stop it.
cards::Product world_mastercard() {
  cards::Product p;
  p.name = "World Mastercard";
  p.issuer_country = kChina;
  p.scheme = cards::CardScheme::mastercard;
  p.decline_fallback = false;
  p.default_floor_limit_minor = 0;
  p.floor_limits = {cards::FloorLimitRule{0, 9999, 0, cards::UseChannel::card_present, 1'400 * kCny100}};
  p.foreign_fee_bp = 150;
  p.uplift_max_multiplier_bp = 30'000;
  p.uplift_days = 7;
  p.uplift_on_authorization = true;
  p.dormant_days = 90;
  p.token_cooling_days = 30;
  return p;
}

// The victim of every scenario: the seed's card, issued 400 days before day 0.
struct Victim {
  uint64_t account = 0;
  uint64_t card = 0;
  std::string pan = "5186001700008785";
};
Victim open_victim(World& w) {
  Victim v;
  w.add_range("518600", world_mastercard());
  v.account = w.add_account(600 * kCny100);
  v.card = w.add_card(v.account, v.pan);
  w.watch(v.account);
  return v;
}
// Runs the timeline to day 120 (every chargeback deadline has passed) and reports.
ScenarioReport finish(World& w, const Victim& v) {
  w.run_until(at(120, 0));
  w.finish(v.account, v.card);
  return w.report();
}

Timestamp after_days(Timestamp t, double days) {
  return Timestamp::from_seconds(t.seconds() +
                                 static_cast<int64_t>(days * static_cast<double>(kSecondsPerDay)));
}

std::string rrn_for(int n) {
  std::string s = std::to_string(n);
  return std::string(12 - s.size(), '0') + s;
}

constexpr std::array<char, 6> kNoApproval{};

// An online authorisation that, when approved, the merchant presents `present_after_days` later.
void online_purchase(World& w, const Purchase& p, int n, double present_after_days) {
  const engine::Reply r = w.authorize(p, rrn_for(n));
  const bool approved = engine::is_approval(r.outcome);
  w.count_attempt(p, approved);
  if (!approved) {
    if (p.fraud) ++w.report().online_declined;
    return;
  }
  const Timestamp made = w.now();
  w.at(after_days(made, present_after_days),
       [&w, p, made, code = r.approval_code, n] { w.present(p, made, code, rrn_for(n)); });
}

// --- seed-offline-burst ---------------------------------------------------------------------

ScenarioReport offline_burst(engine::EngineMode mode) {
  World w(mode, at(-400, 9));
  const Victim victim = open_victim(w);
  const std::string& victim_pan = victim.pan;
  // The cardholder's last own purchase, at home, long ago: the card then lies unused.
  w.at(at(-200, 12), [&w, victim_pan] {
    online_purchase(w, Purchase{victim_pan, 120 * kCny100, kChina, 5411, Channel::card_present, 71, false}, 1,
                    2);
  });
  // Stolen PAN, expiry and CVV2 are bound into a phone wallet and left dormant for months.
  const std::string token_pan = "5204730000001234";
  uint64_t token = 0;
  w.at(at(-100, 3), [&] { token = w.add_token(victim.card, token_pan); });

  // The burst abroad: three waves of contactless phone payments completed offline, under the
  // terminals' floor limit, each with a card-not-present "is it still alive?" check first.
  const std::vector<std::vector<int64_t>> waves = {
      {880, 1250, 960, 1800, 1120, 1390, 760},
      {1040, 2200, 930, 1310, 870, 1150},
      {1260, 990, 1380, 710},
  };
  int n = 100;
  for (size_t wave = 0; wave < waves.size(); ++wave) {
    const auto day = static_cast<int64_t>(wave);
    const int check = n++;
    w.at(at(day, 9, 30), [&w, victim_pan, check] {
      online_purchase(w,
                      Purchase{victim_pan, (check == 100 ? 500 : 300) * kCny100, kUsa, 5999,
                               Channel::card_not_present, 10, true},
                      check, 2);
    });
    for (size_t i = 0; i < waves[wave].size(); ++i) {
      const int item = n++;
      const Timestamp made = at(day, 10, static_cast<int64_t>(i) * 25);
      const int64_t amount = waves[wave][i] * kCny100;
      // One merchant in three sends an advice minutes later; the rest only present in clearing,
      // one to 29 days later (the seed: up to 30 days).
      const bool advises = i % 3 == 0;
      const double present_after = 1 + static_cast<double>((i * 7 + wave * 5) % 29);
      w.at(made, [&w, &token, token_pan, made, amount, advises, present_after, item] {
        const Purchase p{token_pan, amount, kUsa, 5311, Channel::card_present, 71, true};
        // The wallet pays only while its token is active: a suspended token is pushed to the
        // phone by the token service.
        const cards::Token* t = w.engine().find_token(cards::TokenId{token});
        if (t == nullptr || t->status != cards::TokenStatus::active) {
          w.count_attempt(p, false);
          ++w.report().offline_blocked;
          return;
        }
        w.count_attempt(p, true);
        if (advises)
          w.at(Timestamp::from_seconds(made.seconds() + 5 * kMinute),
               [&w, p, item] { w.advice(p, rrn_for(item), kNoApproval); });
        w.at(after_days(made, present_after),
             [&w, p, made, item] { w.present(p, made, kNoApproval, rrn_for(item)); });
      });
    }
  }
  return finish(w, victim);
}

// --- seed-uplift-abuse ----------------------------------------------------------------------

ScenarioReport uplift_abuse(engine::EngineMode mode) {
  World w(mode, at(-400, 9));
  const Victim victim = open_victim(w);
  const std::string& victim_pan = victim.pan;
  // A traveller with the same product, who uses the card every week.
  const uint64_t traveller_account = w.add_account(600 * kCny100);
  const std::string traveller_pan = "5186001700001111";
  w.add_card(traveller_account, traveller_pan);

  w.at(at(-180, 12), [&w, victim_pan] {
    online_purchase(w, Purchase{victim_pan, 90 * kCny100, kChina, 5411, Channel::card_present, 71, false}, 1,
                    2);
  });
  for (int week = 1; week <= 8; ++week)
    w.at(at(-7 * week, 19), [&w, traveller_pan, week] {
      online_purchase(w,
                      Purchase{traveller_pan, 50 * kCny100, kChina, 5411, Channel::card_present, 71, false},
                      10 + week, 2);
    });
  // The fraudster provisions the stolen card into a wallet ten days before using it.
  const std::string token_pan = "5204730000005678";
  w.at(at(-10, 3), [&w, card = victim.card, token_pan] { w.add_token(card, token_pan); });

  // Day 0, abroad: a run of purchases beyond the CNY 600 limit, counting on an uplift abroad.
  struct Try {
    int64_t minute;
    int64_t yuan;
    bool token;
    Channel channel;
    uint16_t entry;
    uint16_t mcc;
  };
  const std::vector<Try> tries = {
      {0, 480, false, Channel::card_not_present, 10, 5732},  // key-entered / e-commerce (DE 22 010)
      {10, 650, false, Channel::card_not_present, 10, 5732},
      {20, 700, true, Channel::card_present, 71, 5311},    // phone wallet at a department store
      {35, 900, false, Channel::card_present, 901, 5944},  // cloned stripe of a chip card (fallback)
      {50, 520, false, Channel::card_not_present, 10, 5999},
      {70, 610, true, Channel::card_present, 71, 5411},
  };
  int n = 200;
  for (const Try& t : tries) {
    const int rrn = n++;
    w.at(at(0, 20, t.minute), [&w, t, rrn, victim_pan, token_pan] {
      online_purchase(
          w,
          Purchase{t.token ? token_pan : victim_pan, t.yuan * kCny100, kUsa, t.mcc, t.channel, t.entry, true},
          rrn, 3);
    });
  }
  // The traveller, abroad the same evening, dines beyond the limit with the chip card.
  w.at(at(0, 19), [&w, traveller_pan] {
    online_purchase(w, Purchase{traveller_pan, 900 * kCny100, kUsa, 5812, Channel::card_present, 51, false},
                    300, 2);
  });
  return finish(w, victim);
}

// --- seed-late-presentment ------------------------------------------------------------------

ScenarioReport late_presentment(engine::EngineMode mode) {
  World w(mode, at(-400, 9));
  const Victim victim = open_victim(w);
  const std::string& victim_pan = victim.pan;
  // Card-not-present purchases at merchants that present weeks later: each hold expires after
  // the configured validity (7 days), open-to-buy comes back, and the next purchase fits.
  const std::vector<std::pair<int64_t, double>> buys = {{0, 25}, {8, 20}, {16, 13}, {24, 6}};
  int n = 400;
  for (const auto& [day, after] : buys) {
    const int rrn = n++;
    w.at(at(day, 10), [&w, victim_pan, rrn, after = after] {
      online_purchase(w, Purchase{victim_pan, 550 * kCny100, kUsa, 5999, Channel::card_not_present, 10, true},
                      rrn, after);
    });
  }
  return finish(w, victim);
}

}  // namespace

const std::vector<ScenarioInfo>& scenarios() {
  static const std::vector<ScenarioInfo> list = {
      {"seed-offline-burst",
       "a CNY 600 card's stolen data in a phone wallet, dormant 100 days, then three waves of offline "
       "contactless purchases abroad (CNY 20,000) presented 1-29 days later"},
      {"seed-uplift-abuse",
       "a dormant CNY 600 card and a token provisioned 10 days earlier spend abroad beyond the limit, "
       "counting on a temporary uplift; a genuine traveller with the same product dines abroad the same "
       "evening"},
      {"seed-late-presentment",
       "card-not-present purchases whose merchants present after the 7-day holds expired, re-using the "
       "limit four times over"},
  };
  return list;
}

Result<ScenarioReport, std::string> run_scenario(std::string_view name, engine::EngineMode mode) {
  ScenarioReport report;
  if (name == "seed-offline-burst")
    report = offline_burst(mode);
  else if (name == "seed-uplift-abuse")
    report = uplift_abuse(mode);
  else if (name == "seed-late-presentment")
    report = late_presentment(mode);
  else {
    std::string known;
    for (const auto& s : scenarios()) known += (known.empty() ? "" : ", ") + s.name;
    return "unknown scenario '" + std::string(name) + "' (known: " + known + ")";
  }
  report.scenario = std::string(name);
  return report;
}

nlohmann::json to_json(const ScenarioReport& r) {
  nlohmann::json j;
  j["scenario"] = r.scenario;
  j["mode"] = engine::engine_mode_name(r.mode);
  j["currency"] = std::string(currency_alpha(r.currency));
  j["currency_numeric"] = r.currency.code;
  j["credit_limit_minor"] = r.credit_limit_minor;
  j["gross_fraud_minor"] = r.gross_fraud_minor;
  j["recovered_minor"] = r.recovered_minor;
  j["issuer_loss_minor"] = r.issuer_loss_minor;
  j["max_over_limit_minor"] = r.max_over_limit_minor;
  j["chargebacks_raised"] = r.chargebacks_raised;
  j["card_blocked_at"] =
      r.card_blocked_at ? nlohmann::json(disputes::format_utc(*r.card_blocked_at)) : nlohmann::json();
  j["tokens_suspended"] = r.tokens_suspended;
  j["fraud_attempts"] = r.fraud_attempts;
  j["fraud_completed"] = r.fraud_completed;
  j["online_declined"] = r.online_declined;
  j["offline_blocked"] = r.offline_blocked;
  j["presentments"] = r.presentments;
  j["unauthorised_items"] = r.unauthorised_items;
  j["uplifts_granted"] = r.uplifts_granted;
  j["uplifts_refused"] = r.uplifts_refused;
  j["legitimate_attempts"] = r.legitimate_attempts;
  j["legitimate_declined"] = r.legitimate_declined;
  j["books_balanced"] = r.books_balanced;
  return j;
}

}  // namespace holdfast::scenario
