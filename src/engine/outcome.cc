#include "engine/outcome.h"

namespace holdfast::engine {

std::string_view outcome_name(Outcome o) noexcept {
  switch (o) {
    case Outcome::approved: return "approved";
    case Outcome::account_verified: return "account_verified";
    case Outcome::approved_refund: return "approved_refund";
    case Outcome::balance_inquiry_answered: return "balance_inquiry_answered";
    case Outcome::advice_accepted: return "advice_accepted";
    case Outcome::advice_accepted_over_limit: return "advice_accepted_over_limit";
    case Outcome::reversal_applied: return "reversal_applied";
    case Outcome::reversal_already_applied: return "reversal_already_applied";
    case Outcome::reversal_before_original: return "reversal_before_original";
    case Outcome::network_accepted: return "network_accepted";
    case Outcome::presentment_matched: return "presentment_matched";
    case Outcome::presentment_late: return "presentment_late";
    case Outcome::presentment_over_cleared: return "presentment_over_cleared";
    case Outcome::presentment_unauthorised: return "presentment_unauthorised";
    case Outcome::presentment_reversed: return "presentment_reversed";
    case Outcome::presentment_already_applied: return "presentment_already_applied";
    case Outcome::representment_recorded: return "representment_recorded";
    case Outcome::clearing_acknowledged: return "clearing_acknowledged";
    case Outcome::uplift_granted: return "uplift_granted";
    case Outcome::admin_done: return "admin_done";
    case Outcome::duplicate_transmission: return "duplicate_transmission";
    case Outcome::link_not_signed_on: return "link_not_signed_on";
    case Outcome::format_error: return "format_error";
    case Outcome::invalid_transaction: return "invalid_transaction";
    case Outcome::invalid_amount: return "invalid_amount";
    case Outcome::unknown_card: return "unknown_card";
    case Outcome::card_closed: return "card_closed";
    case Outcome::card_lost: return "card_lost";
    case Outcome::card_stolen: return "card_stolen";
    case Outcome::card_blocked: return "card_blocked";
    case Outcome::token_suspended: return "token_suspended";
    case Outcome::card_expired: return "card_expired";
    case Outcome::expiry_mismatch: return "expiry_mismatch";
    case Outcome::pin_tries_exceeded: return "pin_tries_exceeded";
    case Outcome::incorrect_pin: return "incorrect_pin";
    case Outcome::card_verification_failed: return "card_verification_failed";
    case Outcome::card_verification_missing: return "card_verification_missing";
    case Outcome::cryptogram_failed: return "cryptogram_failed";
    case Outcome::token_cryptogram_missing: return "token_cryptogram_missing";
    case Outcome::atc_replayed: return "atc_replayed";
    case Outcome::atc_out_of_window: return "atc_out_of_window";
    case Outcome::fallback_not_allowed: return "fallback_not_allowed";
    case Outcome::currency_not_supported: return "currency_not_supported";
    case Outcome::card_not_present_not_allowed: return "card_not_present_not_allowed";
    case Outcome::cross_border_not_allowed: return "cross_border_not_allowed";
    case Outcome::cash_not_allowed: return "cash_not_allowed";
    case Outcome::exceeds_single_limit: return "exceeds_single_limit";
    case Outcome::insufficient_funds: return "insufficient_funds";
    case Outcome::original_not_found: return "original_not_found";
    case Outcome::original_already_reversed: return "original_already_reversed";
    case Outcome::ledger_overflow: return "ledger_overflow";
    case Outcome::presentment_unknown_card: return "presentment_unknown_card";
    case Outcome::presentment_currency_unusable: return "presentment_currency_unusable";
    case Outcome::presentment_original_not_found: return "presentment_original_not_found";
    case Outcome::uplift_not_offered: return "uplift_not_offered";
    case Outcome::uplift_card_not_active: return "uplift_card_not_active";
    case Outcome::uplift_country_not_allowed: return "uplift_country_not_allowed";
    case Outcome::uplift_card_not_present: return "uplift_card_not_present";
    case Outcome::uplift_fallback: return "uplift_fallback";
    case Outcome::uplift_dormant: return "uplift_dormant";
    case Outcome::uplift_token_too_new: return "uplift_token_too_new";
    case Outcome::uplift_recent_offline_items: return "uplift_recent_offline_items";
    case Outcome::admin_unknown_account: return "unknown_account";
    case Outcome::admin_unknown_card: return "unknown_card";
    case Outcome::admin_duplicate_id: return "duplicate_id";
    case Outcome::admin_duplicate_card: return "duplicate_card";
    case Outcome::admin_no_card_range: return "no_card_range";
    case Outcome::admin_invalid: return "invalid_request";
    case Outcome::admin_unknown_token: return "unknown_token";
    case Outcome::dispute_unknown_presentment: return "unknown_presentment";
    case Outcome::dispute_already_open: return "dispute_already_open";
    case Outcome::dispute_unknown_reason_code: return "unknown_reason_code";
    case Outcome::dispute_amount_not_positive: return "amount_not_positive";
    case Outcome::dispute_amount_above_posted: return "amount_above_posted";
    case Outcome::dispute_deadline_passed: return "deadline_passed";
    case Outcome::dispute_unknown_case: return "unknown_case";
    case Outcome::dispute_case_closed: return "case_closed";
    case Outcome::dispute_transition_not_allowed: return "transition_not_allowed";
    case Outcome::dispute_documentation_missing: return "documentation_missing";
    case Outcome::dispute_amount_above_disputed: return "amount_above_disputed";
    case Outcome::dispute_provisional_credit_already_granted: return "provisional_credit_already_granted";
    case Outcome::dispute_pre_arbitration_not_required: return "pre_arbitration_not_required";
    case Outcome::dispute_evidence_limit: return "evidence_limit";
    case Outcome::dispute_description_too_long: return "description_too_long";
    case Outcome::dispute_nothing_due: return "nothing_due";
    case Outcome::dispute_not_closed: return "case_not_closed";
    case Outcome::dispute_already_compensated: return "already_compensated";
  }
  return "?";
}

std::array<char, 2> response_code(Outcome o) noexcept {
  auto code = [](const char(&c)[3]) { return std::array<char, 2>{c[0], c[1]}; };
  switch (o) {
    case Outcome::approved:
    case Outcome::account_verified:
    case Outcome::approved_refund:
    case Outcome::balance_inquiry_answered:
    case Outcome::advice_accepted:
    case Outcome::advice_accepted_over_limit:
    case Outcome::reversal_applied:
    case Outcome::reversal_already_applied:
    case Outcome::reversal_before_original:
    case Outcome::network_accepted:
    case Outcome::presentment_matched:
    case Outcome::presentment_late:
    case Outcome::presentment_over_cleared:
    case Outcome::presentment_unauthorised:
    case Outcome::presentment_reversed:
    case Outcome::presentment_already_applied:
    case Outcome::representment_recorded:
    case Outcome::clearing_acknowledged:
    case Outcome::uplift_granted:
    case Outcome::admin_done: return code("00");
    case Outcome::duplicate_transmission: return code("94");
    case Outcome::link_not_signed_on: return code("91");
    case Outcome::format_error: return code("30");
    case Outcome::invalid_transaction: return code("12");
    case Outcome::invalid_amount: return code("13");
    case Outcome::unknown_card: return code("14");
    case Outcome::card_closed: return code("14");
    case Outcome::card_lost: return code("41");
    case Outcome::card_stolen: return code("43");
    case Outcome::card_blocked: return code("62");
    case Outcome::token_suspended: return code("62");
    case Outcome::card_expired: return code("54");
    case Outcome::expiry_mismatch: return code("54");
    case Outcome::pin_tries_exceeded: return code("75");
    case Outcome::incorrect_pin: return code("55");
    case Outcome::card_verification_failed:
    case Outcome::card_verification_missing:
    case Outcome::cryptogram_failed:
    case Outcome::token_cryptogram_missing:
    case Outcome::atc_replayed:
    case Outcome::atc_out_of_window:
    case Outcome::fallback_not_allowed: return code("05");
    case Outcome::currency_not_supported: return code("12");
    case Outcome::card_not_present_not_allowed: return code("57");
    case Outcome::cross_border_not_allowed: return code("57");
    case Outcome::cash_not_allowed: return code("57");
    case Outcome::exceeds_single_limit: return code("61");
    case Outcome::insufficient_funds: return code("51");
    case Outcome::original_not_found: return code("25");
    case Outcome::original_already_reversed: return code("12");
    case Outcome::ledger_overflow: return code("96");
    case Outcome::presentment_unknown_card: return code("14");
    case Outcome::presentment_currency_unusable: return code("12");
    case Outcome::presentment_original_not_found: return code("25");
    case Outcome::uplift_card_not_active: return code("62");
    case Outcome::uplift_not_offered:
    case Outcome::uplift_country_not_allowed:
    case Outcome::uplift_card_not_present:
    case Outcome::uplift_fallback:
    case Outcome::uplift_dormant:
    case Outcome::uplift_token_too_new:
    case Outcome::uplift_recent_offline_items: return code("57");
    case Outcome::admin_unknown_account:
    case Outcome::admin_unknown_card:
    case Outcome::admin_duplicate_id:
    case Outcome::admin_duplicate_card:
    case Outcome::admin_no_card_range:
    case Outcome::admin_invalid:
    case Outcome::admin_unknown_token: return code("12");
    case Outcome::dispute_unknown_presentment:
    case Outcome::dispute_unknown_case: return code("25");
    case Outcome::dispute_amount_not_positive:
    case Outcome::dispute_amount_above_posted:
    case Outcome::dispute_amount_above_disputed: return code("13");
    case Outcome::dispute_already_open:
    case Outcome::dispute_unknown_reason_code:
    case Outcome::dispute_deadline_passed:
    case Outcome::dispute_case_closed:
    case Outcome::dispute_transition_not_allowed:
    case Outcome::dispute_documentation_missing:
    case Outcome::dispute_provisional_credit_already_granted:
    case Outcome::dispute_pre_arbitration_not_required:
    case Outcome::dispute_evidence_limit:
    case Outcome::dispute_description_too_long:
    case Outcome::dispute_nothing_due:
    case Outcome::dispute_not_closed:
    case Outcome::dispute_already_compensated: return code("12");
  }
  return code("96");
}

// Approvals and accepted advices are the first group, up to admin_done.
bool is_approval(Outcome o) noexcept { return o <= Outcome::admin_done; }

}  // namespace holdfast::engine
