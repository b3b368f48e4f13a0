// Time inside holdfast is an input: the server stamps each command with the wall clock as it
// enters the journal, and the engine only ever sees that stamp. Replays therefore see the same
// time the original run saw.
#pragma once

#include <compare>
#include <cstdint>

namespace holdfast {

// Microseconds since the Unix epoch, UTC.
struct Timestamp {
  int64_t us = 0;
  friend auto operator<=>(const Timestamp&, const Timestamp&) = default;
  static constexpr Timestamp from_seconds(int64_t s) { return Timestamp{s * 1'000'000}; }
  constexpr int64_t seconds() const { return us / 1'000'000; }
};

constexpr int64_t kMicrosPerSecond = 1'000'000;
constexpr int64_t kSecondsPerDay = 86'400;

// t + seconds, saturating at the ends of the range: a far-future or corrupt time stamp must not
// wrap around into the past (and signed overflow is undefined behaviour).
constexpr Timestamp add_seconds_saturating(Timestamp t, int64_t seconds) noexcept {
  int64_t delta = 0;
  int64_t out = 0;
  if (__builtin_mul_overflow(seconds, kMicrosPerSecond, &delta) || __builtin_add_overflow(t.us, delta, &out))
    return Timestamp{seconds >= 0 ? INT64_MAX : INT64_MIN};
  return Timestamp{out};
}

// Civil date (UTC) helpers for expiry dates and MMDD fields.
struct CivilDate {
  int year;
  int month;  // 1..12
  int day;    // 1..31
};
CivilDate civil_from_days(int64_t days_since_epoch) noexcept;
int64_t days_from_civil(int year, int month, int day) noexcept;

}  // namespace holdfast
