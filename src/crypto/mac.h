// ISO/IEC 9797-1 MACs over DES/TDES (and the SM4 CBC-MAC used by PBOC).
//  - Padding method 1: zeros to a whole block (an empty message becomes one zero block).
//  - Padding method 2: 0x80 then zeros (always adds at least one byte).
//  - Padding method 3: 8-byte big-endian bit length in front, then method 1.
//  - Algorithm 1: CBC-MAC with a zero IV under the whole key (DES or TDES).
//  - Algorithm 3 (ANSI X9.19 retail MAC): key = K || K'; single-DES CBC under K, then the last
//    block is DES-decrypted under K' and DES-encrypted under K.
// EMV "80" padding is method 2; the Visa CVN10 "00" padding (zeros only when not aligned) is
// MacPadding::kZeroIfNeeded. Results are the full block; callers truncate.
// Pure functions; safe from any thread.
#pragma once

#include "crypto/crypto_error.h"

namespace holdfast::crypto {

enum class MacPadding { kMethod1, kMethod2, kMethod3, kZeroIfNeeded };

// Pads `data` to a multiple of `block` bytes.
Bytes iso9797_pad(ByteSpan data, MacPadding padding, size_t block);

// REQUIRES (checked): key 8/16/24 bytes.
CryptoResult<Bytes> mac_algorithm1(ByteSpan key, ByteSpan data, MacPadding padding);
// REQUIRES (checked): key 16 bytes (K || K').
CryptoResult<Bytes> mac_algorithm3(ByteSpan key, ByteSpan data, MacPadding padding);
// SM4 CBC-MAC (ISO 9797-1 algorithm 1 with a 16-byte block). Key 16 bytes. 16-byte result.
CryptoResult<Bytes> mac_sm4(ByteSpan key, ByteSpan data, MacPadding padding);

}  // namespace holdfast::crypto
