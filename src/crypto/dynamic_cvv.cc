#include "crypto/dynamic_cvv.h"

#include "crypto/cvv.h"
#include "crypto/digits.h"
#include "crypto/mac.h"
#include "crypto/primitives.h"

namespace holdfast::crypto {
namespace {

ByteSpan text_bytes(std::string_view s) { return {reinterpret_cast<const uint8_t*>(s.data()), s.size()}; }

}  // namespace

CryptoResult<std::string> compute_dcvv(ByteSpan icc_key, std::string_view pan, std::string_view expiry_yymm,
                                       std::string_view atc) {
  if (icc_key.size() != 16) return invalid("icc_key must be 16 bytes");
  if (pan.size() < 5 || pan.size() > 19 || !is_digits(pan)) return invalid("pan must be 5..19 digits");
  if (atc.size() != 4 || !is_digits(atc)) return invalid("atc must be 4 digits");
  // The ATC takes the place of the PAN's first four digits.
  const std::string alternate_pan = std::string(atc) + std::string(pan.substr(4));
  return compute_cvv({alternate_pan, expiry_yymm, kCvv2ServiceCode}, icc_key.first(8), icc_key.subspan(8, 8));
}

CryptoResult<bool> verify_dcvv(ByteSpan icc_key, std::string_view pan, std::string_view expiry_yymm,
                               std::string_view atc, std::string_view presented_dcvv) {
  if (presented_dcvv.size() != 3 || !is_digits(presented_dcvv)) return invalid("dcvv must be 3 digits");
  auto expected = compute_dcvv(icc_key, pan, expiry_yymm, atc);
  if (!expected.ok()) return expected.error();
  return equal_constant_time(text_bytes(*expected), text_bytes(presented_dcvv));
}

CryptoResult<Bytes> track2_template_bytes(std::string_view track2) {
  std::string nibbles;
  nibbles.reserve(track2.size() + 1);
  for (size_t i = 0; i < track2.size(); ++i) {
    const char c = track2[i];
    if (c == '=' || c == 'D') {
      nibbles.push_back('D');
    } else if (c >= '0' && c <= '9') {
      nibbles.push_back(c);
    } else if (c == 'F' && i + 1 == track2.size()) {
      nibbles.push_back('F');  // a pad already there
    } else {
      return invalid("track 2 template must be digits with one separator");
    }
  }
  if (nibbles.size() % 2 != 0) nibbles.push_back('F');
  return pack_nibbles(nibbles);
}

CryptoResult<Bytes> compute_ivcvc3(ByteSpan icc_key, ByteSpan track_template) {
  if (icc_key.size() != 16) return invalid("icc_key must be 16 bytes");
  if (track_template.empty()) return invalid("track template must not be empty");
  auto mac = mac_algorithm3(icc_key, track_template, MacPadding::kMethod2);
  if (!mac.ok()) return mac.error();
  return Bytes(mac->end() - 2, mac->end());
}

CryptoResult<std::string> compute_cvc3(ByteSpan icc_key, ByteSpan ivcvc3, ByteSpan un, ByteSpan atc) {
  if (icc_key.size() != 16) return invalid("icc_key must be 16 bytes");
  if (ivcvc3.size() != 2) return invalid("ivcvc3 must be 2 bytes");
  if (un.size() != 4) return invalid("un must be 4 bytes");
  if (atc.size() != 2) return invalid("atc must be 2 bytes");
  const Bytes block = concat(concat(ivcvc3, un), atc);
  auto enciphered = des_ecb_encrypt(icc_key, block);
  if (!enciphered.ok()) return enciphered.error();
  const unsigned value = static_cast<unsigned>((*enciphered)[6]) << 8 | (*enciphered)[7];
  std::string digits(5, '0');
  unsigned rest = value;
  for (size_t i = digits.size(); i-- > 0; rest /= 10) digits[i] = static_cast<char>('0' + rest % 10);
  return digits;
}

CryptoResult<bool> verify_cvc3(ByteSpan icc_key, ByteSpan ivcvc3, ByteSpan un, ByteSpan atc,
                               std::string_view presented) {
  if (presented.empty() || presented.size() > 5 || !is_digits(presented)) {
    return invalid("cvc3 must be 1..5 digits");
  }
  auto expected = compute_cvc3(icc_key, ivcvc3, un, atc);
  if (!expected.ok()) return expected.error();
  const std::string_view tail = std::string_view(*expected).substr(5 - presented.size());
  return equal_constant_time(text_bytes(tail), text_bytes(presented));
}

}  // namespace holdfast::crypto
