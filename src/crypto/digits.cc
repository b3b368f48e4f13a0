#include "crypto/digits.h"

#include "base/assert.h"
#include "base/hex.h"

namespace holdfast::crypto {

bool is_digits(std::string_view s) noexcept {
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

bool is_hex_digits(std::string_view s) noexcept {
  for (char c : s) {
    if (hex_digit_value(c) < 0) return false;
  }
  return true;
}

CryptoResult<Bytes> pack_nibbles(std::string_view nibbles) {
  auto bytes = from_hex(nibbles);
  if (!bytes) return invalid("nibble string must be an even number of hex characters");
  return std::move(*bytes);
}

std::string unpack_nibbles(ByteSpan bytes) { return to_hex(bytes); }

std::string decimalize(ByteSpan bytes, size_t count) {
  HF_REQUIRE(count <= bytes.size() * 2);
  std::string nibbles = to_hex(bytes);
  std::string out;
  out.reserve(count);
  for (char c : nibbles) {
    if (out.size() == count) return out;
    if (c >= '0' && c <= '9') out.push_back(c);
  }
  for (char c : nibbles) {
    if (out.size() == count) return out;
    if (c >= 'A' && c <= 'F') out.push_back(static_cast<char>('0' + (c - 'A')));
  }
  HF_ASSERT(out.size() == count);
  return out;
}

std::string pan_digits_before_check(std::string_view pan, size_t count) {
  HF_REQUIRE(!pan.empty() && is_digits(pan));
  std::string_view body = pan.substr(0, pan.size() - 1);
  if (body.size() >= count) return std::string(body.substr(body.size() - count));
  return std::string(count - body.size(), '0') + std::string(body);
}

}  // namespace holdfast::crypto
