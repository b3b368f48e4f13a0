#include "disputes/compensation.h"

namespace holdfast::disputes {

namespace {

// A reported figure back to int64, clamped at its ends (amounts near int64's edge must not wrap).
int64_t saturate(Wide v) {
  if (v > INT64_MAX) return INT64_MAX;
  if (v < INT64_MIN) return INT64_MIN;
  return static_cast<int64_t>(v);
}

int64_t share_of(int64_t amount_minor, int32_t bp) {
  // Rounded down: the cardholder's share takes the odd minor unit, never the issuer's books.
  return static_cast<int64_t>(static_cast<Wide>(amount_minor) * bp / 10000);
}

int64_t entitlement(const Case& c, const CompensationTerms& terms) {
  if (c.state == CaseState::withdrawn) return 0;
  switch (c.category) {
    case ReasonCategory::fraud:
    case ReasonCategory::authorisation: return share_of(c.disputed.minor, terms.issuer_share_bp);
    case ReasonCategory::processing:
    case ReasonCategory::consumer: {
      const int64_t claimed = c.chargeback_minor != 0 ? c.chargeback_minor : c.disputed.minor;
      return c.state == CaseState::closed_won || c.state == CaseState::expired ? claimed : 0;
    }
  }
  return 0;
}

}  // namespace

const char* entry_kind_name(EntryKind k) noexcept {
  switch (k) {
    case EntryKind::provisional_credit: return "provisional_credit";
    case EntryKind::provisional_credit_reversal: return "provisional_credit_reversal";
    case EntryKind::refund: return "refund";
    case EntryKind::chargeback_recovery_receivable: return "chargeback_recovery_receivable";
    case EntryKind::fee_waiver: return "fee_waiver";
    case EntryKind::reward_points: return "reward_points";
  }
  return "?";
}

CompensationPlan plan_compensation(const Case& c, const CompensationTerms& terms) {
  HF_REQUIRE(is_closed(c.state));
  HF_REQUIRE(terms.issuer_share_bp >= 0 && terms.issuer_share_bp <= 10000);
  HF_REQUIRE(terms.fee_waiver_minor >= 0 && terms.reward_points >= 0);
  CompensationPlan plan;
  const Currency ccy = c.disputed.currency;
  auto add = [&](EntryKind kind, int64_t amount, Currency cur, Party who, Timestamp at) {
    if (amount > 0)
      plan.entries.push_back(CompensationEntry{kind, c.case_id, c.account_id, Money{amount, cur}, who, at});
  };
  plan.cardholder_entitlement_minor = entitlement(c, terms);
  const int64_t provisional = c.provisional_credit_minor;
  add(EntryKind::provisional_credit, provisional, ccy, Party::issuer, c.provisional_credit_at);
  add(EntryKind::provisional_credit_reversal, provisional - plan.cardholder_entitlement_minor, ccy,
      Party::cardholder, c.closed_at);
  add(EntryKind::refund, plan.cardholder_entitlement_minor - provisional, ccy, Party::issuer, c.closed_at);
  if (c.state == CaseState::closed_won) plan.recovery_minor = c.chargeback_minor;
  add(EntryKind::chargeback_recovery_receivable, plan.recovery_minor, ccy, Party::acquirer, c.closed_at);
  add(EntryKind::fee_waiver, terms.fee_waiver_minor, ccy, Party::issuer, c.closed_at);
  add(EntryKind::reward_points, terms.reward_points, Currency{}, Party::issuer, c.closed_at);
  // Amounts near int64's edge (the engine takes any int64) must not wrap the reported loss.
  plan.issuer_net_loss_minor = saturate(static_cast<Wide>(plan.cardholder_entitlement_minor) +
                                        terms.fee_waiver_minor - plan.recovery_minor);
  return plan;
}

}  // namespace holdfast::disputes
