#include "ledger/ledger.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>

namespace holdfast::ledger {
namespace {

constexpr Currency kCny{156};

class LedgerTest : public ::testing::Test {
 protected:
  Ledger ledger;
  uint32_t cardholder = ledger.open_account(AccountKind::cardholder, kCny);
  uint32_t settlement = ledger.open_account(AccountKind::scheme_settlement, kCny);
  Timestamp now = Timestamp::from_seconds(1'800'000'000);
  Timestamp later = Timestamp::from_seconds(1'800'000'000 + 7 * 86400);
};

TEST_F(LedgerTest, AHoldIsPendingOnBothSidesUntilReleased) {
  auto hold = ledger.place_hold(cardholder, settlement, 12'345, now, later);
  ASSERT_TRUE(hold.has_value());
  EXPECT_EQ(ledger.account(cardholder).debits_pending, 12'345);
  EXPECT_EQ(ledger.account(settlement).credits_pending, 12'345);
  EXPECT_TRUE(ledger.books_balance());
  EXPECT_EQ(ledger.release_hold(*hold, 2'345), 2'345);  // partial reversal
  EXPECT_EQ(ledger.account(cardholder).debits_pending, 10'000);
  EXPECT_EQ(ledger.release_hold(*hold, 50'000), 10'000);  // never more than remains
  EXPECT_EQ(ledger.find_hold(*hold), nullptr);
  EXPECT_EQ(ledger.release_hold(*hold, 1), 0);  // released at most once
  EXPECT_TRUE(ledger.books_balance());
}

TEST_F(LedgerTest, ClearingMovesPendingToPosted) {
  auto hold = ledger.place_hold(cardholder, settlement, 10'000, now, later);
  ASSERT_TRUE(hold.has_value());
  EXPECT_EQ(ledger.post_from_hold(*hold, 6'000), 6'000);
  EXPECT_EQ(ledger.account(cardholder).debits_pending, 4'000);
  EXPECT_EQ(ledger.account(cardholder).posted_balance(), 6'000);
  EXPECT_TRUE(ledger.books_balance());
}

TEST_F(LedgerTest, HoldsExpireInTimeOrderAndOnlyWhenDue) {
  auto a = ledger.place_hold(cardholder, settlement, 100, now, Timestamp::from_seconds(now.seconds() + 10));
  auto b = ledger.place_hold(cardholder, settlement, 200, now, Timestamp::from_seconds(now.seconds() + 5));
  ASSERT_TRUE(a && b);
  std::vector<std::pair<HoldId, int64_t>> expired;
  EXPECT_EQ(ledger.expire_due(Timestamp::from_seconds(now.seconds() + 4), 100, &expired), 0u);
  EXPECT_EQ(ledger.expire_due(Timestamp::from_seconds(now.seconds() + 5), 100, &expired), 1u);
  ASSERT_EQ(expired.size(), 1u);
  EXPECT_EQ(expired[0].first, *b);
  EXPECT_EQ(expired[0].second, 200);
  EXPECT_EQ(ledger.account(cardholder).debits_pending, 100);
  EXPECT_TRUE(ledger.books_balance());
}

// Slots are reused LIFO; ids are not: every hold gets a larger id than every hold before it,
// whichever slot it lands in.
TEST_F(LedgerTest, HoldIdsOnlyEverIncreaseWhateverSlotTheyReuse) {
  std::vector<HoldId> placed;
  auto place = [&] {
    auto id = ledger.place_hold(cardholder, settlement, 10, now, later);
    EXPECT_TRUE(id.has_value());
    if (!placed.empty()) {
      EXPECT_GT(id->value, placed.back().value);
    }
    placed.push_back(*id);
    return *id;
  };
  const HoldId first = place();
  ledger.release_hold(first, 10);  // its slot is free again
  const HoldId reused = place();   // lands in it
  place();                         // a new slot
  for (int i = 0; i < 100; ++i) ledger.release_hold(place(), 10);
  ledger.release_hold(reused, 10);
  place();
  place();
  EXPECT_TRUE(ledger.books_balance());
}

// A reversal that arrives long after its hold ended holds a stale id. However many times the
// hold's slot has been reused since (a generation counter would wrap after 2^32 reuses), the
// stale id finds nothing and cannot release another card's hold, before and after a snapshot.
TEST_F(LedgerTest, AStaleHoldIdReleasesNothingAcrossManySlotReuseCycles) {
  const uint32_t other_card = ledger.open_account(AccountKind::cardholder, kCny);
  const HoldId stale = *ledger.place_hold(cardholder, settlement, 500, now, later);
  ASSERT_EQ(ledger.release_hold(stale, 500), 500);
  std::vector<HoldId> ended;
  auto cycle = [&](Ledger& l) {
    const HoldId id = *l.place_hold(other_card, settlement, 700, now, later);
    EXPECT_EQ(l.find_hold(stale), nullptr);
    EXPECT_EQ(l.release_hold(stale, 700), 0);
    EXPECT_EQ(l.post_from_hold(stale, 700), 0);
    if (!ended.empty()) {
      EXPECT_EQ(l.release_hold(ended.back(), 700), 0);
    }
    EXPECT_EQ(l.account(other_card).debits_pending, 700);
    EXPECT_EQ(l.release_hold(id, 700), 700);
    ended.push_back(id);
  };
  for (int i = 0; i < 200'000 && !HasFailure(); ++i) cycle(ledger);
  std::vector<uint8_t> bytes;
  ByteWriter out(&bytes);
  ledger.serialize(out);
  Ledger restored;
  ByteReader in(bytes);
  ASSERT_TRUE(restored.deserialize(in));
  for (int i = 0; i < 200'000 && !HasFailure(); ++i) cycle(restored);
  for (size_t i = 0; i < ended.size(); i += 997) EXPECT_EQ(restored.find_hold(ended[i]), nullptr);
  // Every id was new.
  std::vector<uint64_t> values;
  for (HoldId id : ended) values.push_back(id.value);
  std::sort(values.begin(), values.end());
  EXPECT_EQ(std::adjacent_find(values.begin(), values.end()), values.end());
  EXPECT_TRUE(restored.books_balance());
}

TEST_F(LedgerTest, OverflowIsRefusedAndChangesNothing) {
  ASSERT_TRUE(ledger.post(cardholder, settlement, INT64_MAX - 10));
  EXPECT_FALSE(ledger.post(cardholder, settlement, 11));
  EXPECT_EQ(ledger.account(cardholder).debits_posted, INT64_MAX - 10);
  EXPECT_TRUE(ledger.books_balance());
}

TEST_F(LedgerTest, ClearingAHoldThatThePostedSumsCannotTakeMovesNothing) {
  ASSERT_TRUE(ledger.post(cardholder, settlement, INT64_MAX - 10));
  auto hold = ledger.place_hold(cardholder, settlement, 100, now, later);
  ASSERT_TRUE(hold.has_value());
  EXPECT_EQ(ledger.post_from_hold(*hold, 100), 0);  // posted debits would pass INT64_MAX
  EXPECT_EQ(ledger.find_hold(*hold)->remaining_minor, 100);
  EXPECT_EQ(ledger.account(cardholder).debits_pending, 100);
  EXPECT_EQ(ledger.account(cardholder).debits_posted, INT64_MAX - 10);
  EXPECT_EQ(ledger.post_from_hold(*hold, 10), 10);  // what fits still moves
  EXPECT_TRUE(ledger.books_balance());
}

TEST_F(LedgerTest, RoomIsCheckedInAllFourSums) {
  EXPECT_TRUE(ledger.has_room(cardholder, INT64_MAX));
  ASSERT_TRUE(ledger.place_hold(cardholder, settlement, 1'000, now, later));
  EXPECT_FALSE(ledger.has_room(cardholder, INT64_MAX - 999));  // debits pending
  EXPECT_TRUE(ledger.has_room(cardholder, INT64_MAX - 1'000));
  ASSERT_TRUE(ledger.post(settlement, cardholder, 5'000));
  EXPECT_FALSE(ledger.has_room(cardholder, INT64_MAX - 4'999));  // credits posted
  EXPECT_FALSE(ledger.has_room(settlement, INT64_MAX - 4'999));  // debits posted
  EXPECT_TRUE(ledger.has_room(settlement, INT64_MAX - 5'000));
}

TEST_F(LedgerTest, SerializedStateReadsBackIdentically) {
  ASSERT_TRUE(ledger.place_hold(cardholder, settlement, 500, now, later));
  ASSERT_TRUE(ledger.post(cardholder, settlement, 700));
  std::vector<uint8_t> bytes;
  ByteWriter w(&bytes);
  ledger.serialize(w);
  Ledger copy;
  ByteReader r(bytes);
  ASSERT_TRUE(copy.deserialize(r));
  std::vector<uint8_t> again;
  ByteWriter w2(&again);
  copy.serialize(w2);
  EXPECT_EQ(bytes, again);
  // Every strict prefix is rejected rather than half-loaded.
  for (size_t n = 0; n < bytes.size(); n += 7) {
    Ledger partial;
    ByteReader pr(std::span<const uint8_t>(bytes.data(), n));
    EXPECT_FALSE(partial.deserialize(pr));
  }
}

// Issue 8 item 3: restored bytes whose books balance overall but whose pending amounts sit on
// another account than the hold's were accepted, and releasing the hold then aborted the engine
// (apply_pending asserts that no pending goes below zero). Such bytes are refused at restore.
TEST_F(LedgerTest, RestoredPendingMustSitOnTheHoldsOwnAccounts) {
  const uint32_t other = ledger.open_account(AccountKind::cardholder, kCny);
  ASSERT_TRUE(ledger.place_hold(cardholder, settlement, 100, now, later));
  std::vector<uint8_t> bytes;
  ByteWriter w(&bytes);
  ledger.serialize(w);
  // Accounts: count u64, then each kind u8 | currency u16 | debits_pending i64 | 3 more i64.
  constexpr size_t kAccountBytes = 1 + 2 + 4 * 8;
  auto debits_pending_at = [&](uint32_t account) { return 8 + account * kAccountBytes + 3; };
  auto moved = bytes;
  const int64_t zero = 0, hundred = 100;
  std::memcpy(moved.data() + debits_pending_at(cardholder), &zero, 8);
  std::memcpy(moved.data() + debits_pending_at(other), &hundred, 8);
  Ledger copy;
  ByteReader r(moved);
  EXPECT_FALSE(copy.deserialize(r));
  ByteReader intact(bytes);
  Ledger good;
  EXPECT_TRUE(good.deserialize(intact));
}

}  // namespace
}  // namespace holdfast::ledger

namespace holdfast::ledger {
namespace {

TEST_F(LedgerTest, HoldIdsAreNeverReusedAndSurviveARestore) {
  auto a = ledger.place_hold(cardholder, settlement, 100, now, later);
  ASSERT_TRUE(a);
  EXPECT_NE(a->value, 0u);
  EXPECT_EQ(ledger.release_hold(*a, 100), 100);
  auto b = ledger.place_hold(cardholder, settlement, 100, now, later);  // reuses a's slot
  ASSERT_TRUE(b);
  EXPECT_NE(*a, *b);
  EXPECT_EQ(ledger.release_hold(*a, 100), 0);  // the old id no longer reaches the new hold
  EXPECT_EQ(ledger.account(cardholder).debits_pending, 100);

  std::vector<uint8_t> bytes;
  ByteWriter w(&bytes);
  ledger.serialize(w);
  Ledger copy;
  ByteReader r(bytes);
  ASSERT_TRUE(copy.deserialize(r));
  const auto next_original = ledger.place_hold(cardholder, settlement, 5, now, later);
  const auto next_restored = copy.place_hold(cardholder, settlement, 5, now, later);
  EXPECT_EQ(next_original, next_restored);
}

TEST_F(LedgerTest, ExpiryFollowsTimeThenPlacementAcrossDurationsAndClockSteps) {
  const auto at = [&](int64_t s) { return Timestamp::from_seconds(now.seconds() + s); };
  auto seven_day = ledger.place_hold(cardholder, settlement, 1, now, at(700));
  auto thirty_day = ledger.place_hold(cardholder, settlement, 2, now, at(300));
  // The clock stepped back: an expiry earlier than the last in its duration's queue.
  auto stepped = ledger.place_hold(cardholder, settlement, 3, at(-200), at(500));
  auto same_time = ledger.place_hold(cardholder, settlement, 4, at(200), at(500));
  ASSERT_TRUE(seven_day && thirty_day && stepped && same_time);
  EXPECT_EQ(ledger.next_expiry(), at(300));
  std::vector<std::pair<HoldId, int64_t>> expired;
  ledger.expire_due(at(1'000), 100, &expired);
  ASSERT_EQ(expired.size(), 4u);
  EXPECT_EQ(expired[0].first, *thirty_day);
  EXPECT_EQ(expired[1].first, *stepped);  // same expiry as same_time, placed first
  EXPECT_EQ(expired[2].first, *same_time);
  EXPECT_EQ(expired[3].first, *seven_day);
  EXPECT_FALSE(ledger.next_expiry().has_value());
  EXPECT_TRUE(ledger.books_balance());
}

TEST_F(LedgerTest, AHoldReleasedEarlyIsNotExpiredLater) {
  auto h = ledger.place_hold(cardholder, settlement, 100, now, later);
  ASSERT_TRUE(h);
  EXPECT_EQ(ledger.release_hold(*h, 100), 100);
  std::vector<std::pair<HoldId, int64_t>> expired;
  EXPECT_EQ(ledger.expire_due(later, 100, &expired), 0u);
  EXPECT_FALSE(ledger.next_expiry().has_value());
}

}  // namespace
}  // namespace holdfast::ledger
