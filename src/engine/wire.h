// Field encoders shared by the engine's two byte formats, the command codec (journal entries)
// and the snapshot: one definition of how a fixed char array, an enum, a message key and a
// product are written, with one set of bounds (limits.h), so the two formats cannot drift apart.
#pragma once

#include <array>
#include <cstdint>

#include "base/bytes.h"
#include "cards/cards.h"
#include "engine/command.h"
#include "engine/limits.h"

namespace holdfast::engine::wire {

template <size_t N>
void put_chars(ByteWriter& w, const std::array<char, N>& a) {
  w.bytes({reinterpret_cast<const uint8_t*>(a.data()), N});
}
template <size_t N>
bool get_chars(ByteReader& r, std::array<char, N>* a) {
  return r.bytes(reinterpret_cast<uint8_t*>(a->data()), N);
}
// An enum stored as one byte; values at or above `count` are malformed.
template <typename T>
bool get_enum(ByteReader& r, T* out, int count) {
  uint8_t v = 0;
  if (!r.u8(&v) || v >= count) return false;
  *out = static_cast<T>(v);
  return true;
}

inline void put_key(ByteWriter& w, const MessageKey& k) {
  w.u64(k.acquirer_id);
  w.u32(k.stan);
  w.u64(k.transmission_time);
}
inline bool get_key(ByteReader& r, MessageKey* k) {
  return r.u64(&k->acquirer_id) && r.u32(&k->stan) && r.u64(&k->transmission_time);
}

inline void put_product(ByteWriter& w, const cards::Product& p) {
  w.str(p.name);
  w.u16(p.issuer_country);
  w.boolean(p.allow_card_not_present);
  w.boolean(p.allow_cross_border);
  w.boolean(p.allow_cash);
  w.i64(p.single_authorization_limit_minor);
  w.u8(p.pin_try_limit);
  w.u16(p.atc_window);
  w.boolean(p.decline_fallback);
  w.boolean(p.require_cvv2_card_not_present);
  w.u8(static_cast<uint8_t>(p.pin_verification));
  w.u8(static_cast<uint8_t>(p.scheme));
  w.i64(p.default_floor_limit_minor);
  w.u32(static_cast<uint32_t>(p.floor_limits.size()));
  for (const auto& f : p.floor_limits) {
    w.u16(f.mcc_low);
    w.u16(f.mcc_high);
    w.u16(f.country);
    w.u8(static_cast<uint8_t>(f.channel));
    w.i64(f.floor_limit_minor);
  }
  w.u32(p.foreign_fee_bp);
  w.u32(p.uplift_max_multiplier_bp);
  w.u32(static_cast<uint32_t>(p.uplift_countries.size()));
  for (uint16_t c : p.uplift_countries) w.u16(c);
  w.u32(p.uplift_days);
  w.boolean(p.uplift_on_authorization);
  w.u32(p.dormant_days);
  w.u32(p.token_cooling_days);
}

inline bool get_floor_limits(ByteReader& r, std::vector<cards::FloorLimitRule>* out) {
  uint32_t n = 0;
  if (!r.u32(&n) || n > limits::kMaxFloorLimitRules) return false;
  out->resize(n);
  for (auto& f : *out)
    if (!r.u16(&f.mcc_low) || !r.u16(&f.mcc_high) || !r.u16(&f.country) ||
        !get_enum(r, &f.channel, cards::kUseChannelCount) || !r.i64(&f.floor_limit_minor))
      return false;
  return true;
}
inline bool get_countries(ByteReader& r, std::vector<uint16_t>* out) {
  uint32_t n = 0;
  if (!r.u32(&n) || n > limits::kMaxUpliftCountries) return false;
  out->resize(n);
  for (auto& c : *out)
    if (!r.u16(&c)) return false;
  return true;
}
inline bool get_product(ByteReader& r, cards::Product* p) {
  return r.str(&p->name, limits::kMaxProductNameBytes) && r.u16(&p->issuer_country) &&
         r.boolean(&p->allow_card_not_present) && r.boolean(&p->allow_cross_border) &&
         r.boolean(&p->allow_cash) && r.i64(&p->single_authorization_limit_minor) &&
         r.u8(&p->pin_try_limit) && r.u16(&p->atc_window) && r.boolean(&p->decline_fallback) &&
         r.boolean(&p->require_cvv2_card_not_present) &&
         get_enum(r, &p->pin_verification, cards::kPinVerificationCount) &&
         get_enum(r, &p->scheme, cards::kCardSchemeCount) && r.i64(&p->default_floor_limit_minor) &&
         get_floor_limits(r, &p->floor_limits) && r.u32(&p->foreign_fee_bp) &&
         r.u32(&p->uplift_max_multiplier_bp) && get_countries(r, &p->uplift_countries) &&
         r.u32(&p->uplift_days) && r.boolean(&p->uplift_on_authorization) && r.u32(&p->dormant_days) &&
         r.u32(&p->token_cooling_days);
}

// The facts of an unauthorised-use claim (disputes/liability.h): in OpenDispute and
// CloseCompensation commands and in each case's liability record.
inline void put_liability_claim(ByteWriter& w, const disputes::LiabilityClaim& c) {
  w.u8(static_cast<uint8_t>(c.kind));
  w.u8(static_cast<uint8_t>(c.status_at_payment));
  w.i64(c.payment_at.us);
  w.i64(c.aware_at.us);
  w.i64(c.reported_at.us);
  w.boolean(c.issuer_flagged_abnormal);
  w.boolean(c.issuer_stopped);
  w.boolean(c.issuer_kept_evidence);
  w.boolean(c.issuer_proved_cardholder_made_it);
  w.boolean(c.cardholder_leaked_credentials);
  w.boolean(c.chip_card_read_by_stripe);
}
inline bool get_liability_claim(ByteReader& r, disputes::LiabilityClaim* c) {
  return get_enum(r, &c->kind, static_cast<int>(disputes::TheftKind::lost_or_stolen_card) + 1) &&
         get_enum(r, &c->status_at_payment, static_cast<int>(disputes::CardStatus::blocked_by_issuer) + 1) &&
         r.i64(&c->payment_at.us) && r.i64(&c->aware_at.us) && r.i64(&c->reported_at.us) &&
         r.boolean(&c->issuer_flagged_abnormal) && r.boolean(&c->issuer_stopped) &&
         r.boolean(&c->issuer_kept_evidence) && r.boolean(&c->issuer_proved_cardholder_made_it) &&
         r.boolean(&c->cardholder_leaked_credentials) && r.boolean(&c->chip_card_read_by_stripe);
}

}  // namespace holdfast::engine::wire
