#include "iso8583/tlv.h"

#include <array>

#include "base/hex.h"

namespace holdfast::iso8583 {
namespace {

constexpr int kMaxDepth = 8;
constexpr size_t kMaxTagBytes = 4;
constexpr size_t kMaxLengthBytes = 4;

struct Walker {
  std::span<const uint8_t> data;
  const std::function<void(const TlvItem&)>& visit;

  Result<Ok, TlvError> walk(size_t begin, size_t end, int depth) const {
    if (depth >= kMaxDepth) return TlvError{TlvErrc::kTooDeep, begin, 0, "nesting too deep"};
    size_t pos = begin;
    while (pos < end) {
      const size_t item_offset = pos;
      uint32_t tag = 0;
      if (auto r = read_tag(&pos, end, &tag); !r.ok()) return r;
      size_t length = 0;
      if (auto r = read_length(&pos, end, tag, &length); !r.ok()) return r;
      if (length > end - pos) {
        return TlvError{TlvErrc::kTruncatedValue, pos, tag,
                        "value of " + tag_hex(tag) + " truncated: need " + std::to_string(length) +
                            ", have " + std::to_string(end - pos)};
      }
      const bool constructed = (first_tag_byte(tag) & 0x20) != 0;
      visit(TlvItem{tag, constructed, depth, item_offset, data.subspan(pos, length)});
      if (constructed) {
        if (auto r = walk(pos, pos + length, depth + 1); !r.ok()) return r;
      }
      pos += length;
    }
    return Ok{};
  }

  static uint8_t first_tag_byte(uint32_t tag) {
    while (tag > 0xFF) tag >>= 8;
    return static_cast<uint8_t>(tag);
  }

  Result<Ok, TlvError> read_tag(size_t* pos, size_t end, uint32_t* tag) const {
    const size_t start = *pos;
    uint8_t byte = data[(*pos)++];
    uint32_t value = byte;
    if ((byte & 0x1F) == 0x1F) {
      do {
        if (*pos >= end) return TlvError{TlvErrc::kTruncatedTag, start, 0, "tag truncated"};
        if (*pos - start >= kMaxTagBytes) {
          return TlvError{TlvErrc::kTagTooLong, start, 0, "tag longer than 4 bytes"};
        }
        byte = data[(*pos)++];
        value = (value << 8) | byte;
      } while ((byte & 0x80) != 0);
    }
    *tag = value;
    return Ok{};
  }

  Result<Ok, TlvError> read_length(size_t* pos, size_t end, uint32_t tag, size_t* length) const {
    if (*pos >= end) {
      return TlvError{TlvErrc::kTruncatedLength, *pos, tag, "length of " + tag_hex(tag) + " missing"};
    }
    const size_t start = *pos;
    const uint8_t first = data[(*pos)++];
    if (first < 0x80) {
      *length = first;
      return Ok{};
    }
    const size_t count = first & 0x7F;
    if (count == 0 || count > kMaxLengthBytes) {
      return TlvError{TlvErrc::kBadLengthForm, start, tag,
                      "bad length form " + to_hex(std::span(&first, 1)) + " for " + tag_hex(tag)};
    }
    if (count > end - *pos) {
      return TlvError{TlvErrc::kTruncatedLength, start, tag, "length of " + tag_hex(tag) + " truncated"};
    }
    size_t value = 0;
    for (size_t i = 0; i < count; ++i) value = (value << 8) | data[(*pos)++];
    *length = value;
    return Ok{};
  }
};

}  // namespace

Result<Ok, TlvError> walk_tlv(std::span<const uint8_t> data,
                              const std::function<void(const TlvItem&)>& visit) {
  return Walker{data, visit}.walk(0, data.size(), 0);
}

Result<std::vector<TlvItem>, TlvError> parse_tlv(std::span<const uint8_t> data) {
  std::vector<TlvItem> items;
  Result<Ok, TlvError> result = walk_tlv(data, [&items](const TlvItem& item) { items.push_back(item); });
  if (!result.ok()) return result.error();
  return items;
}

std::string tag_hex(uint32_t tag) {
  std::array<uint8_t, 4> bytes{};
  size_t count = 0;
  for (int shift = 24; shift >= 0; shift -= 8) {
    const auto byte = static_cast<uint8_t>(tag >> shift);
    if (byte != 0 || count != 0 || shift == 0) bytes[count++] = byte;
  }
  return to_hex(std::span(bytes.data(), count));
}

}  // namespace holdfast::iso8583
