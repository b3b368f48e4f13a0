// Derived Unique Key Per Transaction, as a host (issuer/acquirer HSM) derives it from the BDK.
//  - TDES (ANSI X9.24-1:2009): 10-byte KSN, 21-bit counter. IPEK = TDES(BDK, KSN8) ||
//    TDES(BDK XOR C0C0C0C000000000C0C0C0C000000000, KSN8) with the counter cleared; the
//    transaction key walks the counter's set bits from the top with the non-reversible key
//    generation process. Variants (PIN, MAC request/response, data) are XOR masks.
//  - AES (ANSI X9.24-3:2017): 12-byte KSN = 8-byte initial key ID || 32-bit counter; each
//    derivation is AES-ECB over 16-byte derivation data (version 01, block counter, key usage,
//    algorithm, length in bits, then IKID or IKID[4..8] || counter).
// Transaction keys are returned before any variant. Thread-safe; no state kept between calls.
#pragma once

#include <cstdint>

#include "crypto/crypto_error.h"

namespace holdfast::crypto {

// REQUIRES (checked): bdk 16 or 24 bytes, ksn 10 bytes.
CryptoResult<Bytes> dukpt_tdes_ipek(ByteSpan bdk, ByteSpan ksn);
CryptoResult<Bytes> dukpt_tdes_transaction_key(ByteSpan bdk, ByteSpan ksn);

enum class DukptTdesVariant { kPinEncryption, kMacRequest, kMacResponse, kDataRequest, kDataResponse };
// REQUIRES (checked): key 16 bytes.
CryptoResult<Bytes> dukpt_tdes_variant(ByteSpan transaction_key, DukptTdesVariant variant);

enum class AesKeyType : uint16_t { kAes128 = 2, kAes192 = 3, kAes256 = 4 };
enum class DukptKeyUsage : uint16_t {
  kPinEncryption = 0x1000,
  kMacGeneration = 0x2000,
  kMacVerification = 0x2001,
  kMacBoth = 0x2002,
  kDataEncrypt = 0x3000,
  kDataDecrypt = 0x3001,
  kDataBoth = 0x3002,
};

// bdk 16/24/32 bytes; initial_key_id 8 bytes; ksn 12 bytes.
CryptoResult<Bytes> dukpt_aes_initial_key(ByteSpan bdk, ByteSpan initial_key_id);
CryptoResult<Bytes> dukpt_aes_transaction_key(ByteSpan bdk, ByteSpan ksn);
// A working key of `type` for `usage`; the type may not be longer than the transaction key.
CryptoResult<Bytes> dukpt_aes_working_key(ByteSpan transaction_key, ByteSpan ksn, DukptKeyUsage usage,
                                          AesKeyType type);

}  // namespace holdfast::crypto
