// Administrative commands (the portfolio and its settings) and the timer pulse.
#include <algorithm>

#include "base/assert.h"
#include "engine/engine.h"
#include "engine/engine_internal.h"

namespace holdfast::engine {
namespace {

Reply admin_reply(Outcome outcome, uint64_t entity_id) {
  Reply r;
  r.outcome = outcome;
  r.response_code = response_code(outcome);
  r.entity_id = entity_id;
  return r;
}

bool valid_expiry(uint16_t yymm) { return yymm % 100 >= 1 && yymm % 100 <= 12; }

// The statuses by which the issuer lists a card (RULES.md section 3: a zero floor from then on).
bool listing(cards::CardStatus s) {
  return s == cards::CardStatus::blocked || s == cards::CardStatus::lost || s == cards::CardStatus::stolen;
}

}  // namespace

Reply Engine::create_card_range(const CreateCardRange& c, std::vector<Event>* events) {
  cards::CardRange range = c.range;
  if (range.prefix_length < 1 || range.prefix_length > 11 || range.prefix_low > range.prefix_high ||
      range.product.single_authorization_limit_minor < 0 || range.product.issuer_country > 999)
    return admin_reply(Outcome::admin_invalid, 0);
  range.id = cards::CardRangeId{static_cast<uint32_t>(card_ranges_.size() + 1)};
  card_ranges_.push_back(range);
  events->push_back({EventKind::card_range_created, 0, 0, 0, 0});
  return admin_reply(Outcome::admin_done, range.id.value);
}

Reply Engine::open_account(const OpenAccount& c, std::vector<Event>* events) {
  if (c.credit_limit_minor < 0 || !currency_exponent(c.currency).has_value())
    return admin_reply(Outcome::admin_invalid, 0);
  const uint64_t id = c.requested_id != 0 ? c.requested_id : next_account_id_;
  if (accounts_.contains(id)) return admin_reply(Outcome::admin_duplicate_id, id);
  next_account_id_ = std::max(next_account_id_, id + 1);
  cards::Account account;
  account.id = cards::AccountId{id};
  account.currency = c.currency;
  account.credit_limit_minor = c.credit_limit_minor;
  account.ledger_index = ledger_.open_account(ledger::AccountKind::cardholder, c.currency);
  accounts_.emplace(id, account);
  events->push_back({EventKind::account_opened, 0, id, 0, c.credit_limit_minor});
  Reply r = account_reply(Outcome::admin_done, &accounts_.at(id));
  r.entity_id = id;
  return r;
}

Reply Engine::issue_card(const IssueCard& c, std::vector<Event>* events) {
  if (!accounts_.contains(c.account_id)) return admin_reply(Outcome::admin_unknown_account, 0);
  if (!valid_expiry(c.expiry_yymm)) return admin_reply(Outcome::admin_invalid, 0);
  if (card_by_pan_.contains(c.pan_hash) || token_by_pan_.contains(c.pan_hash))
    return admin_reply(Outcome::admin_duplicate_card, 0);
  const uint64_t id = c.requested_id != 0 ? c.requested_id : next_card_id_;
  if (cards_.contains(id)) return admin_reply(Outcome::admin_duplicate_id, id);
  // The first range whose prefix covers the card's leading digits.
  const cards::CardRange* range = nullptr;
  for (const auto& r : card_ranges_) {
    if (c.prefix_length < r.prefix_length) continue;
    uint64_t prefix = c.prefix;
    for (int i = c.prefix_length; i > r.prefix_length; --i) prefix /= 10;
    if (prefix >= r.prefix_low && prefix <= r.prefix_high) {
      range = &r;
      break;
    }
  }
  if (range == nullptr) return admin_reply(Outcome::admin_no_card_range, 0);
  next_card_id_ = std::max(next_card_id_, id + 1);
  cards::Card card;
  card.id = cards::CardId{id};
  card.account = cards::AccountId{c.account_id};
  card.range = range->id;
  card.pan_hash = c.pan_hash;
  card.masked_pan = c.masked_pan;
  card.expiry_yymm = c.expiry_yymm;
  card.issued_at = now_;
  card.encrypted_pan = c.encrypted_pan.bytes;
  card.encrypted_pan_size = c.encrypted_pan.size;
  card.service_code = c.service_code;
  card.pin_verification_value = c.pin_verification_value;
  card.pan_sequence_number = c.pan_sequence_number;
  card.pin_offset = c.pin_offset;
  cards_.emplace(id, card);
  card_by_pan_.emplace(c.pan_hash, id);
  events->push_back({EventKind::card_issued, id, c.account_id, 0, 0});
  return admin_reply(Outcome::admin_done, id);
}

Reply Engine::set_card_status(const SetCardStatus& c, std::vector<Event>* events) {
  auto it = cards_.find(c.card_id);
  if (it == cards_.end()) return admin_reply(Outcome::admin_unknown_card, c.card_id);
  cards::Card& card = it->second;
  if (!listing(c.status))
    card.listed_at = Timestamp{};
  else if (!listing(card.status) || card.listed_at.us == 0)
    card.listed_at = now_;
  card.status = c.status;
  events->push_back({EventKind::card_status_changed, c.card_id, it->second.account.value, 0,
                     static_cast<int64_t>(c.status)});
  return admin_reply(Outcome::admin_done, c.card_id);
}

Reply Engine::reset_pin_tries(const ResetPinTries& c, std::vector<Event>* events) {
  auto it = cards_.find(c.card_id);
  if (it == cards_.end()) return admin_reply(Outcome::admin_unknown_card, c.card_id);
  it->second.pin_tries = 0;
  events->push_back({EventKind::card_status_changed, c.card_id, it->second.account.value, 0,
                     static_cast<int64_t>(it->second.status)});
  return admin_reply(Outcome::admin_done, c.card_id);
}

Reply Engine::set_credit_limit(const SetCreditLimit& c, std::vector<Event>* events) {
  cards::Account* account = account_by_id(c.account_id);
  if (account == nullptr) return admin_reply(Outcome::admin_unknown_account, c.account_id);
  if (c.credit_limit_minor < 0) return admin_reply(Outcome::admin_invalid, c.account_id);
  account->credit_limit_minor = c.credit_limit_minor;
  events->push_back({EventKind::account_changed, 0, c.account_id, 0, c.credit_limit_minor});
  Reply r = account_reply(Outcome::admin_done, account);
  r.entity_id = c.account_id;
  return r;
}

Reply Engine::set_uplift(const SetUplift& c, std::vector<Event>* events) {
  cards::Account* account = account_by_id(c.account_id);
  if (account == nullptr) return admin_reply(Outcome::admin_unknown_account, c.account_id);
  if (c.uplift_minor < 0) return admin_reply(Outcome::admin_invalid, c.account_id);
  account->uplift_minor = c.uplift_minor;
  account->uplift_expires_at = c.expires_at;
  events->push_back({EventKind::account_changed, 0, c.account_id, 0, c.uplift_minor});
  Reply r = account_reply(Outcome::admin_done, account);
  r.entity_id = c.account_id;
  return r;
}

Reply Engine::configure(const Configure& c, std::vector<Event>*) {
  if (c.config.default_hold_days == 0 || c.config.max_message_records == 0 ||
      c.config.max_expiries_per_tick == 0)
    return admin_reply(Outcome::admin_invalid, 0);
  const EngineConfig previous = config_;
  config_ = c.config;
  if (!load_rules()) {  // unusable scheme rules: keep the settings in force
    config_ = previous;
    HF_ASSERT(load_rules());
    return admin_reply(Outcome::admin_invalid, 0);
  }
  prune_records();  // a smaller bound applies at once
  return admin_reply(Outcome::admin_done, 0);
}

std::optional<Timestamp> Engine::next_timer_due() const {
  std::optional<Timestamp> due = ledger_.next_expiry();
  if (!records_.empty()) {
    const int64_t retention_s = static_cast<int64_t>(config_.message_record_retention_days) * kSecondsPerDay;
    // The oldest record is forgotten once strictly past retention (prune_records).
    const Timestamp forget = add_seconds_saturating(records_.front().at, retention_s);
    const Timestamp after{forget.us == INT64_MAX ? forget.us : forget.us + 1};
    if (!due || after < *due) due = after;
  }
  if (!presentments_.empty()) {
    const int64_t retention_s = static_cast<int64_t>(config_.clearing_record_retention_days) * kSecondsPerDay;
    const Timestamp forget = add_seconds_saturating(presentments_.front().at, retention_s);
    const Timestamp after{forget.us == INT64_MAX ? forget.us : forget.us + 1};
    if (!due || after < *due) due = after;
  }
  if (!case_deadlines_.empty()) {
    // The lifecycle acts on a case strictly after its deadline.
    const Timestamp after{case_deadlines_.begin()->first + 1};
    if (!due || after < *due) due = after;
  }
  return due;
}

Reply Engine::tick(std::vector<Event>* events) {
  std::vector<std::pair<ledger::HoldId, int64_t>> expired;
  ledger_.expire_due(now_, config_.max_expiries_per_tick, &expired);
  for (const auto& [hold_id, amount] : expired) {
    events->push_back({EventKind::hold_expired, 0, 0, hold_id.value, amount});
    ++counters_.holds_expired;
  }
  prune_records();
  prune_presentments();
  tick_cases(events);
  return admin_reply(Outcome::admin_done, expired.size());
}

// Forgets the oldest message records: past retention, or beyond the record bound.
void Engine::prune_records() {
  const int64_t retention_s = static_cast<int64_t>(config_.message_record_retention_days) * kSecondsPerDay;
  while (!records_.empty() && (records_.size() > config_.max_message_records ||
                               add_seconds_saturating(records_.front().at, retention_s) < now_)) {
    const MessageRecord& oldest = records_.front();
    const RecordKey key{oldest.group, oldest.key};
    const uint64_t* sequence = record_index_.find(key);
    if (sequence != nullptr && *sequence == oldest.sequence) record_index_.erase(key);
    if (oldest.group == kGroupWaitingReversal) --waiting_reversals_;
    records_.pop_front();
    ++records_dropped_;
  }
}

}  // namespace holdfast::engine
