// Who bears the loss of an unauthorised-use claim, and why: the China 2021 rules (SPC judicial
// interpretation 法释〔2021〕10号, RULES.md §6) as the seed describes them (BRIEF.md).
//
//   LiabilityAssessment assess_liability(const LiabilityRules&, const LiabilityClaim&)
//
// The issuer carries the burden of proof (Art. 4) and starts at 100%. It keeps the main
// liability (at least issuer_main_liability_min_bp) when it failed to spot a counterfeit card or
// to stop abnormal spending (Art. 6-7), and all of it when the card was already reported or
// blocked, or when it did not keep the evidence (Art. 5). Cardholder faults shift a configured
// share each: failing to safeguard credentials (Art. 7), and a late loss report for the loss it
// enlarged (Art. 7), capped at cardholder_max_share_bp. An issuer that proves the cardholder made
// or authorised the payment shifts all of it. Every threshold comes from the rules config.
// The split is between issuer and cardholder, as the bank answers to the consumer; recovery from
// the acquirer (EMV liability shift) is a chargeback and is flagged, not subtracted.
// Pure function; deterministic.
#pragma once

#include <cstdint>
#include <vector>

#include "base/time.h"
#include "disputes/case.h"
#include "disputes/rules.h"

namespace holdfast::disputes {

enum class TheftKind : uint8_t {
  counterfeit_card_present = 0,  // 伪卡盗刷: a forged card at a terminal
  online_theft = 1,              // 网络盗刷: card data used card-not-present
  lost_or_stolen_card = 2,       // the genuine card used by someone else
};

enum class CardStatus : uint8_t {
  active = 0,
  reported_lost = 1,
  frozen_by_cardholder = 2,
  blocked_by_issuer = 3
};

struct LiabilityClaim {
  TheftKind kind = TheftKind::online_theft;
  CardStatus status_at_payment = CardStatus::active;  // card status when the payment was approved
  Timestamp payment_at;                               // when the disputed payment happened
  Timestamp aware_at;                    // when the cardholder knew or was told (e.g. the issuer's alert)
  Timestamp reported_at;                 // when the cardholder reported the loss / froze the card
  bool issuer_flagged_abnormal = false;  // the issuer's risk control saw the spending as abnormal
  bool issuer_stopped = false;           // ... and declined or blocked it in time
  bool issuer_kept_evidence = true;      // slips, CCTV, verification data kept (Art. 5)
  bool issuer_proved_cardholder_made_it = false;  // Art. 4: the issuer's burden, met
  bool cardholder_leaked_credentials = false;     // PIN, OTP, CVV2 given away or left unguarded
  bool chip_card_read_by_stripe = false;          // counterfeit of a chip card at a non-chip terminal
};

enum class LiabilityReason : uint8_t {
  issuer_burden_of_proof = 0,  // Art. 4: the issuer starts with all of it
  payment_after_report = 1,    // the card was reported / frozen / blocked before it
  issuer_evidence_lost = 2,    // Art. 5
  issuer_failed_to_spot_counterfeit = 3,
  issuer_failed_to_stop_abnormal_spending = 4,
  cardholder_reported_promptly = 5,
  cardholder_reported_late = 6,       // Art. 7: bears the enlarged loss
  cardholder_leaked_credentials = 7,  // Art. 7: failed to safeguard
  cardholder_share_capped = 8,
  cardholder_made_payment = 9,     // Art. 4: the issuer proved it
  acquirer_liable_emv_shift = 10,  // recover by chargeback (Visa 10.1, Mastercard 4870)
};
const char* liability_reason_name(LiabilityReason r) noexcept;

struct LiabilityAssessment {
  Party bears = Party::issuer;  // the party with the larger share
  int32_t issuer_bp = 10000;
  int32_t cardholder_bp = 0;  // issuer_bp + cardholder_bp == 10000
  bool recover_from_acquirer = false;
  std::vector<LiabilityReason> reasons;  // in the order they were applied
};

LiabilityAssessment assess_liability(const LiabilityRules& rules, const LiabilityClaim& claim);

}  // namespace holdfast::disputes
