// Money that cannot be forged (issue 8): crafted amounts, commands whose postings do not fit in
// the books, and offline-approved advices, as stories. After every command the books balance and
// no cardholder account holds more credit than it was given (money_oracle.h).
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "base/bytes.h"
#include "engine/command_codec.h"
#include "engine/engine.h"
#include "engine/engine_test_support.h"
#include "engine/money_oracle.h"

namespace holdfast::engine {
namespace {

using ledger::AccountKind;
using testing::digest;
using testing::kCny;
using testing::kUsd;
using testing::MoneyOracle;
using testing::Story;

constexpr uint64_t kPan = 6225880000000001;
constexpr uint64_t kOtherPan = 6225880000000002;
constexpr int64_t kMaxDe4 = 999'999'999'999;  // 12 digits
constexpr int64_t kDayUs = kSecondsPerDay * kMicrosPerSecond;

std::vector<uint8_t> ledger_bytes(const Engine& engine) {
  std::vector<uint8_t> out;
  ByteWriter w(&out);
  engine.ledger().serialize(w);
  return out;
}

// A story that keeps every command, checks the oracle after each, and can replay itself from a
// snapshot taken after its set-up.
class MoneyStory : public ::testing::Test {
 protected:
  void SetUp() override {
    story.range();
    account = run_admin(OpenAccount{kCny, 60'000, 0});
    other_account = run_admin(OpenAccount{kCny, 60'000, 0});
    story.card(account, kPan);
    story.card(other_account, kOtherPan);
    story.engine.serialize(&snapshot);
  }
  void TearDown() override { expect_replay_from_snapshot(); }

  uint64_t run_admin(CommandBody body) { return run(std::move(body)).entity_id; }
  Reply run(CommandBody body) {
    commands.push_back(Command{story.now, body});
    const Reply reply = story.run(body);
    replies.push_back(reply);
    oracle.applied(story.engine, body, reply);
    EXPECT_EQ(oracle.violation(story.engine), "") << "after command " << commands.size() - 1;
    return reply;
  }
  // Snapshot after the set-up, then every later command through the journal encoding: the same
  // replies and the same state bytes.
  void expect_replay_from_snapshot() {
    Engine restored{EngineConfig{}};
    ASSERT_TRUE(restored.deserialize(snapshot));
    std::vector<Event> events;
    for (size_t i = first_after_setup(); i < commands.size(); ++i) {
      std::vector<uint8_t> bytes;
      encode_command(commands[i], &bytes);
      auto decoded = decode_command(bytes);
      ASSERT_TRUE(decoded.ok());
      events.clear();
      const Reply r = restored.apply(*decoded, &events);
      ASSERT_EQ(r.outcome, replies[i].outcome) << "command " << i;
      ASSERT_EQ(r.open_to_buy_minor, replies[i].open_to_buy_minor) << "command " << i;
    }
    std::vector<uint8_t> a, b;
    story.engine.serialize(&a);
    restored.serialize(&b);
    EXPECT_EQ(a, b);
  }
  size_t first_after_setup() const { return 2; }  // the two accounts went through run()

  // 0220 in USD billed in CNY: DE 4 = 1 (one cent), DE 6 = CNY 100,000.00.
  CardMessage dollar_cent_billed_as(int64_t billing_minor, MessageKind kind = MessageKind::financial_advice) {
    CardMessage m = story.message(kind, kPan, 1);
    m.currency = kUsd;
    m.billing_amount_minor = billing_minor;
    m.billing_currency = kCny;
    return m;
  }
  CardMessage reversal_advice_of(const CardMessage& original, int64_t replacement) {
    CardMessage r = story.reversal_of(original);
    r.kind = MessageKind::reversal_advice;
    r.mti = 420;
    r.original_mti = original.kind == MessageKind::financial_advice ? 220 : r.original_mti;
    r.has_replacement_amount = true;
    r.replacement_amount_minor = replacement;
    return r;
  }
  Presentment unauthorised_presentment(int64_t amount) {
    Presentment p = testing::unmatched_presentment(++records, kPan, amount);
    p.transaction_time = Timestamp{story.now.us - kDayUs};
    return p;
  }

  // Refunds that take a cardholder's credits (and the settlement account's debits) to within
  // `room` of int64's edge. The engine takes any int64 amount (the gateway's 12 digits are not
  // its guarantee); each refund fits on its own (every sum has room for it), two together fill.
  void push_to_the_edge(uint64_t pan, int64_t room) {
    for (const int64_t amount : {INT64_MAX / 2, INT64_MAX / 2 - room}) {
      CardMessage refund = story.message(MessageKind::financial_advice, pan, amount);
      refund.transaction_type = TransactionType::refund;
      ASSERT_TRUE(is_approval(run(refund).outcome));
    }
  }

  Story story;
  MoneyOracle oracle;
  uint64_t account = 0;
  uint64_t other_account = 0;
  uint64_t records = 0;
  std::vector<uint8_t> snapshot;
  std::vector<Command> commands;
  std::vector<Reply> replies;
};

// ---- Item 1: crafted amounts ----------------------------------------------------------------

// The review's recipe: an advice of one US cent billed as CNY 100,000, then a reversal that
// "keeps" 999,999,999,999 of it. The kept share used to wrap to about -8.4e18 and the reversal
// credited the cardholder that much.
TEST_F(MoneyStory, AReplacementAmountAboveTheOriginalIsRefusedAndCreditsNothing) {
  const CardMessage advice = dollar_cent_billed_as(10'000'000);
  EXPECT_EQ(run(advice).outcome, Outcome::advice_accepted_over_limit);
  EXPECT_EQ(story.posted(account), 10'000'000);

  const Reply crafted = run(reversal_advice_of(advice, kMaxDe4));
  EXPECT_EQ(crafted.outcome, Outcome::invalid_amount);
  EXPECT_EQ(story.code(crafted), "13");
  EXPECT_EQ(story.posted(account), 10'000'000);

  // The same with the reversal's own DE 4 raised to match: still above the original's DE 4.
  CardMessage raised = reversal_advice_of(advice, kMaxDe4);
  raised.amount_minor = kMaxDe4;
  EXPECT_EQ(run(raised).outcome, Outcome::invalid_amount);
  EXPECT_EQ(story.posted(account), 10'000'000);

  // An honest partial reversal still gives back its share: half of the cent, half of the CNY.
  EXPECT_EQ(run(reversal_advice_of(advice, 0)).outcome, Outcome::reversal_applied);
  EXPECT_EQ(story.posted(account), 0);
}

// The same through the reversal-before-original path: the waiting reversal's replacement amount
// is compared with the original when it arrives.
TEST_F(MoneyStory, AWaitingReversalAboveItsOriginalUndoesNothingWhenTheOriginalArrives) {
  run(SetCreditLimit{account, 20'000'000});
  const CardMessage purchase = dollar_cent_billed_as(10'000'000, MessageKind::financial_request);
  CardMessage early = story.reversal_of(purchase);
  early.amount_minor = kMaxDe4;
  early.has_replacement_amount = true;
  early.replacement_amount_minor = kMaxDe4;
  EXPECT_EQ(run(early).outcome, Outcome::reversal_before_original);
  const Reply original = run(purchase);
  EXPECT_EQ(original.outcome, Outcome::approved);
  EXPECT_EQ(story.posted(account), 10'000'000);
}

TEST_F(MoneyStory, HugeButHonestAmountsKeepTheirShares) {
  run(SetCreditLimit{account, kMaxDe4 * 2});
  const CardMessage purchase = story.message(MessageKind::financial_request, kPan, kMaxDe4);
  EXPECT_EQ(run(purchase).outcome, Outcome::approved);
  CardMessage partial = story.reversal_of(purchase);
  partial.has_replacement_amount = true;
  partial.replacement_amount_minor = kMaxDe4 - 1;
  EXPECT_EQ(run(partial).outcome, Outcome::reversal_applied);
  EXPECT_EQ(story.posted(account), kMaxDe4 - 1);
}

// Found by the oracle in the clearing walk: an offline advice presented and charged back, then
// reversed by the acquirer, was credited twice (the chargeback and the reversal).
TEST_F(MoneyStory, AReversalAfterAChargedBackPresentmentGivesBackOnlyWhatTheClearingDidNot) {
  const CardMessage advice = story.message(MessageKind::financial_advice, kPan, 30'000);
  const Reply booked = run(advice);
  EXPECT_EQ(story.posted(account), 30'000);
  Presentment p = unauthorised_presentment(20'000);
  p.approval_code = booked.approval_code;
  const Reply presented = run(p);
  EXPECT_EQ(presented.outcome, Outcome::presentment_unauthorised);  // matched an offline item
  EXPECT_EQ(story.posted(account), 10'000);                         // 20,000 charged back
  CardMessage reversal = story.reversal_of(advice);
  reversal.original_mti = 220;
  EXPECT_EQ(run(reversal).outcome, Outcome::reversal_applied);
  EXPECT_EQ(story.posted(account), 0);  // not -20,000
}

// Found by fuzz/money_fuzz.cc: a claim closed and compensated (the cardholder refunded from
// issuer_loss), then the acquirer's presentment reversal credited the cardholder again.
TEST_F(MoneyStory, APresentmentReversalAfterACompensatedClaimDoesNotCreditTwice) {
  const CardMessage auth = story.authorization(kPan, 5'000);
  const Reply approved = run(auth);
  Presentment p = unauthorised_presentment(5'000);
  p.approval_code = approved.approval_code;
  EXPECT_EQ(run(p).outcome, Outcome::presentment_matched);
  EXPECT_EQ(story.posted(account), 5'000);
  OpenDispute claim;
  claim.presentment = p.record_id;
  claim.reason_code = "4837";  // Mastercard: no cardholder authorisation
  const Reply opened = run(claim);
  ASSERT_EQ(opened.outcome, Outcome::admin_done);
  story.advance_days(400);  // nobody files anything: the case expires
  ASSERT_EQ(run(DisputeAction{opened.entity_id, disputes::Tick{}}).outcome, Outcome::admin_done);
  ASSERT_EQ(run(CloseCompensation{opened.entity_id, 0, 0, false, {}}).outcome, Outcome::admin_done);
  const int64_t after_compensation = story.posted(account);
  EXPECT_LT(after_compensation, 5'000);  // the issuer refunded its share
  Presentment reversal = p;
  reversal.kind = PresentmentKind::first_presentment_reversal;
  reversal.record_id = digest(999);
  EXPECT_EQ(run(reversal).outcome, Outcome::presentment_reversed);
  EXPECT_EQ(story.posted(account), 0);  // refunded once, not twice
}

// Found by fuzz/money_fuzz.cc: the other order. The presentment is reversed while the claim is
// open, then the closed claim is compensated: no refund on top of the reversal.
TEST_F(MoneyStory, ACompensationAfterThePresentmentWasReversedDoesNotCreditTwice) {
  const Reply approved = run(story.authorization(kPan, 5'000));
  Presentment p = unauthorised_presentment(5'000);
  p.approval_code = approved.approval_code;
  EXPECT_EQ(run(p).outcome, Outcome::presentment_matched);
  OpenDispute claim;
  claim.presentment = p.record_id;
  claim.reason_code = "4837";
  const Reply opened = run(claim);
  ASSERT_EQ(opened.outcome, Outcome::admin_done);
  Presentment reversal = p;
  reversal.kind = PresentmentKind::first_presentment_reversal;
  reversal.record_id = digest(999);
  EXPECT_EQ(run(reversal).outcome, Outcome::presentment_reversed);
  EXPECT_EQ(story.posted(account), 0);
  // The reversal withdrew the open claim and settled it as it stands.
  EXPECT_TRUE(story.engine.disputes().at(opened.entity_id).compensated);
  story.advance_days(400);  // the presentment is forgotten (clearing record retention)
  run(Tick{});
  EXPECT_EQ(run(CloseCompensation{opened.entity_id, 0, 0, false, {}}).outcome,
            Outcome::dispute_already_compensated);
  EXPECT_EQ(story.posted(account), 0);  // not -5,000
}

// ---- Item 9: offline-approved advices --------------------------------------------------------

CardMessage with_response_code(CardMessage m, const char* code) {
  m.advice_response_code = {code[0], code[1]};
  return m;
}

TEST_F(MoneyStory, OfflineApprovedAdvicesBookAndCountTowardsBurstProtection) {
  // Y1 (offline approved) holds, Y3 (unable to go online, offline approved) posts.
  const Reply y1 =
      run(with_response_code(story.message(MessageKind::authorization_advice, kPan, 5'000), "Y1"));
  EXPECT_EQ(y1.outcome, Outcome::advice_accepted);
  EXPECT_EQ(story.pending(account), 5'000);
  const Reply y3 = run(with_response_code(story.message(MessageKind::financial_advice, kPan, 7'000), "Y3"));
  EXPECT_EQ(y3.outcome, Outcome::advice_accepted);
  EXPECT_EQ(story.posted(account), 7'000);
  EXPECT_EQ(story.open_to_buy(account), 60'000 - 12'000);
  EXPECT_EQ(story.engine.find_card(testing::pan_hash_of(kPan))->status, cards::CardStatus::active);
  // The third offline item within the burst window protects the card: Y1 and Y3 counted.
  run(with_response_code(story.message(MessageKind::authorization_advice, kPan, 1'000), "Y1"));
  EXPECT_EQ(story.engine.find_card(testing::pan_hash_of(kPan))->status, cards::CardStatus::blocked);
  EXPECT_EQ(story.engine.counters().cards_protected, 1u);
}

TEST_F(MoneyStory, OfflineDeclinedAdvicesBookNothingAndDoNotCount) {
  for (const char* code : {"Z1", "Z3", "Z1", "Z3"}) {
    const Reply r = run(with_response_code(story.message(MessageKind::financial_advice, kPan, 5'000), code));
    EXPECT_EQ(r.outcome, Outcome::advice_accepted) << code;
  }
  EXPECT_EQ(story.posted(account), 0);
  EXPECT_EQ(story.pending(account), 0);
  EXPECT_EQ(story.open_to_buy(account), 60'000);
  EXPECT_EQ(story.engine.find_card(testing::pan_hash_of(kPan))->status, cards::CardStatus::active);
  EXPECT_EQ(story.engine.counters().cards_protected, 0u);
}

// ---- Item 4: a command whose postings do not fit applies nothing -----------------------------

TEST_F(MoneyStory, AReversalWhoseCreditDoesNotFitIsRefusedAndChangesNothing) {
  const CardMessage purchase = story.message(MessageKind::financial_request, kPan, 1'000);
  EXPECT_EQ(run(purchase).outcome, Outcome::approved);
  push_to_the_edge(kPan, 600);
  const std::vector<uint8_t> before = ledger_bytes(story.engine);
  const Reply refused = run(story.reversal_of(purchase));
  EXPECT_EQ(refused.outcome, Outcome::ledger_overflow);
  EXPECT_EQ(story.code(refused), "96");
  EXPECT_EQ(ledger_bytes(story.engine), before);
  // Nothing was undone: a later reversal (once there is room) still finds it all in effect.
  EXPECT_EQ(story.engine.find_message(MessageKind::financial_request, purchase.key)->undone_minor, 0);
}

TEST_F(MoneyStory, APresentmentWhoseChargebackDoesNotFitIsRefusedAndChangesNothing) {
  push_to_the_edge(kPan, 100);
  const std::vector<uint8_t> before = ledger_bytes(story.engine);
  const size_t cases = story.engine.disputes().size();
  const Reply refused = run(unauthorised_presentment(20'000));
  EXPECT_EQ(refused.outcome, Outcome::ledger_overflow);
  EXPECT_EQ(ledger_bytes(story.engine), before);
  EXPECT_EQ(story.engine.disputes().size(), cases);
}

TEST_F(MoneyStory, ACaseWhoseSettlementDoesNotFitStaysReceivableAndTheTimerCarriesOn) {
  const Reply charged = run(unauthorised_presentment(20'000));
  ASSERT_NE(charged.entity_id, 0u);
  const uint64_t case_id = charged.entity_id;
  // Refunds to another cardholder fill the settlement account's debits after the chargeback.
  push_to_the_edge(kOtherPan, 100);
  story.now = Timestamp{story.engine.disputes().at(case_id).dispute.deadline.us + 1};
  run(Tick{});  // the acquirer never answered: won, but the recovery cannot be posted
  const DisputeRecord& d = story.engine.disputes().at(case_id);
  EXPECT_EQ(d.dispute.state, disputes::CaseState::closed_won);
  EXPECT_EQ(d.receivable_minor, 20'000);
  EXPECT_EQ(story.engine.internal_balance(AccountKind::chargeback_receivable, kCny), 20'000);
  EXPECT_FALSE(story.engine.next_timer_due().has_value() &&
               *story.engine.next_timer_due() <= story.now);  // nothing left due: no busy loop
}

}  // namespace
}  // namespace holdfast::engine
