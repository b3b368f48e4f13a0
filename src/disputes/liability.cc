#include "disputes/liability.h"

#include <algorithm>

namespace holdfast::disputes {

namespace {

constexpr int32_t kWhole = 10000;  // basis points

LiabilityAssessment finish(LiabilityAssessment a, const LiabilityClaim& claim) {
  if (claim.kind == TheftKind::counterfeit_card_present && claim.chip_card_read_by_stripe) {
    a.recover_from_acquirer = true;
    a.reasons.push_back(LiabilityReason::acquirer_liable_emv_shift);
  }
  a.issuer_bp = kWhole - a.cardholder_bp;
  a.bears = a.issuer_bp >= a.cardholder_bp ? Party::issuer : Party::cardholder;
  HF_ASSERT(a.cardholder_bp >= 0 && a.cardholder_bp <= kWhole);
  return a;
}

}  // namespace

const char* liability_reason_name(LiabilityReason r) noexcept {
  switch (r) {
    case LiabilityReason::issuer_burden_of_proof: return "issuer_burden_of_proof";
    case LiabilityReason::payment_after_report: return "payment_after_report";
    case LiabilityReason::issuer_evidence_lost: return "issuer_evidence_lost";
    case LiabilityReason::issuer_failed_to_spot_counterfeit: return "issuer_failed_to_spot_counterfeit";
    case LiabilityReason::issuer_failed_to_stop_abnormal_spending:
      return "issuer_failed_to_stop_abnormal_spending";
    case LiabilityReason::cardholder_reported_promptly: return "cardholder_reported_promptly";
    case LiabilityReason::cardholder_reported_late: return "cardholder_reported_late";
    case LiabilityReason::cardholder_leaked_credentials: return "cardholder_leaked_credentials";
    case LiabilityReason::cardholder_share_capped: return "cardholder_share_capped";
    case LiabilityReason::cardholder_made_payment: return "cardholder_made_payment";
    case LiabilityReason::acquirer_liable_emv_shift: return "acquirer_liable_emv_shift";
  }
  return "?";
}

LiabilityAssessment assess_liability(const LiabilityRules& rules, const LiabilityClaim& claim) {
  LiabilityAssessment a;
  a.reasons.push_back(LiabilityReason::issuer_burden_of_proof);
  if (claim.issuer_proved_cardholder_made_it && claim.issuer_kept_evidence) {
    a.cardholder_bp = kWhole;
    a.reasons.push_back(LiabilityReason::cardholder_made_payment);
    return finish(std::move(a), claim);
  }
  if (claim.status_at_payment != CardStatus::active || claim.payment_at >= claim.reported_at) {
    a.reasons.push_back(LiabilityReason::payment_after_report);
    return finish(std::move(a), claim);
  }
  if (!claim.issuer_kept_evidence) {
    a.reasons.push_back(LiabilityReason::issuer_evidence_lost);
    return finish(std::move(a), claim);
  }
  bool issuer_at_fault = false;
  if (claim.kind == TheftKind::counterfeit_card_present && !claim.issuer_stopped) {
    a.reasons.push_back(LiabilityReason::issuer_failed_to_spot_counterfeit);
    issuer_at_fault = true;
  }
  if (claim.issuer_flagged_abnormal && !claim.issuer_stopped) {
    a.reasons.push_back(LiabilityReason::issuer_failed_to_stop_abnormal_spending);
    issuer_at_fault = true;
  }
  const int64_t prompt_s = static_cast<int64_t>(rules.prompt_report_hours) * 3600;
  const Timestamp report_due = add_seconds_saturating(claim.aware_at, prompt_s);
  int32_t cardholder = 0;
  if (claim.reported_at <= report_due) {
    a.reasons.push_back(LiabilityReason::cardholder_reported_promptly);
  } else if (claim.payment_at > report_due) {
    // Reported late, and this payment is part of the loss the delay enlarged.
    a.reasons.push_back(LiabilityReason::cardholder_reported_late);
    cardholder += rules.late_report_share_bp;
  }
  if (claim.cardholder_leaked_credentials) {
    a.reasons.push_back(LiabilityReason::cardholder_leaked_credentials);
    cardholder += rules.leaked_credentials_share_bp;
  }
  int32_t cap = rules.cardholder_max_share_bp;
  if (issuer_at_fault) cap = std::min(cap, kWhole - rules.issuer_main_liability_min_bp);
  if (cardholder > cap) {
    cardholder = cap;
    a.reasons.push_back(LiabilityReason::cardholder_share_capped);
  }
  a.cardholder_bp = cardholder;
  return finish(std::move(a), claim);
}

}  // namespace holdfast::disputes
