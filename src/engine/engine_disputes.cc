// Cardholder disputes: a claim on a presented transaction, the steps of its lifecycle
// (src/disputes decides what is allowed and when), and the compensation that settles a closed
// case. Every step that moves money posts it in the same command, so open-to-buy moves at once
// (E1) and the books balance after it (E2).
//
// The money of one case (DisputeRecord), account currency:
//   provisional credit  debit dispute_provisional, credit the cardholder, for the part above
//                       what the cardholder already holds for the case;
//   filed chargeback    debit chargeback_receivable (the acquirer owes it, as raise_chargeback
//                       books it), credit dispute_provisional for the provisional credit it now
//                       covers, and the cardholder for the rest;
//   so while a case is open the cardholder holds max(provisional credit, chargeback), which is
//   the receivable plus the case's dispute_provisional balance.
//   closing             store_case settles the receivable (won: recovered; otherwise issuer_loss);
//   CloseCompensation   dispute_provisional cleared to issuer_loss; the cardholder settled to the
//                       entitlement (refund from issuer_loss, or the excess reversed to it);
//                       fee waiver from goodwill_expense; reward points from reward_points_issued
//                       to the card account's own reward_points ledger account (currency 0).
// The issuer's loss on the case is then entitlement + fee waiver - recovery, as plan_compensation
// says (disputes/compensation.h).
#include <algorithm>

#include "base/assert.h"
#include "engine/engine.h"
#include "engine/engine_internal.h"

namespace holdfast::engine {
namespace {

// Goodwill above this is a typo (CNY 10 billion, or as many points); bounding it also keeps
// the ledger's sums far from overflow.
constexpr int64_t kMaxGoodwill = 1'000'000'000'000;

disputes::Scheme scheme_of(cards::CardScheme s) {
  switch (s) {
    case cards::CardScheme::visa: return disputes::Scheme::visa;
    case cards::CardScheme::mastercard: return disputes::Scheme::mastercard;
    case cards::CardScheme::unionpay: return disputes::Scheme::unionpay;
  }
  return disputes::Scheme::visa;
}

Outcome outcome_of(disputes::RefusalCode c) {
  using R = disputes::RefusalCode;
  switch (c) {
    case R::case_closed: return Outcome::dispute_case_closed;
    case R::transition_not_allowed: return Outcome::dispute_transition_not_allowed;
    case R::deadline_passed: return Outcome::dispute_deadline_passed;
    case R::unknown_reason_code: return Outcome::dispute_unknown_reason_code;
    case R::documentation_missing: return Outcome::dispute_documentation_missing;
    case R::amount_not_positive: return Outcome::dispute_amount_not_positive;
    case R::amount_above_disputed: return Outcome::dispute_amount_above_disputed;
    case R::provisional_credit_already_granted: return Outcome::dispute_provisional_credit_already_granted;
    case R::pre_arbitration_not_required: return Outcome::dispute_pre_arbitration_not_required;
    case R::evidence_limit: return Outcome::dispute_evidence_limit;
    case R::description_too_long: return Outcome::dispute_description_too_long;
    case R::nothing_due: return Outcome::dispute_nothing_due;
  }
  return Outcome::dispute_transition_not_allowed;
}

// What the reply's detail holds for a refusal (outcome.h).
int64_t detail_of(const disputes::Refusal& r) {
  switch (r.code) {
    case disputes::RefusalCode::deadline_passed: return r.deadline.us;
    case disputes::RefusalCode::amount_above_disputed: return r.limit_minor;
    case disputes::RefusalCode::documentation_missing: return static_cast<int64_t>(r.missing);
    default: return 0;
  }
}

// What the cardholder holds for the case right now: raise_chargeback credited the chargeback
// itself; claim steps add what they credit.
int64_t held_by_cardholder(const DisputeRecord& record) {
  const int64_t by_chargeback =
      record.origin == CaseOrigin::cardholder_claim ? 0 : record.dispute.chargeback_minor;
  return by_chargeback + record.cardholder_credit_minor;
}

}  // namespace

int64_t Engine::reward_points(cards::AccountId account) const {
  auto it = points_accounts_.find(account.value);
  if (it == points_accounts_.end()) return 0;
  const ledger::LedgerAccount& a = ledger_.account(it->second);
  return a.credits_posted - a.debits_posted;
}

uint32_t Engine::points_account(uint64_t account_id) {
  auto it = points_accounts_.find(account_id);
  if (it != points_accounts_.end()) return it->second;
  const uint32_t index = ledger_.open_account(ledger::AccountKind::reward_points, Currency{});
  points_accounts_.emplace(account_id, index);
  return index;
}

Engine::PresentmentRecord* Engine::presentment_for_dispute(const OpenDispute& c) {
  uint64_t sequence = 0;
  if (c.by_arn) {
    auto it = presentment_by_arn_.find(c.presentment);
    if (c.presentment == Digest16{} || it == presentment_by_arn_.end()) return nullptr;
    sequence = it->second;
  } else {
    const uint64_t* found = presentment_index_.find(c.presentment);
    if (found == nullptr) return nullptr;
    sequence = *found;
  }
  if (sequence < presentments_dropped_) return nullptr;
  return &presentments_[static_cast<size_t>(sequence - presentments_dropped_)];
}

// The facts of the claim with the engine's own added: when the payment was made, whether the
// card was already listed (burst protection, or the issuer's block or loss report), whether the
// issuer had flagged the card (add_card_facts).
// A presented, posted payment was by definition not stopped. Without a report time the claim
// itself is the report; without an awareness time the issuer cannot show the cardholder knew
// earlier (it carries the burden of proof), so it is the report time.
disputes::LiabilityClaim Engine::liability_facts(const DisputeRecord& record,
                                                 disputes::LiabilityClaim claim) const {
  claim.payment_at = record.dispute.transaction_at;
  if (claim.reported_at.us == 0) claim.reported_at = record.dispute.claimed_at;
  if (claim.aware_at.us == 0) claim.aware_at = claim.reported_at;
  claim.issuer_stopped = false;
  if (const cards::Card* card = find_card(cards::CardId{record.dispute.card_id}))
    add_card_facts(*card, claim.payment_at, &claim);
  return claim;
}

Reply Engine::open_dispute(const OpenDispute& c, std::vector<Event>* events) {
  PresentmentRecord* presentment = presentment_for_dispute(c);
  if (presentment == nullptr || presentment->kind != PresentmentKind::first_presentment ||
      presentment->card_id == 0)
    return account_reply(Outcome::dispute_unknown_presentment, nullptr);
  const cards::Card& card = cards_.at(presentment->card_id);
  const cards::Account* account = find_account(card.account);
  HF_ASSERT(account != nullptr);
  auto refused = [&](Outcome outcome, int64_t detail) {
    Reply r = account_reply(outcome, account);
    r.detail = detail;
    return r;
  };
  if (presentment->case_id != 0) {
    Reply r = refused(Outcome::dispute_already_open, static_cast<int64_t>(presentment->case_id));
    r.entity_id = presentment->case_id;
    return r;
  }
  const uint64_t case_id = c.requested_case_id != 0 ? c.requested_case_id : next_case_id_;
  if (disputes_.contains(case_id) || fraud_cases_.contains(case_id))
    return refused(Outcome::admin_duplicate_id, 0);

  // What was posted and not given back by a presentment reversal is what can be disputed.
  const int64_t posted = presentment->reversed ? 0 : presentment->posted_minor;
  disputes::OpenClaim claim;
  claim.case_id = case_id;
  claim.card_id = card.id.value;
  claim.account_id = account->id.value;
  claim.scheme = scheme_of(find_card_range(card.range)->product.scheme);
  claim.reason_code = c.reason_code;
  claim.disputed = Money{c.amount_minor != 0 ? c.amount_minor : posted, account->currency};
  claim.transaction_at = presentment->at;
  if (c.transaction_at.us != 0) {
    claim.transaction_at = c.transaction_at;
  } else if (presentment->matched && presentment->matched_sequence >= records_dropped_ &&
             presentment->matched_sequence < records_dropped_ + records_.size()) {
    claim.transaction_at = records_[static_cast<size_t>(presentment->matched_sequence - records_dropped_)].at;
  }
  claim.processed_at = presentment->at;  // the clearing date starts the filing clock
  auto opened = disputes::open_claim(rules_, claim, now_);
  if (!opened.ok()) return refused(outcome_of(opened.error().code), detail_of(opened.error()));
  if (claim.disputed.minor > posted) return refused(Outcome::dispute_amount_above_posted, posted);

  next_case_id_ = std::max(next_case_id_, case_id + 1);
  DisputeRecord record;
  record.origin = CaseOrigin::cardholder_claim;
  record.presentment_sequence = presentment->sequence;
  record.arn = presentment->arn;
  record.dispute.case_id = case_id;
  DisputeRecord& stored = disputes_.emplace(case_id, std::move(record)).first->second;
  store_case(stored, std::move(opened).value(), events);
  stored.liability_claim = liability_facts(stored, c.liability);
  stored.liability = disputes::assess_liability(rules_.liability, stored.liability_claim);
  presentment->case_id = case_id;  // one case per presentment: a second claim is refused
  events->push_back(
      {EventKind::dispute_opened, card.id.value, account->id.value, 0, claim.disputed.minor, case_id});
  Reply reply = account_reply(Outcome::admin_done, account);
  reply.entity_id = case_id;
  return reply;
}

// The case and its account, or the unknown-case answer for an operator's mistyped id.
bool Engine::find_case(uint64_t case_id, DisputeRecord** record, const cards::Account** account,
                       Reply* unknown) {
  auto it = disputes_.find(case_id);
  if (it == disputes_.end()) {
    *unknown = account_reply(Outcome::dispute_unknown_case, nullptr);
    unknown->entity_id = case_id;
    return false;
  }
  *record = &it->second;
  *account = find_account(cards::AccountId{it->second.dispute.account_id});
  HF_ASSERT(*account != nullptr);
  return true;
}

Reply Engine::dispute_action(const DisputeAction& c, std::vector<Event>* events) {
  DisputeRecord* found = nullptr;
  const cards::Account* account = nullptr;
  if (Reply unknown; !find_case(c.case_id, &found, &account, &unknown)) return unknown;
  DisputeRecord& record = *found;
  auto next = disputes::apply(rules_, record.dispute, c.step, now_);
  if (!next.ok()) {
    Reply r = account_reply(outcome_of(next.error().code), account);
    r.entity_id = c.case_id;
    r.detail = detail_of(next.error());
    return r;
  }
  // All or nothing: the step moves at most its chargeback, its provisional credit and the
  // receivable it may settle through any one sum.
  const disputes::Case& after = next.value();
  if (!room_for(*account, static_cast<Wide>(after.chargeback_minor) + after.provisional_credit_minor +
                              record.receivable_minor)) {
    Reply r = account_reply(Outcome::ledger_overflow, account);
    r.entity_id = c.case_id;
    return r;
  }
  store_case(record, std::move(next).value(), events);
  if (std::holds_alternative<disputes::FileChargeback>(c.step))
    book_claim_chargeback(record, *account, events);
  if (std::holds_alternative<disputes::GrantProvisionalCredit>(c.step))
    post_provisional_credit(record, *account, events);
  events->push_back({EventKind::dispute_step, record.dispute.card_id, account->id.value, 0,
                     static_cast<int64_t>(record.dispute.state), c.case_id});
  Reply reply = account_reply(Outcome::admin_done, account);
  reply.entity_id = c.case_id;
  return reply;
}

void Engine::post_provisional_credit(DisputeRecord& record, const cards::Account& account,
                                     std::vector<Event>* events) {
  // A chargeback already filed may have given the cardholder as much or more.
  const int64_t credit = record.dispute.provisional_credit_minor - held_by_cardholder(record);
  if (credit <= 0) return;
  HF_ASSERT(ledger_.post(internal_account(ledger::AccountKind::dispute_provisional, account.currency),
                         account.ledger_index, credit));
  record.provisional_minor += credit;
  record.cardholder_credit_minor += credit;
  events->push_back(
      {EventKind::credited, record.dispute.card_id, account.id.value, 0, credit, record.dispute.case_id});
}

void Engine::book_claim_chargeback(DisputeRecord& record, const cards::Account& account,
                                   std::vector<Event>* events) {
  const int64_t amount = record.dispute.chargeback_minor;
  // The lifecycle files a chargeback once per case; a second booking would be a bug.
  HF_ASSERT(amount > 0 && record.receivable_minor == 0 && record.recovered_minor == 0 &&
            record.written_off_minor == 0);
  const uint32_t receivable = internal_account(ledger::AccountKind::chargeback_receivable, account.currency);
  const int64_t covers_provisional = std::min(amount, record.provisional_minor);
  if (covers_provisional > 0) {
    HF_ASSERT(ledger_.post(receivable,
                           internal_account(ledger::AccountKind::dispute_provisional, account.currency),
                           covers_provisional));
    record.provisional_minor -= covers_provisional;
  }
  const int64_t to_cardholder = amount - covers_provisional;
  if (to_cardholder > 0) {
    HF_ASSERT(ledger_.post(receivable, account.ledger_index, to_cardholder));
    record.cardholder_credit_minor += to_cardholder;
    events->push_back({EventKind::credited, record.dispute.card_id, account.id.value, 0, to_cardholder,
                       record.dispute.case_id});
  }
  record.receivable_minor = amount;
  ++counters_.chargebacks_raised;
  events->push_back({EventKind::chargeback_raised, record.dispute.card_id, account.id.value, 0, amount,
                     record.dispute.case_id});
}

bool Engine::presentment_reversed(const DisputeRecord& record) const {
  const uint64_t s = record.presentment_sequence;
  if (s < presentments_dropped_ || s >= presentments_dropped_ + presentments_.size()) return false;
  const PresentmentRecord& p = presentments_[static_cast<size_t>(s - presentments_dropped_)];
  return p.case_id == record.dispute.case_id && p.reversed;
}

Reply Engine::close_compensation(const CloseCompensation& c, std::vector<Event>* events) {
  DisputeRecord* found = nullptr;
  const cards::Account* account = nullptr;
  if (Reply unknown; !find_case(c.case_id, &found, &account, &unknown)) return unknown;
  DisputeRecord& record = *found;
  Reply reply = account_reply(Outcome::admin_done, account);
  reply.entity_id = c.case_id;
  auto refused = [&](Outcome outcome) {
    reply.outcome = outcome;
    reply.response_code = response_code(outcome);
    return reply;
  };
  if (!disputes::is_closed(record.dispute.state)) return refused(Outcome::dispute_not_closed);
  if (record.compensated) return refused(Outcome::dispute_already_compensated);
  if (c.fee_waiver_minor < 0 || c.fee_waiver_minor > kMaxGoodwill || c.reward_points < 0 ||
      c.reward_points > kMaxGoodwill)
    return refused(Outcome::admin_invalid);
  disputes::LiabilityClaim claim = record.liability_claim;
  disputes::LiabilityAssessment liability = record.liability;
  if (c.reassess) {
    claim = liability_facts(record, c.liability);
    liability = disputes::assess_liability(rules_.liability, claim);
  }
  const disputes::CompensationPlan plan = disputes::plan_compensation(
      record.dispute, disputes::CompensationTerms{liability.issuer_bp, c.fee_waiver_minor, c.reward_points});
  // All or nothing: no sum moves by more than all of these together.
  const Wide moves = static_cast<Wide>(record.provisional_minor) + held_by_cardholder(record) +
                     plan.cardholder_entitlement_minor + c.fee_waiver_minor;
  if (!room_for(*account, moves) || !room_for_points(account->id.value, c.reward_points))
    return refused(Outcome::ledger_overflow);
  record.liability_claim = std::move(claim);
  record.liability = std::move(liability);
  const Currency ccy = account->currency;
  const uint32_t loss = internal_account(ledger::AccountKind::issuer_loss, ccy);
  const uint64_t card_id = record.dispute.card_id;
  // The provisional credit nobody else owes is the issuer's now; the cardholder's side is then
  // settled to the entitlement from (or back to) the issuer's loss.
  if (record.provisional_minor > 0) {
    HF_ASSERT(ledger_.post(loss, internal_account(ledger::AccountKind::dispute_provisional, ccy),
                           record.provisional_minor));
    record.provisional_minor = 0;
  }
  const int64_t held = held_by_cardholder(record);
  // The acquirer reversed the presentment: the reversal gave the cardholder back what the case
  // had not, so they are whole and the case is settled as it stands (found by the money oracle:
  // the entitlement was refunded on top of the reversal).
  const bool charge_reversed = presentment_reversed(record);
  const int64_t entitled = charge_reversed ? held : plan.cardholder_entitlement_minor;
  std::vector<disputes::CompensationEntry> posted;
  auto entry = [&](disputes::EntryKind kind, int64_t amount, Currency currency, disputes::Party who,
                   Timestamp at) {
    posted.push_back(
        disputes::CompensationEntry{kind, c.case_id, account->id.value, Money{amount, currency}, who, at});
  };
  for (const auto& e : plan.entries)
    if (e.kind == disputes::EntryKind::provisional_credit) posted.push_back(e);
  if (held > entitled) {
    HF_ASSERT(ledger_.post(account->ledger_index, loss, held - entitled));
    entry(disputes::EntryKind::provisional_credit_reversal, held - entitled, ccy, disputes::Party::cardholder,
          now_);
    events->push_back({EventKind::posted, card_id, account->id.value, 0, held - entitled, c.case_id});
  } else if (entitled > held) {
    HF_ASSERT(ledger_.post(loss, account->ledger_index, entitled - held));
    entry(disputes::EntryKind::refund, entitled - held, ccy, disputes::Party::issuer, now_);
    events->push_back({EventKind::credited, card_id, account->id.value, 0, entitled - held, c.case_id});
  }
  for (const auto& e : plan.entries)
    if (e.kind == disputes::EntryKind::chargeback_recovery_receivable)
      posted.push_back(e);  // booked when filed
  if (c.fee_waiver_minor > 0) {
    HF_ASSERT(ledger_.post(internal_account(ledger::AccountKind::goodwill_expense, ccy),
                           account->ledger_index, c.fee_waiver_minor));
    entry(disputes::EntryKind::fee_waiver, c.fee_waiver_minor, ccy, disputes::Party::issuer, now_);
    events->push_back({EventKind::credited, card_id, account->id.value, 0, c.fee_waiver_minor, c.case_id});
  }
  if (c.reward_points > 0) {
    HF_ASSERT(ledger_.post(internal_account(ledger::AccountKind::reward_points_issued, Currency{}),
                           points_account(account->id.value), c.reward_points));
    entry(disputes::EntryKind::reward_points, c.reward_points, Currency{}, disputes::Party::issuer, now_);
    events->push_back(
        {EventKind::reward_points_awarded, card_id, account->id.value, 0, c.reward_points, c.case_id});
  }
  record.compensated = true;
  record.entitlement_minor = entitled;
  record.issuer_net_loss_minor = charge_reversed ? c.fee_waiver_minor : plan.issuer_net_loss_minor;
  record.compensation = std::move(posted);
  events->push_back({EventKind::compensation_posted, card_id, account->id.value, 0, entitled, c.case_id});
  reply = account_reply(Outcome::admin_done, account);
  reply.entity_id = c.case_id;
  return reply;
}

}  // namespace holdfast::engine
