// Luhn (ISO/IEC 7812-1 Annex B, mod 10) check digit for PANs and other identifiers.
// Pure functions; safe from any thread.
#pragma once

#include <string_view>

#include "crypto/crypto_error.h"

namespace holdfast::crypto {

// The digit to append to `number` so that the result passes. REQUIRES (checked): non-empty digits.
CryptoResult<char> luhn_check_digit(std::string_view number);
// Whether `number` (check digit included) passes. Non-digit or empty input is invalid input.
CryptoResult<bool> luhn_valid(std::string_view number);

}  // namespace holdfast::crypto
