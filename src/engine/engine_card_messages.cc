// The card message pipelines: authorisation and financial requests, advices, reversals and
// network management. Each is a short sequence of checks; the first failing check decides the
// outcome (outcome.h lists them in that order).
#include <algorithm>

#include "base/assert.h"
#include "engine/engine.h"
#include "engine/engine_internal.h"

namespace holdfast::engine {
namespace {

bool is_advice_approved(const CardMessage& m) {
  // An advice without a response code reports a completed (approved) transaction. EMV's
  // offline codes are approvals too: Y1 offline approved, Y3 unable to go online, approved
  // offline (Z1 and Z3 are their declines).
  const auto& rc = m.advice_response_code;
  const bool absent = rc[0] == '\0' && rc[1] == '\0';
  return absent || (rc[0] == '0' && rc[1] == '0') || (rc[0] == 'Y' && (rc[1] == '1' || rc[1] == '3'));
}

// Scales an account-currency amount by the share `part / whole` of the transaction amount that
// remains, never beyond the whole: a replacement amount at or above the original keeps it all.
// DE 4 and DE 6 are independent 12-digit values, so without the bound the share could be many
// times the amount (and wrap int64).
int64_t scale(int64_t account_amount, int64_t part, int64_t whole) {
  if (part <= 0) return 0;
  if (whole <= 0 || part >= whole) return account_amount;
  return static_cast<int64_t>(static_cast<Wide>(account_amount) * part / whole);  // < account_amount
}

// A token lives in a wallet (contactless, in-app, card on file): its messages prove the device
// with a cryptogram, never with a stripe or a printed code alone. A verified ARQC (DE 55) always
// does; a contactless magnetic-stripe read (DE 22 91x) may prove it with a verified dCVV/CVC3
// instead; a card-not-present message (e-commerce, in-app without full chip data) with a
// verified CVV2 computed over the token number and its expiry. Anything else, including a value
// no key could check, is not a verified token message.
bool token_message_verified(const CardMessage& m) {
  const SecurityResults& s = m.security;
  if (s.cryptogram == CheckResult::match) return true;
  const bool card_value_match = s.card_verification == CheckResult::match;
  if (m.pos_entry_mode / 10 == 91)
    return card_value_match && s.card_verification_kind == CardVerificationKind::dynamic_cvv;
  return m.channel == Channel::card_not_present && card_value_match &&
         s.card_verification_kind == CardVerificationKind::cvv2;
}

}  // namespace

Engine::MessageRecord* Engine::find_record(uint8_t group, const MessageKey& key) {
  const uint64_t* sequence = record_index_.find(RecordKey{group, key});
  if (sequence == nullptr) return nullptr;
  HF_ASSERT(*sequence >= records_dropped_);
  return &records_[static_cast<size_t>(*sequence - records_dropped_)];
}

const Engine::MessageRecord* Engine::find_message(MessageKind kind, const MessageKey& key) const {
  return const_cast<Engine*>(this)->find_record(record_group(kind), key);
}

void Engine::remember(const CardMessage& m, cards::Card* card, const Reply& reply, uint64_t hold_id,
                      int64_t account_amount) {
  MessageRecord r;
  r.sequence = records_dropped_ + records_.size();
  r.group = record_group(m.kind);
  r.kind = m.kind;
  r.key = m.key;
  r.pan_hash = m.pan_hash;
  r.at = now_;
  r.reply = reply;
  r.card_id = card != nullptr ? card->id.value : 0;
  r.hold_id = hold_id;
  r.transaction_amount_minor = m.amount_minor;
  r.currency = m.currency;
  r.account_amount_minor = account_amount;
  r.mcc = m.mcc;
  r.channel = m.channel;
  r.retrieval_reference = m.retrieval_reference;
  r.chain_head = r.sequence;
  if (card != nullptr) {
    r.previous_for_card = card->last_record;
    card->last_record = r.sequence + 1;
  }
  push_record(r);
}

void Engine::push_record(const MessageRecord& r) {
  HF_REQUIRE(r.sequence == records_dropped_ + records_.size());
  records_.push_back(r);
  record_index_.put(RecordKey{r.group, r.key}, r.sequence);
  if (r.group == kGroupWaitingReversal) ++waiting_reversals_;
  if (records_.size() > config_.max_message_records) prune_records();
}

Reply Engine::apply_card_message(const CardMessage& m, std::vector<Event>* events) {
  ++counters_.card_messages;
  if (m.kind == MessageKind::network_management) return network(m, events);

  // E3: the same message again gets the same answer and changes nothing.
  if (MessageRecord* seen = find_record(record_group(m.kind), m.key)) {
    ++counters_.duplicates;
    if (seen->pan_hash != m.pan_hash) return account_reply(Outcome::duplicate_transmission, nullptr);
    Reply again = seen->reply;
    again.duplicate = true;
    return again;
  }
  // The gateway never sends negative amounts, nor a replacement amount above the transaction
  // amount; the engine does not rely on it.
  if (m.amount_minor < 0 || m.billing_amount_minor < 0 || m.replacement_amount_minor < 0 ||
      (m.has_replacement_amount && m.replacement_amount_minor > m.amount_minor))
    return account_reply(Outcome::invalid_amount, nullptr);
  if (config_.require_sign_on && std::find(signed_on_acquirers_.begin(), signed_on_acquirers_.end(),
                                           m.key.acquirer_id) == signed_on_acquirers_.end()) {
    return account_reply(Outcome::link_not_signed_on, nullptr);
  }
  Reply reply;
  const uint64_t first_new_record = records_dropped_ + records_.size();
  switch (m.kind) {
    case MessageKind::authorization_request:
    case MessageKind::financial_request: reply = authorize(m, events); break;
    case MessageKind::authorization_advice:
    case MessageKind::financial_advice: reply = apply_advice(m, events); break;
    case MessageKind::reversal_request:
    case MessageKind::reversal_advice: reply = reverse(m, events); break;
    case MessageKind::network_management: HF_UNREACHABLE();
  }
  for (uint64_t s = std::max(first_new_record, records_dropped_); s < records_dropped_ + records_.size(); ++s)
    link_approval(records_[static_cast<size_t>(s - records_dropped_)]);
  if (is_approval(reply.outcome))
    ++counters_.approvals;
  else
    ++counters_.declines;
  return reply;
}

Outcome Engine::check_card(const CardMessage& m, const cards::Card& card) const {
  switch (card.status) {
    case cards::CardStatus::active: break;
    case cards::CardStatus::closed: return Outcome::card_closed;
    case cards::CardStatus::lost: return Outcome::card_lost;
    case cards::CardStatus::stolen: return Outcome::card_stolen;
    case cards::CardStatus::blocked: return Outcome::card_blocked;
    case cards::CardStatus::expired: return Outcome::card_expired;
  }
  if (cards::is_expired(card.expiry_yymm, now_)) return Outcome::card_expired;
  if (m.expiry_yymm != 0 && m.expiry_yymm != card.expiry_yymm) return Outcome::expiry_mismatch;
  return Outcome::approved;
}

// Card security results, as the security stage found them, against the card's state: the PIN
// try counter and the last verified ATC change here, even when the message is declined.
Outcome Engine::check_security(const CardMessage& m, cards::Card& card, cards::Token* token,
                               const cards::Product& product) {
  const SecurityResults& s = m.security;
  if (s.pin != CheckResult::not_present && s.pin != CheckResult::not_checked) {
    if (card.pin_tries >= product.pin_try_limit) return Outcome::pin_tries_exceeded;
    if (s.pin == CheckResult::mismatch || s.pin == CheckResult::malformed) {
      ++card.pin_tries;
      return card.pin_tries >= product.pin_try_limit ? Outcome::pin_tries_exceeded : Outcome::incorrect_pin;
    }
    card.pin_tries = 0;
  }
  if (s.card_verification == CheckResult::mismatch || s.card_verification == CheckResult::malformed)
    return Outcome::card_verification_failed;
  if (m.channel == Channel::card_not_present && product.require_cvv2_card_not_present &&
      !(s.card_verification_kind == CardVerificationKind::cvv2 && s.card_verification == CheckResult::match))
    return Outcome::card_verification_missing;
  if (s.cryptogram == CheckResult::mismatch || s.cryptogram == CheckResult::malformed)
    return Outcome::cryptogram_failed;
  if (token != nullptr && !token_message_verified(m)) return Outcome::token_cryptogram_missing;
  // The counter comes from a verified ARQC, or from a verified dCVV/CVC3 (contactless
  // magstripe mode computes it over the ATC too). A token counts on its own device.
  const bool dynamic_cvv_match = s.card_verification_kind == CardVerificationKind::dynamic_cvv &&
                                 s.card_verification == CheckResult::match;
  if ((s.cryptogram == CheckResult::match || dynamic_cvv_match) && s.has_atc) {
    bool& has_atc = token != nullptr ? token->has_atc : card.has_atc;
    uint16_t& last_atc = token != nullptr ? token->last_atc : card.last_atc;
    // A counter that does not move forward is a replayed or cloned chip; one that jumps far
    // ahead is a card used somewhere holdfast never saw.
    if (has_atc && s.atc <= last_atc) return Outcome::atc_replayed;
    if (has_atc && s.atc - last_atc > product.atc_window) return Outcome::atc_out_of_window;
    has_atc = true;
    last_atc = s.atc;
  }
  const uint16_t pan_entry = m.pos_entry_mode / 10;
  const bool stripe_read = pan_entry == 2 || pan_entry == 90;
  const bool fallback = pan_entry == 80 || (stripe_read && (card.chip() || s.chip_card));
  if (fallback && product.decline_fallback) return Outcome::fallback_not_allowed;
  return Outcome::approved;
}

bool Engine::amount_in_account_currency(const CardMessage& m, const cards::Account& account,
                                        int64_t* amount) const {
  if (m.billing_amount_minor > 0 && m.billing_currency == account.currency) {
    *amount = m.billing_amount_minor;
    return true;
  }
  if (m.currency == account.currency) {
    *amount = m.amount_minor;
    return true;
  }
  return false;
}

Outcome Engine::check_controls(const CardMessage& m, const cards::Card& card, int64_t amount) const {
  const cards::CardRange* range = find_card_range(card.range);
  HF_ASSERT(range != nullptr);
  const cards::Product& product = range->product;
  if (m.channel == Channel::card_not_present && !product.allow_card_not_present)
    return Outcome::card_not_present_not_allowed;
  if (m.acquirer_country != 0 && m.acquirer_country != product.issuer_country && !product.allow_cross_border)
    return Outcome::cross_border_not_allowed;
  if (m.transaction_type == TransactionType::cash && !product.allow_cash) return Outcome::cash_not_allowed;
  if (product.single_authorization_limit_minor > 0 && amount > product.single_authorization_limit_minor)
    return Outcome::exceeds_single_limit;
  return Outcome::approved;
}

Reply Engine::authorize(const CardMessage& m, std::vector<Event>* events) {
  auto decline = [&](Outcome o, cards::Card* card, const cards::Account* account) {
    Reply r = account_reply(o, account);
    remember(m, card, r, 0, 0);
    return r;
  };
  if (!m.has_pan) return decline(Outcome::format_error, nullptr, nullptr);
  if (m.transaction_type == TransactionType::other)
    return decline(Outcome::invalid_transaction, nullptr, nullptr);
  cards::Token* token = nullptr;
  cards::Card* card = card_or_token(m.pan_hash, &token);
  if (card == nullptr) return decline(Outcome::unknown_card, nullptr, nullptr);
  cards::Account* account = account_by_id(card->account.value);
  HF_ASSERT(account != nullptr);
  // A wallet token has an expiry date of its own: the one sent is not the card's to compare.
  if (const Outcome o = check_card(m, *card);
      o != Outcome::approved && !(token != nullptr && o == Outcome::expiry_mismatch))
    return decline(o, card, account);
  if (token != nullptr && token->status != cards::TokenStatus::active)
    return decline(Outcome::token_suspended, card, account);
  const cards::Product& product = find_card_range(card->range)->product;
  if (const Outcome o = check_security(m, *card, token, product); o != Outcome::approved)
    return decline(o, card, account);
  int64_t amount = 0;
  if (!amount_in_account_currency(m, *account, &amount))
    return decline(Outcome::currency_not_supported, card, account);
  if (const Outcome o = check_controls(m, *card, amount); o != Outcome::approved)
    return decline(o, card, account);
  if (m.transaction_type == TransactionType::balance_inquiry)
    return decline(Outcome::balance_inquiry_answered, card, account);

  const uint32_t settlement = settlement_account_for_currency(account->currency);
  Outcome outcome = Outcome::approved;
  uint64_t hold_id = 0;
  bool posted = false;
  bool credit = false;
  if (amount == 0) {
    outcome = Outcome::account_verified;
  } else if (m.transaction_type == TransactionType::refund) {
    outcome = Outcome::approved_refund;
    credit = true;
    if (m.kind == MessageKind::financial_request) {
      if (!room_in(account->ledger_index, settlement, amount) ||
          !ledger_.post(settlement, account->ledger_index, amount))
        return decline(Outcome::ledger_overflow, card, account);
      posted = true;
      events->push_back({EventKind::credited, card->id.value, account->id.value, 0, amount});
    }
  } else {
    // All or nothing: the posting and a waiting reversal's undo (at most `amount` back) fit.
    if (!room_in(account->ledger_index, settlement, amount))
      return decline(Outcome::ledger_overflow, card, account);
    const Outcome uplift = open_to_buy(*account) < amount
                               ? maybe_uplift_abroad(m, *card, token, *account, product, events)
                               : Outcome::approved;
    if (open_to_buy(*account) < amount) {
      // Why no uplift helped, for the operator (explain) and the answer's detail.
      Reply declined = decline(Outcome::insufficient_funds, card, account);
      declined.detail = static_cast<int64_t>(uplift);
      records_.back().cause = uplift;
      return declined;
    }
    if (m.kind == MessageKind::financial_request) {
      if (!ledger_.post(account->ledger_index, settlement, amount))
        return decline(Outcome::ledger_overflow, card, account);
      posted = true;
      events->push_back({EventKind::posted, card->id.value, account->id.value, 0, amount});
    } else {
      const auto hold =
          ledger_.place_hold(account->ledger_index, settlement, amount, now_, hold_expiry(m.mcc));
      if (!hold) return decline(Outcome::ledger_overflow, card, account);
      hold_id = hold->value;
      events->push_back({EventKind::hold_placed, card->id.value, account->id.value, hold_id, amount});
    }
    if (config_.mode == EngineMode::legacy) account->legacy_used_minor += amount;
  }
  card->last_used_at = now_;
  if (token != nullptr) token->last_used_at = now_;
  Reply reply = account_reply(outcome, account);
  reply.approval_code = next_approval_code();
  reply.entity_id = hold_id;
  remember(m, card, reply, hold_id, amount);
  MessageRecord& record = records_.back();
  record.engine_code = true;
  record.posted = posted;
  record.credit = credit;
  if (hold_id != 0 || (posted && !credit)) join_chain(record);
  // A reversal that came first: the original is applied and then undone, so the books end as
  // if the two had arrived in order; the acquirer has already given up on this original.
  if (MessageRecord* waiting = waiting_reversals_ == 0 ? nullptr : find_record(kGroupWaitingReversal, m.key);
      waiting != nullptr && !waiting->voided && waiting->pan_hash == m.pan_hash) {
    waiting->voided = true;
    const int64_t keep = scale(amount, waiting->transaction_amount_minor, m.amount_minor);
    if (amount - keep > 0) undo(record, amount - keep, events);
    if (keep == 0) {
      record.voided = true;
      reply = account_reply(Outcome::original_already_reversed, account);
      record.reply = reply;
    } else {
      reply.open_to_buy_minor = open_to_buy(*account);
      reply.posted_balance_minor = posted_balance(*account);
      record.reply = reply;
    }
  }
  return reply;
}

Reply Engine::apply_advice(const CardMessage& m, std::vector<Event>* events) {
  auto refuse = [&](Outcome o, cards::Card* card, const cards::Account* account) {
    Reply r = account_reply(o, account);
    remember(m, card, r, 0, 0);
    return r;
  };
  if (!m.has_pan) return refuse(Outcome::format_error, nullptr, nullptr);
  cards::Token* token = nullptr;
  cards::Card* card = card_or_token(m.pan_hash, &token);
  if (card == nullptr) return refuse(Outcome::unknown_card, nullptr, nullptr);
  cards::Account* account = account_by_id(card->account.value);
  HF_ASSERT(account != nullptr);
  int64_t amount = 0;
  if (!amount_in_account_currency(m, *account, &amount))
    return refuse(Outcome::currency_not_supported, card, account);
  // A stand-in decline, or a zero amount, is acknowledged: there is nothing to apply.
  if (!is_advice_approved(m) || amount == 0) return refuse(Outcome::advice_accepted, card, account);

  // A completion of an authorisation holdfast approved (a fuel pump, a pre-authorisation: the
  // advice carries the original's approval code) is no offline item: the original's hold is
  // adjusted to the completed amount instead of a second hold placed beside it.
  if (m.transaction_type != TransactionType::refund) {
    if (MessageRecord* original = completed_authorisation(m, *card))
      return complete_authorisation(m, *original, *card, token, *account, amount, events);
  }

  // E4: the money is spent already; apply it whatever the card status or open-to-buy says.
  const uint32_t settlement = settlement_account_for_currency(account->currency);
  if (!room_in(account->ledger_index, settlement, amount))
    return refuse(Outcome::ledger_overflow, card, account);
  const bool refund = m.transaction_type == TransactionType::refund;
  const bool over_limit = !refund && open_to_buy(*account) < amount;
  uint64_t hold_id = 0;
  if (refund) {
    if (!ledger_.post(settlement, account->ledger_index, amount))
      return refuse(Outcome::ledger_overflow, card, account);
    events->push_back({EventKind::credited, card->id.value, account->id.value, 0, amount});
  } else if (m.kind == MessageKind::financial_advice) {
    if (!ledger_.post(account->ledger_index, settlement, amount))
      return refuse(Outcome::ledger_overflow, card, account);
    events->push_back({EventKind::posted, card->id.value, account->id.value, 0, amount});
  } else {
    const auto hold = ledger_.place_hold(account->ledger_index, settlement, amount, now_, hold_expiry(m.mcc));
    if (!hold) return refuse(Outcome::ledger_overflow, card, account);
    hold_id = hold->value;
    events->push_back({EventKind::hold_placed, card->id.value, account->id.value, hold_id, amount});
  }
  if (over_limit) {
    ++counters_.advices_over_limit;
    events->push_back({EventKind::advice_over_limit, card->id.value, account->id.value, hold_id, amount});
  }
  card->last_used_at = now_;
  if (token != nullptr) token->last_used_at = now_;
  // Completed without asking holdfast: an offline item, counted for burst protection (the
  // card is protected before the rest of the burst is presented). Refunds are not.
  if (!refund) note_offline_item(*card, now_, amount, events);
  Reply reply =
      account_reply(over_limit ? Outcome::advice_accepted_over_limit : Outcome::advice_accepted, account);
  reply.over_limit = over_limit;
  reply.entity_id = hold_id;
  const bool has_code = m.advice_approval_code[0] != '\0' && m.advice_approval_code[0] != ' ';
  reply.approval_code = has_code ? m.advice_approval_code : next_approval_code();
  remember(m, card, reply, hold_id, amount);
  records_.back().posted = hold_id == 0 && !refund;
  records_.back().credit = refund;
  records_.back().offline = true;
  records_.back().engine_code = !has_code;
  index_match_keys(records_.back());
  return reply;
}

Reply Engine::complete_authorisation(const CardMessage& m, MessageRecord& original, cards::Card& card,
                                     cards::Token* token, cards::Account& account, int64_t amount,
                                     std::vector<Event>* events) {
  const uint32_t settlement = settlement_account_for_currency(account.currency);
  const int64_t in_effect = original.account_amount_minor - original.undone_minor;
  const bool over_limit = open_to_buy(account) < amount - in_effect;
  uint64_t hold_id = 0;
  int64_t applied = 0;
  bool posted = false;
  auto refuse = [&](Outcome o) {
    Reply r = account_reply(o, &account);
    remember(m, &card, r, 0, 0);
    return r;
  };
  if (m.kind == MessageKind::financial_advice) {
    // Single-message completion: the amount posts and the original's hold goes.
    if (!ledger_.post(account.ledger_index, settlement, amount)) return refuse(Outcome::ledger_overflow);
    events->push_back({EventKind::posted, card.id.value, account.id.value, 0, amount});
    if (in_effect > 0) undo(original, in_effect, events);
    posted = true;
    applied = amount;
  } else if (amount < in_effect) {
    undo(original, in_effect - amount, events);
  } else if (amount > in_effect) {
    const auto hold =
        ledger_.place_hold(account.ledger_index, settlement, amount - in_effect, now_, hold_expiry(m.mcc));
    if (!hold) return refuse(Outcome::ledger_overflow);
    hold_id = hold->value;
    applied = amount - in_effect;
    events->push_back({EventKind::hold_placed, card.id.value, account.id.value, hold_id, applied});
  }
  if (over_limit) {
    ++counters_.advices_over_limit;
    events->push_back({EventKind::advice_over_limit, card.id.value, account.id.value, hold_id, amount});
  }
  card.last_used_at = now_;
  if (token != nullptr) token->last_used_at = now_;
  Reply reply =
      account_reply(over_limit ? Outcome::advice_accepted_over_limit : Outcome::advice_accepted, &account);
  reply.over_limit = over_limit;
  reply.entity_id = hold_id != 0 ? hold_id : original.hold_id;
  reply.approval_code = m.advice_approval_code;
  remember(m, &card, reply, hold_id, applied);
  MessageRecord& record = records_.back();
  record.posted = posted;
  if (hold_id != 0) {
    // The extra amount joins the original's chain: its presentment clears both.
    MessageRecord* link = &original;
    if (link->chain_head != link->sequence && link->chain_head >= records_dropped_)
      link = &records_[static_cast<size_t>(link->chain_head - records_dropped_)];
    record.chain_head = link->sequence;
    while (link->chain_next != 0 && link->chain_next >= records_dropped_)
      link = &records_[static_cast<size_t>(link->chain_next - records_dropped_)];
    link->chain_next = record.sequence;
  }
  return reply;
}

// Incremental authorisations: an approval on a card with the retrieval reference of an earlier
// approved authorisation still in its chain joins that chain, so one presentment clears them
// all; otherwise it starts its own chain.
void Engine::join_chain(MessageRecord& record) {
  MessageRecord* head = nullptr;
  // Incremental authorisations belong to the pre-authorisation MCCs (those with their own hold
  // validity: lodging, vehicle rental, cruise); only there is the card's history walked on the
  // authorisation path, and only its latest kIncrementalLookback records.
  if (!blank_chars(record.retrieval_reference) && has_hold_rule(record.mcc)) {
    const cards::Card& card = cards_.at(record.card_id);
    head = find_in_card_history(card, record.previous_for_card, &MessageRecord::previous_for_card, nullptr,
                                &record.retrieval_reference, kIncrementalLookback);
    if (head != nullptr && head->chain_head != head->sequence && head->chain_head >= records_dropped_)
      head = &records_[static_cast<size_t>(head->chain_head - records_dropped_)];
  }
  if (head != nullptr && head->sequence != record.sequence) {
    MessageRecord* link = head;
    if (link->card_id == record.card_id && !link->voided && !link->offline) {
      record.chain_head = link->sequence;
      while (link->chain_next != 0 && link->chain_next >= records_dropped_)
        link = &records_[static_cast<size_t>(link->chain_next - records_dropped_)];
      link->chain_next = record.sequence;
    }
  }
  index_match_keys(record);
}

// Legacy mode, or a product that asks for uplifts on authorisations abroad: an authorisation
// abroad beyond open-to-buy asks the uplift gate (legacy: granted blindly).
Outcome Engine::maybe_uplift_abroad(const CardMessage& m, const cards::Card& card, const cards::Token* token,
                                    cards::Account& account, const cards::Product& product,
                                    std::vector<Event>* events) {
  const bool abroad = m.acquirer_country != 0 && m.acquirer_country != product.issuer_country;
  if (!abroad || m.transaction_type == TransactionType::refund) return Outcome::approved;
  if (config_.mode != EngineMode::legacy && !product.uplift_on_authorization) return Outcome::approved;
  const uint16_t pan_entry = m.pos_entry_mode / 10;
  const bool fallback =
      pan_entry == 80 || ((pan_entry == 2 || pan_entry == 90) && (card.chip() || m.security.chip_card));
  const Outcome gate =
      uplift_gate(card, token, m.acquirer_country,
                  m.channel == Channel::card_not_present ? cards::UseChannel::card_not_present
                                                         : cards::UseChannel::card_present,
                  fallback);
  if (gate == Outcome::uplift_not_offered) return Outcome::approved;
  if (gate != Outcome::uplift_granted) {
    events->push_back(
        {EventKind::uplift_refused, card.id.value, account.id.value, 0, static_cast<int64_t>(gate)});
    return gate;
  }
  grant_uplift(account, product, config_.mode == EngineMode::legacy ? config_.legacy_uplift_multiplier_bp : 0,
               card, events);
  return Outcome::approved;
}

// Gives back `release_minor` (account currency) of what `original` held or posted.
void Engine::undo(MessageRecord& original, int64_t release_minor, std::vector<Event>* events) {
  HF_REQUIRE(release_minor > 0);
  // Never more than the original still has in effect: a reversal gives back, it never creates.
  release_minor = std::min(release_minor, original.account_amount_minor - original.undone_minor);
  if (release_minor <= 0) return;
  const cards::Card* card = find_card(cards::CardId{original.card_id});
  HF_ASSERT(card != nullptr);
  const cards::Account* account = find_account(card->account);
  HF_ASSERT(account != nullptr);
  const uint32_t settlement = settlement_account_for_currency(account->currency);
  if (config_.mode == EngineMode::legacy && !original.credit) {
    // Online reversals reach the legacy limit system at once.
    cards::Account& legacy = accounts_.at(account->id.value);
    legacy.legacy_used_minor -= std::min(legacy.legacy_used_minor, release_minor);
  }
  int64_t left = release_minor;
  if (original.hold_id != 0) {
    const int64_t released = ledger_.release_hold(ledger::HoldId{original.hold_id}, left);
    if (released > 0)
      events->push_back(
          {EventKind::hold_released, card->id.value, account->id.value, original.hold_id, released});
    left -= released;
  }
  // What was posted (a financial message) is given back by a posting the other way. A hold
  // that already expired has nothing left to release, and nothing was spent: stop there.
  // What presentments already cleared of a posted purchase is the clearing cycle's to give
  // back (a presentment reversal, a chargeback), not the reversal's: otherwise a reversal after
  // a charged-back presentment would credit the cardholder twice.
  if (original.posted && !original.credit)
    left = std::min(left, std::max<int64_t>(0, original.account_amount_minor - original.undone_minor -
                                                   original.cleared_minor));
  // Callers checked the room (room_in) before changing anything, so these postings fit.
  if (left > 0 && original.posted) {
    if (original.credit) {
      HF_ASSERT(ledger_.post(account->ledger_index, settlement, left));
      events->push_back({EventKind::posted, card->id.value, account->id.value, 0, left});
    } else {
      HF_ASSERT(ledger_.post(settlement, account->ledger_index, left));
      events->push_back({EventKind::credited, card->id.value, account->id.value, 0, left});
    }
  }
  original.undone_minor += release_minor;
}

Reply Engine::reverse(const CardMessage& m, std::vector<Event>* events) {
  const MessageKey original_key = m.has_original ? m.original_key : m.key;
  MessageRecord* original = nullptr;
  if (m.has_original && m.original_mti != 0) {
    const uint8_t group = (m.original_mti / 100) % 10 == 2 ? 2 : 1;
    original = find_record(group, original_key);
  } else {
    original = find_record(1, original_key);
    if (original == nullptr) original = find_record(2, original_key);
  }
  // Never undo another card's message that happens to share the keys.
  if (original != nullptr && m.has_pan && original->pan_hash != m.pan_hash) original = nullptr;

  if (original == nullptr) {
    // The reversal came first: remember it under its original's keys; the original, when it
    // arrives, finds it and is undone at once.
    Reply reply = account_reply(Outcome::reversal_before_original, nullptr);
    remember(m, nullptr, reply, 0, 0);
    MessageRecord waiting = records_.back();
    waiting.sequence = records_dropped_ + records_.size();
    waiting.group = kGroupWaitingReversal;
    waiting.key = original_key;
    waiting.transaction_amount_minor = m.has_replacement_amount ? m.replacement_amount_minor : 0;
    push_record(waiting);
    return reply;
  }
  auto found_card = cards_.find(original->card_id);
  cards::Card* card = found_card != cards_.end() ? &found_card->second : nullptr;
  const cards::Account* account = card != nullptr ? find_account(card->account) : nullptr;
  Outcome outcome = Outcome::reversal_already_applied;
  if (m.has_replacement_amount && m.replacement_amount_minor > original->transaction_amount_minor) {
    outcome = Outcome::invalid_amount;  // it would "keep" more than the original ever was
  } else if (is_approval(original->reply.outcome) && !original->voided &&
             original->account_amount_minor > 0) {
    const int64_t keep_txn = m.has_replacement_amount ? m.replacement_amount_minor : 0;
    const int64_t keep = scale(original->account_amount_minor, keep_txn, original->transaction_amount_minor);
    const int64_t in_effect = original->account_amount_minor - original->undone_minor;
    const int64_t release = in_effect - keep;
    if (release > 0 && account != nullptr &&
        !room_in(account->ledger_index, settlement_account_for_currency(account->currency), release)) {
      outcome = Outcome::ledger_overflow;  // the credit back does not fit: nothing is undone
    } else if (release > 0) {
      undo(*original, release, events);
      outcome = Outcome::reversal_applied;
    }
  }
  Reply reply = account_reply(outcome, account);
  reply.entity_id = original->hold_id;
  remember(m, card, reply, 0, 0);
  return reply;
}

Reply Engine::network(const CardMessage& m, std::vector<Event>* events) {
  auto& links = signed_on_acquirers_;
  const auto it = std::find(links.begin(), links.end(), m.key.acquirer_id);
  switch (m.network_function) {
    case NetworkFunction::sign_on:
      if (it == links.end()) links.push_back(m.key.acquirer_id);
      events->push_back({EventKind::link_signed_on, 0, 0, 0, 0});
      break;
    case NetworkFunction::sign_off:
      if (it != links.end()) links.erase(it);
      events->push_back({EventKind::link_signed_off, 0, 0, 0, 0});
      break;
    case NetworkFunction::echo:
    case NetworkFunction::other: break;
  }
  return account_reply(Outcome::network_accepted, nullptr);
}

}  // namespace holdfast::engine
