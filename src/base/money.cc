#include "base/money.h"

namespace holdfast {
namespace {

struct CurrencyInfo {
  uint16_t code;
  const char* alpha;
  int exponent;
};

// The currencies a card issuer in holdfast's market meets most; extend as needed.
constexpr CurrencyInfo kCurrencies[] = {
    {36, "AUD", 2},  {124, "CAD", 2}, {156, "CNY", 2}, {344, "HKD", 2}, {392, "JPY", 0}, {410, "KRW", 0},
    {446, "MOP", 2}, {458, "MYR", 2}, {554, "NZD", 2}, {643, "RUB", 2}, {702, "SGD", 2}, {756, "CHF", 2},
    {764, "THB", 2}, {784, "AED", 2}, {826, "GBP", 2}, {840, "USD", 2}, {901, "TWD", 2}, {978, "EUR", 2},
    {48, "BHD", 3},  {414, "KWD", 3}, {704, "VND", 0}, {360, "IDR", 2}, {608, "PHP", 2}, {356, "INR", 2},
};

const CurrencyInfo* find(Currency c) noexcept {
  for (const auto& info : kCurrencies)
    if (info.code == c.code) return &info;
  return nullptr;
}

}  // namespace

std::optional<int> currency_exponent(Currency c) noexcept {
  const auto* info = find(c);
  if (info == nullptr) return std::nullopt;
  return info->exponent;
}

std::string_view currency_alpha(Currency c) noexcept {
  const auto* info = find(c);
  return info == nullptr ? std::string_view("???") : std::string_view(info->alpha);
}

std::optional<Currency> parse_currency(std::string_view code) noexcept {
  for (const auto& info : kCurrencies) {
    if (code == info.alpha) return Currency{info.code};
    if (code.size() == 3 && code[0] >= '0' && code[0] <= '9') {
      const auto v = parse_amount_digits(code);
      if (v && *v == info.code) return Currency{info.code};
    }
  }
  return std::nullopt;
}

std::optional<int64_t> parse_amount_digits(std::string_view digits) noexcept {
  if (digits.empty() || digits.size() > 18) return std::nullopt;
  int64_t v = 0;
  for (char ch : digits) {
    if (ch < '0' || ch > '9') return std::nullopt;
    v = v * 10 + (ch - '0');
  }
  return v;
}

}  // namespace holdfast
