// Block-cipher and hash primitives over byte spans, all delegated to OpenSSL 3 EVP: no cipher is
// written by hand here. Single DES is run as TDES with K1 = K2 = K3 (the default provider has no
// single-DES ECB without the legacy provider; EDE with equal keys is single DES by definition).
//
// Invariants: functions check key and data lengths and return kInvalidArgument rather than
// assert, because lengths come from requests. Temporary key copies are cleansed. No logging.
// Threading: stateless, safe from any thread.
#pragma once

#include "crypto/crypto_error.h"

namespace holdfast::crypto {

constexpr size_t kDesBlock = 8;
constexpr size_t kAesBlock = 16;
constexpr size_t kSm4Block = 16;

// DES family. key: 8 (single DES), 16 (2-key TDES) or 24 bytes (3-key TDES).
// data: a whole number of 8-byte blocks. CBC uses an 8-byte iv.
CryptoResult<Bytes> des_ecb_encrypt(ByteSpan key, ByteSpan data);
CryptoResult<Bytes> des_ecb_decrypt(ByteSpan key, ByteSpan data);
CryptoResult<Bytes> des_cbc_encrypt(ByteSpan key, ByteSpan iv, ByteSpan data);

// AES-128/192/256 ECB; data a whole number of 16-byte blocks.
CryptoResult<Bytes> aes_ecb_encrypt(ByteSpan key, ByteSpan data);
CryptoResult<Bytes> aes_ecb_decrypt(ByteSpan key, ByteSpan data);

// SM4 (GB/T 32907-2016), 16-byte key; ECB and CBC over whole 16-byte blocks.
CryptoResult<Bytes> sm4_ecb_encrypt(ByteSpan key, ByteSpan data);
CryptoResult<Bytes> sm4_ecb_decrypt(ByteSpan key, ByteSpan data);
CryptoResult<Bytes> sm4_cbc_encrypt(ByteSpan key, ByteSpan iv, ByteSpan data);

// Encrypts one 16-byte block `iterations` times (GB/T 32907 Annex A example 2 uses 1,000,000).
CryptoResult<Bytes> sm4_ecb_encrypt_iterated(ByteSpan key, ByteSpan block, uint64_t iterations);

Bytes sha1(ByteSpan data);
Bytes sha256(ByteSpan data);
CryptoResult<Bytes> hmac_sha256(ByteSpan key, ByteSpan data);

// a || b.
Bytes concat(ByteSpan a, ByteSpan b);
// a XOR b. REQUIRES: equal sizes.
Bytes xor_bytes(ByteSpan a, ByteSpan b);
// Constant-time equality for cryptograms, CVVs and MACs (sizes compared first, not secret).
bool equal_constant_time(ByteSpan a, ByteSpan b);
// Overwrites secret bytes so they do not linger in freed memory.
void cleanse(Bytes& secret);

}  // namespace holdfast::crypto
