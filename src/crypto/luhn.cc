#include "crypto/luhn.h"

#include "crypto/digits.h"

namespace holdfast::crypto {
namespace {

// Luhn sum where the rightmost digit of `digits` is doubled when `double_last` is set.
int luhn_sum(std::string_view digits, bool double_last) {
  int sum = 0;
  bool doubled = double_last;
  for (size_t i = digits.size(); i-- > 0;) {
    int d = digits[i] - '0';
    if (doubled) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    doubled = !doubled;
  }
  return sum;
}

}  // namespace

CryptoResult<char> luhn_check_digit(std::string_view number) {
  if (number.empty() || !is_digits(number)) return invalid("number must be a non-empty digit string");
  const int sum = luhn_sum(number, true);
  return static_cast<char>('0' + (10 - sum % 10) % 10);
}

CryptoResult<bool> luhn_valid(std::string_view number) {
  if (number.empty() || !is_digits(number)) return invalid("number must be a non-empty digit string");
  return luhn_sum(number, false) % 10 == 0;
}

}  // namespace holdfast::crypto
