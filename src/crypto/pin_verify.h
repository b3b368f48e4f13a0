// Issuer PIN verification methods.
//  - Visa PVV: TSP = 11 rightmost PAN digits excluding the check digit || PVKI || 4 leftmost PIN
//    digits, TDES-encrypted under PVK-A || PVK-B, decimalised (two passes) to 4 digits.
//  - IBM 3624: validation_data_length characters of validation_data from 0-based
//    validation_data_start, right-padded with pad_char to 16 hex digits, TDES-encrypted under
//    the PVK; each nibble maps through the 16-digit decimalisation table; the natural PIN is
//    its leftmost len(offset) digits. offset = PIN - natural (digit-wise mod 10), PIN = natural
//    + offset. The customer PIN's length equals the offset's.
// Verification compares in constant time. Thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "crypto/crypto_error.h"

namespace holdfast::crypto {

struct PvvInput {
  std::string_view pan;   // at least 12 digits in practice; shorter PANs are left-padded
  std::string_view pin;   // 4..12 digits; the leftmost 4 are used
  std::string_view pvki;  // 1 digit (PIN verification key index)
};

CryptoResult<std::string> compute_pvv(const PvvInput& input, ByteSpan pvk_a, ByteSpan pvk_b);
CryptoResult<bool> verify_pvv(const PvvInput& input, ByteSpan pvk_a, ByteSpan pvk_b, std::string_view pvv);

struct Ibm3624Params {
  std::string_view validation_data;       // hex characters, usually PAN digits
  std::string_view decimalization_table;  // 16 digits
  char pad_char = 'F';                    // one hex character
  size_t validation_data_start = 0;
  size_t validation_data_length = 16;  // 1..16
};

// pvk: 8/16/24-byte DES key; pin_length 4..12 (<= 16).
CryptoResult<std::string> ibm3624_natural_pin(ByteSpan pvk, const Ibm3624Params& params, size_t pin_length);
CryptoResult<std::string> ibm3624_offset(ByteSpan pvk, const Ibm3624Params& params, std::string_view pin);
CryptoResult<std::string> ibm3624_pin(ByteSpan pvk, const Ibm3624Params& params, std::string_view offset);
CryptoResult<bool> ibm3624_verify(ByteSpan pvk, const Ibm3624Params& params, std::string_view pin,
                                  std::string_view offset);

}  // namespace holdfast::crypto
