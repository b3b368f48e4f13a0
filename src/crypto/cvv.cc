#include "crypto/cvv.h"

#include "crypto/digits.h"
#include "crypto/primitives.h"

namespace holdfast::crypto {
namespace {

CryptoResult<Bytes> cvv_input_block(const CvvInput& input) {
  if (input.pan.empty() || input.pan.size() > 19 || !is_digits(input.pan)) {
    return invalid("pan must be 1..19 digits");
  }
  if (input.expiry_yymm.size() != 4 || !is_digits(input.expiry_yymm)) {
    return invalid("expiry_yymm must be 4 digits");
  }
  if (input.service_code.size() != 3 || !is_digits(input.service_code)) {
    return invalid("service_code must be 3 digits");
  }
  std::string digits =
      std::string(input.pan) + std::string(input.expiry_yymm) + std::string(input.service_code);
  digits.resize(32, '0');
  return pack_nibbles(digits);
}

}  // namespace

CryptoResult<std::string> compute_cvv(const CvvInput& input, ByteSpan cvk_a, ByteSpan cvk_b) {
  if (cvk_a.size() != 8) return invalid("cvk_a must be 8 bytes");
  if (cvk_b.size() != 8) return invalid("cvk_b must be 8 bytes");
  auto block = cvv_input_block(input);
  if (!block.ok()) return block.error();
  const ByteSpan all(*block);
  auto step1 = des_ecb_encrypt(cvk_a, all.first(8));
  if (!step1.ok()) return step1.error();
  Bytes key = concat(cvk_a, cvk_b);
  auto step2 = des_ecb_encrypt(key, xor_bytes(*step1, all.last(8)));
  cleanse(key);
  if (!step2.ok()) return step2.error();
  return decimalize(*step2, 3);
}

CryptoResult<bool> verify_cvv(const CvvInput& input, ByteSpan cvk_a, ByteSpan cvk_b,
                              std::string_view presented_cvv) {
  if (presented_cvv.size() != 3 || !is_digits(presented_cvv)) return invalid("cvv must be 3 digits");
  auto expected = compute_cvv(input, cvk_a, cvk_b);
  if (!expected.ok()) return expected.error();
  const ByteSpan a(reinterpret_cast<const uint8_t*>(expected->data()), expected->size());
  const ByteSpan b(reinterpret_cast<const uint8_t*>(presented_cvv.data()), presented_cvv.size());
  return equal_constant_time(a, b);
}

}  // namespace holdfast::crypto
