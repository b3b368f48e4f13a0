// Outcomes: why the engine answered as it did. A decline is a value, not an error. The enum is
// ordered by precedence within each group: the first failing check decides. Each outcome maps
// to exactly one ISO 8583:1987 response code (exhaustive switch, no default), and keeps its name
// for the explanation shown to operators.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace holdfast::engine {

enum class Outcome : uint8_t {
  // Approvals and accepted advices.
  approved = 0,
  account_verified,  // a zero-amount authorisation: card checked, nothing held
  approved_refund,   // a credit to the cardholder
  balance_inquiry_answered,
  advice_accepted,             // applied within open-to-buy
  advice_accepted_over_limit,  // applied beyond open-to-buy: flagged, never refused
  reversal_applied,
  reversal_already_applied,  // the same reversal again: nothing more to undo
  reversal_before_original,  // recorded; the original will find it and be voided
  network_accepted,
  // Clearing (presentments) and uplifts.
  presentment_matched,          // posted against its authorisation (within tolerance)
  presentment_late,             // its authorisation's hold had expired: posted all the same
  presentment_over_cleared,     // above the authorised amount plus tolerance: the excess is unauthorised
  presentment_unauthorised,     // no authorisation behind it: force-posted and flagged
  presentment_reversed,         // an earlier presentment undone
  presentment_already_applied,  // the same clearing record again: nothing changes
  representment_recorded,       // the acquirer's second presentment, recorded on its chargeback
  clearing_acknowledged,        // a chargeback-cycle record with nothing to apply
  uplift_granted,
  admin_done,

  // Declines, in the order the authorisation pipeline checks them.
  duplicate_transmission,        // 94: same acquirer, STAN and time as another card's message
  link_not_signed_on,            // 91: the acquirer link has not signed on (when required)
  format_error,                  // 30: a required element is missing or unusable
  invalid_transaction,           // 12: a processing code or message holdfast does not handle
  invalid_amount,                // 13
  unknown_card,                  // 14
  card_closed,                   // 14: closed cards are no longer valid numbers
  card_lost,                     // 41
  card_stolen,                   // 43
  card_blocked,                  // 62: restricted
  token_suspended,               // 62: the wallet token is suspended or deleted
  card_expired,                  // 54: expired by date or by status
  expiry_mismatch,               // 54: the expiry sent is not the card's
  pin_tries_exceeded,            // 75: the PIN try limit was reached
  incorrect_pin,                 // 55
  card_verification_failed,      // 05: CVV1, iCVV or CVV2 does not match
  card_verification_missing,     // 05: card-not-present without CVV2 where the product needs it
  cryptogram_failed,             // 05: the ARQC does not verify
  token_cryptogram_missing,      // 05: a token message without the verified cryptogram its entry mode needs
  atc_replayed,                  // 05: an ATC at or below the last verified one: a cloned chip
  atc_out_of_window,             // 05: an ATC far ahead of the last verified one
  fallback_not_allowed,          // 05: a chip card read by magnetic stripe
  currency_not_supported,        // 12: neither amount is in the account currency
  card_not_present_not_allowed,  // 57
  cross_border_not_allowed,      // 57
  cash_not_allowed,              // 57
  exceeds_single_limit,          // 61
  insufficient_funds,            // 51 (detail: the uplift gate's refusal, when it refused one abroad)
  original_not_found,            // 25: a reversal whose original is unknown (and not recorded)
  original_already_reversed,     // 12: the original arrived after its reversal: voided
  ledger_overflow,               // 96: an amount that cannot be represented

  // Clearing records the issuer cannot apply (returned to the scheme as clearing rejects).
  presentment_unknown_card,        // 14: no card or token with this number
  presentment_currency_unusable,   // 12: no amount in the account currency (DE 6 missing)
  presentment_original_not_found,  // 25: a presentment reversal whose presentment is unknown

  // Uplift refusals: the uplift gate (engine_uplift.cc), in the order it checks.
  uplift_not_offered,           // 57: the product grants no uplifts
  uplift_card_not_active,       // 62: blocked, lost, expired... or under a fraud case
  uplift_country_not_allowed,   // 57: not abroad, or not a country the product lists
  uplift_card_not_present,      // 57: card-not-present spend is not trusted with more credit
  uplift_fallback,              // 57: a stripe fallback read
  uplift_dormant,               // 57: the card (or token) was dormant
  uplift_token_too_new,         // 57: the token was provisioned too recently
  uplift_recent_offline_items,  // 57: unauthorised offline items were seen lately

  // Administrative refusals.
  admin_unknown_account,
  admin_unknown_card,
  admin_duplicate_id,
  admin_duplicate_card,
  admin_no_card_range,
  admin_invalid,
  admin_unknown_token,
  // Cardholder disputes (engine_disputes.cc): a claim or a case step refused. The lifecycle's
  // refusals (disputes::RefusalCode) map one to one; Reply::detail carries the deadline that
  // passed, the largest amount allowed, the missing evidence kind or the case already open.
  dispute_unknown_presentment,                 // 25: no such presented transaction (or no longer remembered)
  dispute_already_open,                        // 12: the presentment already has a case (detail: its id)
  dispute_unknown_reason_code,                 // 12: not a code of the card's scheme (rules config)
  dispute_amount_not_positive,                 // 13
  dispute_amount_above_posted,                 // 13: more than the presentment posted (detail: the most)
  dispute_deadline_passed,                     // 12: detail: the deadline, microseconds since the epoch
  dispute_unknown_case,                        // 25
  dispute_case_closed,                         // 12
  dispute_transition_not_allowed,              // 12: not a step the case's state allows
  dispute_documentation_missing,               // 12: detail: the disputes::EvidenceKind missing
  dispute_amount_above_disputed,               // 13: detail: the disputed amount
  dispute_provisional_credit_already_granted,  // 12
  dispute_pre_arbitration_not_required,        // 12: the code goes straight to arbitration
  dispute_evidence_limit,                      // 12
  dispute_description_too_long,                // 12
  dispute_nothing_due,                         // 12: a deadline pulse with no deadline passed
  dispute_not_closed,                          // 12: compensation settles closed cases only
  dispute_already_compensated,                 // 12
};
constexpr int kOutcomeCount = static_cast<int>(Outcome::dispute_already_compensated) + 1;

std::string_view outcome_name(Outcome o) noexcept;
// Two-character ISO 8583:1987 response code (DE 39).
std::array<char, 2> response_code(Outcome o) noexcept;
bool is_approval(Outcome o) noexcept;

}  // namespace holdfast::engine
