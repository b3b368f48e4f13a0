// Scenarios: scripted attacks replayed through the real engine, in holdfast mode and in the
// legacy mode that behaves like the seed's issuer, so the two can be compared side by side.
//
//   Result<ScenarioReport, std::string> run_scenario(name, mode)
//
// A scenario is a timeline of actions (portfolio set-up, authorisations, offline purchases,
// advices, clearing presentments days later, uplift requests) applied in time order as engine
// commands, with timer pulses (Ticks) at every moment the engine has something due, so holds
// expire and dispute deadlines pass when they would. The fraudster's side is scripted too: an
// offline purchase with a phone-wallet token happens only while the token is active (a
// suspended token is pushed to the device by the token service and can no longer pay).
//
// Deterministic: the same scenario and mode give the same report, byte for byte.
// Threading: each run owns its engine; runs are independent.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/money.h"
#include "base/result.h"
#include "base/time.h"
#include "engine/config.h"

namespace holdfast::scenario {

struct ScenarioInfo {
  std::string name;
  std::string summary;
};
const std::vector<ScenarioInfo>& scenarios();

struct ScenarioReport {
  std::string scenario;
  engine::EngineMode mode = engine::EngineMode::holdfast;
  Currency currency;  // the victim account's currency
  int64_t credit_limit_minor = 0;
  // Money. gross_fraud: fraudulent spend posted to the victim's account. recovered: what
  // chargebacks brought back or have booked as due from acquirers. issuer_loss: the rest, which
  // the issuer refunds to a cardholder who was not at fault (BRIEF.md: banks bear 70%+; here the
  // cardholder did nothing wrong).
  int64_t gross_fraud_minor = 0;
  int64_t recovered_minor = 0;
  int64_t issuer_loss_minor = 0;
  int64_t max_over_limit_minor = 0;  // the most the account was ever drained beyond its limit
  // Counts.
  uint32_t fraud_attempts = 0;   // purchases the fraudster tried
  uint32_t fraud_completed = 0;  // ... that went through (approved online or completed offline)
  uint32_t online_declined = 0;  // fraud authorisations holdfast (or legacy) declined
  uint32_t offline_blocked = 0;  // offline attempts that failed because the token was suspended
  uint32_t presentments = 0;
  uint32_t unauthorised_items = 0;
  uint32_t chargebacks_raised = 0;
  uint32_t uplifts_granted = 0;
  uint32_t uplifts_refused = 0;
  uint32_t legitimate_attempts = 0;  // the real cardholder's purchases in the scenario
  uint32_t legitimate_declined = 0;
  std::optional<Timestamp> card_blocked_at;
  uint32_t tokens_suspended = 0;
  bool books_balanced = true;  // checked after every command
};

nlohmann::json to_json(const ScenarioReport& report);

// Errors: an unknown scenario name (listing the known ones).
Result<ScenarioReport, std::string> run_scenario(std::string_view name, engine::EngineMode mode);

}  // namespace holdfast::scenario
