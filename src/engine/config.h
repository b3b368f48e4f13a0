// Engine configuration: the scheme-rule defaults (hold validity by MCC and so on) that a bank
// tunes. Values are defaults from data/scheme/RULES.md, never constants in code; the server
// reads overrides from its configuration file. Part of the snapshot: replay uses the settings
// the journal was written under.
#pragma once

#include <cstdint>
#include <vector>

#include "base/bytes.h"

namespace holdfast::engine {

struct MccHoldRule {
  uint16_t mcc_low = 0;   // inclusive
  uint16_t mcc_high = 0;  // inclusive
  uint32_t hold_days = 0;
};
bool operator==(const MccHoldRule& a, const MccHoldRule& b);

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

  friend bool operator==(const EngineConfig&, const EngineConfig&) = default;
};

// The settings as bytes (snapshots and the Configure command).
void write_config(ByteWriter& w, const EngineConfig& c);
bool read_config(ByteReader& r, EngineConfig* c);

}  // namespace holdfast::engine
