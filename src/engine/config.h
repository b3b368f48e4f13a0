// Engine configuration: the scheme-rule defaults (hold validity by MCC and so on) that a bank
// tunes. Values are defaults from data/scheme/RULES.md, never constants in code; the server
// reads overrides from its configuration file. Part of the snapshot: replay uses the settings
// the journal was written under.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/bytes.h"

namespace holdfast::engine {

struct MccHoldRule {
  uint16_t mcc_low = 0;   // inclusive
  uint16_t mcc_high = 0;  // inclusive
  uint32_t hold_days = 0;
};
bool operator==(const MccHoldRule& a, const MccHoldRule& b);

// How far a presentment may exceed what was authorised and still count as authorised (tips,
// fuel). Basis points of the authorised amount; first matching rule wins, else the defaults in
// EngineConfig. RULES.md section 4: Mastercard gratuity 20% card present, 0% card not present.
struct ClearingToleranceRule {
  uint16_t mcc_low = 0;
  uint16_t mcc_high = 0;
  uint32_t card_present_bp = 0;
  uint32_t card_not_present_bp = 0;
  friend bool operator==(const ClearingToleranceRule&, const ClearingToleranceRule&) = default;
};

// holdfast: every message moves open-to-buy at once, offline exposure is caught. legacy: the
// seed's issuer (BRIEF.md), kept to replay attacks side by side: open-to-buy seen by online
// authorisations is refreshed from the books once a day (T+1), a cross-border authorisation
// beyond open-to-buy gets a blind temporary uplift, and unauthorised offline items are posted
// without floor-limit chargebacks or burst protection.
enum class EngineMode : uint8_t { holdfast = 0, legacy = 1 };
constexpr int kEngineModeCount = 2;
const char* engine_mode_name(EngineMode m) noexcept;

struct EngineConfig {
  // How long an authorisation hold lasts before it is released by expiry. Visa: card present
  // 5, card absent 10, estimated lodging/cruise/vehicle rental 30; Mastercard: final 7,
  // preauthorisation 30 (RULES.md section 2). Default 7 days, 30 for the MCC ranges below.
  uint32_t default_hold_days = 7;
  std::vector<MccHoldRule> mcc_hold_rules = {
      {3351, 3500, 30},  // car rental
      {3501, 3999, 30},  // lodging (hotel chains)
      {4411, 4411, 30},  // cruise lines
      {7011, 7011, 30},  // lodging
      {7512, 7513, 30},  // car and truck rental
      {7519, 7519, 30},  // motorhome rental
  };
  // How long a card message is remembered for duplicate detection and reversal matching.
  // Longer than the longest hold, so a late reversal still finds its original.
  uint32_t message_record_retention_days = 31;
  // At most this many remembered messages (memory bound); the oldest go first.
  uint32_t max_message_records = 8'000'000;
  // Most holds one timer pulse expires (keeps a pulse short; the next pulse continues).
  uint32_t max_expiries_per_tick = 100'000;
  // Refuse card messages from an acquirer that has not signed on (0800 function 001).
  bool require_sign_on = false;

  EngineMode mode = EngineMode::holdfast;

  // Clearing (presentments). Tolerance above the authorised amount per MCC (RULES.md section
  // 4); a presentment in another currency than the authorisation may also drift by
  // currency_drift_bp (Mastercard 10%, RULES.md section 4).
  std::vector<ClearingToleranceRule> clearing_tolerance_rules = {
      {5812, 5812, 2000, 0},  // restaurants: tip up to 20% card present
      {5814, 5814, 2000, 0},  // fast food
  };
  uint32_t default_tolerance_bp = 0;
  uint32_t currency_drift_bp = 1000;
  // A late presentment (its hold had expired) is charged back only when it leaves the account
  // over its limit (Mastercard: "only when the account is not in good standing", RULES.md 3).
  bool late_chargeback_only_over_limit = true;
  // How long applied clearing record ids are remembered: a file applied twice changes nothing.
  uint32_t clearing_record_retention_days = 400;

  // Burst protection: this many unauthorised offline items (advices, presentments with no
  // authorisation) on one card whose transaction times fall within burst_window_s block the
  // card for online use, suspend its tokens, alert the cardholder and open a fraud case.
  uint32_t burst_items = 3;
  uint32_t burst_window_s = 24 * 3600;

  // DE 12 is the acceptor's local time: a presentment was made within the UTC interval its
  // country's offsets allow (Presentment::utc_offset_*), widened by this margin on each side for
  // terminal clocks that are off. An item is after a card's listing only when the whole interval
  // is (zero floor, "blocked at payment"); one that straddles the listing keeps the floor.
  uint32_t local_time_margin_s = 15 * 60;

  // Legacy mode only: the hour (UTC) of the daily open-to-buy refresh, and the blind uplift
  // abroad as a multiple of the credit limit in basis points (the seed: 3-5x).
  uint32_t legacy_refresh_hour = 0;
  uint32_t legacy_uplift_multiplier_bp = 50'000;

  // Disputes: the scheme rules (config/scheme-rules.json format); empty = the copy embedded at
  // build time. Journaled with the rest, so a replay files chargebacks under the same rules.
  std::string scheme_rules_json;

  friend bool operator==(const EngineConfig&, const EngineConfig&) = default;
};

// The settings as bytes (snapshots and the Configure command).
void write_config(ByteWriter& w, const EngineConfig& c);
bool read_config(ByteReader& r, EngineConfig* c);

}  // namespace holdfast::engine
