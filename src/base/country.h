// ISO 3166-1 country codes: the alpha-3 to numeric table. Clearing files name the acquirer's
// country either way (DE 19 numeric, or alpha-3 at the end of DE 43); the engine keeps numeric.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace holdfast {

struct CountryCode {
  std::string_view alpha3;  // "CHN"
  uint16_t numeric = 0;     // 156
};

// The numeric code of an officially assigned alpha-3 code (upper case); nullopt otherwise.
std::optional<uint16_t> country_numeric(std::string_view alpha3) noexcept;
// The whole table, sorted by alpha-3.
std::span<const CountryCode> country_codes() noexcept;

}  // namespace holdfast
