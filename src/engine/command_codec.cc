#include "engine/command_codec.h"

#include "base/assert.h"
#include "base/bytes.h"
#include "base/country.h"
#include "engine/limits.h"
#include "engine/wire.h"

namespace holdfast::engine {
namespace {

using namespace wire;

void put_masked(ByteWriter& w, const cards::PanHash& h, const cards::MaskedPan& m) {
  w.bytes(h.bytes);
  put_chars(w, m.first6);
  put_chars(w, m.last4);
  w.u8(m.length);
}
bool get_masked(ByteReader& r, cards::PanHash* h, cards::MaskedPan* m) {
  return r.bytes(h->bytes.data(), h->bytes.size()) && get_chars(r, &m->first6) && get_chars(r, &m->last4) &&
         r.u8(&m->length);
}

void put(ByteWriter& w, const CardMessage& m) {
  w.u8(static_cast<uint8_t>(m.kind));
  w.boolean(m.repeat);
  w.u16(m.mti);
  put_key(w, m.key);
  w.u64(m.forwarding_id);
  put_masked(w, m.pan_hash, m.masked_pan);
  w.boolean(m.has_pan);
  w.u16(m.expiry_yymm);
  w.u8(static_cast<uint8_t>(m.transaction_type));
  w.u32(m.processing_code);
  w.i64(m.amount_minor);
  w.u16(m.currency.code);
  w.i64(m.billing_amount_minor);
  w.u16(m.billing_currency.code);
  w.u16(m.mcc);
  w.u16(m.acquirer_country);
  w.u16(m.pos_entry_mode);
  w.u8(m.pos_condition);
  w.u8(static_cast<uint8_t>(m.channel));
  put_chars(w, m.terminal_id);
  put_chars(w, m.merchant_id);
  put_chars(w, m.retrieval_reference);
  put_chars(w, m.advice_response_code);
  put_chars(w, m.advice_approval_code);
  w.boolean(m.has_original);
  w.u16(m.original_mti);
  put_key(w, m.original_key);
  w.boolean(m.has_replacement_amount);
  w.i64(m.replacement_amount_minor);
  w.u8(static_cast<uint8_t>(m.network_function));
  w.u16(m.network_code);
  const SecurityResults& x = m.security;
  w.u8(static_cast<uint8_t>(x.card_verification_kind));
  w.u8(static_cast<uint8_t>(x.card_verification));
  w.u8(static_cast<uint8_t>(x.pin));
  w.u8(static_cast<uint8_t>(x.cryptogram));
  w.boolean(x.has_atc);
  w.u16(x.atc);
  w.boolean(x.chip_card);
}

bool get(ByteReader& r, SecurityResults* x) {
  return get_enum(r, &x->card_verification_kind, kCardVerificationKindCount) &&
         get_enum(r, &x->card_verification, kCheckResultCount) && get_enum(r, &x->pin, kCheckResultCount) &&
         get_enum(r, &x->cryptogram, kCheckResultCount) && r.boolean(&x->has_atc) && r.u16(&x->atc) &&
         r.boolean(&x->chip_card);
}
bool get(ByteReader& r, CardMessage* m) {
  return get_enum(r, &m->kind, kMessageKindCount) && r.boolean(&m->repeat) && r.u16(&m->mti) &&
         get_key(r, &m->key) && r.u64(&m->forwarding_id) && get_masked(r, &m->pan_hash, &m->masked_pan) &&
         r.boolean(&m->has_pan) && r.u16(&m->expiry_yymm) &&
         get_enum(r, &m->transaction_type, static_cast<int>(TransactionType::other) + 1) &&
         r.u32(&m->processing_code) && r.i64(&m->amount_minor) && r.u16(&m->currency.code) &&
         r.i64(&m->billing_amount_minor) && r.u16(&m->billing_currency.code) && r.u16(&m->mcc) &&
         r.u16(&m->acquirer_country) && r.u16(&m->pos_entry_mode) && r.u8(&m->pos_condition) &&
         get_enum(r, &m->channel, 2) && get_chars(r, &m->terminal_id) && get_chars(r, &m->merchant_id) &&
         get_chars(r, &m->retrieval_reference) && get_chars(r, &m->advice_response_code) &&
         get_chars(r, &m->advice_approval_code) && r.boolean(&m->has_original) && r.u16(&m->original_mti) &&
         get_key(r, &m->original_key) && r.boolean(&m->has_replacement_amount) &&
         r.i64(&m->replacement_amount_minor) &&
         get_enum(r, &m->network_function, static_cast<int>(NetworkFunction::other) + 1) &&
         r.u16(&m->network_code) && get(r, &m->security);
}

void put(ByteWriter& w, const CreateCardRange& c) {
  const auto& x = c.range;
  w.u64(x.prefix_low);
  w.u64(x.prefix_high);
  w.u8(x.prefix_length);
  put_product(w, x.product);
}
bool get(ByteReader& r, CreateCardRange* c) {
  auto& x = c->range;
  return r.u64(&x.prefix_low) && r.u64(&x.prefix_high) && r.u8(&x.prefix_length) &&
         get_product(r, &x.product);
}
void put(ByteWriter& w, const OpenAccount& c) {
  w.u16(c.currency.code);
  w.i64(c.credit_limit_minor);
  w.u64(c.requested_id);
}
bool get(ByteReader& r, OpenAccount* c) {
  return r.u16(&c->currency.code) && r.i64(&c->credit_limit_minor) && r.u64(&c->requested_id);
}
void put(ByteWriter& w, const IssueCard& c) {
  w.u64(c.requested_id);
  w.u64(c.account_id);
  put_masked(w, c.pan_hash, c.masked_pan);
  w.u64(c.prefix);
  w.u8(c.prefix_length);
  w.u16(c.expiry_yymm);
  w.u8(c.encrypted_pan.size);
  w.bytes(c.encrypted_pan.bytes);
  put_chars(w, c.service_code);
  put_chars(w, c.pin_verification_value);
  w.u8(c.pan_sequence_number);
  put_chars(w, c.pin_offset);
}
bool get(ByteReader& r, IssueCard* c) {
  return r.u64(&c->requested_id) && r.u64(&c->account_id) && get_masked(r, &c->pan_hash, &c->masked_pan) &&
         r.u64(&c->prefix) && r.u8(&c->prefix_length) && r.u16(&c->expiry_yymm) &&
         r.u8(&c->encrypted_pan.size) && c->encrypted_pan.size <= c->encrypted_pan.bytes.size() &&
         r.bytes(c->encrypted_pan.bytes.data(), c->encrypted_pan.bytes.size()) &&
         get_chars(r, &c->service_code) && get_chars(r, &c->pin_verification_value) &&
         r.u8(&c->pan_sequence_number) && get_chars(r, &c->pin_offset);
}
void put(ByteWriter& w, const Configure& c) { write_config(w, c.config); }
bool get(ByteReader& r, Configure* c) { return read_config(r, &c->config); }
void put(ByteWriter& w, const ResetPinTries& c) { w.u64(c.card_id); }
bool get(ByteReader& r, ResetPinTries* c) { return r.u64(&c->card_id); }
void put(ByteWriter& w, const SetCardStatus& c) {
  w.u64(c.card_id);
  w.u8(static_cast<uint8_t>(c.status));
}
bool get(ByteReader& r, SetCardStatus* c) {
  return r.u64(&c->card_id) && get_enum(r, &c->status, cards::kCardStatusCount);
}
void put(ByteWriter& w, const SetCreditLimit& c) {
  w.u64(c.account_id);
  w.i64(c.credit_limit_minor);
}
bool get(ByteReader& r, SetCreditLimit* c) { return r.u64(&c->account_id) && r.i64(&c->credit_limit_minor); }
void put(ByteWriter& w, const SetUplift& c) {
  w.u64(c.account_id);
  w.i64(c.uplift_minor);
  w.i64(c.expires_at.us);
}
bool get(ByteReader& r, SetUplift* c) {
  return r.u64(&c->account_id) && r.i64(&c->uplift_minor) && r.i64(&c->expires_at.us);
}
void put(ByteWriter& w, const Presentment& p) {
  w.u8(static_cast<uint8_t>(p.kind));
  w.u16(p.function_code);
  w.boolean(p.partial);
  w.bytes(p.record_id.bytes);
  w.bytes(p.arn.bytes);
  put_chars(w, p.arn_text);
  put_masked(w, p.pan_hash, p.masked_pan);
  w.i64(p.amount_minor);
  w.u16(p.currency.code);
  w.i64(p.billing_amount_minor);
  w.u16(p.billing_currency.code);
  put_chars(w, p.approval_code);
  put_chars(w, p.retrieval_reference);
  w.u16(p.mcc);
  w.u16(p.acquirer_country);
  w.u8(static_cast<uint8_t>(p.channel));
  w.i64(p.transaction_time.us);
  w.u16(static_cast<uint16_t>(p.utc_offset_min_minutes));
  w.u16(static_cast<uint16_t>(p.utc_offset_max_minutes));
  w.u16(p.reason_code);
}
// A UTC offset range no country has is malformed (kWorldUtcOffsets bounds every one).
bool get_offsets(ByteReader& r, Presentment* p) {
  uint16_t low = 0;
  uint16_t high = 0;
  if (!r.u16(&low) || !r.u16(&high)) return false;
  p->utc_offset_min_minutes = static_cast<int16_t>(low);
  p->utc_offset_max_minutes = static_cast<int16_t>(high);
  return p->utc_offset_min_minutes >= kWorldUtcOffsets.min_minutes &&
         p->utc_offset_min_minutes <= p->utc_offset_max_minutes &&
         p->utc_offset_max_minutes <= kWorldUtcOffsets.max_minutes;
}
bool get(ByteReader& r, Presentment* p) {
  return get_enum(r, &p->kind, kPresentmentKindCount) && r.u16(&p->function_code) && r.boolean(&p->partial) &&
         r.bytes(p->record_id.bytes.data(), p->record_id.bytes.size()) &&
         r.bytes(p->arn.bytes.data(), p->arn.bytes.size()) && get_chars(r, &p->arn_text) &&
         get_masked(r, &p->pan_hash, &p->masked_pan) && r.i64(&p->amount_minor) && r.u16(&p->currency.code) &&
         r.i64(&p->billing_amount_minor) && r.u16(&p->billing_currency.code) &&
         get_chars(r, &p->approval_code) && get_chars(r, &p->retrieval_reference) && r.u16(&p->mcc) &&
         r.u16(&p->acquirer_country) && get_enum(r, &p->channel, cards::kUseChannelCount) &&
         r.i64(&p->transaction_time.us) && get_offsets(r, p) && r.u16(&p->reason_code);
}
void put(ByteWriter& w, const ProvisionToken& c) {
  w.u64(c.requested_id);
  w.u64(c.card_id);
  put_masked(w, c.pan_hash, c.masked_pan);
  w.u8(c.wallet);
}
bool get(ByteReader& r, ProvisionToken* c) {
  return r.u64(&c->requested_id) && r.u64(&c->card_id) && get_masked(r, &c->pan_hash, &c->masked_pan) &&
         r.u8(&c->wallet);
}
void put(ByteWriter& w, const SetTokenStatus& c) {
  w.u64(c.token_id);
  w.u8(static_cast<uint8_t>(c.status));
}
bool get(ByteReader& r, SetTokenStatus* c) {
  return r.u64(&c->token_id) && get_enum(r, &c->status, cards::kTokenStatusCount);
}
void put(ByteWriter& w, const RequestUplift& c) {
  w.u64(c.card_id);
  w.u64(c.token_id);
  w.u16(c.country);
  w.u32(c.multiplier_bp);
  w.u8(static_cast<uint8_t>(c.channel));
  w.boolean(c.fallback);
}
bool get(ByteReader& r, RequestUplift* c) {
  return r.u64(&c->card_id) && r.u64(&c->token_id) && r.u16(&c->country) && r.u32(&c->multiplier_bp) &&
         get_enum(r, &c->channel, cards::kUseChannelCount) && r.boolean(&c->fallback);
}
void put(ByteWriter& w, const OpenDispute& c) {
  w.u64(c.requested_case_id);
  w.bytes(c.presentment.bytes);
  w.boolean(c.by_arn);
  w.str(c.reason_code);
  w.i64(c.amount_minor);
  w.i64(c.transaction_at.us);
  put_liability_claim(w, c.liability);
}
bool get(ByteReader& r, OpenDispute* c) {
  return r.u64(&c->requested_case_id) && r.bytes(c->presentment.bytes.data(), c->presentment.bytes.size()) &&
         r.boolean(&c->by_arn) && r.str(&c->reason_code, disputes::kMaxReasonCodeBytes) &&
         r.i64(&c->amount_minor) && r.i64(&c->transaction_at.us) && get_liability_claim(r, &c->liability);
}
// A lifecycle step: its index in disputes::Command, then the fields the step carries.
void put(ByteWriter& w, const DisputeAction& c) {
  w.u64(c.case_id);
  w.u8(static_cast<uint8_t>(c.step.index()));
  if (const auto* g = std::get_if<disputes::GrantProvisionalCredit>(&c.step)) w.i64(g->amount_minor);
  if (const auto* f = std::get_if<disputes::FileChargeback>(&c.step)) {
    w.i64(f->amount_minor);
    w.str(f->reason_code);
  }
  if (const auto* e = std::get_if<disputes::AttachEvidence>(&c.step)) {
    w.u8(static_cast<uint8_t>(e->kind));
    w.u8(static_cast<uint8_t>(e->from));
    w.str(e->description);
  }
  if (const auto* ruling = std::get_if<disputes::RecordArbitrationRuling>(&c.step))
    w.boolean(ruling->issuer_won);
}
template <size_t I = 0>
bool set_step(uint8_t index, disputes::Command* step) {
  if constexpr (I < std::variant_size_v<disputes::Command>) {
    if (index == I) {
      step->emplace<I>();
      return true;
    }
    return set_step<I + 1>(index, step);
  } else {
    return false;
  }
}
bool get(ByteReader& r, DisputeAction* c) {
  uint8_t index = 0;
  if (!r.u64(&c->case_id) || !r.u8(&index) || !set_step(index, &c->step)) return false;
  if (auto* g = std::get_if<disputes::GrantProvisionalCredit>(&c->step)) return r.i64(&g->amount_minor);
  if (auto* f = std::get_if<disputes::FileChargeback>(&c->step))
    return r.i64(&f->amount_minor) && r.str(&f->reason_code, disputes::kMaxReasonCodeBytes);
  if (auto* e = std::get_if<disputes::AttachEvidence>(&c->step))
    return get_enum(r, &e->kind, disputes::kEvidenceKindCount) &&
           get_enum(r, &e->from, disputes::kPartyCount) &&
           r.str(&e->description, disputes::kMaxDescriptionBytes);
  if (auto* ruling = std::get_if<disputes::RecordArbitrationRuling>(&c->step))
    return r.boolean(&ruling->issuer_won);
  return true;
}
void put(ByteWriter& w, const CloseCompensation& c) {
  w.u64(c.case_id);
  w.i64(c.fee_waiver_minor);
  w.i64(c.reward_points);
  w.boolean(c.reassess);
  put_liability_claim(w, c.liability);
}
bool get(ByteReader& r, CloseCompensation* c) {
  return r.u64(&c->case_id) && r.i64(&c->fee_waiver_minor) && r.i64(&c->reward_points) &&
         r.boolean(&c->reassess) && get_liability_claim(r, &c->liability);
}
void put(ByteWriter&, const Tick&) {}
bool get(ByteReader&, Tick*) { return true; }

template <size_t I = 0>
bool decode_body(uint8_t tag, ByteReader& r, CommandBody* body) {
  if constexpr (I < std::variant_size_v<CommandBody>) {
    if (tag == I) {
      std::variant_alternative_t<I, CommandBody> value{};
      if (!get(r, &value)) return false;
      *body = std::move(value);
      return true;
    }
    return decode_body<I + 1>(tag, r, body);
  } else {
    return false;
  }
}

std::optional<LimitViolation> too_long(const char* field, size_t size, size_t max, const char* unit) {
  if (size <= max) return std::nullopt;
  return LimitViolation{
      field, "must be at most " + std::to_string(max) + " " + unit + " (has " + std::to_string(size) + ")"};
}

std::optional<LimitViolation> product_violation(const cards::Product& p) {
  if (auto v = too_long("product.name", p.name.size(), limits::kMaxProductNameBytes, "bytes")) return v;
  if (auto v = too_long("product.floor_limits", p.floor_limits.size(), limits::kMaxFloorLimitRules, "rules"))
    return v;
  return too_long("product.uplift_countries", p.uplift_countries.size(), limits::kMaxUpliftCountries,
                  "countries");
}

std::optional<LimitViolation> step_violation(const disputes::Command& step) {
  if (const auto* f = std::get_if<disputes::FileChargeback>(&step))
    return too_long("reason_code", f->reason_code.size(), limits::kMaxReasonCodeBytes, "bytes");
  if (const auto* e = std::get_if<disputes::AttachEvidence>(&step))
    return too_long("description", e->description.size(), limits::kMaxEvidenceDescriptionBytes, "bytes");
  return std::nullopt;
}

}  // namespace

std::optional<LimitViolation> find_limit_violation(const EngineConfig& c) {
  if (auto v = too_long("engine.mcc_hold_rules", c.mcc_hold_rules.size(), limits::kMaxMccHoldRules, "rules"))
    return v;
  if (auto v = too_long("engine.clearing_tolerance_rules", c.clearing_tolerance_rules.size(),
                        limits::kMaxClearingToleranceRules, "rules"))
    return v;
  return too_long("engine.scheme_rules_file", c.scheme_rules_json.size(), limits::kMaxSchemeRulesBytes,
                  "bytes");
}

std::optional<LimitViolation> find_limit_violation(const CommandBody& body) {
  if (const auto* c = std::get_if<CreateCardRange>(&body)) return product_violation(c->range.product);
  if (const auto* c = std::get_if<Configure>(&body)) return find_limit_violation(c->config);
  if (const auto* c = std::get_if<OpenDispute>(&body))
    return too_long("reason_code", c->reason_code.size(), limits::kMaxReasonCodeBytes, "bytes");
  if (const auto* c = std::get_if<DisputeAction>(&body)) return step_violation(c->step);
  return std::nullopt;  // fixed-size commands
}

void encode_command(const Command& command, std::vector<uint8_t>* out) {
  HF_REQUIRE(!find_limit_violation(command.body));
  ByteWriter w(out);
  w.u8(kCommandFormatVersion);
  w.i64(command.time.us);
  w.u8(static_cast<uint8_t>(command.body.index()));
  std::visit([&](const auto& body) { put(w, body); }, command.body);
}

Result<Command, CommandCodecError> decode_command(std::span<const uint8_t> bytes) {
  ByteReader r(bytes);
  uint8_t version = 0;
  if (!r.u8(&version)) return CommandCodecError{CommandCodecErrc::truncated, "empty command"};
  if (version != kCommandFormatVersion)
    return CommandCodecError{CommandCodecErrc::bad_version,
                             "unknown command format version " + std::to_string(version)};
  Command command;
  uint8_t tag = 0;
  if (!r.i64(&command.time.us) || !r.u8(&tag))
    return CommandCodecError{CommandCodecErrc::truncated,
                             "command header truncated at offset " + std::to_string(r.offset())};
  if (tag >= std::variant_size_v<CommandBody>)
    return CommandCodecError{CommandCodecErrc::bad_tag, "unknown command tag " + std::to_string(tag)};
  if (!decode_body(tag, r, &command.body))
    return CommandCodecError{
        CommandCodecErrc::bad_value,
        "command tag " + std::to_string(tag) + " malformed at offset " + std::to_string(r.offset())};
  if (!r.at_end())
    return CommandCodecError{CommandCodecErrc::trailing_bytes,
                             std::to_string(r.remaining()) + " trailing bytes after command at offset " +
                                 std::to_string(r.offset())};
  return command;
}

}  // namespace holdfast::engine
