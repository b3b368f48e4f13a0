// Card verification values computed by the issuer: Visa CVV / Mastercard CVC and their
// variants, all the same algorithm over PAN || expiry (YYMM) || service code:
//   CVV1/CVC1 = the track's service code, CVV2/CVC2 = "000", iCVV (chip track) = "999".
// Algorithm (Visa/Mastercard, as published in the Visa CVV test data and psec): the digits are
// right-padded with '0' to 32 nibbles; block 1 is DES-encrypted under CVK-A, XORed with block 2,
// then TDES-encrypted under CVK-A || CVK-B; the result is decimalised (two passes), 3 digits.
// Dynamic CVV / CVC3 (contactless magstripe mode): dynamic_cvv.h.
// Invariants: inputs are digit strings; expiry is not interpreted as a date. Thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "crypto/crypto_error.h"

namespace holdfast::crypto {

struct CvvInput {
  std::string_view pan;           // 1..19 digits
  std::string_view expiry_yymm;   // 4 digits, exactly as embossed order used by the scheme
  std::string_view service_code;  // 3 digits
};

// REQUIRES (checked): cvk_a, cvk_b 8 bytes each; digits as above.
CryptoResult<std::string> compute_cvv(const CvvInput& input, ByteSpan cvk_a, ByteSpan cvk_b);
CryptoResult<bool> verify_cvv(const CvvInput& input, ByteSpan cvk_a, ByteSpan cvk_b,
                              std::string_view presented_cvv);

// Convenience forms naming the service code each variant uses.
constexpr std::string_view kCvv2ServiceCode = "000";
constexpr std::string_view kIcvvServiceCode = "999";

}  // namespace holdfast::crypto
