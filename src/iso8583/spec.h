// ISO 8583 message specifications as data. A MessageSpec is a table of FieldSpec for DE 1..128
// plus a handful of wire settings (how the MTI, bitmap, length prefixes, numerics and fixed
// binary fields are written). The codec (codec.h) interprets a spec; there is no per-field code.
//
// Invariants: specs are immutable statics built at compile time; DE 1 (the secondary bitmap)
// and DE 65 (the tertiary bitmap indicator) are never defined as data fields; a fixed field's
// `length` is its exact size, a variable field's `length` is its maximum and fits its prefix.
// Units of `length`: digits for n/z/x+n (x+n includes its sign), characters for an/ans, bytes
// for b.
//
// Threading: everything here is immutable, safe to share between threads.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string_view>

namespace holdfast::iso8583 {

enum class FieldType : uint8_t {
  kUndefined,  // not in this spec: a message carrying it is rejected
  kN,          // digits
  kAn,         // printable ASCII (an and ans are checked alike: 0x20..0x7E)
  kAns,
  kB,   // bytes
  kZ,   // track 2/3: digits and '=' (BCD nibble D on BCD links)
  kXn,  // amount: sign 'C' or 'D' then digits
};

// Number of length digits in front of the value; kFixed has none.
enum class LengthPrefix : uint8_t { kFixed = 0, kLL = 2, kLLL = 3, kLLLL = 4, kLLLLL = 5 };

// How digits travel: one ASCII character each, or packed two per byte.
enum class DigitEncoding : uint8_t { kSpecDefault, kAscii, kBcd };

enum class BitmapEncoding : uint8_t { kAsciiHex, kBinary };
enum class FixedBinaryForm : uint8_t { kRaw, kAsciiHex };
// Side of the pad nibble when an odd number of digits is packed as BCD.
enum class PadSide : uint8_t { kLeft, kRight };

struct FieldSpec {
  FieldType type = FieldType::kUndefined;
  LengthPrefix prefix = LengthPrefix::kFixed;
  uint32_t length = 0;  // exact (fixed) or maximum (variable)
  // Overrides the spec's numeric encoding for this field (jPOS sends DE49-51 as characters
  // on its BCD links).
  DigitEncoding digits = DigitEncoding::kSpecDefault;

  constexpr bool defined() const { return type != FieldType::kUndefined; }
  constexpr bool variable() const { return prefix != LengthPrefix::kFixed; }
};

struct MessageSpec {
  std::string_view name;
  DigitEncoding mti_encoding;      // kAscii (4 bytes) or kBcd (2 bytes)
  BitmapEncoding bitmap_encoding;  // 16/32 hex characters or 8/16 raw bytes
  DigitEncoding length_encoding;   // LL.. prefixes: ASCII digits or BCD (left-padded)
  DigitEncoding numeric_encoding;  // n, z and the digits of x+n
  PadSide bcd_fixed_pad;           // odd fixed numerics
  PadSide bcd_variable_pad;        // odd LLNUM/LLLNUM values
  FixedBinaryForm fixed_binary;    // variable binary is always length + raw bytes
  // jPOS writes x+n amounts with a digit where the C/D sign belongs ("000000100").
  bool amount_sign_may_be_digit;
  std::array<FieldSpec, 129> fields;  // index = DE number; [0] and [1] unused

  constexpr const FieldSpec& field(int de) const {
    return (de >= 2 && de <= 128) ? fields[static_cast<size_t>(de)] : fields[0];
  }
  DigitEncoding digits_of(const FieldSpec& f) const {
    return f.digits == DigitEncoding::kSpecDefault ? numeric_encoding : f.digits;
  }
};

// The built-in specs: iso87ascii, iso87binbitmap, iso87binary, iso93ascii, iso93ascii-fluidpay,
// iso93binary, cup-bcd (README.md has the table).
// Returns nullptr for an unknown name.
const MessageSpec* find_spec(std::string_view name);
std::span<const std::string_view> spec_names();

// "n", "an", "ans", "b", "z", "x+n" or "-".
std::string_view type_name(FieldType type);

}  // namespace holdfast::iso8583
