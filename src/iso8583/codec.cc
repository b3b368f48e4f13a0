#include "iso8583/codec.h"

#include <array>
#include <cstdio>
#include <optional>

#include "base/hex.h"

namespace holdfast::iso8583 {
namespace {

constexpr size_t kBitmapBits = 64;

bool is_digit(uint8_t c) { return c >= '0' && c <= '9'; }
bool is_printable(uint8_t c) { return c >= 0x20 && c <= 0x7E; }
bool is_track_char(uint8_t c) { return is_digit(c) || c == '='; }

bool is_numeric_type(FieldType t) { return t == FieldType::kN || t == FieldType::kZ; }

size_t digits_wire_size(DigitEncoding enc, size_t digits) {
  return enc == DigitEncoding::kBcd ? (digits + 1) / 2 : digits;
}

// Bytes the value of `f` occupies on the wire for a value of `len` units (without prefix).
size_t value_wire_size(const MessageSpec& spec, const FieldSpec& f, size_t len) {
  switch (f.type) {
    case FieldType::kN:
    case FieldType::kZ: return digits_wire_size(spec.digits_of(f), len);
    case FieldType::kXn: return len == 0 ? 0 : 1 + digits_wire_size(spec.digits_of(f), len - 1);
    case FieldType::kB:
      return (!f.variable() && spec.fixed_binary == FixedBinaryForm::kAsciiHex) ? 2 * len : len;
    case FieldType::kAn:
    case FieldType::kAns: return len;
    case FieldType::kUndefined: break;
  }
  HF_UNREACHABLE();
}

size_t prefix_wire_size(const MessageSpec& spec, const FieldSpec& f) {
  return digits_wire_size(spec.length_encoding, static_cast<size_t>(f.prefix));
}

PadSide pad_side(const MessageSpec& spec, const FieldSpec& f) {
  return f.variable() ? spec.bcd_variable_pad : spec.bcd_fixed_pad;
}

std::string bytes_hex(std::span<const uint8_t> bytes) { return to_hex(bytes); }

std::string numbered(const char* format, size_t a, size_t b = 0) {
  std::array<char, 96> text{};
  std::snprintf(text.data(), text.size(), format, a, b);
  return text.data();
}

// ---------------------------------------------------------------------------------------------
// Decoding

class Decoder {
 public:
  Decoder(const MessageSpec& spec, std::span<const uint8_t> in, Message& out)
      : spec_(spec), in_(in), out_(out) {}

  Result<Ok, DecodeError> run() {
    out_.reset();
    if (!read_mti() || !read_bitmaps() || !read_fields() || !check_end()) return *error_;
    return Ok{};
  }

  // Keeps every field whose bytes can be located and whose content is valid: a fixed-length
  // field is skipped by its spec length whatever its content; a variable one needs a valid
  // length prefix. Stops at the first field whose extent is unknown.
  bool salvage() {
    out_.reset();
    if (!read_mti()) return false;
    if (!read_bitmaps()) return true;
    for (int de = kMinField; de <= kMaxField; ++de) {
      if (!announced(de)) continue;
      const FieldSpec& f = spec_.field(de);
      if (!f.defined()) break;
      size_t len = f.length;
      if (f.variable() && !read_length(de, f, &len)) break;
      const size_t wire_size = value_wire_size(spec_, f, len);
      if (!need(wire_size, de)) break;
      std::span<char> value = out_.set_uninitialized(de, len);
      if (!read_value(de, f, take(wire_size), value)) out_.clear(de);
    }
    return true;
  }

 private:
  bool fail(DecodeErrc code, int field, size_t offset, std::string reason) {
    error_ = DecodeError{code, field, offset, std::move(reason)};
    return false;
  }
  size_t remaining() const { return in_.size() - pos_; }
  bool need(size_t n, int field) {
    if (n <= remaining()) return true;
    return fail(DecodeErrc::kTruncated, field, pos_,
                numbered("need %zu bytes, only %zu left", n, remaining()));
  }
  std::span<const uint8_t> take(size_t n) {
    std::span<const uint8_t> bytes = in_.subspan(pos_, n);
    pos_ += n;
    return bytes;
  }

  bool read_mti() {
    const bool bcd = spec_.mti_encoding == DigitEncoding::kBcd;
    if (!need(bcd ? 2 : 4, 0)) return false;
    const size_t at = pos_;
    std::array<char, 4> mti{};
    if (!unpack_digits(take(bcd ? 2 : 4), bcd, PadSide::kLeft, false, mti)) {
      return fail(DecodeErrc::kBadMti, 0, at, "MTI is not four digits");
    }
    out_.set_mti(std::string_view(mti.data(), mti.size()));
    return true;
  }

  bool read_bitmap_word(uint64_t* word) {
    const bool hex = spec_.bitmap_encoding == BitmapEncoding::kAsciiHex;
    if (!need(hex ? 16 : 8, 1)) return false;
    uint64_t value = 0;
    for (uint8_t byte : in_.subspan(pos_, hex ? 16 : 8)) {
      if (!hex) {
        value = (value << 8) | byte;
      } else if (const int nibble = hex_digit_value(static_cast<char>(byte)); nibble >= 0) {
        value = (value << 4) | static_cast<uint64_t>(nibble);
      } else {
        return fail(DecodeErrc::kBadBitmap, 1, pos_,
                    "non-hex character 0x" + bytes_hex({&byte, 1}) + " in bitmap");
      }
      ++pos_;
    }
    *word = value;
    return true;
  }

  bool read_bitmaps() {
    if (!read_bitmap_word(&bitmap_[0])) return false;
    if ((bitmap_[0] >> 63) == 0) return true;
    const size_t at = pos_;
    if (!read_bitmap_word(&bitmap_[1])) return false;
    if (bitmap_[1] == 0) out_.set_empty_secondary_bitmap(true);
    if ((bitmap_[1] >> 63) != 0) {
      return fail(DecodeErrc::kTertiaryBitmap, 65, at, "bit 65 (tertiary bitmap) is not supported");
    }
    return true;
  }

  bool announced(int de) const {
    const size_t index = static_cast<size_t>(de - 1);
    return ((bitmap_[index / kBitmapBits] >> (63 - index % kBitmapBits)) & 1U) != 0;
  }

  bool read_fields() {
    for (int de = kMinField; de <= kMaxField; ++de) {
      if (!announced(de)) continue;
      if (!read_field(de)) return false;
      last_field_ = de;
    }
    return true;
  }

  bool check_end() {
    if (remaining() == 0) return true;
    return fail(DecodeErrc::kTrailingBytes, last_field_, pos_,
                numbered("%zu trailing bytes after the last field", remaining()));
  }

  bool read_field(int de) {
    const FieldSpec& f = spec_.field(de);
    if (!f.defined()) {
      return fail(DecodeErrc::kUndefinedField, de, pos_, "not defined by spec " + std::string(spec_.name));
    }
    size_t len = f.length;
    if (f.variable() && !read_length(de, f, &len)) return false;
    const size_t wire_size = value_wire_size(spec_, f, len);
    if (!need(wire_size, de)) return false;
    std::span<char> value = out_.set_uninitialized(de, len);
    return read_value(de, f, take(wire_size), value);
  }

  bool read_length(int de, const FieldSpec& f, size_t* len) {
    const size_t at = pos_;
    const size_t wire_size = prefix_wire_size(spec_, f);
    if (!need(wire_size, de)) return false;
    std::span<const uint8_t> prefix = take(wire_size);
    const bool bcd = spec_.length_encoding == DigitEncoding::kBcd;
    std::array<char, 6> digits{};
    const size_t count = static_cast<size_t>(f.prefix);
    const bool pad_ok = !bcd || count % 2 == 0 || pad_nibble_is_zero(prefix, PadSide::kLeft);
    if (!pad_ok || !unpack_digits(prefix, bcd, PadSide::kLeft, false, {digits.data(), count})) {
      return fail(DecodeErrc::kBadLengthPrefix, de, at, "non-numeric length prefix " + bytes_hex(prefix));
    }
    size_t value = 0;
    for (size_t i = 0; i < count; ++i) value = value * 10 + static_cast<size_t>(digits[i] - '0');
    if (value > f.length) {
      return fail(DecodeErrc::kTooLong, de, at, numbered("length %zu exceeds maximum %zu", value, f.length));
    }
    *len = value;
    return true;
  }

  bool read_value(int de, const FieldSpec& f, std::span<const uint8_t> wire, std::span<char> value) {
    const size_t at = pos_ - wire.size();
    switch (f.type) {
      case FieldType::kN:
      case FieldType::kZ: return read_digits(de, f, wire, value, at);
      case FieldType::kXn: return read_amount(de, f, wire, value, at);
      case FieldType::kAn:
      case FieldType::kAns: return read_text(de, wire, value, at);
      case FieldType::kB: return read_binary(de, f, wire, value, at);
      case FieldType::kUndefined: break;
    }
    HF_UNREACHABLE();
  }

  bool read_digits(int de, const FieldSpec& f, std::span<const uint8_t> wire, std::span<char> value,
                   size_t at) {
    const bool bcd = spec_.digits_of(f) == DigitEncoding::kBcd;
    const bool track = f.type == FieldType::kZ;
    if (bcd && value.size() % 2 == 1 && !pad_nibble_is_zero(wire, pad_side(spec_, f))) {
      return fail(DecodeErrc::kBadPadding, de, at, "BCD pad nibble is not 0");
    }
    if (unpack_digits(wire, bcd, pad_side(spec_, f), track, value)) return true;
    return fail(
        DecodeErrc::kBadCharacter, de, at,
        track ? "track data holds a character other than 0-9 and '='" : "numeric field holds a non-digit");
  }

  bool read_amount(int de, const FieldSpec& f, std::span<const uint8_t> wire, std::span<char> value,
                   size_t at) {
    const uint8_t sign = wire[0];
    const bool sign_ok = sign == 'C' || sign == 'D' || (spec_.amount_sign_may_be_digit && is_digit(sign));
    if (!sign_ok) return fail(DecodeErrc::kBadCharacter, de, at, "amount sign is not C or D");
    value[0] = static_cast<char>(sign);
    const bool bcd = spec_.digits_of(f) == DigitEncoding::kBcd;
    if (unpack_digits(wire.subspan(1), bcd, spec_.bcd_fixed_pad, false, value.subspan(1)) &&
        (!bcd || value.size() % 2 == 1 || pad_nibble_is_zero(wire.subspan(1), spec_.bcd_fixed_pad))) {
      return true;
    }
    return fail(DecodeErrc::kBadCharacter, de, at + 1, "amount holds a non-digit");
  }

  bool read_text(int de, std::span<const uint8_t> wire, std::span<char> value, size_t at) {
    for (size_t i = 0; i < wire.size(); ++i) {
      if (!is_printable(wire[i])) {
        return fail(DecodeErrc::kBadCharacter, de, at + i,
                    "non-printable/non-ASCII byte 0x" + bytes_hex(wire.subspan(i, 1)));
      }
      value[i] = static_cast<char>(wire[i]);
    }
    return true;
  }

  bool read_binary(int de, const FieldSpec& f, std::span<const uint8_t> wire, std::span<char> value,
                   size_t at) {
    if (f.variable() || spec_.fixed_binary == FixedBinaryForm::kRaw) {
      for (size_t i = 0; i < wire.size(); ++i) value[i] = static_cast<char>(wire[i]);
      return true;
    }
    for (size_t i = 0; i < value.size(); ++i) {
      const int high = hex_digit_value(static_cast<char>(wire[2 * i]));
      const int low = hex_digit_value(static_cast<char>(wire[2 * i + 1]));
      if (high < 0 || low < 0) {
        return fail(DecodeErrc::kBadCharacter, de, at + 2 * i, "binary field holds non-hex text");
      }
      value[i] = static_cast<char>((high << 4) | low);
    }
    return true;
  }

  static bool pad_nibble_is_zero(std::span<const uint8_t> wire, PadSide side) {
    if (wire.empty()) return true;
    return side == PadSide::kLeft ? (wire.front() >> 4) == 0 : (wire.back() & 0x0F) == 0;
  }

  // Unpacks value.size() digits from ASCII or BCD (the pad nibble, if any, is skipped, not
  // checked). In track data the BCD nibble D and the ASCII '=' both become '='.
  static bool unpack_digits(std::span<const uint8_t> wire, bool bcd, PadSide side, bool track,
                            std::span<char> value) {
    if (!bcd) {
      for (size_t i = 0; i < value.size(); ++i) {
        if (!(is_digit(wire[i]) || (track && wire[i] == '='))) return false;
        value[i] = static_cast<char>(wire[i]);
      }
      return true;
    }
    const size_t skip = (value.size() % 2 == 1 && side == PadSide::kLeft) ? 1 : 0;
    for (size_t i = 0; i < value.size(); ++i) {
      const size_t nibble_index = i + skip;
      const uint8_t byte = wire[nibble_index / 2];
      const int nibble = (nibble_index % 2 == 0) ? (byte >> 4) : (byte & 0x0F);
      if (nibble <= 9) {
        value[i] = static_cast<char>('0' + nibble);
      } else if (track && nibble == 0xD) {
        value[i] = '=';
      } else {
        return false;
      }
    }
    return true;
  }

  const MessageSpec& spec_;
  std::span<const uint8_t> in_;
  Message& out_;
  size_t pos_ = 0;
  std::array<uint64_t, 2> bitmap_{};
  int last_field_ = 1;
  std::optional<DecodeError> error_;
};

// ---------------------------------------------------------------------------------------------
// Encoding

std::string check_characters(const MessageSpec& spec, const FieldSpec& f, std::string_view v) {
  auto all = [v](size_t from, auto pred) {
    for (size_t i = from; i < v.size(); ++i) {
      if (!pred(static_cast<uint8_t>(v[i]))) return false;
    }
    return true;
  };
  switch (f.type) {
    case FieldType::kN: return all(0, is_digit) ? "" : "numeric field holds a non-digit";
    case FieldType::kZ:
      return all(0, is_track_char) ? "" : "track data holds a character other than 0-9 and '='";
    case FieldType::kXn: {
      const uint8_t sign = static_cast<uint8_t>(v[0]);
      if (sign != 'C' && sign != 'D' && !(spec.amount_sign_may_be_digit && is_digit(sign))) {
        return "amount sign is not C or D";
      }
      return all(1, is_digit) ? "" : "amount holds a non-digit";
    }
    case FieldType::kAn:
    case FieldType::kAns: return all(0, is_printable) ? "" : "non-printable/non-ASCII character";
    case FieldType::kB: return "";
    case FieldType::kUndefined: break;
  }
  HF_UNREACHABLE();
}

void write_digits(std::string_view digits, bool bcd, PadSide side, std::vector<uint8_t>& out) {
  if (!bcd) {
    out.insert(out.end(), digits.begin(), digits.end());
    return;
  }
  auto nibble_of = [](char c) { return static_cast<uint8_t>(c == '=' ? 0xD : c - '0'); };
  size_t i = 0;
  if (digits.size() % 2 == 1 && side == PadSide::kLeft) out.push_back(nibble_of(digits[i++]));
  for (; i + 1 < digits.size(); i += 2) {
    out.push_back(static_cast<uint8_t>((nibble_of(digits[i]) << 4) | nibble_of(digits[i + 1])));
  }
  if (i < digits.size()) out.push_back(static_cast<uint8_t>(nibble_of(digits[i]) << 4));
}

void write_length(const MessageSpec& spec, const FieldSpec& f, size_t len, std::vector<uint8_t>& out) {
  std::array<char, 6> digits{};
  const size_t count = static_cast<size_t>(f.prefix);
  for (size_t i = count; i-- > 0; len /= 10) digits[i] = static_cast<char>('0' + len % 10);
  write_digits({digits.data(), count}, spec.length_encoding == DigitEncoding::kBcd, PadSide::kLeft, out);
}

void write_value(const MessageSpec& spec, const FieldSpec& f, std::string_view v, std::vector<uint8_t>& out) {
  const bool bcd = spec.digits_of(f) == DigitEncoding::kBcd;
  if (is_numeric_type(f.type)) return write_digits(v, bcd, pad_side(spec, f), out);
  if (f.type == FieldType::kXn) {
    out.push_back(static_cast<uint8_t>(v[0]));
    return write_digits(v.substr(1), bcd, spec.bcd_fixed_pad, out);
  }
  const bool hex =
      f.type == FieldType::kB && !f.variable() && spec.fixed_binary == FixedBinaryForm::kAsciiHex;
  if (!hex) {
    out.insert(out.end(), v.begin(), v.end());
    return;
  }
  static constexpr char kHexDigits[] = "0123456789ABCDEF";
  for (char c : v) {
    const auto byte = static_cast<uint8_t>(c);
    out.push_back(static_cast<uint8_t>(kHexDigits[byte >> 4]));
    out.push_back(static_cast<uint8_t>(kHexDigits[byte & 0x0F]));
  }
}

Result<Ok, EncodeError> write_mti(const MessageSpec& spec, std::string_view mti, std::vector<uint8_t>& out) {
  bool digits = mti.size() == 4;
  for (char c : mti) digits = digits && is_digit(static_cast<uint8_t>(c));
  if (!digits) {
    return EncodeError{EncodeErrc::kBadMti, 0, "MTI \"" + std::string(mti) + "\" is not four digits"};
  }
  write_digits(mti, spec.mti_encoding == DigitEncoding::kBcd, PadSide::kLeft, out);
  return Ok{};
}

void write_bitmap_word(const MessageSpec& spec, uint64_t word, std::vector<uint8_t>& out) {
  static constexpr char kHexDigits[] = "0123456789ABCDEF";
  const bool hex = spec.bitmap_encoding == BitmapEncoding::kAsciiHex;
  if (!hex) {
    for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<uint8_t>(word >> shift));
    return;
  }
  for (int shift = 60; shift >= 0; shift -= 4) {
    out.push_back(static_cast<uint8_t>(kHexDigits[(word >> shift) & 0x0F]));
  }
}

void write_bitmaps(const MessageSpec& spec, const Message& msg, std::vector<uint8_t>& out) {
  std::array<uint64_t, 2> bitmap{};
  for (auto [de, value] : msg.fields()) {
    const auto index = static_cast<size_t>(de - 1);
    bitmap[index / kBitmapBits] |= uint64_t{1} << (63 - index % kBitmapBits);
  }
  const bool secondary = bitmap[1] != 0 || msg.empty_secondary_bitmap();
  if (secondary) bitmap[0] |= uint64_t{1} << 63;
  write_bitmap_word(spec, bitmap[0], out);
  if (secondary) write_bitmap_word(spec, bitmap[1], out);
}

Result<Ok, EncodeError> encode_fields(const MessageSpec& spec, const Message& msg,
                                      std::vector<uint8_t>& out) {
  for (auto [de, value] : msg.fields()) {
    std::string reason = check_field_value(spec, de, value);
    if (!reason.empty()) {
      const EncodeErrc code = !spec.field(de).defined()      ? EncodeErrc::kUndefinedField
                              : reason.starts_with("length") ? EncodeErrc::kBadLength
                                                             : EncodeErrc::kBadCharacter;
      return EncodeError{code, de, std::move(reason)};
    }
    const FieldSpec& f = spec.field(de);
    if (f.variable()) write_length(spec, f, value.size(), out);
    write_value(spec, f, value, out);
  }
  return Ok{};
}

}  // namespace

Result<Ok, DecodeError> decode_into(const MessageSpec& spec, std::span<const uint8_t> wire, Message& out) {
  return Decoder(spec, wire, out).run();
}

bool salvage(const MessageSpec& spec, std::span<const uint8_t> wire, Message& out) {
  return Decoder(spec, wire, out).salvage();
}

Result<Message, DecodeError> decode(const MessageSpec& spec, std::span<const uint8_t> wire) {
  Message msg;
  Result<Ok, DecodeError> result = decode_into(spec, wire, msg);
  if (!result.ok()) return result.error();
  return msg;
}

std::string check_field_value(const MessageSpec& spec, int de, std::string_view value) {
  const FieldSpec& f = spec.field(de);
  if (!f.defined()) return "not defined by spec " + std::string(spec.name);
  if (!f.variable() && value.size() != f.length) {
    return numbered("length %zu, fixed length is %zu", value.size(), f.length);
  }
  if (f.variable() && value.size() > f.length) {
    return numbered("length %zu exceeds maximum %zu", value.size(), f.length);
  }
  return check_characters(spec, f, value);
}

Result<Ok, EncodeError> encode_into(const MessageSpec& spec, const Message& msg, std::vector<uint8_t>& out) {
  const size_t original_size = out.size();
  Result<Ok, EncodeError> result = write_mti(spec, msg.mti(), out);
  if (result.ok()) {
    write_bitmaps(spec, msg, out);
    result = encode_fields(spec, msg, out);
  }
  if (!result.ok()) out.resize(original_size);
  return result;
}

Result<std::vector<uint8_t>, EncodeError> encode(const MessageSpec& spec, const Message& msg) {
  std::vector<uint8_t> out;
  out.reserve(512);
  Result<Ok, EncodeError> result = encode_into(spec, msg, out);
  if (!result.ok()) return result.error();
  return out;
}

std::string describe(const DecodeError& error) {
  std::string where = error.field == 0   ? "MTI"
                      : error.field == 1 ? "bitmap"
                                         : "field " + std::to_string(error.field);
  return where + " at offset " + std::to_string(error.offset) + ": " + error.reason;
}

std::string describe(const EncodeError& error) {
  std::string where = error.field == 0 ? "MTI" : "field " + std::to_string(error.field);
  return where + ": " + error.reason;
}

}  // namespace holdfast::iso8583
