// ISO 9564-1 format 4 (AES) and PIN block translation between zones.
#include <algorithm>

#include "crypto/digits.h"
#include "crypto/pin_block.h"
#include "crypto/primitives.h"

namespace holdfast::crypto {
namespace {

CryptoResult<Bytes> format4_pan_field(std::string_view pan) {
  if (pan.empty() || pan.size() > 19 || !is_digits(pan)) return invalid("pan must be 1..19 digits");
  std::string digits(pan);
  if (digits.size() < 12) digits.insert(0, 12 - digits.size(), '0');
  std::string nibbles(1, static_cast<char>('0' + (digits.size() - 12)));
  nibbles += digits;
  nibbles.resize(32, '0');
  return pack_nibbles(nibbles);
}

CryptoResult<Bytes> format4_pin_field(std::string_view pin, ByteSpan random_fill) {
  if (pin.size() < 4 || pin.size() > 12 || !is_digits(pin)) return invalid("pin must be 4..12 digits");
  if (random_fill.size() != 8) return invalid("random_fill must be 8 bytes");
  std::string nibbles = "4";
  nibbles.push_back("0123456789ABCDEF"[pin.size()]);
  nibbles += pin;
  nibbles.resize(16, 'A');
  auto field = pack_nibbles(nibbles);
  if (!field.ok()) return field;
  field->insert(field->end(), random_fill.begin(), random_fill.end());
  return field;
}

CryptoResult<std::string> parse_format4_pin_field(ByteSpan field) {
  const std::string nibbles = unpack_nibbles(field.first(8));
  const CryptoError mismatch{CryptoErrc::kFormatMismatch, "format 4 PIN field is malformed"};
  if (nibbles[0] != '4') return CryptoError{CryptoErrc::kFormatMismatch, "control nibble mismatch"};
  const int length = nibbles[1] >= 'A' ? nibbles[1] - 'A' + 10 : nibbles[1] - '0';
  if (length < 4 || length > 12) return mismatch;
  const size_t n = static_cast<size_t>(length);
  std::string pin = nibbles.substr(2, n);
  if (!is_digits(pin)) return mismatch;
  for (size_t i = 2 + n; i < nibbles.size(); ++i) {
    if (nibbles[i] != 'A') return mismatch;
  }
  return pin;
}

// Encrypts a clear PIN for a zone (formats 0-4) using entropy for fills.
CryptoResult<Bytes> encrypt_for_zone(const PinZone& zone, std::string_view pin, std::string_view pan,
                                     ByteSpan entropy) {
  if (zone.format == PinBlockFormat::kIso4) {
    return encipher_pin_block_format4(zone.key, pin, pan, entropy);
  }
  std::string fill;
  if (zone.format == PinBlockFormat::kIso1 || zone.format == PinBlockFormat::kIso3) {
    const std::string nibbles = unpack_nibbles(entropy);
    for (size_t i = 0; i < 14 - pin.size(); ++i) {
      const int v = nibbles[i] >= 'A' ? nibbles[i] - 'A' + 10 : nibbles[i] - '0';
      const int nibble = zone.format == PinBlockFormat::kIso3 ? 10 + v % 6 : v;
      fill.push_back("0123456789ABCDEF"[nibble]);
    }
  }
  auto clear = encode_pin_block(zone.format, pin, pan, fill);
  if (!clear.ok()) return clear;
  auto out = des_ecb_encrypt(zone.key, *clear);
  cleanse(*clear);
  return out;
}

CryptoResult<std::string> decrypt_from_zone(const PinZone& zone, ByteSpan enciphered, std::string_view pan) {
  if (zone.format == PinBlockFormat::kIso4) {
    return decipher_pin_block_format4(zone.key, enciphered, pan);
  }
  if (enciphered.size() != 8) return invalid("enciphered PIN block must be 8 bytes");
  auto clear = des_ecb_decrypt(zone.key, enciphered);
  if (!clear.ok()) return clear.error();
  auto pin = decode_pin_block(zone.format, *clear, pan);
  cleanse(*clear);
  return pin;
}

}  // namespace

CryptoResult<Bytes> encipher_pin_block_format4(ByteSpan aes_key, std::string_view pin, std::string_view pan,
                                               ByteSpan random_fill) {
  auto pin_field = format4_pin_field(pin, random_fill);
  if (!pin_field.ok()) return pin_field;
  auto pan_block = format4_pan_field(pan);
  if (!pan_block.ok()) return pan_block;
  auto inner = aes_ecb_encrypt(aes_key, *pin_field);
  cleanse(*pin_field);
  if (!inner.ok()) return inner;
  return aes_ecb_encrypt(aes_key, xor_bytes(*inner, *pan_block));
}

CryptoResult<std::string> decipher_pin_block_format4(ByteSpan aes_key, ByteSpan enciphered,
                                                     std::string_view pan) {
  if (enciphered.size() != 16) return invalid("enciphered_pin_block must be 16 bytes");
  auto pan_block = format4_pan_field(pan);
  if (!pan_block.ok()) return pan_block.error();
  auto outer = aes_ecb_decrypt(aes_key, enciphered);
  if (!outer.ok()) return outer.error();
  auto pin_field = aes_ecb_decrypt(aes_key, xor_bytes(*outer, *pan_block));
  if (!pin_field.ok()) return pin_field.error();
  auto pin = parse_format4_pin_field(*pin_field);
  cleanse(*pin_field);
  return pin;
}

CryptoResult<Bytes> translate_pin_block(ByteSpan enciphered, const PinZone& from, const PinZone& to,
                                        std::string_view pan, ByteSpan fill_entropy) {
  if (fill_entropy.size() != 8) return invalid("fill_entropy must be 8 bytes");
  auto pin = decrypt_from_zone(from, enciphered, pan);
  if (!pin.ok()) return pin.error();
  auto out = encrypt_for_zone(to, *pin, pan, fill_entropy);
  std::fill(pin->begin(), pin->end(), '\0');
  return out;
}

}  // namespace holdfast::crypto
