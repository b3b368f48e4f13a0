// Test support: the money conservation oracle, used by the engine's random walks and by the
// engine fuzz target (fuzz/money_fuzz.cc). Header-only, no test framework.
//
// Conservation, per cardholder account (its ledger account, posted sums):
//   credits_posted <= debits_posted + genuine credits
// where the genuine credits are what the commands gave the cardholder outright: approved
// refunds (any card message with processing code 20, first transmission, in the account
// currency by the engine's documented rule: DE 6 when billed in the account currency, else DE 4
// when DE 49 is) and goodwill fee waivers (CloseCompensation). Everything else that credits a
// cardholder (a reversal, a chargeback, a provisional credit, a compensation refund, a waived
// fee) gives back part of something the cardholder was debited first, so it cannot make the
// account hold more credit than that. Together with books_balance() after every command.
#pragma once

#include <map>
#include <string>

#include "engine/engine.h"

namespace holdfast::engine::testing {

class MoneyOracle {
 public:
  // Call after every command with the reply it got.
  void applied(const Engine& engine, const CommandBody& body, const Reply& reply) {
    if (std::holds_alternative<OpenAccount>(body)) {
      if (reply.outcome == Outcome::admin_done) genuine_credit_minor_.emplace(reply.entity_id, 0);
    } else if (const auto* m = std::get_if<CardMessage>(&body)) {
      if (m->transaction_type != TransactionType::refund || reply.duplicate || !is_approval(reply.outcome))
        return;
      if (m->kind == MessageKind::reversal_request || m->kind == MessageKind::reversal_advice) return;
      const cards::Account* account = account_of(engine, m->pan_hash);
      if (account == nullptr) return;
      add(account->id.value, account_amount(*m, account->currency));
    } else if (const auto* c = std::get_if<CloseCompensation>(&body)) {
      auto d = engine.disputes().find(c->case_id);
      if (reply.outcome == Outcome::admin_done && d != engine.disputes().end() && c->fee_waiver_minor > 0)
        add(d->second.dispute.account_id, c->fee_waiver_minor);
    }
  }

  // An account opened before the oracle watched (or without applied()).
  void watch_account(uint64_t account_id) { genuine_credit_minor_.emplace(account_id, 0); }

  // An empty string when every account opened so far conserves money; else what does not.
  std::string violation(const Engine& engine) const {
    if (!engine.ledger().books_balance()) return "the books do not balance";
    for (const auto& [id, genuine] : genuine_credit_minor_) {
      const cards::Account* account = engine.find_account(cards::AccountId{id});
      if (account == nullptr) continue;
      const ledger::LedgerAccount& books = engine.ledger().account(account->ledger_index);
      const Wide allowed = static_cast<Wide>(books.debits_posted) + genuine;
      if (books.credits_posted > allowed)
        return "account " + std::to_string(id) + " holds more credit than it was given: credits " +
               std::to_string(books.credits_posted) + ", debits " + std::to_string(books.debits_posted) +
               ", genuine credits " + std::to_string(static_cast<int64_t>(genuine));
      if (books.debits_pending < 0) return "account " + std::to_string(id) + " has negative holds";
    }
    return "";
  }

  // DE 6 when billed in the account currency, else DE 4 when DE 49 is (docs/ARCHITECTURE.md).
  static int64_t account_amount(const CardMessage& m, Currency account_currency) {
    if (m.billing_amount_minor > 0 && m.billing_currency == account_currency) return m.billing_amount_minor;
    return m.currency == account_currency ? m.amount_minor : 0;
  }

 private:
  static const cards::Account* account_of(const Engine& engine, const cards::PanHash& pan_hash) {
    const cards::Card* card = engine.find_card(pan_hash);
    if (card == nullptr) {
      const cards::Token* token = engine.find_token(pan_hash);
      if (token != nullptr) card = engine.find_card(token->card);
    }
    return card == nullptr ? nullptr : engine.find_account(card->account);
  }
  void add(uint64_t account_id, int64_t amount) { genuine_credit_minor_[account_id] += amount; }

  std::map<uint64_t, Wide> genuine_credit_minor_;  // card account id -> refunds and goodwill given
};

}  // namespace holdfast::engine::testing
