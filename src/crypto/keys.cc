#include "crypto/keys.h"

#include <bit>

#include "crypto/primitives.h"

namespace holdfast::crypto {

Bytes with_odd_parity(ByteSpan key) {
  Bytes out(key.begin(), key.end());
  for (uint8_t& b : out) {
    const uint8_t high = static_cast<uint8_t>(b & 0xFE);
    b = (std::popcount(high) % 2 == 0) ? static_cast<uint8_t>(high | 1) : high;
  }
  return out;
}

bool has_odd_parity(ByteSpan key) noexcept {
  for (uint8_t b : key) {
    if (std::popcount(b) % 2 == 0) return false;
  }
  return true;
}

CryptoResult<Bytes> kcv_des(ByteSpan key, size_t length) {
  if (length < 1 || length > kDesBlock) return invalid("KCV length must be 1..8 bytes");
  const Bytes zeros(kDesBlock, 0);
  auto block = des_ecb_encrypt(key, zeros);
  if (!block.ok()) return block.error();
  block->resize(length);
  return std::move(*block);
}

CryptoResult<Bytes> kcv_aes(ByteSpan key, size_t length) {
  if (length < 1 || length > kAesBlock) return invalid("KCV length must be 1..16 bytes");
  const Bytes zeros(kAesBlock, 0);
  auto block = aes_ecb_encrypt(key, zeros);
  if (!block.ok()) return block.error();
  block->resize(length);
  return std::move(*block);
}

}  // namespace holdfast::crypto
