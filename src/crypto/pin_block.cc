#include "crypto/pin_block.h"

#include "crypto/digits.h"
#include "crypto/primitives.h"

namespace holdfast::crypto {
namespace {

constexpr size_t kMinPin = 4;
constexpr size_t kMaxPin = 12;
constexpr size_t kMaxPan = 19;

bool valid_pin(std::string_view pin) {
  return pin.size() >= kMinPin && pin.size() <= kMaxPin && is_digits(pin);
}

bool valid_pan(std::string_view pan) { return !pan.empty() && pan.size() <= kMaxPan && is_digits(pan); }

bool uses_pan(PinBlockFormat f) { return f == PinBlockFormat::kIso0 || f == PinBlockFormat::kIso3; }

char length_nibble(size_t n) { return "0123456789ABCDEF"[n]; }

CryptoResult<Bytes> pan_field(std::string_view pan) {
  if (!valid_pan(pan)) return invalid("pan must be 1..19 digits");
  return pack_nibbles("0000" + pan_digits_before_check(pan, 12));
}

// Checks the fill nibbles a format allows.
bool fill_ok(PinBlockFormat format, std::string_view fill) {
  for (char c : fill) {
    const bool is_f = c == 'F';
    const bool is_af = c >= 'A' && c <= 'F';
    if ((format == PinBlockFormat::kIso0 || format == PinBlockFormat::kIso2) && !is_f) return false;
    if (format == PinBlockFormat::kIso3 && !is_af) return false;
  }
  return true;
}

CryptoResult<std::string> default_fill(PinBlockFormat format, size_t pin_length, std::string_view fill) {
  const size_t need = 14 - pin_length;
  if (format == PinBlockFormat::kIso0 || format == PinBlockFormat::kIso2) {
    if (!fill.empty()) return invalid("fill is only used by formats 1 and 3");
    return std::string(need, 'F');
  }
  if (fill.size() != need || !is_hex_digits(fill)) {
    return invalid("fill must be exactly 14 - len(pin) hex nibbles");
  }
  std::string upper(fill);
  for (char& c : upper) c = (c >= 'a' && c <= 'f') ? static_cast<char>(c - 'a' + 'A') : c;
  if (!fill_ok(format, upper)) return invalid("fill must be A-F for format 3");
  return upper;
}

// Parses "CLPPPP...fill" nibbles: control, length, PIN, then checks the fill.
CryptoResult<std::string> parse_pin_field(std::string_view nibbles, char control,
                                          PinBlockFormat format_for_fill) {
  if (nibbles[0] != control) return CryptoError{CryptoErrc::kFormatMismatch, "control nibble mismatch"};
  const int length = nibbles[1] >= 'A' ? nibbles[1] - 'A' + 10 : nibbles[1] - '0';
  if (length < static_cast<int>(kMinPin) || length > static_cast<int>(kMaxPin)) {
    return CryptoError{CryptoErrc::kFormatMismatch, "PIN length nibble outside 4..12"};
  }
  const size_t n = static_cast<size_t>(length);
  std::string pin(nibbles.substr(2, n));
  if (!is_digits(pin)) return CryptoError{CryptoErrc::kFormatMismatch, "PIN field holds a non-digit"};
  if (!fill_ok(format_for_fill, nibbles.substr(2 + n))) {
    return CryptoError{CryptoErrc::kFormatMismatch, "PIN block fill is not valid for its format"};
  }
  return pin;
}

}  // namespace

CryptoResult<PinBlockFormat> parse_pin_block_format(std::string_view text) {
  if (text == "0") return PinBlockFormat::kIso0;
  if (text == "1") return PinBlockFormat::kIso1;
  if (text == "2") return PinBlockFormat::kIso2;
  if (text == "3") return PinBlockFormat::kIso3;
  if (text == "4") return PinBlockFormat::kIso4;
  return invalid("format must be one of \"0\", \"1\", \"2\", \"3\", \"4\"");
}

CryptoResult<Bytes> encode_pin_block(PinBlockFormat format, std::string_view pin, std::string_view pan,
                                     std::string_view fill) {
  if (format == PinBlockFormat::kIso4)
    return invalid("format 4 is enciphered with AES: use format 4 functions");
  if (!valid_pin(pin)) return invalid("pin must be 4..12 digits");
  auto fill_nibbles = default_fill(format, pin.size(), fill);
  if (!fill_nibbles.ok()) return fill_nibbles.error();
  std::string nibbles;
  nibbles.push_back(static_cast<char>('0' + static_cast<int>(format)));
  nibbles.push_back(length_nibble(pin.size()));
  nibbles += pin;
  nibbles += *fill_nibbles;
  auto block = pack_nibbles(nibbles);
  if (!block.ok() || !uses_pan(format)) return block;
  auto pan_block = pan_field(pan);
  if (!pan_block.ok()) return pan_block.error();
  return xor_bytes(*block, *pan_block);
}

CryptoResult<std::string> decode_pin_block(PinBlockFormat format, ByteSpan clear_block,
                                           std::string_view pan) {
  if (format == PinBlockFormat::kIso4)
    return invalid("format 4 is enciphered with AES: use format 4 functions");
  if (clear_block.size() != 8) return invalid("clear_pin_block must be 8 bytes");
  Bytes block(clear_block.begin(), clear_block.end());
  if (uses_pan(format)) {
    auto pan_block = pan_field(pan);
    if (!pan_block.ok()) return pan_block.error();
    block = xor_bytes(block, *pan_block);
  }
  const char control = static_cast<char>('0' + static_cast<int>(format));
  return parse_pin_field(unpack_nibbles(block), control, format);
}

}  // namespace holdfast::crypto
