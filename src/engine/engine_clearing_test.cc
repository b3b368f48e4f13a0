// Clearing, offline exposure, chargebacks, burst protection, tokens, uplifts and legacy mode,
// as stories. After every command of every story the books balance and (holdfast mode)
// open-to-buy equals its definition; after every story the state survives a snapshot round trip
// byte for byte.
#include <gtest/gtest.h>

#include <cstring>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/country.h"
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
using testing::Story;

constexpr uint64_t kPan = 6225880000000001;
constexpr uint64_t kTokenPan = 5999990000000001;
constexpr int64_t kDayUs = kSecondsPerDay * kMicrosPerSecond;
constexpr int64_t kHourUs = 3600 * kMicrosPerSecond;

template <size_t N>
std::array<char, N> chars(const char* s) {
  std::array<char, N> a{};
  for (size_t i = 0; i < N && s[i] != '\0'; ++i) a[i] = s[i];
  return a;
}

// A Mastercard credit product: CNY 100 floor limit, 1% cross-border fee, uplifts abroad up to 3x
// in the US and Japan for 7 days.
cards::Product clearing_product(cards::CardScheme scheme = cards::CardScheme::mastercard) {
  cards::Product p;
  p.scheme = scheme;
  p.default_floor_limit_minor = 10'000;
  p.foreign_fee_bp = 100;
  p.uplift_max_multiplier_bp = 30'000;
  p.uplift_countries = {840, 392};
  p.uplift_days = 7;
  return p;
}

std::vector<uint8_t> ledger_bytes(const Engine& engine) {
  std::vector<uint8_t> out;
  ByteWriter w(&out);
  engine.ledger().serialize(w);
  return out;
}

// Books balance after every command; in holdfast mode open-to-buy is its definition (E1).
void watch(Story& story, const std::vector<uint64_t>* accounts) {
  story.after_each = [accounts](const Engine& engine) {
    ASSERT_TRUE(engine.ledger().books_balance());
    if (engine.config().mode != EngineMode::holdfast) return;
    for (uint64_t id : *accounts) {
      const cards::Account* account = engine.find_account(cards::AccountId{id});
      if (account == nullptr) continue;
      const auto& books = engine.ledger().account(account->ledger_index);
      ASSERT_EQ(engine.open_to_buy(*account), account->credit_limit_minor +
                                                  account->active_uplift_minor(engine.now()) -
                                                  books.posted_balance() - books.debits_pending);
    }
  };
}

// The whole state as bytes without the command counters (which count every command, a
// duplicate too): magic, version, settings, time, then the 11 counters.
std::vector<uint8_t> state_without_counters(const Engine& engine) {
  std::vector<uint8_t> state;
  engine.serialize(&state);
  std::vector<uint8_t> settings;
  ByteWriter w(&settings);
  write_config(w, engine.config());
  const auto counters = static_cast<std::ptrdiff_t>(4 + 2 + settings.size() + 8);
  state.erase(state.begin() + counters, state.begin() + counters + 11 * 8);
  return state;
}

void expect_snapshot_round_trip(const Engine& engine) {
  std::vector<uint8_t> first;
  engine.serialize(&first);
  Engine restored{EngineConfig{}};
  ASSERT_TRUE(restored.deserialize(first));
  std::vector<uint8_t> second;
  restored.serialize(&second);
  EXPECT_EQ(first, second);
}

class ClearingStory : public ::testing::Test {
 protected:
  void SetUp() override {
    watch(story, &accounts);
    story.range(clearing_product());
    account = story.account(60'000);  // CNY 600.00
    accounts.push_back(account);
    card = story.card(account, kPan);
  }
  void TearDown() override { expect_snapshot_round_trip(story.engine); }

  // A clearing record with no authorisation named. Each is made two days before the last
  // (never a burst unless a story says so).
  Presentment presentment(int64_t amount) {
    Presentment p = testing::unmatched_presentment(++records, kPan, amount);
    p.channel = cards::UseChannel::card_present;
    p.transaction_time = Timestamp{testing::kStart.us - static_cast<int64_t>(records) * 2 * kDayUs};
    return p;
  }
  // The clearing of an approved authorisation, by its approval code.
  Presentment clearing_of(const CardMessage& auth, const Reply& approved, int64_t amount) {
    Presentment p = presentment(amount);
    p.pan_hash = auth.pan_hash;
    p.approval_code = approved.approval_code;
    p.mcc = auth.mcc;
    p.acquirer_country = auth.acquirer_country;
    p.transaction_time = story.now;
    return p;
  }
  Presentment follow_up(const Presentment& original, PresentmentKind kind) {
    Presentment p = presentment(original.amount_minor);
    p.kind = kind;
    p.arn = original.arn;
    p.function_code = kind == PresentmentKind::second_presentment ? 205 : 200;
    return p;
  }
  Reply approve(const CardMessage& m) {
    const Reply r = story.run(m);
    EXPECT_EQ(story.code(r), "00") << outcome_name(r.outcome);
    return r;
  }
  bool saw(EventKind kind) const {
    for (const Event& e : story.events)
      if (e.kind == kind) return true;
    return false;
  }
  const DisputeRecord& dispute(uint64_t case_id) const { return story.engine.disputes().at(case_id); }
  int64_t internal(AccountKind kind) const { return story.engine.internal_balance(kind, kCny); }
  const cards::Card& the_card() const { return *story.engine.find_card(cards::CardId{card}); }
  // A wallet's message: a token message carries a verified cryptogram, its counter moving on.
  CardMessage from_wallet(CardMessage m) {
    m.pos_entry_mode = 71;
    m.security.cryptogram = CheckResult::match;
    m.security.has_atc = true;
    m.security.atc = ++wallet_atc;
    return m;
  }
  uint16_t wallet_atc = 0;
  // Blocks the card by burst protection: three unauthorised items below the floor in three
  // hours, made three days ago (DE 12 in UTC). Returns the time of the block.
  Timestamp block_by_burst() {
    const Timestamp spree{story.now.us - 3 * kDayUs};
    for (int i = 0; i < 3; ++i) {
      Presentment p = presentment(5'000);
      p.transaction_time = Timestamp{spree.us + i * kHourUs};
      story.run(p);
    }
    EXPECT_EQ(the_card().protected_at, story.now);
    return story.now;
  }
  uint64_t provision_token(uint64_t pan = kTokenPan) {
    ProvisionToken t;
    t.card_id = card;
    t.pan_hash = testing::pan_hash_of(pan);
    t.wallet = 1;
    const Reply r = story.run(t);
    EXPECT_EQ(r.outcome, Outcome::admin_done);
    return r.entity_id;
  }
  RequestUplift uplift_request(uint16_t country = 840) {
    RequestUplift r;
    r.card_id = card;
    r.country = country;
    r.channel = cards::UseChannel::card_present;
    return r;
  }
  void go_legacy() {
    EngineConfig config = story.engine.config();
    config.mode = EngineMode::legacy;
    ASSERT_EQ(story.run(Configure{config}).outcome, Outcome::admin_done);
  }

  Story story;
  std::vector<uint64_t> accounts;
  uint64_t account = 0;
  uint64_t card = 0;
  uint64_t records = 0;
};

// ---- Matching presentments to authorisations -----------------------------------------------

TEST_F(ClearingStory, APresentmentFindsItsAuthorisationByApprovalCodeAndPostsFromItsHold) {
  const CardMessage auth = story.authorization(kPan, 20'000);
  const Reply approved = approve(auth);
  EXPECT_EQ(story.pending(account), 20'000);

  const Presentment p = clearing_of(auth, approved, 20'000);
  const Reply cleared = story.run(p);
  EXPECT_EQ(cleared.outcome, Outcome::presentment_matched);
  EXPECT_EQ(story.code(cleared), "00");
  EXPECT_EQ(story.pending(account), 0);
  EXPECT_EQ(story.posted(account), 20'000);
  EXPECT_EQ(cleared.open_to_buy_minor, 40'000);
  EXPECT_TRUE(saw(EventKind::presentment_posted));
  const auto* record = story.engine.find_presentment(p.record_id);
  ASSERT_NE(record, nullptr);
  EXPECT_TRUE(record->matched);
  EXPECT_EQ(record->posted_minor, 20'000);
  EXPECT_EQ(record->unauthorised_minor, 0);
  EXPECT_EQ(record->case_id, 0u);
  const auto* original = story.engine.find_message(MessageKind::authorization_request, auth.key);
  ASSERT_NE(original, nullptr);
  EXPECT_EQ(original->cleared_minor, 20'000);
  EXPECT_EQ(original->presentments, 1);
  EXPECT_TRUE(story.engine.disputes().empty());
}

TEST_F(ClearingStory, WithoutAUsableApprovalCodeThePresentmentFindsItsAuthorisationByRetrievalReference) {
  CardMessage auth = story.authorization(kPan, 15'000);
  auth.retrieval_reference = chars<12>("633012345678");
  approve(auth);
  Presentment p = presentment(15'000);
  p.retrieval_reference = auth.retrieval_reference;
  p.approval_code = chars<6>("999999");  // no approval of this card has that code
  const Reply cleared = story.run(p);
  EXPECT_EQ(cleared.outcome, Outcome::presentment_matched);
  EXPECT_EQ(story.pending(account), 0);
  EXPECT_EQ(story.posted(account), 15'000);
  EXPECT_TRUE(story.engine.disputes().empty());
}

TEST_F(ClearingStory, WithNeitherCodeNorReferenceThePresentmentFindsAnOpenAuthorisationOfTheSameAmount) {
  approve(story.authorization(kPan, 15'000));
  approve(story.authorization(kPan, 7'000));
  const Reply cleared = story.run(presentment(7'000));  // no DE 38, no DE 37
  EXPECT_EQ(cleared.outcome, Outcome::presentment_matched);
  EXPECT_EQ(story.pending(account), 15'000);
  EXPECT_EQ(story.posted(account), 7'000);
  // Another presentment of the same amount has no open authorisation left to match.
  EXPECT_EQ(story.run(presentment(7'000)).outcome, Outcome::presentment_unauthorised);
}

TEST_F(ClearingStory, AnotherCardsApprovalCodeDoesNotMatch) {
  const uint64_t other_account = story.account(60'000);
  accounts.push_back(other_account);
  story.card(other_account, kPan + 1);
  const CardMessage theirs = story.authorization(kPan + 1, 20'000);
  const Reply approved = approve(theirs);
  Presentment mine = presentment(5'000);
  mine.approval_code = approved.approval_code;
  EXPECT_EQ(story.run(mine).outcome, Outcome::presentment_unauthorised);
  EXPECT_EQ(story.pending(other_account), 20'000);  // their hold is untouched
  EXPECT_EQ(story.posted(account), 5'000);
}

TEST_F(ClearingStory, PartialPresentmentsClearOneAuthorisationPieceByPieceAndNotBeyondIt) {
  const CardMessage auth = story.authorization(kPan, 30'000);
  const Reply approved = approve(auth);
  EXPECT_EQ(story.run(clearing_of(auth, approved, 10'000)).outcome, Outcome::presentment_matched);
  EXPECT_EQ(story.pending(account), 20'000);
  EXPECT_EQ(story.posted(account), 10'000);
  EXPECT_EQ(story.run(clearing_of(auth, approved, 15'000)).outcome, Outcome::presentment_matched);
  EXPECT_EQ(story.pending(account), 5'000);
  EXPECT_EQ(story.run(clearing_of(auth, approved, 5'000)).outcome, Outcome::presentment_matched);
  EXPECT_EQ(story.pending(account), 0);
  EXPECT_EQ(story.posted(account), 30'000);
  EXPECT_EQ(story.open_to_buy(account), 30'000);
  EXPECT_TRUE(story.engine.disputes().empty());
  const auto* original = story.engine.find_message(MessageKind::authorization_request, auth.key);
  EXPECT_EQ(original->presentments, 3);
  EXPECT_EQ(original->cleared_minor, 30'000);

  // A fourth clearing goes past what was authorised (grocery: no tolerance): the excess is
  // charged back as over-clearing.
  const Presentment beyond = clearing_of(auth, approved, 1'000);
  const Reply over = story.run(beyond);
  EXPECT_EQ(over.outcome, Outcome::presentment_over_cleared);
  ASSERT_EQ(story.engine.disputes().size(), 1u);
  const DisputeRecord& d = story.engine.disputes().begin()->second;
  EXPECT_EQ(d.origin, CaseOrigin::over_clearing);
  EXPECT_EQ(d.dispute.chargeback_minor, 1'000);
  EXPECT_EQ(d.dispute.reason_code, "4808");
  EXPECT_EQ(d.receivable_minor, 1'000);
  EXPECT_EQ(story.posted(account), 30'000);
  EXPECT_EQ(internal(AccountKind::chargeback_receivable), 1'000);
}

TEST_F(ClearingStory, ARestaurantTipWithinTwentyPercentClearsAsAuthorised) {
  CardMessage dinner = story.authorization(kPan, 10'000);
  dinner.mcc = 5812;
  const Reply approved = approve(dinner);
  const Reply cleared = story.run(clearing_of(dinner, approved, 12'000));
  EXPECT_EQ(cleared.outcome, Outcome::presentment_matched);
  EXPECT_EQ(story.posted(account), 12'000);
  EXPECT_EQ(story.pending(account), 0);
  EXPECT_TRUE(story.engine.disputes().empty());
}

TEST_F(ClearingStory, ATipBeyondTheToleranceIsOverClearedAndTheExcessChargedBack) {
  CardMessage dinner = story.authorization(kPan, 10'000);
  dinner.mcc = 5812;
  const Reply approved = approve(dinner);
  const Reply cleared = story.run(clearing_of(dinner, approved, 13'000));
  EXPECT_EQ(cleared.outcome, Outcome::presentment_over_cleared);
  EXPECT_TRUE(saw(EventKind::unauthorised_item));
  EXPECT_TRUE(saw(EventKind::chargeback_raised));
  ASSERT_EQ(story.engine.disputes().size(), 1u);
  const DisputeRecord& d = dispute(cleared.entity_id);
  EXPECT_EQ(d.origin, CaseOrigin::over_clearing);
  EXPECT_EQ(d.dispute.chargeback_minor, 1'000);  // above 10,000 + 20%
  EXPECT_EQ(d.receivable_minor, 1'000);
  EXPECT_EQ(story.posted(account), 12'000);  // the cardholder pays what was authorised
  EXPECT_EQ(internal(AccountKind::chargeback_receivable), 1'000);
}

TEST_F(ClearingStory, TheTipToleranceIsGrantedOncePerAuthorisationNotOncePerPresentment) {
  CardMessage dinner = story.authorization(kPan, 10'000);
  dinner.mcc = 5812;
  const Reply approved = approve(dinner);
  EXPECT_EQ(story.run(clearing_of(dinner, approved, 6'000)).outcome, Outcome::presentment_matched);
  EXPECT_EQ(story.run(clearing_of(dinner, approved, 6'000)).outcome,
            Outcome::presentment_matched);  // 12,000: +20%
  const Reply third = story.run(clearing_of(dinner, approved, 1'000));
  EXPECT_EQ(third.outcome, Outcome::presentment_over_cleared);
  ASSERT_EQ(story.engine.disputes().size(), 1u);
  EXPECT_EQ(story.engine.disputes().begin()->second.dispute.chargeback_minor, 1'000);
  EXPECT_EQ(story.posted(account), 12'000);
}

TEST_F(ClearingStory, ACardNotPresentRestaurantGetsNoTipTolerance) {
  CardMessage takeaway = story.authorization(kPan, 10'000);
  takeaway.mcc = 5812;
  takeaway.channel = Channel::card_not_present;
  const Reply approved = approve(takeaway);
  const Reply cleared = story.run(clearing_of(takeaway, approved, 10'500));
  EXPECT_EQ(cleared.outcome, Outcome::presentment_over_cleared);
  EXPECT_EQ(dispute(cleared.entity_id).dispute.chargeback_minor, 500);
  EXPECT_EQ(story.posted(account), 10'000);
}

TEST_F(ClearingStory, OnePresentmentClearsAWholeChainOfIncrementalAuthorisations) {
  CardMessage check_in = story.authorization(kPan, 20'000);
  check_in.mcc = 7011;
  check_in.retrieval_reference = chars<12>("700000000042");
  approve(check_in);
  CardMessage extra_night = story.authorization(kPan, 10'000);
  extra_night.mcc = 7011;
  extra_night.retrieval_reference = check_in.retrieval_reference;
  const Reply incremental = approve(extra_night);
  EXPECT_EQ(story.pending(account), 30'000);
  const auto* head = story.engine.find_message(MessageKind::authorization_request, check_in.key);
  const auto* link = story.engine.find_message(MessageKind::authorization_request, extra_night.key);
  EXPECT_EQ(head->chain_next, link->sequence);
  EXPECT_EQ(link->chain_head, head->sequence);

  // The checkout is presented once, with the last approval code.
  const Reply cleared = story.run(clearing_of(extra_night, incremental, 30'000));
  EXPECT_EQ(cleared.outcome, Outcome::presentment_matched);
  EXPECT_EQ(story.pending(account), 0);
  EXPECT_EQ(story.posted(account), 30'000);
  EXPECT_TRUE(story.engine.disputes().empty());
}

TEST_F(ClearingStory, ABusyCardsHistoryStillFindsItsHotelChainAndARetrievalReferenceOnlyPresentment) {
  CardMessage check_in = story.authorization(kPan, 20'000);
  check_in.mcc = 7011;
  check_in.retrieval_reference = chars<12>("700000000077");
  approve(check_in);
  // A week of small purchases between check-in and the extra night.
  std::vector<CardMessage> groceries;
  for (int i = 0; i < 9; ++i) {
    CardMessage g = story.authorization(kPan, 1'000);
    g.retrieval_reference = chars<12>(std::to_string(500000000000 + i).c_str());
    approve(g);
    groceries.push_back(g);
  }
  CardMessage extra_night = story.authorization(kPan, 10'000);
  extra_night.mcc = 7011;
  extra_night.retrieval_reference = check_in.retrieval_reference;
  const Reply incremental = approve(extra_night);
  const auto* head = story.engine.find_message(MessageKind::authorization_request, check_in.key);
  const auto* link = story.engine.find_message(MessageKind::authorization_request, extra_night.key);
  EXPECT_EQ(link->chain_head, head->sequence);
  EXPECT_EQ(story.run(clearing_of(extra_night, incremental, 30'000)).outcome, Outcome::presentment_matched);

  // The first grocery, presented with its retrieval reference only, after nine other approvals.
  Presentment p = presentment(1'000);
  p.retrieval_reference = groceries.front().retrieval_reference;
  EXPECT_EQ(story.run(p).outcome, Outcome::presentment_matched);
  EXPECT_EQ(story.pending(account), 8 * 1'000);
  EXPECT_TRUE(story.engine.disputes().empty());
}

// Millions of declined 0100s on one card used to lengthen the walk of every presentment of that
// card on the engine thread. Declines are not in the chain presentments walk: the work is
// counted in records examined, not timed.
TEST_F(ClearingStory, DeclinesSentOnACardDoNotLengthenItsPresentmentsWalk) {
  CardMessage auth = story.authorization(kPan, 15'000);
  auth.retrieval_reference = chars<12>("633012345678");
  approve(auth);
  for (int i = 0; i < 5'000; ++i) {
    const Reply declined = story.run(story.authorization(kPan, 1'000'000));  // over the limit
    ASSERT_EQ(declined.outcome, Outcome::insufficient_funds);
  }
  Presentment p = presentment(15'000);
  p.retrieval_reference = auth.retrieval_reference;
  p.approval_code = chars<6>("999999");  // a terminal's code: not in holdfast's code table
  const uint64_t steps_before = story.engine.counters().presentment_match_steps;
  EXPECT_EQ(story.run(p).outcome, Outcome::presentment_matched);
  EXPECT_LE(story.engine.counters().presentment_match_steps - steps_before, 1u);
  // Without a code or a reference (matching by amount) the walk is the same short one.
  approve(story.authorization(kPan, 7'000));
  const uint64_t steps_by_amount = story.engine.counters().presentment_match_steps;
  EXPECT_EQ(story.run(presentment(7'000)).outcome, Outcome::presentment_matched);
  EXPECT_LE(story.engine.counters().presentment_match_steps - steps_by_amount, 2u);
}

// The walk stops after kPresentmentLookback approvals: an authorisation further back is not
// found and the presentment is applied as unmatched (force-posted), as documented.
TEST_F(ClearingStory, AnAuthorisationBeyondThePresentmentLookbackIsNotMatched) {
  constexpr size_t kLookback = Engine::kPresentmentLookback;
  std::vector<CardMessage> approved;
  for (size_t i = 0; i <= kLookback; ++i) {
    CardMessage a = story.authorization(kPan, 10);
    a.retrieval_reference = chars<12>(std::to_string(400000000000 + i).c_str());
    approve(a);
    approved.push_back(a);
  }
  Presentment within = presentment(10);
  within.retrieval_reference = approved[1].retrieval_reference;  // the kLookback-th newest
  EXPECT_EQ(story.run(within).outcome, Outcome::presentment_matched);
  const uint64_t steps_before = story.engine.counters().presentment_match_steps;
  Presentment beyond = presentment(10);
  beyond.retrieval_reference = approved[0].retrieval_reference;
  const Reply r = story.run(beyond);
  EXPECT_EQ(r.outcome, Outcome::presentment_unauthorised);
  EXPECT_LE(story.engine.counters().presentment_match_steps - steps_before, kLookback);
  const auto* record = story.engine.find_presentment(beyond.record_id);
  ASSERT_NE(record, nullptr);
  EXPECT_FALSE(record->matched);
  EXPECT_EQ(record->posted_minor, 10);
}

TEST_F(ClearingStory, ALatePresentmentThatLeavesTheAccountOverItsLimitIsChargedBack) {
  const CardMessage auth = story.authorization(kPan, 20'000);
  const Reply approved = approve(auth);
  story.advance_days(8);
  story.run(Tick{});
  EXPECT_EQ(story.pending(account), 0);  // the 7-day hold expired
  approve(story.authorization(kPan, 45'000));
  const Reply late = story.run(clearing_of(auth, approved, 20'000));
  EXPECT_EQ(late.outcome, Outcome::presentment_late);
  EXPECT_TRUE(saw(EventKind::late_presentment));
  EXPECT_TRUE(saw(EventKind::chargeback_raised));
  ASSERT_EQ(story.engine.disputes().size(), 1u);
  const DisputeRecord& d = dispute(late.entity_id);
  EXPECT_EQ(d.origin, CaseOrigin::late_presentment);
  EXPECT_EQ(d.dispute.reason_code, "4808");
  EXPECT_EQ(d.receivable_minor, 20'000);
  EXPECT_EQ(story.posted(account), 0);  // posted, then charged back
  EXPECT_EQ(story.open_to_buy(account), 15'000);
}

TEST_F(ClearingStory, ALatePresentmentWithinTheLimitIsPostedWithoutAChargeback) {
  const CardMessage auth = story.authorization(kPan, 20'000);
  const Reply approved = approve(auth);
  story.advance_days(8);
  story.run(Tick{});
  const Reply late = story.run(clearing_of(auth, approved, 20'000));
  EXPECT_EQ(late.outcome, Outcome::presentment_late);
  EXPECT_TRUE(saw(EventKind::late_presentment));
  EXPECT_FALSE(saw(EventKind::chargeback_raised));
  EXPECT_TRUE(story.engine.disputes().empty());
  EXPECT_EQ(story.posted(account), 20'000);
  EXPECT_EQ(story.open_to_buy(account), 40'000);
}

TEST_F(ClearingStory, APresentmentOfAFinancialRequestIsNotLateAndNotPostedTwice) {
  const CardMessage purchase = story.message(MessageKind::financial_request, kPan, 12'000);
  const Reply approved = approve(purchase);
  EXPECT_EQ(story.posted(account), 12'000);
  const Reply cleared = story.run(clearing_of(purchase, approved, 12'000));
  EXPECT_EQ(cleared.outcome, Outcome::presentment_matched);
  EXPECT_EQ(story.posted(account), 12'000);
  EXPECT_TRUE(story.engine.disputes().empty());
}

TEST_F(ClearingStory, AForeignPresentmentPostsTheBillingAmountAndTheCrossBorderFee) {
  CardMessage abroad = story.authorization(kPan, 1'000);  // USD 10.00
  abroad.currency = kUsd;
  abroad.billing_amount_minor = 7'200;
  abroad.billing_currency = kCny;
  abroad.acquirer_country = 840;
  const Reply approved = approve(abroad);
  Presentment p = clearing_of(abroad, approved, 1'000);
  p.currency = kUsd;
  p.billing_amount_minor = 7'500;  // the rate moved 4% by clearing: within the 10% drift
  p.billing_currency = kCny;
  const Reply cleared = story.run(p);
  EXPECT_EQ(cleared.outcome, Outcome::presentment_matched);
  EXPECT_TRUE(saw(EventKind::fee_posted));
  EXPECT_EQ(story.pending(account), 0);
  EXPECT_EQ(story.posted(account), 7'500 + 75);
  EXPECT_EQ(internal(AccountKind::fee_income), -75);  // credit-normal
  EXPECT_EQ(story.engine.find_presentment(p.record_id)->fee_minor, 75);
  EXPECT_TRUE(story.engine.disputes().empty());
}

TEST_F(ClearingStory, ClearingRecordsTheIssuerCannotApplyAreRejectedWithTheirOwnCodes) {
  Presentment dollars = presentment(1'000);
  dollars.currency = kUsd;  // and no DE 6 in CNY
  const Reply unusable = story.run(dollars);
  EXPECT_EQ(unusable.outcome, Outcome::presentment_currency_unusable);
  EXPECT_EQ(story.code(unusable), "12");
  Presentment stranger = presentment(1'000);
  stranger.pan_hash = testing::pan_hash_of(4242);
  const Reply unknown = story.run(stranger);
  EXPECT_EQ(unknown.outcome, Outcome::presentment_unknown_card);
  EXPECT_EQ(story.code(unknown), "14");
  EXPECT_EQ(story.run(follow_up(stranger, PresentmentKind::first_presentment_reversal)).outcome,
            Outcome::presentment_original_not_found);  // it was never applied
  Presentment orphan = presentment(1'000);
  orphan.kind = PresentmentKind::first_presentment_reversal;
  const Reply not_found = story.run(orphan);
  EXPECT_EQ(not_found.outcome, Outcome::presentment_original_not_found);
  EXPECT_EQ(story.code(not_found), "25");
  EXPECT_EQ(story.posted(account), 0);
  EXPECT_EQ(story.open_to_buy(account), 60'000);
  EXPECT_EQ(story.engine.counters().unauthorised_items, 0u);
}

TEST_F(ClearingStory, TheSameClearingRecordTwiceChangesNothing) {
  const Presentment p = presentment(30'000);  // unauthorised, above the floor: a chargeback too
  const std::vector<uint8_t> before_first = state_without_counters(story.engine);
  const Reply first = story.run(p);
  ASSERT_EQ(first.outcome, Outcome::presentment_unauthorised);
  const std::vector<uint8_t> books = ledger_bytes(story.engine);
  const std::vector<uint8_t> state = state_without_counters(story.engine);
  EXPECT_NE(state, before_first);  // the comparison below sees what a record changes
  const auto chargebacks = story.engine.counters().chargebacks_raised;
  const auto unauthorised = story.engine.counters().unauthorised_items;

  const Reply again = story.run(p);
  EXPECT_EQ(again.outcome, Outcome::presentment_already_applied);
  EXPECT_TRUE(again.duplicate);
  EXPECT_EQ(again.entity_id, first.entity_id);
  EXPECT_TRUE(story.events.empty());
  EXPECT_EQ(ledger_bytes(story.engine), books);
  EXPECT_EQ(state_without_counters(story.engine), state);
  EXPECT_EQ(story.engine.disputes().size(), 1u);
  EXPECT_EQ(story.engine.counters().chargebacks_raised, chargebacks);
  EXPECT_EQ(story.engine.counters().unauthorised_items, unauthorised);
  EXPECT_EQ(story.engine.fraud_cases().size(), 0u);
  EXPECT_EQ(the_card().offline_item_count, 1);
}

// ---- Unauthorised items, floor limits and chargebacks --------------------------------------

TEST_F(ClearingStory, AnUnauthorisedPresentmentIsForcePostedPastTheLimitAtOnce) {
  approve(story.authorization(kPan, 55'000));
  const Reply forced = story.run(presentment(8'000));  // below the CNY 100 floor
  EXPECT_EQ(forced.outcome, Outcome::presentment_unauthorised);
  EXPECT_EQ(story.code(forced), "00");
  EXPECT_TRUE(forced.over_limit);
  EXPECT_EQ(forced.open_to_buy_minor, -3'000);
  EXPECT_EQ(story.open_to_buy(account), -3'000);
  EXPECT_EQ(story.posted(account), 8'000);
  EXPECT_TRUE(saw(EventKind::unauthorised_item));
  EXPECT_FALSE(saw(EventKind::chargeback_raised));
  EXPECT_TRUE(story.engine.disputes().empty());
  EXPECT_EQ(story.engine.counters().unauthorised_items, 1u);
  // The issuer knows at once: the next authorisation is declined.
  EXPECT_EQ(story.code(story.run(story.authorization(kPan, 100))), "51");
}

TEST_F(ClearingStory, AnUnauthorisedPresentmentAboveTheFloorIsChargedBackAndTheCardholderIsNotCharged) {
  const Reply at_floor = story.run(presentment(10'000));
  EXPECT_EQ(at_floor.outcome, Outcome::presentment_unauthorised);
  EXPECT_TRUE(story.engine.disputes().empty());  // at the floor: the merchant could go offline

  const Presentment above = presentment(30'000);
  const Reply charged = story.run(above);
  EXPECT_EQ(charged.outcome, Outcome::presentment_unauthorised);
  EXPECT_TRUE(saw(EventKind::chargeback_raised));
  ASSERT_EQ(story.engine.disputes().size(), 1u);
  const DisputeRecord& d = dispute(charged.entity_id);
  EXPECT_EQ(d.origin, CaseOrigin::no_authorisation);
  EXPECT_EQ(d.dispute.reason_code, "4808");
  EXPECT_EQ(d.dispute.state, disputes::CaseState::chargeback_filed);
  EXPECT_EQ(d.dispute.chargeback_minor, 30'000);
  EXPECT_EQ(d.dispute.deadline, add_seconds_saturating(story.now, 45 * kSecondsPerDay));
  EXPECT_EQ(d.dispute.deadline_party, disputes::Party::acquirer);
  EXPECT_EQ(d.arn, above.arn);
  EXPECT_EQ(d.receivable_minor, 30'000);
  EXPECT_EQ(internal(AccountKind::chargeback_receivable), 30'000);
  EXPECT_EQ(story.engine.find_presentment(above.record_id)->case_id, charged.entity_id);
  EXPECT_EQ(story.posted(account), 10'000);  // only the item at the floor
  EXPECT_EQ(story.open_to_buy(account), 50'000);
  EXPECT_EQ(story.engine.counters().chargebacks_raised, 1u);
}

TEST(ClearingVisa, AVisaCardsUnauthorisedItemIsChargedBackUnderReason11_3) {
  Story story;
  std::vector<uint64_t> accounts;
  watch(story, &accounts);
  story.range(clearing_product(cards::CardScheme::visa));
  const uint64_t account = story.account(60'000);
  accounts.push_back(account);
  story.card(account, kPan);
  Presentment p;
  p.record_id = digest(1);
  p.arn = digest(2);
  p.pan_hash = testing::pan_hash_of(kPan);
  p.amount_minor = 25'000;
  p.currency = kCny;
  p.mcc = 5411;
  p.transaction_time = Timestamp{story.now.us - kDayUs};
  const Reply r = story.run(p);
  ASSERT_EQ(story.engine.disputes().size(), 1u);
  const DisputeRecord& d = story.engine.disputes().at(r.entity_id);
  EXPECT_EQ(d.dispute.reason_code, "11.3");
  EXPECT_EQ(d.dispute.deadline, add_seconds_saturating(story.now, 30 * kSecondsPerDay));
  EXPECT_EQ(d.receivable_minor, 25'000);
  EXPECT_EQ(story.posted(account), 0);
  expect_snapshot_round_trip(story.engine);
}

TEST_F(ClearingStory, WhenTheAcquirerNeverAnswersTheChargebackIsWonAndTheReceivableRecovered) {
  const Reply charged = story.run(presentment(30'000));
  const uint64_t case_id = charged.entity_id;
  const Timestamp deadline = dispute(case_id).dispute.deadline;
  ASSERT_TRUE(story.engine.next_timer_due().has_value());
  EXPECT_LE(*story.engine.next_timer_due(), Timestamp{deadline.us + 1});
  story.now = deadline;
  story.run(Tick{});
  EXPECT_EQ(dispute(case_id).dispute.state, disputes::CaseState::chargeback_filed);  // not yet passed
  story.advance_seconds(1);
  story.run(Tick{});
  EXPECT_TRUE(saw(EventKind::chargeback_recovered));
  const DisputeRecord& d = dispute(case_id);
  EXPECT_EQ(d.dispute.state, disputes::CaseState::closed_won);
  EXPECT_EQ(d.receivable_minor, 0);
  EXPECT_EQ(d.recovered_minor, 30'000);
  EXPECT_EQ(internal(AccountKind::chargeback_receivable), 0);
  EXPECT_EQ(internal(AccountKind::issuer_loss), 0);
  EXPECT_EQ(story.posted(account), 0);
}

TEST_F(ClearingStory, ARepresentmentMovesTheCaseToRepresentedAndAnIssuerThatThenDoesNothingBearsTheLoss) {
  const Presentment original = presentment(30'000);
  const uint64_t case_id = story.run(original).entity_id;
  story.advance_days(10);
  const Reply represented = story.run(follow_up(original, PresentmentKind::second_presentment));
  EXPECT_EQ(represented.outcome, Outcome::representment_recorded);
  EXPECT_EQ(represented.entity_id, case_id);
  const DisputeRecord& d = dispute(case_id);
  EXPECT_EQ(d.dispute.state, disputes::CaseState::represented);
  EXPECT_EQ(d.dispute.deadline_party, disputes::Party::issuer);
  EXPECT_EQ(d.receivable_minor, 30'000);
  EXPECT_EQ(internal(AccountKind::chargeback_receivable), 30'000);
  // Mastercard 4808 goes straight to arbitration (45 days); the issuer lets it pass.
  story.advance_days(46);
  story.run(Tick{});
  EXPECT_TRUE(saw(EventKind::chargeback_lost));
  EXPECT_EQ(dispute(case_id).dispute.state, disputes::CaseState::expired);
  EXPECT_EQ(dispute(case_id).written_off_minor, 30'000);
  EXPECT_EQ(internal(AccountKind::chargeback_receivable), 0);
  EXPECT_EQ(internal(AccountKind::issuer_loss), 30'000);
  EXPECT_EQ(story.posted(account), 0);  // the cardholder still does not pay
}

TEST_F(ClearingStory, ARepresentmentOfAPresentmentWithoutAChargebackIsAcknowledgedOnly) {
  const Presentment small = presentment(5'000);
  story.run(small);
  const Reply r = story.run(follow_up(small, PresentmentKind::second_presentment));
  EXPECT_EQ(r.outcome, Outcome::clearing_acknowledged);
  EXPECT_TRUE(story.engine.disputes().empty());
  EXPECT_EQ(story.posted(account), 5'000);
}

TEST_F(ClearingStory, AFirstPresentmentReversalGivesBackWhatWasPostedFeeIncluded) {
  CardMessage abroad = story.authorization(kPan, 1'000);
  abroad.currency = kUsd;
  abroad.billing_amount_minor = 20'000;
  abroad.billing_currency = kCny;
  abroad.acquirer_country = 840;
  const Reply approved = approve(abroad);
  Presentment p = clearing_of(abroad, approved, 1'000);
  p.currency = kUsd;
  p.billing_amount_minor = 20'000;
  p.billing_currency = kCny;
  story.run(p);
  EXPECT_EQ(story.posted(account), 20'200);
  const Presentment reversal = follow_up(p, PresentmentKind::first_presentment_reversal);
  const Reply undone = story.run(reversal);
  EXPECT_EQ(undone.outcome, Outcome::presentment_reversed);
  EXPECT_EQ(story.posted(account), 0);
  EXPECT_EQ(story.open_to_buy(account), 60'000);
  EXPECT_EQ(internal(AccountKind::fee_income), 0);
  // A second reversal of the same presentment (another record) gives nothing more back.
  Presentment again = follow_up(p, PresentmentKind::first_presentment_reversal);
  EXPECT_EQ(story.run(again).outcome, Outcome::presentment_already_applied);
  EXPECT_EQ(story.posted(account), 0);
}

TEST_F(ClearingStory, AReversalOfAChargedBackPresentmentSettlesTheReceivableAndDoesNotCreditTwice) {
  const Presentment p = presentment(30'000);
  const uint64_t case_id = story.run(p).entity_id;
  EXPECT_EQ(story.posted(account), 0);
  const Reply undone = story.run(follow_up(p, PresentmentKind::first_presentment_reversal));
  EXPECT_EQ(undone.outcome, Outcome::presentment_reversed);
  EXPECT_EQ(dispute(case_id).dispute.state, disputes::CaseState::closed_won);
  EXPECT_EQ(dispute(case_id).receivable_minor, 0);
  EXPECT_EQ(dispute(case_id).recovered_minor, 30'000);
  EXPECT_EQ(internal(AccountKind::chargeback_receivable), 0);
  EXPECT_EQ(story.posted(account), 0);
  EXPECT_EQ(story.open_to_buy(account), 60'000);
}

TEST_F(ClearingStory, AReversalAfterTheChargebackWasWonDoesNotCreditTheCardholderAgain) {
  const Presentment p = presentment(30'000);
  const uint64_t case_id = story.run(p).entity_id;
  story.advance_days(46);
  story.run(Tick{});
  ASSERT_EQ(dispute(case_id).dispute.state, disputes::CaseState::closed_won);
  EXPECT_EQ(story.run(follow_up(p, PresentmentKind::first_presentment_reversal)).outcome,
            Outcome::presentment_reversed);
  EXPECT_EQ(story.posted(account), 0);
  EXPECT_EQ(story.open_to_buy(account), 60'000);
  EXPECT_EQ(internal(AccountKind::chargeback_receivable), 0);
}

TEST_F(ClearingStory, AChargedBackForeignItemCostsTheCardholderNoFeeEither) {
  Presentment p = presentment(4'000);  // USD 40.00
  p.currency = kUsd;
  p.billing_amount_minor = 29'000;
  p.billing_currency = kCny;
  p.acquirer_country = 840;
  p.arn_text = chars<23>("74000000000000000000001");
  const Reply charged = story.run(p);
  EXPECT_EQ(charged.outcome, Outcome::presentment_unauthorised);
  const DisputeRecord& d = dispute(charged.entity_id);
  EXPECT_EQ(d.receivable_minor, 29'000);
  EXPECT_EQ(d.arn_text, p.arn_text);  // shown to operators
  EXPECT_EQ(story.posted(account), 0);
  EXPECT_EQ(internal(AccountKind::fee_income), 0);
  EXPECT_EQ(story.engine.find_presentment(p.record_id)->fee_minor, 0);
  // Reversed by the acquirer: the receivable is settled, nobody is credited twice.
  story.run(follow_up(p, PresentmentKind::first_presentment_reversal));
  EXPECT_EQ(story.posted(account), 0);
  EXPECT_EQ(internal(AccountKind::fee_income), 0);
  EXPECT_EQ(internal(AccountKind::chargeback_receivable), 0);
}

TEST_F(ClearingStory, AZeroAmountPresentmentIsRefusedAndBooksNothing) {
  const Reply zero = story.run(presentment(0));
  EXPECT_EQ(zero.outcome, Outcome::invalid_amount);
  EXPECT_EQ(story.code(zero), "13");
  EXPECT_EQ(story.posted(account), 0);
  EXPECT_EQ(the_card().offline_item_count, 0);
}

// ---- Burst protection ------------------------------------------------------------------------

TEST_F(ClearingStory, ABurstOfUnauthorisedOfflineItemsBlocksTheCardBeforeTheRestIsPresented) {
  const uint64_t token = provision_token();
  const Timestamp spree{story.now.us - 3 * kDayUs};
  for (int i = 0; i < 3; ++i) {
    Presentment p = presentment(5'000);  // each below the floor
    p.transaction_time = Timestamp{spree.us + i * kHourUs};
    EXPECT_EQ(story.run(p).outcome, Outcome::presentment_unauthorised);
    if (i < 2) {
      EXPECT_EQ(the_card().status, cards::CardStatus::active);
      EXPECT_FALSE(saw(EventKind::card_protected));
    }
  }
  EXPECT_TRUE(saw(EventKind::card_protected));
  EXPECT_TRUE(saw(EventKind::token_suspended));
  EXPECT_TRUE(saw(EventKind::cardholder_alerted));
  EXPECT_TRUE(saw(EventKind::fraud_case_opened));
  EXPECT_EQ(the_card().status, cards::CardStatus::blocked);
  EXPECT_EQ(the_card().protected_at, story.now);
  EXPECT_EQ(story.engine.find_token(cards::TokenId{token})->status, cards::TokenStatus::suspended);
  ASSERT_EQ(story.engine.fraud_cases().size(), 1u);
  const FraudCase& fraud = story.engine.fraud_cases().begin()->second;
  EXPECT_EQ(fraud.card_id, card);
  EXPECT_EQ(fraud.items, 3u);
  EXPECT_EQ(the_card().fraud_case_id, fraud.case_id);
  EXPECT_EQ(story.engine.counters().cards_protected, 1u);
  EXPECT_TRUE(story.engine.disputes().empty());  // below the floor and made before the block

  // Online use is over.
  const Reply declined = story.run(story.authorization(kPan, 100));
  EXPECT_EQ(story.code(declined), "62");
  EXPECT_EQ(declined.outcome, Outcome::card_blocked);
  EXPECT_EQ(story.code(story.run(story.authorization(kTokenPan, 100))), "62");
  ProvisionToken another;
  another.card_id = card;
  another.pan_hash = testing::pan_hash_of(kTokenPan + 1);
  EXPECT_EQ(story.run(another).outcome, Outcome::card_blocked);

  // The rest of the burst, made after the block, is charged back even below the floor.
  story.advance_days(1);
  Presentment after = presentment(5'000);
  after.transaction_time = Timestamp{story.now.us - kHourUs};
  const Reply charged = story.run(after);
  EXPECT_TRUE(saw(EventKind::chargeback_raised));
  ASSERT_EQ(story.engine.disputes().size(), 1u);
  EXPECT_EQ(dispute(charged.entity_id).dispute.reason_code, "4808");
  EXPECT_EQ(dispute(charged.entity_id).receivable_minor, 5'000);
  EXPECT_EQ(story.posted(account), 15'000);
  EXPECT_EQ(story.engine.fraud_cases().begin()->second.items, 4u);
}

// DE 12 is the merchant's local time. The card was listed (burst protection) at T. A tap in New
// York 3 h after T carries a local time 2 h before T (EST, UTC-5), a tap in Bangkok 2 h before
// T one 5 h after it (UTC+7): read as UTC, the first escaped the zero floor and the second was
// charged back although it was made before the listing.
TEST_F(ClearingStory, TheZeroFloorAfterAListingComparesTheLocalTimeInUtc) {
  const Timestamp listed = block_by_burst();
  story.advance_days(1);
  auto tap = [&](uint16_t country, int64_t utc_after_listing_s, int64_t local_offset_s) {
    Presentment p = presentment(5'000);  // below the CNY 100 floor
    p.acquirer_country = country;
    const UtcOffsetRange offsets = utc_offset_range(country);
    p.utc_offset_min_minutes = offsets.min_minutes;
    p.utc_offset_max_minutes = offsets.max_minutes;
    p.transaction_time = Timestamp{listed.us + (utc_after_listing_s + local_offset_s) * kMicrosPerSecond};
    const Reply reply = story.run(p);
    EXPECT_EQ(reply.outcome, Outcome::presentment_unauthorised);
    return saw(EventKind::chargeback_raised);
  };
  constexpr int64_t kNewYorkWinter = -5 * 3600;  // 29 November: EST
  constexpr int64_t kBangkok = 7 * 3600;
  EXPECT_TRUE(tap(840, 3 * 3600, kNewYorkWinter)) << "New York, 3 h after the listing: zero floor";
  EXPECT_FALSE(tap(764, -2 * 3600, kBangkok)) << "Bangkok, 2 h before the listing: the floor applies";
  // Straddling: the US spans UTC-10..UTC-4, so a New York tap 1 h after the listing may have been
  // made in Hawaii... or before it; Bangkok 10 min after it is within the 15 min clock margin.
  // The cautious rule: no automatic zero-floor chargeback.
  EXPECT_FALSE(tap(840, 3600, kNewYorkWinter)) << "New York, 1 h after: straddles";
  EXPECT_FALSE(tap(764, 600, kBangkok)) << "Bangkok, 10 min after: within the margin";
  EXPECT_TRUE(tap(764, 20 * 60, kBangkok)) << "Bangkok, 20 min after: beyond the margin";
  // The margin is policy: without it, Bangkok 10 min after the listing is after it.
  EngineConfig exact = story.engine.config();
  exact.local_time_margin_s = 0;
  ASSERT_EQ(story.run(Configure{exact}).outcome, Outcome::admin_done);
  EXPECT_TRUE(tap(764, 600, kBangkok));
  // No DE 12: it may have been made any time before it was presented; the floor applies.
  Presentment unknown = presentment(5'000);
  unknown.transaction_time = Timestamp{};
  story.run(unknown);
  EXPECT_FALSE(saw(EventKind::chargeback_raised));
}

// Burst protection counts DE 12 in UTC too: three items within 24 h in UTC whose local times,
// read as UTC, are spread over 35 h (Honolulu is UTC-10, Bangkok UTC+7).
TEST_F(ClearingStory, TheBurstWindowComparesTheLocalTimeInUtc) {
  const Timestamp t0{story.now.us - 3 * kDayUs};
  auto item = [&](uint16_t country, int64_t utc_s, int64_t local_offset_s) {
    Presentment p = presentment(5'000);
    p.acquirer_country = country;
    const UtcOffsetRange offsets = utc_offset_range(country);
    p.utc_offset_min_minutes = offsets.min_minutes;
    p.utc_offset_max_minutes = offsets.max_minutes;
    p.transaction_time = Timestamp{t0.us + (utc_s + local_offset_s) * kMicrosPerSecond};
    story.run(p);
  };
  // Honolulu at t0 (local t0 - 10 h; the US spans UTC-10..-4 and counts at the middle, t0 - 3 h),
  // Bangkok at t0 + 10 h and t0 + 18 h (local t0 + 17 h and t0 + 25 h): 21 h apart in UTC.
  item(840, 0, -10 * 3600);
  item(764, 10 * 3600, 7 * 3600);
  EXPECT_EQ(the_card().status, cards::CardStatus::active);
  item(764, 18 * 3600, 7 * 3600);
  EXPECT_EQ(the_card().status, cards::CardStatus::blocked);
  ASSERT_EQ(story.engine.fraud_cases().size(), 1u);
}

// The fraud case opens with every item of the burst that opened it, and counts what follows.
TEST_F(ClearingStory, AFraudCaseCountsTheWholeBurstThatOpenedIt) {
  for (int64_t amount : {30'000, 40'000, 50'000}) {
    story.run(story.message(MessageKind::financial_advice, kPan, amount));
    story.advance_seconds(600);
  }
  ASSERT_EQ(story.engine.fraud_cases().size(), 1u);
  EXPECT_EQ(story.engine.fraud_cases().begin()->second.items, 3u);
  EXPECT_EQ(story.engine.fraud_cases().begin()->second.amount_minor, 120'000);
  story.run(story.message(MessageKind::financial_advice, kPan, 1'000));
  EXPECT_EQ(story.engine.fraud_cases().begin()->second.items, 4u);
  EXPECT_EQ(story.engine.fraud_cases().begin()->second.amount_minor, 121'000);
}

// An automatic chargeback's liability record carries the engine's facts: when the payment was
// made, the card's status then, and whether the issuer had flagged or listed the card before.
TEST_F(ClearingStory, AChargebackRecordsTheCardsStatusAndThePaymentTime) {
  // Above the floor on an active card: active, not flagged, paid when DE 12 says.
  Presentment big = presentment(20'000);
  const Reply first = story.run(big);
  ASSERT_TRUE(saw(EventKind::chargeback_raised));
  const disputes::LiabilityClaim& before = dispute(first.entity_id).liability_claim;
  EXPECT_EQ(before.status_at_payment, disputes::CardStatus::active);
  EXPECT_EQ(before.payment_at, big.transaction_time);
  EXPECT_FALSE(before.issuer_flagged_abnormal);

  // Made after burst protection blocked the card.
  const Timestamp listed = block_by_burst();
  story.advance_days(1);
  Presentment after = presentment(5'000);
  after.transaction_time = Timestamp{listed.us + kHourUs};
  const Reply charged = story.run(after);
  ASSERT_TRUE(saw(EventKind::chargeback_raised));
  const disputes::LiabilityClaim& blocked = dispute(charged.entity_id).liability_claim;
  EXPECT_EQ(blocked.status_at_payment, disputes::CardStatus::blocked_by_issuer);
  EXPECT_EQ(blocked.payment_at, after.transaction_time);
  EXPECT_TRUE(blocked.issuer_flagged_abnormal);
  EXPECT_EQ(dispute(charged.entity_id).liability.reasons.at(1),
            disputes::LiabilityReason::payment_after_report);
}

// A card the issuer marked lost has a zero floor from then on, and the chargeback says so.
TEST_F(ClearingStory, ACardTheIssuerListedHasAZeroFloorFromThen) {
  ASSERT_EQ(story.run(SetCardStatus{card, cards::CardStatus::lost}).outcome, Outcome::admin_done);
  const Timestamp listed = story.now;
  story.advance_days(1);
  Presentment made_before = presentment(5'000);
  made_before.transaction_time = Timestamp{listed.us - kHourUs};
  story.run(made_before);
  EXPECT_FALSE(saw(EventKind::chargeback_raised));
  Presentment made_after = presentment(5'000);
  made_after.transaction_time = Timestamp{listed.us + kHourUs};
  const Reply charged = story.run(made_after);
  ASSERT_TRUE(saw(EventKind::chargeback_raised));
  EXPECT_EQ(dispute(charged.entity_id).liability_claim.status_at_payment,
            disputes::CardStatus::reported_lost);
  EXPECT_TRUE(dispute(charged.entity_id).liability_claim.issuer_flagged_abnormal);
}

TEST_F(ClearingStory, FuelPumpCompletionsAdjustTheirAuthorisationAndAreNoOfflineBurst) {
  // Three fills in an hour: a CNY 300 pre-authorisation each, completed by an 0120 carrying the
  // approval code holdfast gave, then presented.
  for (int i = 0; i < 3; ++i) {
    CardMessage pump = story.authorization(kPan, 30'000);
    pump.mcc = 5542;
    const Reply approved = approve(pump);
    CardMessage done = story.message(MessageKind::authorization_advice, kPan, 12'000 + i * 1'000);
    done.mcc = 5542;
    done.advice_approval_code = approved.approval_code;
    EXPECT_EQ(story.code(story.run(done)), "00");
    // The hold is the completed amount, not the pre-authorisation plus a second hold.
    EXPECT_EQ(story.pending(account), 12'000 + i * 1'000);
    const Reply cleared = story.run(clearing_of(pump, approved, 12'000 + i * 1'000));
    EXPECT_EQ(cleared.outcome, Outcome::presentment_matched);
    EXPECT_EQ(story.pending(account), 0);
    story.advance_seconds(1200);
  }
  EXPECT_EQ(the_card().offline_item_count, 0);
  EXPECT_EQ(the_card().status, cards::CardStatus::active);
  EXPECT_TRUE(story.engine.disputes().empty());
  EXPECT_EQ(story.posted(account), 12'000 + 13'000 + 14'000);
}

TEST_F(ClearingStory, ACompletionAboveItsAuthorisationHoldsTheDifferenceInTheSameChain) {
  CardMessage pump = story.authorization(kPan, 10'000);
  pump.mcc = 5542;
  const Reply approved = approve(pump);
  CardMessage done = story.message(MessageKind::authorization_advice, kPan, 11'500);
  done.mcc = 5542;
  done.advice_approval_code = approved.approval_code;
  story.run(done);
  EXPECT_EQ(story.pending(account), 11'500);
  EXPECT_EQ(story.run(clearing_of(pump, approved, 11'500)).outcome, Outcome::presentment_matched);
  EXPECT_EQ(story.pending(account), 0);
  EXPECT_EQ(story.posted(account), 11'500);
  EXPECT_EQ(the_card().offline_item_count, 0);
}

TEST_F(ClearingStory, OfflineAdvicesCountTowardsTheBurst) {
  std::vector<CardMessage> advices;
  std::vector<Reply> replies;
  for (int i = 0; i < 3; ++i) {
    advices.push_back(story.message(MessageKind::financial_advice, kPan, 2'000));
    replies.push_back(story.run(advices.back()));
    EXPECT_EQ(story.code(replies.back()), "00");
    if (i < 2) story.advance_seconds(600);
  }
  EXPECT_TRUE(saw(EventKind::card_protected));
  EXPECT_EQ(the_card().status, cards::CardStatus::blocked);
  EXPECT_EQ(story.code(story.run(story.authorization(kPan, 100))), "62");
  // An advice is still applied after the block (E4): the money is spent.
  story.advance_seconds(600);
  const Reply fourth = story.run(story.message(MessageKind::financial_advice, kPan, 2'000));
  EXPECT_EQ(story.code(fourth), "00");
  EXPECT_EQ(story.posted(account), 8'000);
  EXPECT_EQ(story.engine.fraud_cases().begin()->second.items, 4u);

  // The first advice is presented later: matched to it, not posted twice, not counted twice,
  // and below the floor (made before the block): no chargeback.
  const uint8_t counted = the_card().offline_item_count;
  story.advance_days(2);
  Presentment p = clearing_of(advices[0], replies[0], 2'000);
  p.transaction_time = Timestamp{testing::kStart.us};
  const Reply cleared = story.run(p);
  EXPECT_EQ(cleared.outcome, Outcome::presentment_unauthorised);
  EXPECT_TRUE(story.engine.find_presentment(p.record_id)->matched);
  EXPECT_EQ(story.posted(account), 8'000);
  EXPECT_EQ(the_card().offline_item_count, counted);
  EXPECT_TRUE(story.engine.disputes().empty());
}

TEST_F(ClearingStory, OfflineItemsSpreadOutOverDaysAreNoBurst) {
  for (int i = 0; i < 4; ++i) story.run(presentment(3'000));  // two days apart
  EXPECT_EQ(the_card().status, cards::CardStatus::active);
  EXPECT_TRUE(story.engine.fraud_cases().empty());
  EXPECT_EQ(story.code(story.run(story.authorization(kPan, 100))), "00");
}

TEST_F(ClearingStory, OverClearedDinnersAreNotABurstOfOfflineItems) {
  for (int i = 0; i < 3; ++i) {
    CardMessage dinner = story.authorization(kPan, 10'000);
    dinner.mcc = 5812;
    const Reply approved = approve(dinner);
    EXPECT_EQ(story.run(clearing_of(dinner, approved, 13'000)).outcome, Outcome::presentment_over_cleared);
    story.advance_seconds(600);
  }
  EXPECT_EQ(story.engine.disputes().size(), 3u);  // each excess charged back
  EXPECT_EQ(the_card().status, cards::CardStatus::active);
  EXPECT_TRUE(story.engine.fraud_cases().empty());
  EXPECT_EQ(the_card().offline_item_count, 0);
}

// ---- Tokens ----------------------------------------------------------------------------------

TEST_F(ClearingStory, AnAuthorisationWithATokenFindsItsCardAndASuspendedTokenIsDeclined) {
  const uint64_t token = provision_token();
  EXPECT_TRUE(saw(EventKind::token_provisioned));
  ASSERT_EQ(story.engine.tokens_of(cards::CardId{card}).size(), 1u);
  story.advance_seconds(60);
  const Reply approved = approve(from_wallet(story.authorization(kTokenPan, 12'000)));
  EXPECT_EQ(story.pending(account), 12'000);
  EXPECT_EQ(approved.account_currency, kCny);
  EXPECT_EQ(story.engine.find_token(cards::TokenId{token})->last_used_at, story.now);
  EXPECT_EQ(story.engine.find_token(testing::pan_hash_of(kTokenPan))->card.value, card);
  // The wallet sends the token's own expiry date, not the card's.
  CardMessage token_expiry = from_wallet(story.authorization(kTokenPan, 1'000));
  token_expiry.expiry_yymm = 3106;
  approve(token_expiry);
  CardMessage wrong_expiry = story.authorization(kPan, 1'000);
  wrong_expiry.expiry_yymm = 3106;
  EXPECT_EQ(story.run(wrong_expiry).outcome, Outcome::expiry_mismatch);
  EXPECT_EQ(story.pending(account), 13'000);

  EXPECT_EQ(story.run(SetTokenStatus{token, cards::TokenStatus::suspended}).outcome, Outcome::admin_done);
  const Reply declined = story.run(from_wallet(story.authorization(kTokenPan, 100)));
  EXPECT_EQ(declined.outcome, Outcome::token_suspended);
  EXPECT_EQ(story.pending(account), 13'000);
  EXPECT_EQ(story.code(declined), "62");
  EXPECT_EQ(story.code(story.run(story.authorization(kPan, 100))), "00");  // the card itself is fine
  // A presentment under the token's number still finds the card: the money is spent.
  Presentment p = presentment(3'000);
  p.pan_hash = testing::pan_hash_of(kTokenPan);
  EXPECT_EQ(story.run(p).outcome, Outcome::presentment_unauthorised);
  // A deleted token stays deleted; the same number cannot be provisioned twice.
  EXPECT_EQ(story.run(SetTokenStatus{token, cards::TokenStatus::deleted}).outcome, Outcome::admin_done);
  EXPECT_EQ(story.run(SetTokenStatus{token, cards::TokenStatus::active}).outcome, Outcome::admin_invalid);
  ProvisionToken twice;
  twice.card_id = card;
  twice.pan_hash = testing::pan_hash_of(kTokenPan);
  EXPECT_EQ(story.run(twice).outcome, Outcome::admin_duplicate_card);
}

// ---- Uplifts abroad --------------------------------------------------------------------------

TEST_F(ClearingStory, AnUpliftAbroadIsGrantedForAChipCardPresentRequestAndExpiresByTime) {
  const Reply granted = story.run(uplift_request(840));
  EXPECT_EQ(granted.outcome, Outcome::uplift_granted);
  EXPECT_TRUE(saw(EventKind::uplift_granted));
  EXPECT_EQ(story.open_to_buy(account), 180'000);  // 3x the limit, the product's cap
  // Asking for less never shrinks what is in force.
  RequestUplift smaller = uplift_request(392);
  smaller.multiplier_bp = 20'000;
  EXPECT_EQ(story.run(smaller).outcome, Outcome::uplift_granted);
  EXPECT_EQ(story.open_to_buy(account), 180'000);
  story.advance_days(7);
  story.run(Tick{});
  EXPECT_EQ(story.open_to_buy(account), 60'000);
  EXPECT_EQ(story.run(smaller).outcome, Outcome::uplift_granted);
  EXPECT_EQ(story.open_to_buy(account), 120'000);
}

TEST_F(ClearingStory, TheUpliftGateRefusesCardNotPresentFallbackAndUnlistedCountries) {
  RequestUplift online = uplift_request();
  online.channel = cards::UseChannel::card_not_present;
  EXPECT_EQ(story.run(online).outcome, Outcome::uplift_card_not_present);
  EXPECT_TRUE(saw(EventKind::uplift_refused));
  RequestUplift swiped = uplift_request();
  swiped.fallback = true;
  EXPECT_EQ(story.run(swiped).outcome, Outcome::uplift_fallback);
  EXPECT_EQ(story.run(uplift_request(250)).outcome,
            Outcome::uplift_country_not_allowed);  // France: not listed
  EXPECT_EQ(story.run(uplift_request(156)).outcome, Outcome::uplift_country_not_allowed);  // at home
  story.run(SetCardStatus{card, cards::CardStatus::lost});
  EXPECT_EQ(story.run(uplift_request()).outcome, Outcome::uplift_card_not_active);
  EXPECT_EQ(story.open_to_buy(account), 60'000);
  EXPECT_EQ(story.engine.find_account(cards::AccountId{account})->uplift_minor, 0);
}

TEST_F(ClearingStory, ADormantCardGetsNoUpliftUntilItIsUsedAgain) {
  story.advance_days(91);
  const Reply dormant = story.run(uplift_request());
  EXPECT_EQ(dormant.outcome, Outcome::uplift_dormant);
  EXPECT_EQ(story.code(dormant), "57");
  approve(story.authorization(kPan, 1'000));  // used at home
  EXPECT_EQ(story.run(uplift_request()).outcome, Outcome::uplift_granted);
}

TEST_F(ClearingStory, AFreshlyProvisionedTokenGetsNoUpliftUntilItHasCooledDown) {
  const uint64_t token = provision_token();
  RequestUplift through_wallet = uplift_request();
  through_wallet.token_id = token;
  EXPECT_EQ(story.run(through_wallet).outcome, Outcome::uplift_token_too_new);
  EXPECT_EQ(story.open_to_buy(account), 60'000);
  story.advance_days(31);
  approve(story.authorization(kPan, 1'000));  // the card itself stays in use
  EXPECT_EQ(story.run(through_wallet).outcome, Outcome::uplift_granted);
}

TEST_F(ClearingStory, RecentUnauthorisedOfflineItemsStopUplifts) {
  story.run(story.message(MessageKind::financial_advice, kPan, 2'000));
  EXPECT_EQ(story.run(uplift_request()).outcome, Outcome::uplift_recent_offline_items);
  story.advance_days(2);
  EXPECT_EQ(story.run(uplift_request()).outcome, Outcome::uplift_granted);
}

TEST(UpliftOnAuthorisation, AChipAuthorisationAbroadBeyondOpenToBuyAsksTheGateAndCardNotPresentIsRefused) {
  Story story;
  std::vector<uint64_t> accounts;
  watch(story, &accounts);
  cards::Product product = clearing_product();
  product.uplift_on_authorization = true;
  story.range(product);
  const uint64_t account = story.account(60'000);
  accounts.push_back(account);
  story.card(account, kPan);
  auto abroad = [&](int64_t amount, Channel channel) {
    CardMessage m = story.authorization(kPan, amount);
    m.currency = kUsd;
    m.amount_minor = amount / 7;
    m.billing_amount_minor = amount;
    m.billing_currency = kCny;
    m.acquirer_country = 840;
    m.channel = channel;
    m.pos_entry_mode = channel == Channel::card_present ? 51 : 10;
    return story.run(m);
  };
  const Reply web = abroad(100'000, Channel::card_not_present);
  EXPECT_EQ(story.code(web), "51");
  // The decline says why no uplift helped, and the remembered message keeps it (explain).
  EXPECT_EQ(web.outcome, Outcome::insufficient_funds);
  EXPECT_EQ(web.detail, static_cast<int64_t>(Outcome::uplift_card_not_present));
  // The story numbers STANs in order: the keys of the message just sent.
  const auto* kept =
      story.engine.find_message(MessageKind::authorization_request,
                                MessageKey{12345678, story.next_stan - 1, 1129120000 + story.next_stan});
  ASSERT_NE(kept, nullptr);
  EXPECT_EQ(kept->cause, Outcome::uplift_card_not_present);
  EXPECT_EQ(story.engine.find_account(cards::AccountId{account})->uplift_minor, 0);
  const Reply shop = abroad(100'000, Channel::card_present);
  EXPECT_EQ(story.code(shop), "00");
  EXPECT_EQ(story.engine.find_account(cards::AccountId{account})->uplift_minor, 120'000);
  EXPECT_EQ(story.open_to_buy(account), 80'000);
  expect_snapshot_round_trip(story.engine);
}

// ---- Legacy mode: the seed's issuer ----------------------------------------------------------

TEST_F(ClearingStory, LegacyModeRefreshesOpenToBuyOnceADay) {
  go_legacy();
  const Reply advice = story.run(story.message(MessageKind::financial_advice, kPan, 50'000));
  EXPECT_EQ(story.code(advice), "00");
  EXPECT_EQ(story.posted(account), 50'000);
  // Until tonight's refresh, online authorisations do not see the offline spend.
  const Reply same_day = story.run(story.authorization(kPan, 40'000));
  EXPECT_EQ(story.code(same_day), "00");
  EXPECT_EQ(same_day.open_to_buy_minor, 20'000);
  EXPECT_EQ(story.open_to_buy(account), 20'000);
  story.advance_seconds(11 * 3600);  // 23:00, still the same day
  EXPECT_EQ(story.code(story.run(story.authorization(kPan, 20'000))), "00");
  story.advance_seconds(2 * 3600);  // 01:00 the next day: refreshed from the books
  const Reply next_day = story.run(story.authorization(kPan, 1'000));
  EXPECT_EQ(story.code(next_day), "51");
  EXPECT_EQ(story.open_to_buy(account), 60'000 - 50'000 - 60'000);
}

TEST_F(ClearingStory, LegacyModeGrantsABlindUpliftAbroad) {
  go_legacy();
  story.advance_days(200);  // dormant, and asked for card-not-present: the seed did not care
  CardMessage web = story.authorization(kPan, 100'000);
  web.currency = kUsd;
  web.amount_minor = 14'000;
  web.billing_amount_minor = 100'000;
  web.billing_currency = kCny;
  web.acquirer_country = 840;
  web.channel = Channel::card_not_present;
  const Reply r = story.run(web);
  EXPECT_EQ(story.code(r), "00");
  EXPECT_TRUE(saw(EventKind::uplift_granted));
  EXPECT_EQ(story.engine.find_account(cards::AccountId{account})->uplift_minor, 240'000);  // 5x
  EXPECT_EQ(story.pending(account), 100'000);
}

TEST_F(ClearingStory, LegacyModeNeitherChargesBackNorProtectsTheCard) {
  go_legacy();
  for (int i = 0; i < 3; ++i) {
    Presentment p = presentment(30'000);
    p.transaction_time = Timestamp{story.now.us - kDayUs + i * kHourUs};
    EXPECT_EQ(story.run(p).outcome, Outcome::presentment_unauthorised);
    EXPECT_FALSE(saw(EventKind::chargeback_raised));
  }
  EXPECT_TRUE(story.engine.disputes().empty());
  EXPECT_TRUE(story.engine.fraud_cases().empty());
  EXPECT_EQ(the_card().status, cards::CardStatus::active);
  EXPECT_EQ(story.posted(account), 90'000);
  EXPECT_EQ(internal(AccountKind::chargeback_receivable), 0);
  // And the stale open-to-buy lets the fraudster go on until tonight.
  EXPECT_EQ(story.code(story.run(story.authorization(kPan, 50'000))), "00");
}

// ---- Random walks ----------------------------------------------------------------------------

// A seeded walk through clearing traffic: authorisations (some abroad, some incremental by
// RRN, some by token), advices, reversals, presentments matched by approval code or RRN or not
// at all, in foreign currency, repeated, reversed and represented, uplift requests, token
// changes and timer pulses. The walk is generated against a live engine (presentments need the
// approval codes it gave), with the invariants after every command; a snapshot taken half-way
// and the rest replayed through the journal encoding reach the same replies and state bytes.
struct Walk {
  std::vector<Command> commands;
  std::vector<Reply> replies;
  std::vector<uint8_t> snapshot;  // before commands[half]
  size_t half = 0;
  std::vector<uint8_t> final_state;
  std::array<int, kOutcomeCount> outcomes{};  // how often each outcome came up
  EngineCounters counters;
};

Walk clearing_walk(uint32_t seed, int steps, EngineMode mode) {
  std::mt19937 rng(seed);
  // Extreme amounts come from their own generator, so the walk's other choices stay as they were.
  std::mt19937 extreme(seed + 7'919);
  auto maybe_extreme = [&](int64_t amount) {
    const std::array<int64_t, 4> extremes{1, 99'999'999, 999'999'999'998, 999'999'999'999};
    return extreme() % 40 == 0 ? extremes[extreme() % extremes.size()] : amount;
  };
  Story story;
  std::vector<uint64_t> accounts;
  watch(story, &accounts);
  testing::MoneyOracle oracle;
  Walk walk;
  auto apply = [&](CommandBody body) {
    walk.commands.push_back(Command{story.now, body});
    walk.replies.push_back(story.run(std::move(body)));
    oracle.applied(story.engine, walk.commands.back().body, walk.replies.back());
    EXPECT_EQ(oracle.violation(story.engine), "") << "command " << walk.commands.size() - 1;
    return walk.replies.back();
  };
  EngineConfig config;
  config.mode = mode;
  apply(Configure{config});
  cards::Product product =
      clearing_product(rng() % 2 == 0 ? cards::CardScheme::mastercard : cards::CardScheme::visa);
  product.uplift_on_authorization = true;
  product.dormant_days = 20;
  product.token_cooling_days = 3;
  CreateCardRange range;
  range.range.prefix_low = 622588;
  range.range.prefix_high = 622588;
  range.range.prefix_length = 6;
  range.range.product = product;
  apply(range);
  constexpr uint64_t kCards = 4;
  for (uint64_t a = 1; a <= kCards; ++a) {
    accounts.push_back(apply(OpenAccount{kCny, 20'000 + static_cast<int64_t>(rng() % 80'000), 0}).entity_id);
    IssueCard c;
    c.account_id = a;
    c.pan_hash = testing::pan_hash_of(a);
    c.prefix = 62258800000;
    c.prefix_length = 11;
    c.expiry_yymm = 2812;
    apply(c);
    ProvisionToken t;
    t.card_id = a;
    t.pan_hash = testing::pan_hash_of(100 + a);
    apply(t);
  }
  struct Approved {
    CardMessage message;
    Reply reply;
  };
  std::vector<Approved> approved;
  std::vector<Presentment> presented;
  uint64_t record = 0;
  const std::array<uint16_t, 5> mccs{5411, 5411, 5812, 7011, 5542};
  std::map<uint64_t, uint16_t> token_atc;  // per card's token
  for (int i = 0; i < steps; ++i) {
    if (i == steps / 2) {
      walk.half = walk.commands.size();
      story.engine.serialize(&walk.snapshot);
    }
    story.now.us += static_cast<int64_t>(rng() % 7'200) * kMicrosPerSecond;
    const auto pick = rng() % 100;
    const uint64_t card = 1 + rng() % kCards;
    const uint64_t pan = rng() % 4 == 0 ? 100 + card : card;  // a quarter through the wallet token
    if (pick < 30) {
      const auto kinds = std::array{MessageKind::authorization_request, MessageKind::authorization_request,
                                    MessageKind::financial_request, MessageKind::authorization_advice,
                                    MessageKind::financial_advice};
      const int64_t amount = maybe_extreme(static_cast<int64_t>(rng() % 30'000));
      CardMessage m = story.message(kinds[rng() % kinds.size()], pan, amount);
      m.mcc = mccs[rng() % mccs.size()];
      m.pos_entry_mode = rng() % 6 == 0 ? 901 : 51;
      m.channel = rng() % 4 == 0 ? Channel::card_not_present : Channel::card_present;
      if (rng() % 4 == 0) {
        m.acquirer_country = 840;
        m.currency = kUsd;
        m.billing_amount_minor = m.amount_minor;
        m.billing_currency = kCny;
        m.amount_minor /= 7;
      }
      if (!approved.empty() && rng() % 5 == 0) {
        const Approved& earlier = approved[rng() % approved.size()];  // an incremental authorisation
        m.pan_hash = earlier.message.pan_hash;
        m.retrieval_reference = earlier.message.retrieval_reference;
      } else {
        const std::string rrn = std::to_string(100'000'000'000ull + rng() % 900'000'000'000ull);
        m.retrieval_reference = chars<12>(rrn.c_str());
      }
      // A wallet's message carries a verified cryptogram (three times in four), its counter
      // moving on; without one it is declined.
      if (m.pan_hash == testing::pan_hash_of(100 + card) && i % 4 != 0) {
        m.security.cryptogram = CheckResult::match;
        m.security.has_atc = true;
        m.security.atc = ++token_atc[card];
      }
      const Reply r = apply(m);
      if (story.code(r) == "00" && r.outcome != Outcome::balance_inquiry_answered) approved.push_back({m, r});
    } else if (pick < 38 && !approved.empty()) {
      const Approved& original = approved[rng() % approved.size()];
      CardMessage r = story.reversal_of(original.message, rng() % 2 == 0);
      if (rng() % 3 == 0) {
        r.has_replacement_amount = true;
        r.replacement_amount_minor = maybe_extreme(original.message.amount_minor / 2);
        r.amount_minor = std::max(r.amount_minor, r.replacement_amount_minor);
      }
      apply(r);
    } else if (pick < 70) {
      Presentment p;
      p.record_id = digest(++record);
      p.arn = digest(1'000'000 + record);
      p.mcc = mccs[rng() % mccs.size()];
      p.currency = kCny;
      p.channel = rng() % 4 == 0 ? cards::UseChannel::card_not_present : cards::UseChannel::card_present;
      p.transaction_time = Timestamp{story.now.us - static_cast<int64_t>(rng() % (3 * 24)) * kHourUs};
      p.pan_hash = testing::pan_hash_of(pan);
      p.amount_minor = static_cast<int64_t>(rng() % 25'000);
      if (!approved.empty() && rng() % 3 != 0) {
        const Approved& auth = approved[rng() % approved.size()];
        p.pan_hash = auth.message.pan_hash;
        p.mcc = auth.message.mcc;
        if (rng() % 2 == 0)
          p.approval_code = auth.reply.approval_code;
        else
          p.retrieval_reference = auth.message.retrieval_reference;
        const int64_t authorised = auth.message.billing_amount_minor > 0 ? auth.message.billing_amount_minor
                                                                         : auth.message.amount_minor;
        p.amount_minor = authorised * static_cast<int64_t>(50 + rng() % 80) / 100;  // partial to over-cleared
      }
      p.amount_minor = maybe_extreme(p.amount_minor);
      if (rng() % 5 == 0) {
        p.billing_amount_minor = p.amount_minor;
        p.billing_currency = kCny;
        p.currency = kUsd;
        p.amount_minor /= 7;
        if (rng() % 4 == 0) p.billing_amount_minor = 0;  // no DE 6: unusable
      }
      presented.push_back(p);
      apply(p);
    } else if (pick < 74 && !presented.empty()) {
      apply(presented[rng() % presented.size()]);  // the same record again
    } else if (pick < 80 && !presented.empty()) {
      Presentment p = presented[rng() % presented.size()];
      p.kind =
          rng() % 2 == 0 ? PresentmentKind::first_presentment_reversal : PresentmentKind::second_presentment;
      p.record_id = digest(++record);
      apply(p);
    } else if (pick < 88) {
      story.now.us += static_cast<int64_t>(rng() % 4) * kDayUs;
      apply(Tick{});
    } else if (pick < 93) {
      RequestUplift u;
      u.card_id = card;
      u.token_id = rng() % 3 == 0 ? card : 0;  // token ids follow the cards' in this walk
      u.country = rng() % 4 == 0 ? 250 : 840;
      u.channel = rng() % 4 == 0 ? cards::UseChannel::card_not_present : cards::UseChannel::card_present;
      u.fallback = rng() % 8 == 0;
      apply(u);
    } else if (pick < 96) {
      apply(
          SetTokenStatus{card, rng() % 3 == 0 ? cards::TokenStatus::suspended : cards::TokenStatus::active});
    } else if (pick < 98) {
      apply(SetCardStatus{card, rng() % 2 == 0 ? cards::CardStatus::active : cards::CardStatus::blocked});
    } else {
      apply(SetCreditLimit{card, 20'000 + static_cast<int64_t>(rng() % 80'000)});
    }
    if (::testing::Test::HasFatalFailure()) break;
  }
  // The receivables and losses in the books are the cases' own figures.
  int64_t receivable = 0;
  int64_t lost = 0;
  for (const auto& [id, d] : story.engine.disputes()) {
    receivable += d.receivable_minor;
    lost += d.written_off_minor;
  }
  EXPECT_EQ(story.engine.internal_balance(AccountKind::chargeback_receivable, kCny), receivable);
  EXPECT_EQ(story.engine.internal_balance(AccountKind::issuer_loss, kCny), lost);
  story.engine.serialize(&walk.final_state);
  for (const Reply& r : walk.replies) ++walk.outcomes[static_cast<size_t>(r.outcome)];
  walk.counters = story.engine.counters();
  return walk;
}

void expect_replay_matches(const Walk& walk) {
  Engine restored{EngineConfig{}};
  ASSERT_TRUE(restored.deserialize(walk.snapshot));
  std::vector<Event> events;
  for (size_t i = walk.half; i < walk.commands.size(); ++i) {
    std::vector<uint8_t> bytes;
    encode_command(walk.commands[i], &bytes);
    auto decoded = decode_command(bytes);
    ASSERT_TRUE(decoded.ok()) << "command " << i;
    events.clear();
    const Reply r = restored.apply(*decoded, &events);
    const Reply& expected = walk.replies[i];
    ASSERT_EQ(r.outcome, expected.outcome) << "command " << i;
    ASSERT_EQ(r.approval_code, expected.approval_code) << "command " << i;
    ASSERT_EQ(r.open_to_buy_minor, expected.open_to_buy_minor) << "command " << i;
    ASSERT_EQ(r.entity_id, expected.entity_id) << "command " << i;
  }
  std::vector<uint8_t> state;
  restored.serialize(&state);
  EXPECT_EQ(state, walk.final_state);
}

TEST(ClearingWalk, ClearingTrafficKeepsTheBooksAndOpenToBuyExactAndReplaysFromASnapshot) {
  std::array<int, kOutcomeCount> seen{};
  uint64_t protected_cards = 0;
  for (uint32_t seed = 1; seed <= 12; ++seed) {
    SCOPED_TRACE(seed);
    const Walk walk = clearing_walk(seed, 1'500, EngineMode::holdfast);
    if (::testing::Test::HasFatalFailure()) return;
    expect_replay_matches(walk);
    if (::testing::Test::HasFatalFailure()) return;
    for (size_t o = 0; o < seen.size(); ++o) seen[o] += walk.outcomes[o];
    protected_cards += walk.counters.cards_protected;
  }
  // The walks went through every path they are meant to cover.
  for (const Outcome o :
       {Outcome::presentment_matched, Outcome::presentment_late, Outcome::presentment_over_cleared,
        Outcome::presentment_unauthorised, Outcome::presentment_reversed,
        Outcome::presentment_already_applied, Outcome::representment_recorded,
        Outcome::presentment_currency_unusable, Outcome::uplift_granted, Outcome::uplift_card_not_present,
        Outcome::uplift_recent_offline_items, Outcome::token_suspended, Outcome::token_cryptogram_missing,
        Outcome::card_blocked, Outcome::reversal_applied})
    EXPECT_GT(seen[static_cast<size_t>(o)], 0) << outcome_name(o);
  EXPECT_GT(protected_cards, 0u);
}

TEST(ClearingWalk, LegacyModeKeepsTheBooksBalancedAndReplaysFromASnapshot) {
  for (uint32_t seed = 50; seed <= 54; ++seed) {
    SCOPED_TRACE(seed);
    const Walk walk = clearing_walk(seed, 1'500, EngineMode::legacy);
    if (::testing::Test::HasFatalFailure()) return;
    expect_replay_matches(walk);
    if (::testing::Test::HasFatalFailure()) return;
  }
}

}  // namespace
}  // namespace holdfast::engine
