// BER-TLV walker for EMV ICC data (DE 55). Strict BER as EMV uses it: tags of one to four
// bytes (first byte low bits 11111 means "more bytes follow while bit 8 is set"), definite
// lengths only (short form, or 81..84 followed by one to four length bytes), values that fit
// the input. Constructed tags (bit 6 of the first tag byte) are walked into. No padding bytes
// are skipped: 00 and FF start real tags. Every error names its offset.
//
// Items point into the caller's buffer; nothing is copied. Threading: pure functions.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "base/result.h"

namespace holdfast::iso8583 {

struct TlvItem {
  uint32_t tag;  // the tag bytes big-endian: 0x9F02, 0x5F2A, 0x82
  bool constructed;
  int depth;      // 0 for top level
  size_t offset;  // of the first tag byte in the walked buffer
  std::span<const uint8_t> value;
};

enum class TlvErrc : uint8_t {
  kTruncatedTag,
  kTagTooLong,
  kTruncatedLength,
  kBadLengthForm,
  kTruncatedValue,
  kTooDeep,
};

struct TlvError {
  TlvErrc code;
  size_t offset;
  uint32_t tag;  // 0 while the tag itself is unreadable
  std::string reason;
};

// Calls `visit` for every item in document order (a constructed item before its children).
// Stops at the first error. Nesting is bounded at 8 levels.
[[nodiscard]] Result<Ok, TlvError> walk_tlv(std::span<const uint8_t> data,
                                            const std::function<void(const TlvItem&)>& visit);
// Convenience: all items, flattened.
[[nodiscard]] Result<std::vector<TlvItem>, TlvError> parse_tlv(std::span<const uint8_t> data);

// "9F02".
std::string tag_hex(uint32_t tag);

}  // namespace holdfast::iso8583
