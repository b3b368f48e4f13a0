#include "engine/config.h"

#include "engine/limits.h"

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
  w.u8(static_cast<uint8_t>(c.mode));
  w.u32(static_cast<uint32_t>(c.clearing_tolerance_rules.size()));
  for (const auto& t : c.clearing_tolerance_rules) {
    w.u16(t.mcc_low);
    w.u16(t.mcc_high);
    w.u32(t.card_present_bp);
    w.u32(t.card_not_present_bp);
  }
  w.u32(c.default_tolerance_bp);
  w.u32(c.currency_drift_bp);
  w.boolean(c.late_chargeback_only_over_limit);
  w.u32(c.clearing_record_retention_days);
  w.u32(c.burst_items);
  w.u32(c.burst_window_s);
  w.u32(c.local_time_margin_s);
  w.u32(c.legacy_refresh_hour);
  w.u32(c.legacy_uplift_multiplier_bp);
  w.str(c.scheme_rules_json);
}
bool read_config(ByteReader& r, EngineConfig* c) {
  uint32_t rules = 0;
  if (!r.u32(&c->default_hold_days) || !r.u32(&rules) || rules > limits::kMaxMccHoldRules) return false;
  c->mcc_hold_rules.resize(rules);
  for (auto& rule : c->mcc_hold_rules)
    if (!r.u16(&rule.mcc_low) || !r.u16(&rule.mcc_high) || !r.u32(&rule.hold_days)) return false;
  uint8_t mode = 0;
  if (!r.u32(&c->message_record_retention_days) || !r.u32(&c->max_message_records) ||
      !r.u32(&c->max_expiries_per_tick) || !r.boolean(&c->require_sign_on) || !r.u8(&mode) ||
      mode >= kEngineModeCount || !r.u32(&rules) || rules > limits::kMaxClearingToleranceRules)
    return false;
  c->mode = static_cast<EngineMode>(mode);
  c->clearing_tolerance_rules.resize(rules);
  for (auto& t : c->clearing_tolerance_rules)
    if (!r.u16(&t.mcc_low) || !r.u16(&t.mcc_high) || !r.u32(&t.card_present_bp) ||
        !r.u32(&t.card_not_present_bp))
      return false;
  return r.u32(&c->default_tolerance_bp) && r.u32(&c->currency_drift_bp) &&
         r.boolean(&c->late_chargeback_only_over_limit) && r.u32(&c->clearing_record_retention_days) &&
         r.u32(&c->burst_items) && r.u32(&c->burst_window_s) && r.u32(&c->local_time_margin_s) &&
         r.u32(&c->legacy_refresh_hour) && r.u32(&c->legacy_uplift_multiplier_bp) &&
         r.str(&c->scheme_rules_json, limits::kMaxSchemeRulesBytes);
}

const char* engine_mode_name(EngineMode m) noexcept {
  switch (m) {
    case EngineMode::holdfast: return "holdfast";
    case EngineMode::legacy: return "legacy";
  }
  return "?";
}

bool operator==(const MccHoldRule& a, const MccHoldRule& b) {
  return a.mcc_low == b.mcc_low && a.mcc_high == b.mcc_high && a.hold_days == b.hold_days;
}

}  // namespace holdfast::engine
