// The ledger movements a closed case implies, as neutral entries the engine posts
// (engine_disputes.cc: the engine owns the ledger; this module only says what to post).
//
//   CompensationPlan plan_compensation(const Case&, const CompensationTerms&)
//
// The bank answers to the consumer; issuer, scheme and acquirer settle among themselves. So the
// cardholder's entitlement and the issuer's recovery are separate:
//  - entitlement: for fraud and authorisation claims, the issuer's share of the disputed amount
//    from the liability assessment (whatever the chargeback's fate); for processing and consumer
//    claims, the chargeback amount if the case was won or the issuer let it expire, else 0; a
//    withdrawn claim entitles to nothing.
//  - the provisional credit (already posted when granted) is listed first; the entitlement above
//    it is a refund, below it a provisional_credit_reversal borne by the cardholder.
//  - a won case books the chargeback amount as a receivable from the acquirer.
//  - fee waivers and reward points are goodwill the issuer bears, listed when given.
// Entries are in a fixed order (the kind order below), so equal cases give equal plans.
#pragma once

#include <cstdint>
#include <vector>

#include "base/money.h"
#include "disputes/case.h"
#include "disputes/liability.h"

namespace holdfast::disputes {

enum class EntryKind : uint8_t {
  provisional_credit = 0,
  provisional_credit_reversal = 1,
  refund = 2,
  chargeback_recovery_receivable = 3,
  fee_waiver = 4,
  reward_points = 5,  // amount is points, currency 0
};
const char* entry_kind_name(EntryKind k) noexcept;

struct CompensationEntry {
  EntryKind kind = EntryKind::refund;
  uint64_t case_id = 0;
  uint64_t account_id = 0;
  Money amount;  // always positive
  Party borne_by = Party::issuer;
  Timestamp at;  // when the movement happened or happens (the grant, or the close)
  friend bool operator==(const CompensationEntry&, const CompensationEntry&) = default;
};

struct CompensationTerms {
  // Issuer share of a fraud / authorisation claim (from assess_liability), basis points.
  int32_t issuer_share_bp = 10000;
  int64_t fee_waiver_minor = 0;  // fees refunded as goodwill (account currency)
  int64_t reward_points = 0;
};

struct CompensationPlan {
  std::vector<CompensationEntry> entries;
  int64_t cardholder_entitlement_minor = 0;
  int64_t recovery_minor = 0;         // from the acquirer
  int64_t issuer_net_loss_minor = 0;  // entitlement + fee waiver - recovery (may be negative)
};

// REQUIRES: is_closed(c.state); 0 <= terms.issuer_share_bp <= 10000; waiver and points >= 0.
CompensationPlan plan_compensation(const Case& c, const CompensationTerms& terms);

}  // namespace holdfast::disputes
