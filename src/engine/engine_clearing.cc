// Clearing and offline exposure: presentments matched to their authorisations and posted,
// unauthorised offline items force-posted and flagged, floor-limit and late-presentment
// chargebacks filed with their receivables, and burst protection. All of it moves open-to-buy
// at once (E1): there is no batch behind any of this.
#include <algorithm>

#include "base/assert.h"
#include "engine/engine.h"
#include "engine/engine_internal.h"

namespace holdfast::engine {
namespace {

template <size_t N>
bool blank(const std::array<char, N>& a) {
  return std::all_of(a.begin(), a.end(), [](char c) { return c == '\0' || c == ' '; });
}

int64_t saturating_add(int64_t a, int64_t b) {
  int64_t sum = 0;
  if (!__builtin_add_overflow(a, b, &sum)) return sum;
  return b > 0 ? INT64_MAX : INT64_MIN;
}

int64_t basis_points(int64_t amount, uint32_t bp) {
  return static_cast<int64_t>(static_cast<Wide>(amount) * bp / 10'000);
}

disputes::Scheme dispute_scheme(cards::CardScheme s) {
  switch (s) {
    case cards::CardScheme::visa: return disputes::Scheme::visa;
    case cards::CardScheme::mastercard: return disputes::Scheme::mastercard;
    case cards::CardScheme::unionpay: return disputes::Scheme::unionpay;
  }
  return disputes::Scheme::visa;
}

}  // namespace

size_t Engine::DigestHash::operator()(const Digest16& d) const noexcept {
  // A digest's low bits are as easy to collide as any other key's when the table is small:
  // keyed like the message index.
  return static_cast<size_t>(siphash24(seed, d.bytes.data(), d.bytes.size()));
}

// ---- Matching: approval codes holdfast issued, and each card's recent approvals ------------

// The number of an approval code holdfast issued ("000001".."999999"), 0 if not all digits.
template <size_t N>
uint32_t approval_number(const std::array<char, N>& code) {
  uint32_t v = 0;
  for (char c : code) {
    if (c < '0' || c > '9') return 0;
    v = v * 10 + static_cast<uint32_t>(c - '0');
  }
  return v;
}

bool Engine::blank_chars(const std::array<char, 12>& a) { return blank(a); }

bool Engine::has_hold_rule(uint16_t mcc) const {
  for (const auto& rule : config_.mcc_hold_rules)
    if (mcc >= rule.mcc_low && mcc <= rule.mcc_high) return true;
  return false;
}

// Approvals holdfast issued go into the code table (appended in code order on the
// authorisation path); everything else is found through the card's own history.
void Engine::index_match_keys(MessageRecord& r) {
  if (r.card_id == 0 || !r.engine_code || (r.hold_id == 0 && !r.posted) || r.credit ||
      !is_approval(r.reply.outcome))
    return;
  const uint32_t n = approval_number(r.reply.approval_code);
  if (n == 0) return;
  if (approval_index_.size() <= n) approval_index_.resize(n + 1, 0);
  approval_index_[n] = r.sequence + 1;
}

void Engine::link_approval(MessageRecord& r) {
  if (r.card_id == 0 || r.credit || !is_approval(r.reply.outcome) || (r.hold_id == 0 && !r.posted)) return;
  auto card = cards_.find(r.card_id);
  if (card == cards_.end()) return;
  r.previous_approval_for_card = card->second.last_approval;
  card->second.last_approval = r.sequence + 1;
}

// Walks the card's records from `from` (sequence + 1) back along `previous` (every record, or
// only money-moving approvals), at most `limit` of them: the latest approval that moved money
// with approval code `code`, else the oldest with retrieval reference `rrn` (the head of its
// chain). Either may be null.
Engine::MessageRecord* Engine::find_in_card_history(const cards::Card& card, uint64_t from,
                                                    uint64_t MessageRecord::*previous,
                                                    const std::array<char, 6>* code,
                                                    const std::array<char, 12>* rrn, size_t limit) {
  MessageRecord* by_rrn = nullptr;
  for (uint64_t s = from; s != 0 && s - 1 >= records_dropped_ && limit > 0; --limit) {
    MessageRecord& r = records_[static_cast<size_t>(s - 1 - records_dropped_)];
    ++counters_.presentment_match_steps;
    s = r.*previous;
    if (r.card_id != card.id.value || r.voided || !is_approval(r.reply.outcome) || r.credit ||
        (r.hold_id == 0 && !r.posted))
      continue;
    if (code != nullptr && r.reply.approval_code == *code) return &r;
    if (rrn != nullptr && r.retrieval_reference == *rrn) by_rrn = &r;
  }
  return by_rrn;
}

Engine::MessageRecord* Engine::record_at(uint64_t sequence_plus_one, const cards::Card& card) {
  if (sequence_plus_one == 0 || sequence_plus_one - 1 < records_dropped_) return nullptr;
  MessageRecord& r = records_[static_cast<size_t>(sequence_plus_one - 1 - records_dropped_)];
  if (r.card_id != card.id.value || r.voided || !is_approval(r.reply.outcome)) return nullptr;
  return &r;
}

// The card's money-moving approvals, newest first, at most kPresentmentLookback of them.
Engine::MessageRecord* Engine::find_by_amount(const cards::Card& card, int64_t amount, Currency currency) {
  MessageRecord* found = nullptr;
  size_t limit = kPresentmentLookback;
  for (uint64_t s = card.last_approval; s != 0 && s - 1 >= records_dropped_ && limit > 0; --limit) {
    MessageRecord& r = records_[static_cast<size_t>(s - 1 - records_dropped_)];
    ++counters_.presentment_match_steps;
    s = r.previous_approval_for_card;
    if (r.card_id != card.id.value || r.voided || !is_approval(r.reply.outcome) || r.hold_id == 0 ||
        r.cleared_minor != 0 || r.transaction_amount_minor != amount || r.currency != currency)
      continue;
    const ledger::Hold* hold = ledger_.find_hold(ledger::HoldId{r.hold_id});
    if (hold != nullptr && hold->remaining_minor > 0) found = &r;
  }
  return found;
}

Engine::MessageRecord* Engine::completed_authorisation(const CardMessage& m, const cards::Card& card) {
  const uint32_t n = approval_number(m.advice_approval_code);
  if (n == 0 || n >= approval_index_.size()) return nullptr;
  MessageRecord* r = record_at(approval_index_[n], card);
  if (r == nullptr || !r->engine_code || r->reply.approval_code != m.advice_approval_code ||
      r->kind != MessageKind::authorization_request || r->hold_id == 0)
    return nullptr;
  return r;
}

Engine::MessageRecord* Engine::match_authorisation(const Presentment& p, const cards::Card& card) {
  MessageRecord* found = nullptr;
  if (const uint32_t n = approval_number(p.approval_code); n != 0 && n < approval_index_.size()) {
    found = record_at(approval_index_[n], card);
    if (found != nullptr && (!found->engine_code || found->reply.approval_code != p.approval_code))
      found = nullptr;
  }
  // The card's own money-moving approvals: the terminal's approval code (offline advices),
  // then the retrieval reference. Declines are not in that chain, and the walk is bounded: a
  // card flooded with requests cannot stall the engine thread behind one presentment.
  if (found == nullptr && (!blank(p.approval_code) || !blank(p.retrieval_reference)))
    found = find_in_card_history(card, card.last_approval, &MessageRecord::previous_approval_for_card,
                                 blank(p.approval_code) ? nullptr : &p.approval_code,
                                 blank(p.retrieval_reference) ? nullptr : &p.retrieval_reference,
                                 kPresentmentLookback);
  // Neither code nor reference: the card and the amount, the oldest approval not yet cleared
  // whose hold is still the amount presented (DE 4 in the authorisation's currency).
  if (found == nullptr && blank(p.approval_code) && blank(p.retrieval_reference))
    found = find_by_amount(card, p.amount_minor, p.currency);
  if (found == nullptr) return nullptr;
  // Presentments clear the whole chain of incremental authorisations from its head.
  if (found->chain_head != found->sequence && found->chain_head >= records_dropped_)
    found = &records_[static_cast<size_t>(found->chain_head - records_dropped_)];
  return found;
}

uint32_t Engine::tolerance_bp(const MessageRecord& auth, bool foreign_currency) const {
  uint32_t bp = config_.default_tolerance_bp;
  for (const auto& rule : config_.clearing_tolerance_rules) {
    if (auth.mcc >= rule.mcc_low && auth.mcc <= rule.mcc_high) {
      bp = auth.channel == Channel::card_not_present ? rule.card_not_present_bp : rule.card_present_bp;
      break;
    }
  }
  return foreign_currency ? bp + config_.currency_drift_bp : bp;
}

int64_t Engine::floor_limit(const cards::Card& card, uint16_t mcc, uint16_t acquirer_country,
                            cards::UseChannel channel) const {
  const cards::CardRange* range = find_card_range(card.range);
  HF_ASSERT(range != nullptr);
  for (const auto& rule : range->product.floor_limits) {
    if (mcc < rule.mcc_low || mcc > rule.mcc_high) continue;
    if (rule.country != 0 && rule.country != acquirer_country) continue;
    if (rule.channel != cards::UseChannel::any && rule.channel != channel) continue;
    return rule.floor_limit_minor;
  }
  return range->product.default_floor_limit_minor;
}

cards::Card* Engine::card_or_token(const cards::PanHash& pan_hash, cards::Token** token) {
  *token = nullptr;
  if (cards::Card* card = card_by_pan(pan_hash)) return card;
  auto t = token_by_pan_.find(pan_hash);
  if (t == token_by_pan_.end()) return nullptr;
  cards::Token& found = tokens_.at(t->second);
  *token = &found;
  auto c = cards_.find(found.card.value);
  HF_ASSERT(c != cards_.end());
  return &c->second;
}

// ---- Transaction time ------------------------------------------------------------------------

Engine::MadeAt Engine::made_at(const Presentment& p) const {
  // No DE 12: made some time before it was processed; the cautious reading is "any time".
  if (p.transaction_time.us == 0) return MadeAt{Timestamp{INT64_MIN}, now_, now_};
  const int64_t margin_s = config_.local_time_margin_s;
  // local = UTC + offset, so UTC = local - offset: the largest offset gives the earliest instant.
  const Timestamp first = add_seconds_saturating(p.transaction_time, -int64_t{p.utc_offset_max_minutes} * 60);
  const Timestamp last = add_seconds_saturating(p.transaction_time, -int64_t{p.utc_offset_min_minutes} * 60);
  const Timestamp middle{static_cast<int64_t>((static_cast<Wide>(first.us) + last.us) / 2)};
  return MadeAt{add_seconds_saturating(first, -margin_s), add_seconds_saturating(last, margin_s), middle};
}

Timestamp Engine::listed_since(const cards::Card& card) {
  if (card.protected_at.us == 0) return card.listed_at;
  if (card.listed_at.us == 0) return card.protected_at;
  return std::min(card.protected_at, card.listed_at);
}

void Engine::add_card_facts(const cards::Card& card, Timestamp paid_earliest,
                            disputes::LiabilityClaim* claim) const {
  const bool protected_before = card.protected_at.us != 0 && card.protected_at <= paid_earliest;
  const bool listed_before = card.listed_at.us != 0 && card.listed_at <= paid_earliest;
  if (claim->status_at_payment == disputes::CardStatus::active && (protected_before || listed_before)) {
    const bool reported =
        listed_before && !protected_before &&
        (card.status == cards::CardStatus::lost || card.status == cards::CardStatus::stolen);
    claim->status_at_payment =
        reported ? disputes::CardStatus::reported_lost : disputes::CardStatus::blocked_by_issuer;
  }
  auto fraud = fraud_cases_.find(card.fraud_case_id);
  if (protected_before || listed_before ||
      (fraud != fraud_cases_.end() && fraud->second.opened_at <= paid_earliest))
    claim->issuer_flagged_abnormal = true;
}

// ---- Presentments ----------------------------------------------------------------------------

void Engine::push_presentment(const PresentmentRecord& record) {
  HF_REQUIRE(record.sequence == presentments_dropped_ + presentments_.size());
  presentments_.push_back(record);
  presentment_index_.put(record.record_id, record.sequence);
  if (record.kind == PresentmentKind::first_presentment && record.arn != Digest16{})
    presentment_by_arn_[record.arn] = record.sequence;
}

void Engine::prune_presentments() {
  const int64_t retention_s = static_cast<int64_t>(config_.clearing_record_retention_days) * kSecondsPerDay;
  while (!presentments_.empty() && add_seconds_saturating(presentments_.front().at, retention_s) < now_) {
    const PresentmentRecord& oldest = presentments_.front();
    const uint64_t* sequence = presentment_index_.find(oldest.record_id);
    if (sequence != nullptr && *sequence == oldest.sequence) presentment_index_.erase(oldest.record_id);
    auto arn = presentment_by_arn_.find(oldest.arn);
    if (arn != presentment_by_arn_.end() && arn->second == oldest.sequence) presentment_by_arn_.erase(arn);
    presentments_.pop_front();
    ++presentments_dropped_;
  }
}

const Engine::PresentmentRecord* Engine::find_presentment(const Digest16& record_id) const {
  const uint64_t* sequence = presentment_index_.find(record_id);
  if (sequence == nullptr || *sequence < presentments_dropped_) return nullptr;
  return &presentments_[static_cast<size_t>(*sequence - presentments_dropped_)];
}

Reply Engine::apply_presentment(const Presentment& p, std::vector<Event>* events) {
  ++counters_.presentments;
  // A clearing file applied twice changes nothing the second time.
  if (const PresentmentRecord* seen = find_presentment(p.record_id)) {
    Reply again = seen->reply;
    again.outcome = Outcome::presentment_already_applied;
    again.response_code = response_code(again.outcome);
    again.duplicate = true;
    return again;
  }
  PresentmentRecord record;
  record.sequence = presentments_dropped_ + presentments_.size();
  record.record_id = p.record_id;
  record.arn = p.arn;
  record.at = now_;
  record.kind = p.kind;
  auto finish = [&](Reply reply) {
    record.reply = reply;
    push_presentment(record);
    return reply;
  };
  if (p.amount_minor < 0 || p.billing_amount_minor < 0)
    return finish(account_reply(Outcome::invalid_amount, nullptr));

  switch (p.kind) {
    case PresentmentKind::first_presentment: break;
    case PresentmentKind::first_presentment_reversal: {
      Reply reply = reverse_presentment(p, events);
      return finish(reply);
    }
    case PresentmentKind::second_presentment: return finish(record_representment(p, events));
    case PresentmentKind::other: return finish(account_reply(Outcome::clearing_acknowledged, nullptr));
  }
  cards::Token* token = nullptr;
  cards::Card* card = card_or_token(p.pan_hash, &token);
  if (card == nullptr) return finish(account_reply(Outcome::presentment_unknown_card, nullptr));
  cards::Account* account = account_by_id(card->account.value);
  HF_ASSERT(account != nullptr);
  record.card_id = card->id.value;
  // first_presentment() fills the rest of the record through records_.back().
  push_presentment(record);
  Reply reply = first_presentment(p, *card, *account, events);
  presentments_.back().reply = reply;
  return reply;
}

Reply Engine::first_presentment(const Presentment& p, cards::Card& card, cards::Account& account,
                                std::vector<Event>* events) {
  PresentmentRecord& record = presentments_.back();
  int64_t amount = 0;
  if (p.billing_amount_minor > 0 && p.billing_currency == account.currency)
    amount = p.billing_amount_minor;
  else if (p.currency == account.currency)
    amount = p.amount_minor;
  else
    return account_reply(Outcome::presentment_currency_unusable, &account);
  if (amount == 0) return account_reply(Outcome::invalid_amount, &account);  // nothing to post
  const cards::Product& product = find_card_range(card.range)->product;
  const bool foreign = p.currency != account.currency;
  const int64_t fee = foreign ? basis_points(amount, product.foreign_fee_bp) : 0;
  const uint32_t settlement = settlement_account_for_currency(account.currency);
  const MadeAt made = made_at(p);
  const bool holdfast = config_.mode == EngineMode::holdfast;
  // All or nothing: no sum moves by more than the amount and its fee (posted, charged back,
  // waived), so with that much room in every account it may touch, no posting below can fail.
  if (!room_for(account, static_cast<Wide>(amount) + fee))
    return account_reply(Outcome::ledger_overflow, &account);

  // What authorisation, if any, stands behind it.
  MessageRecord* auth = match_authorisation(p, card);
  int64_t authorised_left = 0;  // authorised and not yet cleared, account currency
  int64_t allowance = 0;        // what may still be cleared as authorised: the rest plus tolerance
  int64_t posted = 0;           // what this presentment posted to the cardholder
  bool late = false;
  bool offline = false;  // matched an advice: nobody at holdfast authorised it
  if (auth != nullptr) {
    offline = auth->offline;
    // The chain of incremental authorisations from its head. Sequence 0 is a record like any
    // other; a chain ends where chain_next is 0 (no later record can have sequence 0).
    auto for_each_link = [&](auto&& visit) {
      for (uint64_t seq = auth->sequence; seq >= records_dropped_;) {
        MessageRecord& link = records_[static_cast<size_t>(seq - records_dropped_)];
        if (!visit(link) || link.chain_next == 0) return;
        seq = link.chain_next;
      }
    };
    int64_t authorised = 0;
    int64_t held = 0;
    bool holds = false;
    for_each_link([&](MessageRecord& link) {
      if (!link.voided && is_approval(link.reply.outcome))
        authorised += link.account_amount_minor - link.undone_minor;
      if (link.hold_id != 0) holds = true;
      if (const ledger::Hold* hold =
              link.hold_id != 0 ? ledger_.find_hold(ledger::HoldId{link.hold_id}) : nullptr)
        held += hold->remaining_minor;
      return true;
    });
    authorised_left = std::max<int64_t>(0, authorised - auth->cleared_minor);
    // The tolerance is granted once per authorisation, however many presentments share it.
    allowance = std::max<int64_t>(
        0, authorised + basis_points(authorised, tolerance_bp(*auth, foreign)) - auth->cleared_minor);
    // Its hold ran out (expired) before it was cleared: a late presentment. A financial message
    // (0200/0220) posted at once and never held: not late.
    late = holds && held == 0 && authorised_left > 0;
    // Clear from the chain's holds first, oldest first; what a financial message (0200/0220)
    // already posted is not posted again; the rest posts directly.
    int64_t left = amount;
    if (auth->posted) left -= std::min(left, authorised_left);
    for_each_link([&](MessageRecord& link) {
      if (left > 0 && link.hold_id != 0) {
        const int64_t moved = ledger_.post_from_hold(ledger::HoldId{link.hold_id}, left);
        left -= moved;
        posted += moved;
      }
      return left > 0;
    });
    if (left > 0) {
      HF_ASSERT(ledger_.post(account.ledger_index, settlement, left));  // room_for above
      posted += left;
    }
    auth->cleared_minor += amount;
    ++auth->presentments;
    record.matched = true;
    record.matched_sequence = auth->sequence;
  } else {
    // No authorisation behind it: the money has been spent; post it at once, past the limit.
    HF_ASSERT(ledger_.post(account.ledger_index, settlement, amount));  // room_for above
    posted = amount;
  }
  record.posted_minor = posted;
  events->push_back({EventKind::presentment_posted, card.id.value, account.id.value,
                     auth != nullptr ? auth->hold_id : 0, posted});
  if (fee > 0 && ledger_.post(account.ledger_index,
                              internal_account(ledger::AccountKind::fee_income, account.currency), fee)) {
    record.fee_minor = fee;
    events->push_back({EventKind::fee_posted, card.id.value, account.id.value, 0, fee});
  }
  card.last_used_at = std::max(card.last_used_at, made.estimate);

  // The part nobody at holdfast authorised.
  Outcome outcome = Outcome::presentment_matched;
  CaseOrigin origin = CaseOrigin::no_authorisation;
  int64_t unauthorised = 0;
  if (auth == nullptr || offline) {
    unauthorised = amount;
    outcome = Outcome::presentment_unauthorised;
  } else if (amount > allowance) {
    unauthorised = amount - allowance;
    outcome = Outcome::presentment_over_cleared;
    origin = CaseOrigin::over_clearing;
  } else if (late) {
    outcome = Outcome::presentment_late;
    events->push_back({EventKind::late_presentment, card.id.value, account.id.value, auth->hold_id, amount});
  }
  record.unauthorised_minor = unauthorised;
  if (unauthorised > 0) {
    ++counters_.unauthorised_items;
    events->push_back({EventKind::unauthorised_item, card.id.value, account.id.value, 0, unauthorised});
  }
  if (!holdfast) {
    // The seed's issuer: the item is booked; nothing is recovered and nobody is warned.
    Reply reply = account_reply(outcome, &account);
    reply.over_limit = open_to_buy(account) < 0;
    return reply;
  }

  // Floor limits: an item above the floor needed an authorisation, so it is charged back with
  // the no-authorisation reason. A card already protected or blocked when the item was made
  // has a zero floor (the listed card, RULES.md section 3): only when the whole UTC interval
  // DE 12 stands for is after the listing. An item that may have been made before it (the
  // interval straddles the listing) keeps the floor: no chargeback the acquirer could show to
  // be invalid.
  uint64_t case_id = 0;
  int64_t charged_back = 0;
  if (unauthorised > 0) {
    const Timestamp listed = listed_since(card);
    const bool card_listed = listed.us != 0 && listed <= made.earliest;
    const int64_t floor = card_listed ? 0 : floor_limit(card, p.mcc, p.acquirer_country, p.channel);
    if (origin == CaseOrigin::over_clearing || amount > floor) {
      case_id = raise_chargeback(origin, card, account, record, made, unauthorised, events);
      charged_back = unauthorised;
    }
    // Items with no authorisation at all count towards the burst (advices were counted when
    // they came; an over-cleared excess had an authorisation behind it).
    if (auth == nullptr) note_offline_item(card, made.estimate, unauthorised, events);
  } else if (late && (!config_.late_chargeback_only_over_limit || open_to_buy(account) < 0)) {
    case_id = raise_chargeback(CaseOrigin::late_presentment, card, account, record, made, amount, events);
    charged_back = amount;
  }
  record.case_id = case_id;
  if (case_id != 0) {
    disputes_.at(case_id).arn_text = p.arn_text;
    // No cross-border fee on what the cardholder does not pay.
    const int64_t waived = std::min(record.fee_minor, basis_points(charged_back, product.foreign_fee_bp));
    if (waived > 0) {
      HF_ASSERT(ledger_.post(internal_account(ledger::AccountKind::fee_income, account.currency),
                             account.ledger_index, waived));
      record.fee_minor -= waived;
      events->push_back({EventKind::credited, card.id.value, account.id.value, 0, waived});
    }
  }
  Reply reply = account_reply(outcome, &account);
  reply.entity_id = case_id != 0 ? case_id : (auth != nullptr ? auth->hold_id : 0);
  reply.over_limit = open_to_buy(account) < 0;
  return reply;
}

Reply Engine::reverse_presentment(const Presentment& p, std::vector<Event>* events) {
  auto it = presentment_by_arn_.find(p.arn);
  if (p.arn == Digest16{} || it == presentment_by_arn_.end() || it->second < presentments_dropped_)
    return account_reply(Outcome::presentment_original_not_found, nullptr);
  PresentmentRecord& original = presentments_[static_cast<size_t>(it->second - presentments_dropped_)];
  cards::Card* card = original.card_id != 0 ? &cards_.at(original.card_id) : nullptr;
  cards::Account* account = card != nullptr ? account_by_id(card->account.value) : nullptr;
  // A presentment that was never applied (unknown card) has nothing to reverse.
  if (account == nullptr) return account_reply(Outcome::presentment_original_not_found, nullptr);
  if (original.reversed) return account_reply(Outcome::presentment_already_applied, account);
  // All or nothing: what it gives back, settles and clears is at most the presentment's posting
  // and fee plus the case's provisional credit and receivable.
  Wide moves = static_cast<Wide>(original.posted_minor) + original.fee_minor;
  if (auto d = disputes_.find(original.case_id); original.case_id != 0 && d != disputes_.end())
    moves += static_cast<Wide>(d->second.provisional_minor) + d->second.receivable_minor;
  if (!room_for(*account, moves)) return account_reply(Outcome::ledger_overflow, account);
  original.reversed = true;
  const uint32_t settlement = settlement_account_for_currency(account->currency);
  // What a chargeback already gave back to the cardholder is settled by the acquirer's reversal
  // instead: the receivable is recovered, the cardholder is not credited twice.
  int64_t credited_by_chargeback = 0;
  if (original.case_id != 0) {
    auto dispute = disputes_.find(original.case_id);
    // What the chargeback credited the cardholder, whether still receivable or already
    // recovered or written off: never given back a second time.
    // A compensated case settled the cardholder at the entitlement (from issuer_loss): that is
    // what they hold for it now (found by the money oracle: the reversal credited it again).
    if (dispute != disputes_.end()) {
      const DisputeRecord& d = dispute->second;
      credited_by_chargeback =
          d.compensated ? d.entitlement_minor
                        : d.receivable_minor + d.recovered_minor + d.written_off_minor + d.provisional_minor;
    }
    // A provisional credit the cardholder already holds is now covered by the acquirer's money:
    // it clears the provisional account instead of crediting the cardholder a second time, and
    // the claim, whose charge is gone, is withdrawn.
    if (dispute != disputes_.end() && dispute->second.provisional_minor > 0) {
      DisputeRecord& d = dispute->second;
      HF_ASSERT(ledger_.post(settlement,
                             internal_account(ledger::AccountKind::dispute_provisional, account->currency),
                             d.provisional_minor));
      d.provisional_minor = 0;
      if (d.receivable_minor == 0 && !disputes::is_closed(d.dispute.state)) {
        auto withdrawn = disputes::apply(rules_, d.dispute, disputes::Withdraw{}, now_);
        if (withdrawn.ok()) store_case(d, std::move(withdrawn).value(), events);
      }
    }
    if (dispute != disputes_.end() && dispute->second.receivable_minor > 0) {
      DisputeRecord& d = dispute->second;
      disputes::Case closed = d.dispute;
      auto accepted = disputes::apply(rules_, closed, disputes::AcquirerAccepts{}, now_);
      if (accepted.ok())
        store_case(d, std::move(accepted).value(), events);
      else {
        // The lifecycle no longer lets the acquirer accept (e.g. represented): settle directly.
        HF_ASSERT(ledger_.post(
            settlement, internal_account(ledger::AccountKind::chargeback_receivable, account->currency),
            d.receivable_minor));
        d.recovered_minor += d.receivable_minor;
        d.receivable_minor = 0;
      }
    }
  }
  // The reversal settles the cardholder's side of a closed case: what the case gave them plus
  // what the reversal gives back is all they paid. Recorded on the case as its compensation, so
  // a later CloseCompensation pays nothing on top, even once the presentment is forgotten
  // (found by fuzz/money_fuzz.cc).
  // An open claim with nothing receivable is withdrawn first: its charge is gone.
  if (auto d = disputes_.find(original.case_id); original.case_id != 0 && d != disputes_.end()) {
    DisputeRecord& record = d->second;
    if (!disputes::is_closed(record.dispute.state) && record.receivable_minor == 0) {
      auto withdrawn = disputes::apply(rules_, record.dispute, disputes::Withdraw{}, now_);
      if (withdrawn.ok()) store_case(record, std::move(withdrawn).value(), events);
    }
    if (disputes::is_closed(record.dispute.state) && !record.compensated) {
      record.compensated = true;
      record.entitlement_minor = credited_by_chargeback;
    }
  }
  const int64_t give_back = original.posted_minor + original.fee_minor - credited_by_chargeback;
  if (original.fee_minor > 0)
    HF_ASSERT(ledger_.post(internal_account(ledger::AccountKind::fee_income, account->currency),
                           account->ledger_index, original.fee_minor));
  const int64_t purchase_back = give_back - original.fee_minor;
  if (purchase_back > 0) {
    HF_ASSERT(ledger_.post(settlement, account->ledger_index, purchase_back));
    events->push_back({EventKind::credited, card->id.value, account->id.value, 0, purchase_back});
  }
  if (original.matched && original.matched_sequence >= records_dropped_) {
    MessageRecord& auth = records_[static_cast<size_t>(original.matched_sequence - records_dropped_)];
    auth.cleared_minor = std::max<int64_t>(0, auth.cleared_minor - original.posted_minor);
  }
  Reply reply = account_reply(Outcome::presentment_reversed, account);
  reply.entity_id = original.case_id;
  return reply;
}

Reply Engine::record_representment(const Presentment& p, std::vector<Event>* events) {
  auto it = presentment_by_arn_.find(p.arn);
  if (p.arn == Digest16{} || it == presentment_by_arn_.end() || it->second < presentments_dropped_)
    return account_reply(Outcome::presentment_original_not_found, nullptr);
  const PresentmentRecord& original = presentments_[static_cast<size_t>(it->second - presentments_dropped_)];
  auto dispute = disputes_.find(original.case_id);
  if (original.case_id == 0 || dispute == disputes_.end())
    return account_reply(Outcome::clearing_acknowledged, nullptr);
  DisputeRecord& d = dispute->second;
  const cards::Account* account = find_account(cards::AccountId{d.dispute.account_id});
  auto next = disputes::apply(rules_, d.dispute, disputes::RecordRepresentment{}, now_);
  // A representment the lifecycle refuses (late, or the case closed) is acknowledged only.
  if (!next.ok()) return account_reply(Outcome::clearing_acknowledged, account);
  store_case(d, std::move(next).value(), events);
  Reply reply = account_reply(Outcome::representment_recorded, account);
  reply.entity_id = d.dispute.case_id;
  return reply;
}

// ---- Chargebacks -----------------------------------------------------------------------------

uint64_t Engine::raise_chargeback(CaseOrigin origin, const cards::Card& card, const cards::Account& account,
                                  const PresentmentRecord& presentment, const MadeAt& made, int64_t amount,
                                  std::vector<Event>* events) {
  const cards::Product& product = find_card_range(card.range)->product;
  const disputes::Scheme scheme = dispute_scheme(product.scheme);
  const disputes::SchemeRules* rules = rules_.scheme(scheme);
  if (rules == nullptr || amount <= 0) return 0;  // no dispute rules for this scheme (configured)
  disputes::OpenClaim claim;
  claim.case_id = next_case_id_;
  claim.card_id = card.id.value;
  claim.account_id = account.id.value;
  claim.scheme = scheme;
  claim.reason_code = rules->no_authorisation_code;
  claim.disputed = Money{amount, account.currency};
  claim.transaction_at = made.estimate;
  claim.processed_at = now_;
  auto opened = disputes::open_claim(rules_, claim, now_);
  if (!opened.ok()) return 0;
  auto filed = disputes::apply(rules_, opened.value(), disputes::FileChargeback{amount, ""}, now_);
  if (!filed.ok()) return 0;
  ++next_case_id_;
  DisputeRecord record;
  record.origin = origin;
  record.presentment_sequence = presentment.sequence;
  record.arn = presentment.arn;
  record.dispute = std::move(opened).value();
  // The liability record carries the facts the engine knows: when the payment was made, the
  // card's status then, whether the issuer had flagged or listed the card before it. Nobody
  // reported anything: the chargeback is the issuer's own (reported = aware = now).
  record.liability_claim.payment_at = made.estimate;
  record.liability_claim.reported_at = now_;
  record.liability_claim.aware_at = now_;
  add_card_facts(card, made.earliest, &record.liability_claim);
  record.liability = disputes::assess_liability(rules_.liability, record.liability_claim);
  const uint64_t case_id = record.dispute.case_id;
  // The cardholder does not pay for what the issuer charges back; the acquirer owes it.
  HF_ASSERT(ledger_.post(internal_account(ledger::AccountKind::chargeback_receivable, account.currency),
                         account.ledger_index, amount));
  record.receivable_minor = amount;
  DisputeRecord& stored = disputes_.emplace(case_id, std::move(record)).first->second;
  store_case(stored, std::move(filed).value(), events);
  ++counters_.chargebacks_raised;
  events->push_back({EventKind::chargeback_raised, card.id.value, account.id.value, 0, amount, case_id});
  return case_id;
}

void Engine::store_case(DisputeRecord& record, disputes::Case next, std::vector<Event>* events) {
  const disputes::Case& before = record.dispute;
  if (!disputes::is_closed(before.state) && before.deadline != disputes::kNoDeadline)
    case_deadlines_.erase({before.deadline.us, before.case_id});
  const bool newly_closed = !disputes::is_closed(before.state) && disputes::is_closed(next.state);
  record.dispute = std::move(next);
  const disputes::Case& now_case = record.dispute;
  if (!disputes::is_closed(now_case.state) && now_case.deadline != disputes::kNoDeadline)
    case_deadlines_.insert({now_case.deadline.us, now_case.case_id});
  if (!newly_closed || record.receivable_minor == 0) return;
  const cards::Account* account = find_account(cards::AccountId{now_case.account_id});
  HF_ASSERT(account != nullptr);
  const uint32_t receivable = internal_account(ledger::AccountKind::chargeback_receivable, account->currency);
  const int64_t amount = record.receivable_minor;
  const bool won = now_case.state == disputes::CaseState::closed_won;
  const uint32_t settled_by = won ? settlement_account_for_currency(account->currency)
                                  : internal_account(ledger::AccountKind::issuer_loss, account->currency);
  // A timer pulse cannot be refused: when the books have no room for the settlement, the case
  // closes and its amount stays booked as receivable, in the books and on the case.
  if (!ledger_.post(settled_by, receivable, amount)) return;
  record.receivable_minor = 0;
  if (won) {
    record.recovered_minor += amount;
    events->push_back({EventKind::chargeback_recovered, 0, account->id.value, 0, amount, now_case.case_id});
  } else {
    record.written_off_minor += amount;
    events->push_back({EventKind::chargeback_lost, 0, account->id.value, 0, amount, now_case.case_id});
  }
}

// Deadlines that passed: the acquirer's silence wins the case for the issuer, the issuer's own
// silence expires it (the lifecycle decides which).
void Engine::tick_cases(std::vector<Event>* events) {
  while (!case_deadlines_.empty() && case_deadlines_.begin()->first < now_.us) {
    const uint64_t case_id = case_deadlines_.begin()->second;
    DisputeRecord& record = disputes_.at(case_id);
    auto next = disputes::apply(rules_, record.dispute, disputes::Tick{}, now_);
    if (!next.ok()) {  // nothing due after all: drop the stale index entry
      case_deadlines_.erase(case_deadlines_.begin());
      continue;
    }
    store_case(record, std::move(next).value(), events);
  }
}

// ---- Burst protection ------------------------------------------------------------------------

bool Engine::note_offline_item(cards::Card& card, Timestamp transaction_time, int64_t amount,
                               std::vector<Event>* events) {
  if (config_.mode != EngineMode::holdfast) return false;
  if (card.fraud_case_id != 0) {
    auto fraud = fraud_cases_.find(card.fraud_case_id);
    if (fraud != fraud_cases_.end()) {
      ++fraud->second.items;
      fraud->second.amount_minor = saturating_add(fraud->second.amount_minor, amount);
    }
  }
  // Keep the latest kOfflineItemsKept transaction times and amounts, oldest first.
  auto& times = card.offline_item_times;
  auto& amounts = card.offline_item_amounts;
  if (card.offline_item_count < times.size()) {
    amounts[card.offline_item_count] = amount;
    times[card.offline_item_count++] = transaction_time;
  } else {
    std::rotate(times.begin(), times.begin() + 1, times.end());
    std::rotate(amounts.begin(), amounts.begin() + 1, amounts.end());
    times.back() = transaction_time;
    amounts.back() = amount;
  }
  if (card.protected_at.us != 0 || config_.burst_items == 0) return false;
  // The most items inside any window of burst_window_s (items arrive out of order: sort).
  // The whole array is sorted (unused slots last): a constant range, which g++ 12 with the
  // sanitizers does not mistake for an out-of-bounds one.
  std::array<std::pair<int64_t, int64_t>, cards::Card::kOfflineItemsKept> sorted;  // (time, amount)
  sorted.fill({INT64_MAX, 0});
  for (size_t i = 0; i < card.offline_item_count; ++i) sorted[i] = {times[i].us, amounts[i]};
  std::sort(sorted.begin(), sorted.end());
  const int64_t window_us = static_cast<int64_t>(config_.burst_window_s) * 1'000'000;
  size_t most = 0;
  size_t first = 0;  // the fullest window: sorted[first, first + most)
  for (size_t lo = 0, hi = 0; hi < card.offline_item_count; ++hi) {
    while (static_cast<Wide>(sorted[hi].first) - sorted[lo].first > window_us) ++lo;
    if (hi - lo + 1 > most) {
      most = hi - lo + 1;
      first = lo;
    }
  }
  if (most < config_.burst_items) return false;
  protect_card(card, events);
  // The fraud case opens with the whole burst that opened it: every item in the window.
  if (auto fraud = fraud_cases_.find(card.fraud_case_id); fraud != fraud_cases_.end()) {
    fraud->second.items = static_cast<uint32_t>(most);
    int64_t total = 0;
    for (size_t i = first; i < first + most; ++i) total = saturating_add(total, sorted[i].second);
    fraud->second.amount_minor = total;
  }
  return true;
}

// Blocks the card for online use, suspends its tokens, alerts the cardholder and opens a
// fraud case: before the rest of the burst is presented.
void Engine::protect_card(cards::Card& card, std::vector<Event>* events) {
  const uint64_t account_id = card.account.value;
  card.protected_at = now_;
  if (card.status == cards::CardStatus::active) {
    card.status = cards::CardStatus::blocked;
    events->push_back(
        {EventKind::card_status_changed, card.id.value, account_id, 0, static_cast<int64_t>(card.status)});
  }
  events->push_back({EventKind::card_protected, card.id.value, account_id, 0, 0});
  if (auto list = tokens_by_card_.find(card.id.value); list != tokens_by_card_.end()) {
    for (uint64_t token_id : list->second) {
      cards::Token& token = tokens_.at(token_id);
      if (token.status != cards::TokenStatus::active) continue;
      token.status = cards::TokenStatus::suspended;
      events->push_back({EventKind::token_suspended, card.id.value, account_id, token_id, 0});
    }
  }
  events->push_back({EventKind::cardholder_alerted, card.id.value, account_id, 0, 0});
  FraudCase fraud;
  fraud.case_id = next_case_id_++;
  fraud.card_id = card.id.value;
  fraud.opened_at = now_;
  card.fraud_case_id = fraud.case_id;
  fraud_cases_.emplace(fraud.case_id, fraud);
  ++counters_.cards_protected;
  events->push_back({EventKind::fraud_case_opened, card.id.value, account_id, 0, 0, fraud.case_id});
}

}  // namespace holdfast::engine
