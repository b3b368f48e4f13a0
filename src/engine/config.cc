#include "engine/config.h"

namespace holdfast::engine {

void write_config(ByteWriter& w, const EngineConfig& c) {
  w.u32(c.default_hold_days);
  w.u32(static_cast<uint32_t>(c.mcc_hold_rules.size()));
  for (const auto& rule : c.mcc_hold_rules) {
    w.u16(rule.mcc_low);
    w.u16(rule.mcc_high);
    w.u32(rule.hold_days);
  }
  w.u32(c.message_record_retention_days);
  w.u32(c.max_message_records);
  w.u32(c.max_expiries_per_tick);
  w.boolean(c.require_sign_on);
}
bool read_config(ByteReader& r, EngineConfig* c) {
  uint32_t rules = 0;
  if (!r.u32(&c->default_hold_days) || !r.u32(&rules) || rules > 10'000) return false;
  c->mcc_hold_rules.resize(rules);
  for (auto& rule : c->mcc_hold_rules)
    if (!r.u16(&rule.mcc_low) || !r.u16(&rule.mcc_high) || !r.u32(&rule.hold_days)) return false;
  return r.u32(&c->message_record_retention_days) && r.u32(&c->max_message_records) &&
         r.u32(&c->max_expiries_per_tick) && r.boolean(&c->require_sign_on);
}

bool operator==(const MccHoldRule& a, const MccHoldRule& b) {
  return a.mcc_low == b.mcc_low && a.mcc_high == b.mcc_high && a.hold_days == b.hold_days;
}

}  // namespace holdfast::engine
