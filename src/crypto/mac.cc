#include "crypto/mac.h"

#include "base/assert.h"
#include "crypto/primitives.h"

namespace holdfast::crypto {
namespace {

void zero_pad(Bytes& out, size_t block) {
  while (out.size() % block != 0) out.push_back(0);
}

// Last block of the CBC encryption of already padded data.
Bytes last_block(const Bytes& cbc, size_t block) {
  HF_ASSERT(cbc.size() >= block);
  return Bytes(cbc.end() - static_cast<std::ptrdiff_t>(block), cbc.end());
}

}  // namespace

Bytes iso9797_pad(ByteSpan data, MacPadding padding, size_t block) {
  Bytes out;
  switch (padding) {
    case MacPadding::kMethod1:
      out.assign(data.begin(), data.end());
      if (out.empty()) out.resize(block, 0);
      zero_pad(out, block);
      return out;
    case MacPadding::kMethod2:
      out.assign(data.begin(), data.end());
      out.push_back(0x80);
      zero_pad(out, block);
      return out;
    case MacPadding::kMethod3: {
      const uint64_t bits = static_cast<uint64_t>(data.size()) * 8;
      for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<uint8_t>(bits >> shift));
      out.insert(out.end(), data.begin(), data.end());
      zero_pad(out, block);
      return out;
    }
    case MacPadding::kZeroIfNeeded:
      out.assign(data.begin(), data.end());
      zero_pad(out, block);
      return out;
  }
  HF_UNREACHABLE();
}

CryptoResult<Bytes> mac_algorithm1(ByteSpan key, ByteSpan data, MacPadding padding) {
  const Bytes padded = iso9797_pad(data, padding, kDesBlock);
  if (padded.empty()) return invalid("MAC data is empty after padding");
  const Bytes iv(kDesBlock, 0);
  auto cbc = des_cbc_encrypt(key, iv, padded);
  if (!cbc.ok()) return cbc.error();
  return last_block(*cbc, kDesBlock);
}

CryptoResult<Bytes> mac_algorithm3(ByteSpan key, ByteSpan data, MacPadding padding) {
  if (key.size() != 16) return invalid("retail MAC key must be 16 bytes (K || K')");
  const Bytes padded = iso9797_pad(data, padding, kDesBlock);
  if (padded.empty()) return invalid("MAC data is empty after padding");
  const ByteSpan k = key.first(8);
  const ByteSpan k_prime = key.last(8);
  const Bytes iv(kDesBlock, 0);
  auto cbc = des_cbc_encrypt(k, iv, padded);
  if (!cbc.ok()) return cbc.error();
  auto step = des_ecb_decrypt(k_prime, last_block(*cbc, kDesBlock));
  if (!step.ok()) return step.error();
  return des_ecb_encrypt(k, *step);
}

CryptoResult<Bytes> mac_sm4(ByteSpan key, ByteSpan data, MacPadding padding) {
  const Bytes padded = iso9797_pad(data, padding, kSm4Block);
  if (padded.empty()) return invalid("MAC data is empty after padding");
  const Bytes iv(kSm4Block, 0);
  auto cbc = sm4_cbc_encrypt(key, iv, padded);
  if (!cbc.ok()) return cbc.error();
  return last_block(*cbc, kSm4Block);
}

}  // namespace holdfast::crypto
