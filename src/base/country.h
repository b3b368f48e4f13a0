// ISO 3166-1 country codes: the alpha-3 to numeric table, and each country's range of UTC
// offsets. Clearing files name the acquirer's country either way (DE 19 numeric, or alpha-3 at
// the end of DE 43); the engine keeps numeric. DE 12 is the acceptor's local time with no zone:
// the country's offset range turns it into an interval of UTC instants (a fixed table cannot
// know which zone or whether daylight saving was in force, so it keeps the whole range).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace holdfast {

struct CountryCode {
  std::string_view alpha3;  // "CHN"
  uint16_t numeric = 0;     // 156
  // The smallest and largest UTC offset of any of the country's time zones over the year,
  // daylight saving included, in minutes east of UTC ("USA": -600 Hawaii .. -240 EDT).
  int16_t utc_offset_min_minutes = 0;
  int16_t utc_offset_max_minutes = 0;
};

struct UtcOffsetRange {
  int16_t min_minutes = 0;  // local = UTC + offset, offset in [min_minutes, max_minutes]
  int16_t max_minutes = 0;
  friend bool operator==(const UtcOffsetRange&, const UtcOffsetRange&) = default;
};
// Every offset in use anywhere: -12:00 (Baker Island) .. +14:00 (Line Islands).
inline constexpr UtcOffsetRange kWorldUtcOffsets{-12 * 60, 14 * 60};

// The numeric code of an officially assigned alpha-3 code (upper case); nullopt otherwise.
std::optional<uint16_t> country_numeric(std::string_view alpha3) noexcept;
// The whole table, sorted by alpha-3.
std::span<const CountryCode> country_codes() noexcept;
// The UTC offsets of a country by its numeric code; kWorldUtcOffsets for an unknown code (0).
UtcOffsetRange utc_offset_range(uint16_t numeric) noexcept;

}  // namespace holdfast
