// Key hygiene helpers: DES odd parity and key check values.
// KCV (per testdata/crypto/README.md) = leftmost bytes of TDES-ECB(key, 8 zero bytes).
// An AES KCV (leftmost bytes of AES-ECB(key, 16 zero bytes)) is offered for AES keys.
// Pure functions; safe from any thread.
#pragma once

#include "crypto/crypto_error.h"

namespace holdfast::crypto {

// Sets the low bit of every byte so that each byte has an odd number of one bits.
Bytes with_odd_parity(ByteSpan key);
bool has_odd_parity(ByteSpan key) noexcept;

// REQUIRES (checked): key 8/16/24 bytes; 1 <= length <= 8.
CryptoResult<Bytes> kcv_des(ByteSpan key, size_t length = 3);
// REQUIRES (checked): key 16/24/32 bytes; 1 <= length <= 16.
CryptoResult<Bytes> kcv_aes(ByteSpan key, size_t length = 3);

}  // namespace holdfast::crypto
