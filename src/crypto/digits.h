// Decimal-digit helpers shared by the card algorithms: digit-string checks, packing digits and
// hex nibbles into bytes, and the two-pass decimalisation used by CVV, PVV and EMV option B.
// Pure functions; safe from any thread.
#pragma once

#include <string>
#include <string_view>

#include "crypto/crypto_error.h"

namespace holdfast::crypto {

bool is_digits(std::string_view s) noexcept;
bool is_hex_digits(std::string_view s) noexcept;

// Packs a string of hex nibbles (digits are nibbles too) into bytes.
// REQUIRES (checked): even length, hex characters only.
CryptoResult<Bytes> pack_nibbles(std::string_view nibbles);
// Upper-case hex nibbles of bytes.
std::string unpack_nibbles(ByteSpan bytes);

// Two-pass decimalisation: the decimal nibbles of `bytes` in order, then, if more are needed,
// the nibbles A-F mapped to 0-5. Returns exactly `count` digits. REQUIRES: count <= 2*size.
std::string decimalize(ByteSpan bytes, size_t count);

// The 12 rightmost PAN digits excluding the check digit, left-padded with '0' when the PAN is
// shorter (formats 0/3 PIN blocks, PVV uses 11). REQUIRES: pan is non-empty digits.
std::string pan_digits_before_check(std::string_view pan, size_t count);

}  // namespace holdfast::crypto
