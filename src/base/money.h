// Money is an integer count of minor units with an ISO 4217 numeric currency. Never floating
// point: a rounding error in a ledger is a loss someone has to explain.
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <string_view>

namespace holdfast {

// ISO 4217 numeric code, e.g. 156 CNY, 840 USD, 978 EUR.
// 128-bit intermediate for sums and ratios of minor units that could overflow int64.
__extension__ typedef __int128 Wide;

struct Currency {
  uint16_t code = 0;
  friend bool operator==(Currency, Currency) = default;
};

// Minor-unit exponent of a currency (2 for most, 0 for JPY/KRW, 3 for BHD...); nullopt if the
// code is not one holdfast knows.
std::optional<int> currency_exponent(Currency c) noexcept;
// Alphabetic code ("CNY") for display, or "???" when unknown.
std::string_view currency_alpha(Currency c) noexcept;
// Currency from its alphabetic ("CNY") or numeric ("156") code, if holdfast knows it.
std::optional<Currency> parse_currency(std::string_view code) noexcept;

struct Money {
  int64_t minor = 0;
  Currency currency;
  friend bool operator==(const Money&, const Money&) = default;
};

// Overflow-checked arithmetic on minor units: a ledger never wraps.
[[nodiscard]] inline bool add_overflows(int64_t a, int64_t b, int64_t* out) noexcept {
  return __builtin_add_overflow(a, b, out);
}
[[nodiscard]] inline bool sub_overflows(int64_t a, int64_t b, int64_t* out) noexcept {
  return __builtin_sub_overflow(a, b, out);
}

// Parses an ISO 8583 numeric amount ("000000012345") into minor units; nullopt if not digits
// or too long for int64.
std::optional<int64_t> parse_amount_digits(std::string_view digits) noexcept;

}  // namespace holdfast
