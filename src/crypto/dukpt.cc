#include "crypto/dukpt.h"

#include <array>

#include "crypto/primitives.h"

namespace holdfast::crypto {
namespace {

const Bytes kC0Mask = {0xC0, 0xC0, 0xC0, 0xC0, 0, 0, 0, 0, 0xC0, 0xC0, 0xC0, 0xC0, 0, 0, 0, 0};
constexpr uint32_t kTdesCounterMask = 0x1FFFFF;  // low 21 bits of the KSN

// KSN's rightmost 8 bytes with the 21-bit counter cleared, and the counter itself.
using Register = std::array<uint8_t, 8>;
std::pair<Register, uint32_t> split_tdes_ksn(ByteSpan ksn) {
  Register reg{};
  for (size_t i = 0; i < reg.size(); ++i) reg[i] = ksn[i + 2];
  const uint32_t counter = ((uint32_t{reg[5]} << 16) | (uint32_t{reg[6]} << 8) | reg[7]) & kTdesCounterMask;
  reg[5] = static_cast<uint8_t>(reg[5] & 0xE0);
  reg[6] = 0;
  reg[7] = 0;
  return {reg, counter};
}

// One half of the non-reversible key generation: DES(KL, R XOR KR) XOR KR.
CryptoResult<Bytes> nrkg_half(ByteSpan key, ByteSpan reg) {
  const ByteSpan right = key.last(8);
  auto enc = des_ecb_encrypt(key.first(8), xor_bytes(reg, right));
  if (!enc.ok()) return enc;
  return xor_bytes(*enc, right);
}

CryptoResult<Bytes> non_reversible_key(ByteSpan key, ByteSpan reg) {
  auto right = nrkg_half(key, reg);
  if (!right.ok()) return right;
  const Bytes variant = xor_bytes(key, kC0Mask);
  auto left = nrkg_half(variant, reg);
  if (!left.ok()) return left;
  return concat(*left, *right);
}

}  // namespace

CryptoResult<Bytes> dukpt_tdes_ipek(ByteSpan bdk, ByteSpan ksn) {
  if (bdk.size() != 16) return invalid("bdk must be 16 bytes");
  if (ksn.size() != 10) return invalid("ksn must be 10 bytes");
  Bytes base(ksn.begin(), ksn.begin() + 8);
  base[7] = static_cast<uint8_t>(base[7] & 0xE0);
  auto left = des_ecb_encrypt(bdk, base);
  if (!left.ok()) return left;
  auto right = des_ecb_encrypt(xor_bytes(bdk, kC0Mask), base);
  if (!right.ok()) return right;
  return concat(*left, *right);
}

CryptoResult<Bytes> dukpt_tdes_transaction_key(ByteSpan bdk, ByteSpan ksn) {
  auto key = dukpt_tdes_ipek(bdk, ksn);
  if (!key.ok()) return key;
  auto [reg, counter] = split_tdes_ksn(ksn);
  for (uint32_t bit = 1u << 20; bit != 0; bit >>= 1) {
    if ((counter & bit) == 0) continue;
    reg[5] = static_cast<uint8_t>(reg[5] | (bit >> 16));
    reg[6] = static_cast<uint8_t>(reg[6] | (bit >> 8));
    reg[7] = static_cast<uint8_t>(reg[7] | bit);
    auto next = non_reversible_key(*key, reg);
    if (!next.ok()) return next;
    cleanse(*key);
    *key = std::move(*next);
  }
  return key;
}

CryptoResult<Bytes> dukpt_tdes_variant(ByteSpan transaction_key, DukptTdesVariant variant) {
  if (transaction_key.size() != 16) return invalid("transaction key must be 16 bytes");
  size_t pos = 7;
  switch (variant) {
    case DukptTdesVariant::kPinEncryption: pos = 7; break;
    case DukptTdesVariant::kMacRequest: pos = 6; break;
    case DukptTdesVariant::kMacResponse: pos = 4; break;
    case DukptTdesVariant::kDataRequest: pos = 5; break;
    case DukptTdesVariant::kDataResponse: pos = 3; break;
  }
  Bytes mask(16, 0);
  mask[pos] = 0xFF;
  mask[pos + 8] = 0xFF;
  return xor_bytes(transaction_key, mask);
}

namespace {

constexpr uint16_t kUsageInitialKey = 0x8001;
constexpr uint16_t kUsageDerivation = 0x8000;

size_t key_bytes(AesKeyType t) {
  switch (t) {
    case AesKeyType::kAes128: return 16;
    case AesKeyType::kAes192: return 24;
    case AesKeyType::kAes256: return 32;
  }
  return 0;
}

CryptoResult<AesKeyType> type_of(ByteSpan key) {
  switch (key.size()) {
    case 16: return AesKeyType::kAes128;
    case 24: return AesKeyType::kAes192;
    case 32: return AesKeyType::kAes256;
    default: return invalid("AES DUKPT key must be 16, 24 or 32 bytes");
  }
}

// X9.24-3 derivation: AES-ECB(key, data with block counter i) for as many blocks as needed.
CryptoResult<Bytes> derive(ByteSpan key, uint16_t usage, AesKeyType type, ByteSpan tail) {
  const size_t length = key_bytes(type);
  const uint16_t bits = static_cast<uint16_t>(length * 8);
  const auto algorithm = static_cast<uint16_t>(type);
  Bytes data = {0x01,
                0x00,
                static_cast<uint8_t>(usage >> 8),
                static_cast<uint8_t>(usage),
                static_cast<uint8_t>(algorithm >> 8),
                static_cast<uint8_t>(algorithm),
                static_cast<uint8_t>(bits >> 8),
                static_cast<uint8_t>(bits)};
  data.insert(data.end(), tail.begin(), tail.end());
  Bytes out;
  for (uint8_t block = 1; out.size() < length; ++block) {
    data[1] = block;
    auto enc = aes_ecb_encrypt(key, data);
    if (!enc.ok()) return enc;
    out = concat(out, *enc);
  }
  out.resize(length);
  return out;
}

Bytes counter_tail(ByteSpan ksn, uint32_t counter) {
  Bytes tail(ksn.begin() + 4, ksn.begin() + 8);
  for (int shift = 24; shift >= 0; shift -= 8) tail.push_back(static_cast<uint8_t>(counter >> shift));
  return tail;
}

uint32_t ksn_counter(ByteSpan ksn) {
  uint32_t c = 0;
  for (size_t i = 8; i < 12; ++i) c = (c << 8) | ksn[i];
  return c;
}

}  // namespace

CryptoResult<Bytes> dukpt_aes_initial_key(ByteSpan bdk, ByteSpan initial_key_id) {
  auto type = type_of(bdk);
  if (!type.ok()) return type.error();
  if (initial_key_id.size() != 8) return invalid("initial_key_id must be 8 bytes");
  return derive(bdk, kUsageInitialKey, *type, initial_key_id);
}

CryptoResult<Bytes> dukpt_aes_transaction_key(ByteSpan bdk, ByteSpan ksn) {
  if (ksn.size() != 12) return invalid("ksn must be 12 bytes");
  auto key = dukpt_aes_initial_key(bdk, ksn.first(8));
  if (!key.ok()) return key;
  const AesKeyType type = *type_of(bdk);
  const uint32_t counter = ksn_counter(ksn);
  uint32_t working = 0;
  for (uint32_t bit = 0x80000000u; bit != 0; bit >>= 1) {
    if ((counter & bit) == 0) continue;
    working |= bit;
    auto next = derive(*key, kUsageDerivation, type, counter_tail(ksn, working));
    if (!next.ok()) return next;
    cleanse(*key);
    *key = std::move(*next);
  }
  return key;
}

CryptoResult<Bytes> dukpt_aes_working_key(ByteSpan transaction_key, ByteSpan ksn, DukptKeyUsage usage,
                                          AesKeyType type) {
  auto own = type_of(transaction_key);
  if (!own.ok()) return own.error();
  if (ksn.size() != 12) return invalid("ksn must be 12 bytes");
  if (key_bytes(type) > transaction_key.size()) {
    return invalid("working key may not be longer than the transaction key");
  }
  return derive(transaction_key, static_cast<uint16_t>(usage), type, counter_tail(ksn, ksn_counter(ksn)));
}

}  // namespace holdfast::crypto
