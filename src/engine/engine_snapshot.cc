// The engine's state as bytes: written into snapshots, read back at start-up. Everything is
// written in a fixed order (maps sorted by key) so equal states give equal bytes; tests compare
// them to prove that replay reaches the same state.
#include <algorithm>

#include "base/assert.h"
#include "base/bytes.h"
#include "base/result.h"
#include "disputes/codec.h"
#include "engine/engine.h"
#include "engine/engine_internal.h"
#include "engine/wire.h"

namespace holdfast::engine {
namespace {

using namespace wire;

constexpr uint32_t kSnapshotMagic = 0x48465353;  // "HFSS"
constexpr uint16_t kSnapshotVersion = 5;  // 2: clearing, tokens, disputes, legacy mode; 3: token ATCs; 4:
                                          // time and liability facts; 5: hold ids are sequence numbers

void put_reply(ByteWriter& w, const Reply& x) {
  w.u8(static_cast<uint8_t>(x.outcome));
  put_chars(w, x.response_code);
  put_chars(w, x.approval_code);
  w.u16(x.account_currency.code);
  w.i64(x.open_to_buy_minor);
  w.i64(x.posted_balance_minor);
  w.u64(x.entity_id);
  w.boolean(x.duplicate);
  w.boolean(x.over_limit);
}
bool get_reply(ByteReader& r, Reply* x) {
  return get_enum(r, &x->outcome, kOutcomeCount) && get_chars(r, &x->response_code) &&
         get_chars(r, &x->approval_code) && r.u16(&x->account_currency.code) &&
         r.i64(&x->open_to_buy_minor) && r.i64(&x->posted_balance_minor) && r.u64(&x->entity_id) &&
         r.boolean(&x->duplicate) && r.boolean(&x->over_limit);
}

void put_range(ByteWriter& w, const cards::CardRange& x) {
  w.u32(x.id.value);
  w.u64(x.prefix_low);
  w.u64(x.prefix_high);
  w.u8(x.prefix_length);
  put_product(w, x.product);
}
bool get_range(ByteReader& r, cards::CardRange* x) {
  return r.u32(&x->id.value) && r.u64(&x->prefix_low) && r.u64(&x->prefix_high) && r.u8(&x->prefix_length) &&
         get_product(r, &x->product);
}

void put_account(ByteWriter& w, const cards::Account& x) {
  w.u64(x.id.value);
  w.u16(x.currency.code);
  w.i64(x.credit_limit_minor);
  w.i64(x.uplift_minor);
  w.i64(x.uplift_expires_at.us);
  w.u32(x.ledger_index);
  w.i64(x.legacy_used_minor);
}
bool get_account(ByteReader& r, cards::Account* x) {
  return r.u64(&x->id.value) && r.u16(&x->currency.code) && r.i64(&x->credit_limit_minor) &&
         r.i64(&x->uplift_minor) && r.i64(&x->uplift_expires_at.us) && r.u32(&x->ledger_index) &&
         r.i64(&x->legacy_used_minor);
}

bool get_times(ByteReader& r, std::array<Timestamp, cards::Card::kOfflineItemsKept>* times) {
  for (Timestamp& t : *times)
    if (!r.i64(&t.us)) return false;
  return true;
}
bool get_amounts(ByteReader& r, std::array<int64_t, cards::Card::kOfflineItemsKept>* amounts) {
  for (int64_t& a : *amounts)
    if (!r.i64(&a)) return false;
  return true;
}

void put_card(ByteWriter& w, const cards::Card& x) {
  w.u64(x.id.value);
  w.u64(x.account.value);
  w.u32(x.range.value);
  w.bytes(x.pan_hash.bytes);
  put_chars(w, x.masked_pan.first6);
  put_chars(w, x.masked_pan.last4);
  w.u8(x.masked_pan.length);
  w.u16(x.expiry_yymm);
  w.u8(static_cast<uint8_t>(x.status));
  w.i64(x.issued_at.us);
  w.i64(x.last_used_at.us);
  w.u8(x.encrypted_pan_size);
  w.bytes(x.encrypted_pan);
  put_chars(w, x.service_code);
  put_chars(w, x.pin_verification_value);
  w.u8(x.pan_sequence_number);
  w.u8(x.pin_tries);
  w.boolean(x.has_atc);
  w.u16(x.last_atc);
  put_chars(w, x.pin_offset);
  w.u8(x.offline_item_count);
  for (const Timestamp t : x.offline_item_times) w.i64(t.us);
  for (const int64_t amount : x.offline_item_amounts) w.i64(amount);
  w.i64(x.protected_at.us);
  w.i64(x.listed_at.us);
  w.u64(x.fraud_case_id);
}
bool get_card(ByteReader& r, cards::Card* x) {
  return r.u64(&x->id.value) && r.u64(&x->account.value) && r.u32(&x->range.value) &&
         r.bytes(x->pan_hash.bytes.data(), x->pan_hash.bytes.size()) && get_chars(r, &x->masked_pan.first6) &&
         get_chars(r, &x->masked_pan.last4) && r.u8(&x->masked_pan.length) && r.u16(&x->expiry_yymm) &&
         get_enum(r, &x->status, cards::kCardStatusCount) && r.i64(&x->issued_at.us) &&
         r.i64(&x->last_used_at.us) && r.u8(&x->encrypted_pan_size) &&
         x->encrypted_pan_size <= x->encrypted_pan.size() &&
         r.bytes(x->encrypted_pan.data(), x->encrypted_pan.size()) && get_chars(r, &x->service_code) &&
         get_chars(r, &x->pin_verification_value) && r.u8(&x->pan_sequence_number) && r.u8(&x->pin_tries) &&
         r.boolean(&x->has_atc) && r.u16(&x->last_atc) && get_chars(r, &x->pin_offset) &&
         r.u8(&x->offline_item_count) && x->offline_item_count <= cards::Card::kOfflineItemsKept &&
         get_times(r, &x->offline_item_times) && get_amounts(r, &x->offline_item_amounts) &&
         r.i64(&x->protected_at.us) && r.i64(&x->listed_at.us) && r.u64(&x->fraud_case_id);
}

void put_token(ByteWriter& w, const cards::Token& x) {
  w.u64(x.id.value);
  w.u64(x.card.value);
  w.bytes(x.pan_hash.bytes);
  put_chars(w, x.masked_pan.first6);
  put_chars(w, x.masked_pan.last4);
  w.u8(x.masked_pan.length);
  w.u8(static_cast<uint8_t>(x.status));
  w.u8(x.wallet);
  w.i64(x.provisioned_at.us);
  w.i64(x.last_used_at.us);
  w.boolean(x.has_atc);
  w.u16(x.last_atc);
}
bool get_token(ByteReader& r, cards::Token* x) {
  return r.u64(&x->id.value) && r.u64(&x->card.value) &&
         r.bytes(x->pan_hash.bytes.data(), x->pan_hash.bytes.size()) && get_chars(r, &x->masked_pan.first6) &&
         get_chars(r, &x->masked_pan.last4) && r.u8(&x->masked_pan.length) &&
         get_enum(r, &x->status, cards::kTokenStatusCount) && r.u8(&x->wallet) &&
         r.i64(&x->provisioned_at.us) && r.i64(&x->last_used_at.us) && r.boolean(&x->has_atc) &&
         r.u16(&x->last_atc);
}

// A case's cardholder side (engine_disputes.cc): liability record and compensation as posted.
constexpr size_t kMaxLiabilityReasons = 16;    // assess_liability gives at most 5
constexpr size_t kMaxCompensationEntries = 6;  // one per disputes::EntryKind

void put_cardholder_side(ByteWriter& w, const DisputeRecord& d) {
  w.i64(d.provisional_minor);
  w.i64(d.cardholder_credit_minor);
  put_liability_claim(w, d.liability_claim);
  w.u8(static_cast<uint8_t>(d.liability.bears));
  w.i64(d.liability.issuer_bp);
  w.i64(d.liability.cardholder_bp);
  w.boolean(d.liability.recover_from_acquirer);
  w.u8(static_cast<uint8_t>(d.liability.reasons.size()));
  for (const auto reason : d.liability.reasons) w.u8(static_cast<uint8_t>(reason));
  w.boolean(d.compensated);
  w.i64(d.entitlement_minor);
  w.i64(d.issuer_net_loss_minor);
  w.u8(static_cast<uint8_t>(d.compensation.size()));
  for (const auto& e : d.compensation) {
    w.u8(static_cast<uint8_t>(e.kind));
    w.u64(e.case_id);
    w.u64(e.account_id);
    w.i64(e.amount.minor);
    w.u16(e.amount.currency.code);
    w.u8(static_cast<uint8_t>(e.borne_by));
    w.i64(e.at.us);
  }
}
bool get_bp(ByteReader& r, int32_t* bp) {
  int64_t v = 0;
  if (!r.i64(&v) || v < 0 || v > 10'000) return false;
  *bp = static_cast<int32_t>(v);
  return true;
}
bool get_cardholder_side(ByteReader& r, DisputeRecord* d) {
  uint8_t n = 0;
  if (!r.i64(&d->provisional_minor) || !r.i64(&d->cardholder_credit_minor) ||
      !get_liability_claim(r, &d->liability_claim) ||
      !get_enum(r, &d->liability.bears, disputes::kPartyCount) || !get_bp(r, &d->liability.issuer_bp) ||
      !get_bp(r, &d->liability.cardholder_bp) || !r.boolean(&d->liability.recover_from_acquirer) ||
      !r.u8(&n) || n > kMaxLiabilityReasons)
    return false;
  d->liability.reasons.assign(n, disputes::LiabilityReason::issuer_burden_of_proof);
  for (auto& reason : d->liability.reasons)
    if (!get_enum(r, &reason, static_cast<int>(disputes::LiabilityReason::acquirer_liable_emv_shift) + 1))
      return false;
  if (!r.boolean(&d->compensated) || !r.i64(&d->entitlement_minor) || !r.i64(&d->issuer_net_loss_minor) ||
      !r.u8(&n) || n > kMaxCompensationEntries)
    return false;
  d->compensation.assign(n, disputes::CompensationEntry{});
  for (auto& e : d->compensation)
    if (!get_enum(r, &e.kind, static_cast<int>(disputes::EntryKind::reward_points) + 1) ||
        !r.u64(&e.case_id) || !r.u64(&e.account_id) || !r.i64(&e.amount.minor) ||
        !r.u16(&e.amount.currency.code) || !get_enum(r, &e.borne_by, disputes::kPartyCount) ||
        !r.i64(&e.at.us))
      return false;
  return d->provisional_minor >= 0 && d->cardholder_credit_minor >= 0;
}

template <typename Map>
std::vector<const typename Map::mapped_type*> sorted_values(const Map& map) {
  std::vector<const typename Map::mapped_type*> out;
  out.reserve(map.size());
  for (const auto& [key, value] : map) out.push_back(&value);
  std::sort(out.begin(), out.end(), [](auto* a, auto* b) { return a->id < b->id; });
  return out;
}

}  // namespace

void Engine::serialize(std::vector<uint8_t>* out) const {
  ByteWriter w(out);
  w.u32(kSnapshotMagic);
  w.u16(kSnapshotVersion);
  write_config(w, config_);
  w.i64(now_.us);
  w.u64(counters_.commands);
  w.u64(counters_.card_messages);
  w.u64(counters_.approvals);
  w.u64(counters_.declines);
  w.u64(counters_.duplicates);
  w.u64(counters_.advices_over_limit);
  w.u64(counters_.holds_expired);
  w.u64(counters_.presentments);
  w.u64(counters_.unauthorised_items);
  w.u64(counters_.chargebacks_raised);
  w.u64(counters_.cards_protected);
  ledger_.serialize(w);
  w.u32(static_cast<uint32_t>(card_ranges_.size()));
  for (const auto& range : card_ranges_) put_range(w, range);
  w.u64(accounts_.size());
  for (const auto* account : sorted_values(accounts_)) put_account(w, *account);
  w.u64(cards_.size());
  for (const auto* card : sorted_values(cards_)) put_card(w, *card);
  std::vector<std::pair<uint16_t, uint32_t>> settlement(settlement_accounts_.begin(),
                                                        settlement_accounts_.end());
  std::sort(settlement.begin(), settlement.end());
  w.u32(static_cast<uint32_t>(settlement.size()));
  for (const auto& [currency, index] : settlement) {
    w.u16(currency);
    w.u32(index);
  }
  w.u64(next_account_id_);
  w.u64(next_card_id_);
  w.u64(approvals_issued_);
  w.u64(records_dropped_);
  w.u64(records_.size());
  for (size_t i = 0; i < records_.size(); ++i) {
    const MessageRecord& rec = records_[i];
    w.u8(rec.group);
    w.u8(static_cast<uint8_t>(rec.kind));
    put_key(w, rec.key);
    w.bytes(rec.pan_hash.bytes);
    w.i64(rec.at.us);
    put_reply(w, rec.reply);
    w.u64(rec.card_id);
    w.u64(rec.hold_id);
    w.i64(rec.transaction_amount_minor);
    w.i64(rec.account_amount_minor);
    w.i64(rec.undone_minor);
    w.boolean(rec.posted);
    w.boolean(rec.credit);
    w.boolean(rec.voided);
    w.boolean(rec.offline);
    w.u16(rec.mcc);
    w.u8(static_cast<uint8_t>(rec.channel));
    put_chars(w, rec.retrieval_reference);
    w.u64(rec.chain_head);
    w.u64(rec.chain_next);
    w.i64(rec.cleared_minor);
    w.u16(rec.presentments);
    w.u8(static_cast<uint8_t>(rec.cause));
    w.boolean(rec.engine_code);
    w.u16(rec.currency.code);
  }
  w.u32(static_cast<uint32_t>(signed_on_acquirers_.size()));
  for (uint64_t id : signed_on_acquirers_) w.u64(id);
  serialize_clearing(w);
}

Result<Ok, SnapshotError> Engine::deserialize(std::span<const uint8_t> in) {
  ByteReader r(in);
  const char* part = "header";
  if (read_state(r, &part)) return Ok{};
  return SnapshotError{SnapshotErrc::malformed,
                       std::string("malformed ") + part + " at offset " + std::to_string(r.offset())};
}

// Every count is checked against the bytes left before anything is sized by it, every
// reference (ledger index, account, card, record sequence) against what it refers to, so that
// no bytes can make the engine index out of range or break an invariant it asserts later.
bool Engine::read_state(ByteReader& r, const char** part) {
  uint32_t magic = 0;
  uint16_t version = 0;
  if (!r.u32(&magic) || magic != kSnapshotMagic || !r.u16(&version) || version != kSnapshotVersion)
    return false;
  *part = "engine settings";
  if (!read_config(r, &config_) || !r.i64(&now_.us)) return false;
  *part = "counters";
  if (!r.u64(&counters_.commands) || !r.u64(&counters_.card_messages) || !r.u64(&counters_.approvals) ||
      !r.u64(&counters_.declines) || !r.u64(&counters_.duplicates) || !r.u64(&counters_.advices_over_limit) ||
      !r.u64(&counters_.holds_expired) || !r.u64(&counters_.presentments) ||
      !r.u64(&counters_.unauthorised_items) || !r.u64(&counters_.chargebacks_raised) ||
      !r.u64(&counters_.cards_protected))
    return false;
  *part = "ledger";
  if (!ledger_.deserialize(r)) return false;
  *part = "card ranges";
  uint32_t ranges = 0;
  if (!r.u32(&ranges) || ranges > r.remaining()) return false;
  card_ranges_.assign(ranges, cards::CardRange{});
  for (auto& range : card_ranges_)
    if (!get_range(r, &range)) return false;
  *part = "accounts";
  if (!read_accounts(r)) return false;
  *part = "cards";
  if (!read_cards(r)) return false;
  *part = "settlement accounts";
  uint32_t settlements = 0;
  if (!r.u32(&settlements) || settlements > r.remaining()) return false;
  settlement_accounts_.clear();
  for (uint32_t i = 0; i < settlements; ++i) {
    uint16_t currency = 0;
    uint32_t index = 0;
    if (!r.u16(&currency) || !r.u32(&index) || index >= ledger_.account_count()) return false;
    settlement_accounts_.emplace(currency, index);
  }
  *part = "message records";
  if (!read_records(r)) return false;
  *part = "signed-on acquirers";
  uint32_t links = 0;
  if (!r.u32(&links) || links > r.remaining()) return false;
  signed_on_acquirers_.assign(links, 0);
  for (auto& id : signed_on_acquirers_)
    if (!r.u64(&id)) return false;
  // The matching aids are rebuilt, not stored: they follow from the records in order.
  approval_index_.clear();
  for (auto& [id, card] : cards_) card.last_record = card.last_approval = 0;
  for (size_t i = 0; i < records_.size(); ++i) {
    MessageRecord& rec = records_[i];
    if (auto card = cards_.find(rec.card_id); rec.card_id != 0 && card != cards_.end()) {
      rec.previous_for_card = card->second.last_record;
      card->second.last_record = rec.sequence + 1;
    }
    link_approval(rec);
    index_match_keys(rec);
  }
  return deserialize_clearing(r, part) && r.at_end();
}

bool Engine::read_accounts(ByteReader& r) {
  uint64_t count = 0;
  if (!r.u64(&count) || count > r.remaining()) return false;
  accounts_.clear();
  accounts_.reserve(count);
  for (uint64_t i = 0; i < count; ++i) {
    cards::Account a;
    if (!get_account(r, &a) || a.ledger_index >= ledger_.account_count() || accounts_.contains(a.id.value))
      return false;
    accounts_.emplace(a.id.value, a);
  }
  return true;
}

bool Engine::read_cards(ByteReader& r) {
  uint64_t count = 0;
  if (!r.u64(&count) || count > r.remaining()) return false;
  cards_.clear();
  card_by_pan_.clear();
  cards_.reserve(count);
  for (uint64_t i = 0; i < count; ++i) {
    cards::Card c;
    if (!get_card(r, &c) || !accounts_.contains(c.account.value) || cards_.contains(c.id.value) ||
        card_by_pan_.contains(c.pan_hash))
      return false;
    cards_.emplace(c.id.value, c);
    card_by_pan_.emplace(c.pan_hash, c.id.value);
  }
  return true;
}

bool Engine::read_records(ByteReader& r) {
  uint64_t count = 0;
  if (!r.u64(&next_account_id_) || !r.u64(&next_card_id_) || !r.u64(&approvals_issued_) ||
      !r.u64(&records_dropped_) || !r.u64(&count) || count > r.remaining())
    return false;
  // Sequences, and sequence + 1 (a card's last record), stay below the index's empty sentinel.
  if (records_dropped_ > UINT64_MAX - 2 - count) return false;
  const uint64_t end = records_dropped_ + count;
  records_.clear();
  record_index_.clear();
  waiting_reversals_ = 0;
  for (uint64_t i = 0; i < count; ++i) {
    MessageRecord rec;
    rec.sequence = records_dropped_ + i;
    if (!r.u8(&rec.group) || !get_enum(r, &rec.kind, kMessageKindCount) || !get_key(r, &rec.key) ||
        !r.bytes(rec.pan_hash.bytes.data(), rec.pan_hash.bytes.size()) || !r.i64(&rec.at.us) ||
        !get_reply(r, &rec.reply) || !r.u64(&rec.card_id) || !r.u64(&rec.hold_id) ||
        !r.i64(&rec.transaction_amount_minor) || !r.i64(&rec.account_amount_minor) ||
        !r.i64(&rec.undone_minor) || !r.boolean(&rec.posted) || !r.boolean(&rec.credit) ||
        !r.boolean(&rec.voided) || !r.boolean(&rec.offline) || !r.u16(&rec.mcc) ||
        !get_enum(r, &rec.channel, 2) || !get_chars(r, &rec.retrieval_reference) || !r.u64(&rec.chain_head) ||
        !r.u64(&rec.chain_next) || !r.i64(&rec.cleared_minor) || !r.u16(&rec.presentments) ||
        !get_enum(r, &rec.cause, kOutcomeCount) || !r.boolean(&rec.engine_code) || !r.u16(&rec.currency.code))
      return false;
    // Chain links name records by sequence: never one not yet written.
    if (rec.chain_head >= end || rec.chain_next >= end) return false;
    records_.push_back(rec);
    // Later records win, exactly as they did when they were first remembered.
    record_index_.put(RecordKey{rec.group, rec.key}, rec.sequence);
    if (rec.group == kGroupWaitingReversal) ++waiting_reversals_;
  }
  return true;
}

void Engine::serialize_clearing(ByteWriter& w) const {
  std::vector<std::pair<uint32_t, uint32_t>> internal(internal_accounts_.begin(), internal_accounts_.end());
  w.u32(static_cast<uint32_t>(internal.size()));
  for (const auto& [key, index] : internal) {
    w.u32(key);
    w.u32(index);
  }
  w.u64(presentments_dropped_);
  w.u64(presentments_.size());
  for (size_t i = 0; i < presentments_.size(); ++i) {
    const PresentmentRecord& p = presentments_[i];
    w.bytes(p.record_id.bytes);
    w.bytes(p.arn.bytes);
    w.i64(p.at.us);
    w.u8(static_cast<uint8_t>(p.kind));
    put_reply(w, p.reply);
    w.u64(p.card_id);
    w.u64(p.matched_sequence);
    w.boolean(p.matched);
    w.i64(p.posted_minor);
    w.i64(p.fee_minor);
    w.i64(p.unauthorised_minor);
    w.u64(p.case_id);
    w.boolean(p.reversed);
  }
  w.u64(next_token_id_);
  w.u64(tokens_.size());
  for (const auto* token : sorted_values(tokens_)) put_token(w, *token);
  w.u64(next_case_id_);
  w.u64(disputes_.size());
  for (const auto& [id, d] : disputes_) {
    disputes::encode_case(d.dispute, &w);
    w.u8(static_cast<uint8_t>(d.origin));
    w.u64(d.presentment_sequence);
    w.bytes(d.arn.bytes);
    put_chars(w, d.arn_text);
    w.i64(d.receivable_minor);
    w.i64(d.recovered_minor);
    w.i64(d.written_off_minor);
    put_cardholder_side(w, d);
  }
  w.u32(static_cast<uint32_t>(points_accounts_.size()));
  for (const auto& [account_id, index] : points_accounts_) {
    w.u64(account_id);
    w.u32(index);
  }
  w.u64(fraud_cases_.size());
  for (const auto& [id, f] : fraud_cases_) {
    w.u64(f.case_id);
    w.u64(f.card_id);
    w.i64(f.opened_at.us);
    w.u32(f.items);
    w.i64(f.amount_minor);
  }
  w.i64(legacy_refreshed_day_);
}

bool Engine::deserialize_clearing(ByteReader& r, const char** part) {
  *part = "internal accounts";
  uint32_t internal = 0;
  if (!r.u32(&internal) || internal > r.remaining()) return false;
  internal_accounts_.clear();
  for (uint32_t i = 0; i < internal; ++i) {
    uint32_t key = 0;
    uint32_t index = 0;
    if (!r.u32(&key) || !r.u32(&index) || index >= ledger_.account_count()) return false;
    internal_accounts_.emplace(key, index);
  }
  *part = "presentments";
  uint64_t count = 0;
  if (!r.u64(&presentments_dropped_) || !r.u64(&count) || count > r.remaining()) return false;
  if (presentments_dropped_ > UINT64_MAX - 1 - count) return false;  // below the index's empty sentinel
  const uint64_t records_end = records_dropped_ + records_.size();
  presentments_.clear();
  presentment_index_.clear();
  presentment_by_arn_.clear();
  for (uint64_t i = 0; i < count; ++i) {
    PresentmentRecord p;
    p.sequence = presentments_dropped_ + i;
    if (!r.bytes(p.record_id.bytes.data(), p.record_id.bytes.size()) ||
        !r.bytes(p.arn.bytes.data(), p.arn.bytes.size()) || !r.i64(&p.at.us) ||
        !get_enum(r, &p.kind, kPresentmentKindCount) || !get_reply(r, &p.reply) || !r.u64(&p.card_id) ||
        !r.u64(&p.matched_sequence) || !r.boolean(&p.matched) || !r.i64(&p.posted_minor) ||
        !r.i64(&p.fee_minor) || !r.i64(&p.unauthorised_minor) || !r.u64(&p.case_id) ||
        !r.boolean(&p.reversed))
      return false;
    if ((p.card_id != 0 && !cards_.contains(p.card_id)) || (p.matched && p.matched_sequence >= records_end))
      return false;
    push_presentment(p);
  }
  *part = "tokens";
  if (!r.u64(&next_token_id_) || !r.u64(&count) || count > r.remaining()) return false;
  tokens_.clear();
  token_by_pan_.clear();
  tokens_by_card_.clear();
  std::vector<uint64_t> token_order;
  for (uint64_t i = 0; i < count; ++i) {
    cards::Token t;
    if (!get_token(r, &t) || !cards_.contains(t.card.value) || tokens_.contains(t.id.value) ||
        token_by_pan_.contains(t.pan_hash) || card_by_pan_.contains(t.pan_hash))
      return false;
    tokens_.emplace(t.id.value, t);
    token_by_pan_.emplace(t.pan_hash, t.id.value);
    token_order.push_back(t.id.value);
  }
  // Tokens were written by id; each card's list is in provisioning (id) order.
  for (uint64_t id : token_order) tokens_by_card_[tokens_.at(id).card.value].push_back(id);
  *part = "dispute cases";
  if (!r.u64(&next_case_id_) || !r.u64(&count) || count > r.remaining()) return false;
  disputes_.clear();
  case_deadlines_.clear();
  for (uint64_t i = 0; i < count; ++i) {
    auto decoded = disputes::decode_case(&r);
    if (!decoded.ok()) return false;
    DisputeRecord d;
    d.dispute = std::move(decoded).value();
    if (!get_enum(r, &d.origin, kCaseOriginCount) || !r.u64(&d.presentment_sequence) ||
        !r.bytes(d.arn.bytes.data(), d.arn.bytes.size()) || !get_chars(r, &d.arn_text) ||
        !r.i64(&d.receivable_minor) || !r.i64(&d.recovered_minor) || !r.i64(&d.written_off_minor) ||
        !get_cardholder_side(r, &d))
      return false;
    const uint64_t id = d.dispute.case_id;
    if (disputes_.contains(id) || !accounts_.contains(d.dispute.account_id)) return false;
    if (!disputes::is_closed(d.dispute.state) && d.dispute.deadline != disputes::kNoDeadline)
      case_deadlines_.insert({d.dispute.deadline.us, id});
    disputes_.emplace(id, std::move(d));
  }
  *part = "reward points accounts";
  uint32_t points = 0;
  if (!r.u32(&points) || points > r.remaining()) return false;
  points_accounts_.clear();
  for (uint32_t i = 0; i < points; ++i) {
    uint64_t account_id = 0;
    uint32_t index = 0;
    if (!r.u64(&account_id) || !r.u32(&index) || index >= ledger_.account_count() ||
        !accounts_.contains(account_id) || !points_accounts_.emplace(account_id, index).second)
      return false;
  }
  *part = "fraud cases";
  if (!r.u64(&count) || count > r.remaining()) return false;
  fraud_cases_.clear();
  for (uint64_t i = 0; i < count; ++i) {
    FraudCase f;
    if (!r.u64(&f.case_id) || !r.u64(&f.card_id) || !r.i64(&f.opened_at.us) || !r.u32(&f.items) ||
        !r.i64(&f.amount_minor) || fraud_cases_.contains(f.case_id))
      return false;
    fraud_cases_.emplace(f.case_id, f);
  }
  *part = "legacy refresh day";
  if (!r.i64(&legacy_refreshed_day_)) return false;
  *part = "scheme rules in the engine settings";
  return load_rules();
}

}  // namespace holdfast::engine
