// Private to src/risk: the fixed-size state behind FeatureStore, and the visitor that the
// snapshot codec walks (one description of the bytes: the field order below).
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "risk/risk.h"

namespace holdfast::risk {

// Sliding windows 10 min, 1 h, 24 h, 7 d, 30 d, each kBuckets buckets of window/kBuckets.
// A window read at `now` sums the buckets whose span intersects (now - window, now]: every
// event of the last window * (kBuckets-1)/kBuckets is counted, none older than the window is,
// and events in between (the oldest bucket's part-span) may be. So the error is one-sided and
// bounded by one bucket (1/6 of the window: 100 s of the 10 min window, 4 h of 24 h).
constexpr int kWindowCount = 5;
constexpr int kBuckets = 6;
constexpr std::array<int64_t, kWindowCount> kWindowSeconds{600, 3'600, 86'400, 7 * 86'400, 30 * 86'400};

struct Windows {
  std::array<int64_t, kWindowCount> head{};  // newest bucket number written, per window
  std::array<std::array<uint16_t, kBuckets>, kWindowCount> attempts{};  // saturating
  std::array<std::array<uint16_t, kBuckets>, kWindowCount> declines{};
  std::array<std::array<int64_t, kBuckets>, kWindowCount> amount{};  // saturating, minor units
};

// The kRecent most recently seen distinct values (32-bit hashes, 0 = empty slot) with the second
// each was last seen: exact distinct counts up to kRecent within any window, saturating there.
constexpr int kRecent = 8;
struct RecentSet {
  std::array<uint32_t, kRecent> value{};
  std::array<uint32_t, kRecent> seen_s{};  // seconds since the epoch (good until 2106)
};

// State every entity kind keeps.
struct EntityState {
  uint64_t id = 0;
  int64_t first_seen_us = 0;
  int64_t last_seen_us = 0;
  Windows windows;
  RecentSet counterparties;  // merchants for card/token, cards for the others
};

// Extra state of a card or token (the "holders"). seen_bloom remembers every merchant, country
// and device the holder ever used in 1024 bits with 2 hashes: a false "seen" (a missed
// first-seen flag) is about 3% once 100 distinct values were seen, 10% at 200.
constexpr int kBloomWords = 16;
constexpr int kOverLimitRing = 4;
struct HolderState {
  RecentSet countries;
  RecentSet mccs;
  std::array<uint64_t, kBloomWords> seen_bloom{};
  uint32_t cnp_bits = 0;           // bit 0 = newest message; 1 = card not present
  uint32_t cross_border_bits = 0;  // 1 = abroad
  uint8_t history_count = 0;       // messages observed, saturating at 255
  uint8_t cvv2_streak = 0;         // consecutive mismatches, reset by a match
  uint8_t pin_streak = 0;
  uint8_t cryptogram_streak = 0;
  std::array<int64_t, kOverLimitRing> over_limit_us{};  // last refusals over the limit (exact ring)
  uint32_t approved_count = 0;
  int64_t amount_max = 0;   // largest approved amount
  int64_t amount_mean = 0;  // moving mean of approved amounts, weight 1/8 (integer)
  // Token provisioning (tokens only).
  int64_t provisioned_us = 0;
  uint16_t provisioning_country = 0;
  uint16_t provisioning_home = 0;
  uint8_t wallet_score = 0;
  uint8_t stepped_up = 0;
  uint8_t provisioned = 0;
};

// The snapshot codec walks state through these, in this order; V is called on every integer.
template <typename S, typename V>
void visit_windows(S& w, V&& v) {
  for (auto& h : w.head) v(h);
  for (auto& row : w.attempts)
    for (auto& x : row) v(x);
  for (auto& row : w.declines)
    for (auto& x : row) v(x);
  for (auto& row : w.amount)
    for (auto& x : row) v(x);
}
template <typename S, typename V>
void visit_recent(S& r, V&& v) {
  for (auto& x : r.value) v(x);
  for (auto& x : r.seen_s) v(x);
}
template <typename S, typename V>
void visit_entity(S& e, V&& v) {
  v(e.id);
  v(e.first_seen_us);
  v(e.last_seen_us);
  visit_windows(e.windows, v);
  visit_recent(e.counterparties, v);
}
template <typename S, typename V>
void visit_holder(S& h, V&& v) {
  visit_recent(h.countries, v);
  visit_recent(h.mccs, v);
  for (auto& x : h.seen_bloom) v(x);
  v(h.cnp_bits), v(h.cross_border_bits), v(h.history_count);
  v(h.cvv2_streak), v(h.pin_streak), v(h.cryptogram_streak);
  for (auto& x : h.over_limit_us) v(x);
  v(h.approved_count), v(h.amount_max), v(h.amount_mean);
  v(h.provisioned_us), v(h.provisioning_country), v(h.provisioning_home);
  v(h.wallet_score), v(h.stepped_up), v(h.provisioned);
}

// Open addressing id -> slot, sized once (a power of two, at least twice the capacity), never
// grown and never deleted from: lookups and inserts allocate nothing.
class IdIndex {
 public:
  explicit IdIndex(uint32_t capacity);
  // Slot of id, or -1.
  int64_t find(uint64_t id) const noexcept;
  // REQUIRES: id != 0, not present, fewer than capacity entries.
  void insert(uint64_t id, uint32_t slot) noexcept;

 private:
  size_t home(uint64_t id) const noexcept;
  std::vector<uint64_t> keys_;
  std::vector<uint32_t> slots_;
  size_t mask_ = 0;
};

struct Pool {
  explicit Pool(uint32_t capacity, bool holders);
  uint32_t capacity;
  std::vector<EntityState> entities;  // reserved to capacity
  std::vector<HolderState> holders;   // card and token only; same slots as entities
  IdIndex index;
};

}  // namespace holdfast::risk
