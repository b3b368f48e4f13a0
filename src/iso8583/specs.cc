// The built-in message specifications. Each is a compile-time table: the 1987 or 1993 field
// dictionary (Appendix A of testdata/iso8583/NOTES.md) plus the per-link deviations named in
// README.md. Nothing here is code that runs per message.
#include <iterator>

#include "base/assert.h"

#include "iso8583/spec.h"

namespace holdfast::iso8583 {
namespace {

using FieldTable = std::array<FieldSpec, 129>;
using enum FieldType;
using enum LengthPrefix;

constexpr FieldSpec fixed(FieldType t, uint32_t len) { return {t, kFixed, len}; }
constexpr FieldSpec ll(FieldType t, uint32_t max) { return {t, kLL, max}; }
constexpr FieldSpec lll(FieldType t, uint32_t max) { return {t, kLLL, max}; }
constexpr FieldSpec with_ascii_digits(FieldSpec f) {
  f.digits = DigitEncoding::kAscii;
  return f;
}

constexpr void set_range(FieldTable& t, int first, int last, FieldSpec f) {
  for (int de = first; de <= last; ++de) t[static_cast<size_t>(de)] = f;
}

// ISO 8583:1987 as jPOS ISO87A / moov spec87ascii / pyiso default_ascii agree on it.
constexpr FieldTable fields_1987() {
  FieldTable t{};
  auto at = [&t](int de) -> FieldSpec& { return t[static_cast<size_t>(de)]; };
  at(2) = ll(kN, 19);
  at(3) = fixed(kN, 6);
  set_range(t, 4, 6, fixed(kN, 12));
  at(7) = fixed(kN, 10);
  set_range(t, 8, 10, fixed(kN, 8));
  at(11) = fixed(kN, 6);
  at(12) = fixed(kN, 6);
  set_range(t, 13, 18, fixed(kN, 4));
  set_range(t, 19, 24, fixed(kN, 3));
  set_range(t, 25, 26, fixed(kN, 2));
  at(27) = fixed(kN, 1);
  set_range(t, 28, 31, fixed(kXn, 9));
  set_range(t, 32, 33, ll(kN, 11));
  at(34) = ll(kAns, 28);
  at(35) = ll(kZ, 37);
  at(36) = lll(kAns, 104);
  at(37) = fixed(kAn, 12);
  at(38) = fixed(kAn, 6);
  at(39) = fixed(kAn, 2);
  at(40) = fixed(kAn, 3);
  at(41) = fixed(kAns, 8);
  at(42) = fixed(kAns, 15);
  at(43) = fixed(kAns, 40);
  at(44) = ll(kAn, 25);
  at(45) = ll(kAn, 76);
  set_range(t, 46, 48, lll(kAns, 999));
  set_range(t, 49, 51, fixed(kN, 3));
  at(52) = fixed(kB, 8);
  at(53) = fixed(kN, 16);
  at(54) = lll(kAn, 120);
  set_range(t, 55, 63, lll(kAns, 999));
  at(64) = fixed(kB, 8);
  // DE 65 stays undefined: bit 65 is the tertiary-bitmap indicator, which holdfast rejects.
  at(66) = fixed(kN, 1);
  at(67) = fixed(kN, 2);
  set_range(t, 68, 70, fixed(kN, 3));
  set_range(t, 71, 72, fixed(kN, 4));
  at(73) = fixed(kN, 6);
  set_range(t, 74, 81, fixed(kN, 10));
  set_range(t, 82, 85, fixed(kN, 12));
  set_range(t, 86, 89, fixed(kN, 16));
  at(90) = fixed(kN, 42);
  at(91) = fixed(kAn, 1);
  at(92) = fixed(kAn, 2);
  at(93) = fixed(kAn, 5);
  at(94) = fixed(kAn, 7);
  at(95) = fixed(kAn, 42);
  at(96) = fixed(kB, 8);
  at(97) = fixed(kXn, 17);
  at(98) = fixed(kAns, 25);
  set_range(t, 99, 100, ll(kN, 11));
  at(101) = ll(kAns, 17);
  set_range(t, 102, 103, ll(kAns, 28));
  at(104) = lll(kAns, 100);
  set_range(t, 105, 127, lll(kAns, 999));
  at(128) = fixed(kB, 8);
  return t;
}

// ISO 8583:1993 per jPOS ISO93A and fluidpay (NOTES §2.2 and Appendix A, right column).
constexpr FieldTable fields_1993() {
  FieldTable t = fields_1987();
  auto at = [&t](int de) -> FieldSpec& { return t[static_cast<size_t>(de)]; };
  at(12) = fixed(kN, 12);
  at(15) = fixed(kN, 6);
  at(22) = fixed(kAn, 12);
  set_range(t, 25, 26, fixed(kN, 4));
  at(28) = fixed(kN, 6);
  at(29) = fixed(kN, 3);
  at(30) = fixed(kN, 24);
  at(31) = ll(kAns, 99);
  at(35) = with_ascii_digits(ll(kZ, 37));  // jPOS ISO93 sends track 2 as characters
  set_range(t, 39, 40, fixed(kN, 3));
  set_range(t, 43, 44, ll(kAns, 99));
  at(46) = lll(kAns, 204);
  at(53) = ll(kB, 48);
  at(55) = lll(kB, 255);
  at(56) = ll(kN, 35);
  at(57) = fixed(kN, 3);
  at(58) = ll(kN, 11);
  at(59) = lll(kAns, 999);
  at(66) = lll(kAns, 204);
  at(71) = fixed(kN, 8);
  at(72) = lll(kAns, 999);
  set_range(t, 82, 85, fixed(kN, 10));
  at(90) = fixed(kN, 10);
  set_range(t, 91, 92, fixed(kN, 3));
  set_range(t, 93, 94, ll(kN, 11));
  at(95) = ll(kAns, 99);
  at(96) = lll(kB, 999);
  at(99) = ll(kAns, 11);
  set_range(t, 105, 106, fixed(kN, 16));
  set_range(t, 107, 108, fixed(kN, 10));
  set_range(t, 109, 110, ll(kAns, 84));
  return t;
}

constexpr FieldTable iso87binbitmap_fields() {
  FieldTable t = fields_1987();
  t[55] = lll(kB, 255);  // pyiso `default`: raw ICC data behind an ASCII length
  return t;
}

// jPOS ISO87B/ISO93B: currency codes travel as characters even on BCD links.
constexpr FieldTable with_ascii_currency_codes(FieldTable t) {
  for (size_t de = 49; de <= 51; ++de) t[de] = with_ascii_digits(t[de]);
  return t;
}

constexpr FieldTable iso93ascii_fields() {
  FieldTable t = fields_1993();
  // jPOS's ISO93A golden image carries "EFGH" in DE56; fluidpay carries digits. ans..35
  // accepts both; digits are a message-level check (README.md, "DE56").
  t[56] = ll(kAns, 35);
  return t;
}

// fluidpay/iso8583 message.go: where its 1993 layout departs from jPOS ISO93A. DE62/63 are
// fixed there (n6, n4) but LLL in jPOS's golden image, so one spec cannot read both.
constexpr FieldTable iso93ascii_fluidpay_fields() {
  FieldTable t = iso93ascii_fields();
  t[46] = lll(kAns, 186);
  t[62] = fixed(kN, 6);
  t[63] = fixed(kN, 4);
  t[95] = {kAns, kLLLL, 9999};
  t[96] = lll(kAns, 100);
  t[111] = {kAns, kLLLL, 9999};
  t[127] = {kAns, kLLLL, 9999};
  t[128] = {kAns, kLLLLL, 99999};
  return t;
}

// China UnionPay POS: 1987 dictionary, DE 2-64 only, with CUP's private fields.
constexpr FieldTable cup_fields() {
  FieldTable t = with_ascii_currency_codes(fields_1987());
  for (size_t de = 65; de <= 128; ++de) t[de] = FieldSpec{};
  t[36] = lll(kZ, 104);
  t[48] = lll(kN, 322);
  t[54] = lll(kAn, 20);
  t[55] = lll(kB, 255);
  t[58] = lll(kAns, 100);
  t[60] = lll(kN, 17);
  t[61] = lll(kN, 29);
  t[62] = lll(kB, 512);
  t[63] = lll(kAns, 163);
  return t;
}

constexpr uint32_t max_for_prefix(LengthPrefix p) {
  uint32_t max = 0;
  for (int i = 0; i < static_cast<int>(p); ++i) max = max * 10 + 9;
  return max;
}

constexpr bool consistent(const MessageSpec& spec) {
  for (int de = 0; de <= 128; ++de) {
    const FieldSpec& f = spec.fields[static_cast<size_t>(de)];
    if (!f.defined()) continue;
    if (de < 2 || de == 65) return false;
    if (f.variable() && f.length > max_for_prefix(f.prefix)) return false;
    if (!f.variable() && f.length == 0) return false;
    if (f.type == kXn && (f.variable() || f.length < 2)) return false;
  }
  return true;
}

constexpr MessageSpec kIso87Ascii{
    "iso87ascii",          DigitEncoding::kAscii,      BitmapEncoding::kAsciiHex,
    DigitEncoding::kAscii, DigitEncoding::kAscii,      PadSide::kLeft,
    PadSide::kRight,       FixedBinaryForm::kAsciiHex, true,
    fields_1987()};
constexpr MessageSpec kIso87BinBitmap{"iso87binbitmap",       DigitEncoding::kAscii, BitmapEncoding::kBinary,
                                      DigitEncoding::kAscii,  DigitEncoding::kAscii, PadSide::kLeft,
                                      PadSide::kRight,        FixedBinaryForm::kRaw, true,
                                      iso87binbitmap_fields()};
constexpr MessageSpec kIso87Binary{"iso87binary",
                                   DigitEncoding::kBcd,
                                   BitmapEncoding::kBinary,
                                   DigitEncoding::kBcd,
                                   DigitEncoding::kBcd,
                                   PadSide::kLeft,
                                   PadSide::kRight,
                                   FixedBinaryForm::kRaw,
                                   true,
                                   with_ascii_currency_codes(fields_1987())};
constexpr MessageSpec kIso93Ascii{
    "iso93ascii",          DigitEncoding::kAscii,      BitmapEncoding::kAsciiHex,
    DigitEncoding::kAscii, DigitEncoding::kAscii,      PadSide::kLeft,
    PadSide::kRight,       FixedBinaryForm::kAsciiHex, true,
    iso93ascii_fields()};
constexpr MessageSpec kIso93AsciiFluidpay{"iso93ascii-fluidpay",
                                          DigitEncoding::kAscii,
                                          BitmapEncoding::kAsciiHex,
                                          DigitEncoding::kAscii,
                                          DigitEncoding::kAscii,
                                          PadSide::kLeft,
                                          PadSide::kRight,
                                          FixedBinaryForm::kAsciiHex,
                                          true,
                                          iso93ascii_fluidpay_fields()};
constexpr MessageSpec kIso93Binary{"iso93binary",
                                   DigitEncoding::kBcd,
                                   BitmapEncoding::kBinary,
                                   DigitEncoding::kBcd,
                                   DigitEncoding::kBcd,
                                   PadSide::kRight,
                                   PadSide::kRight,
                                   FixedBinaryForm::kRaw,
                                   true,
                                   with_ascii_currency_codes(fields_1993())};
constexpr MessageSpec kCupBcd{"cup-bcd",           DigitEncoding::kBcd,   BitmapEncoding::kBinary,
                              DigitEncoding::kBcd, DigitEncoding::kBcd,   PadSide::kRight,
                              PadSide::kRight,     FixedBinaryForm::kRaw, false,
                              cup_fields()};

static_assert(consistent(kIso87Ascii) && consistent(kIso87BinBitmap) && consistent(kIso87Binary) &&
              consistent(kIso93Ascii) && consistent(kIso93AsciiFluidpay) && consistent(kIso93Binary) &&
              consistent(kCupBcd));

constexpr const MessageSpec* kAllSpecs[] = {&kIso87Ascii, &kIso87BinBitmap,     &kIso87Binary,
                                            &kIso93Ascii, &kIso93AsciiFluidpay, &kIso93Binary,
                                            &kCupBcd};
constexpr std::string_view kSpecNames[] = {"iso87ascii", "iso87binbitmap",      "iso87binary",
                                           "iso93ascii", "iso93ascii-fluidpay", "iso93binary",
                                           "cup-bcd"};
static_assert(std::size(kAllSpecs) == std::size(kSpecNames));

}  // namespace

const MessageSpec* find_spec(std::string_view name) {
  for (const MessageSpec* spec : kAllSpecs) {
    if (spec->name == name) return spec;
  }
  return nullptr;
}

std::span<const std::string_view> spec_names() { return kSpecNames; }

std::string_view type_name(FieldType type) {
  switch (type) {
    case kUndefined: return "-";
    case kN: return "n";
    case kAn: return "an";
    case kAns: return "ans";
    case kB: return "b";
    case kZ: return "z";
    case kXn: return "x+n";
  }
  HF_UNREACHABLE();
}

}  // namespace holdfast::iso8583
