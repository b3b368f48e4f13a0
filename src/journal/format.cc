#include "journal/format.h"

#include <charconv>
#include <cstdio>
#include <cstring>

#include "base/assert.h"
#include "base/bytes.h"
#include "base/crc32c.h"
#include "journal/constants.h"

namespace holdfast::journal {

void encode_entry(uint64_t sequence, std::span<const uint8_t> payload, std::vector<uint8_t>* out) {
  HF_REQUIRE(payload.size() <= kMaxPayloadBytes);
  const size_t start = out->size();
  ByteWriter w(out);
  w.u32(kEntryMagic);
  w.u16(kEntryVersion);
  w.u16(0);
  w.u64(sequence);
  w.u32(static_cast<uint32_t>(payload.size()));
  w.u32(0);  // crc, patched below once the header bytes exist
  const std::span<const uint8_t> header(out->data() + start, kEntryHeaderBytes);
  const uint32_t crc = entry_crc(header, payload);
  std::memcpy(out->data() + start + kEntryCrcOffset, &crc, sizeof crc);
  w.bytes(payload);
  HF_ASSERT(out->size() == start + kEntryHeaderBytes + payload.size());
}

EntryHeader decode_entry_header(std::span<const uint8_t> header) {
  HF_REQUIRE(header.size() == kEntryHeaderBytes);
  ByteReader r(header);
  EntryHeader h;
  const bool ok = r.u32(&h.magic) && r.u16(&h.version) && r.u16(&h.reserved) && r.u64(&h.sequence) &&
                  r.u32(&h.payload_length) && r.u32(&h.crc);
  HF_ASSERT(ok && r.at_end());
  return h;
}

bool entry_header_plausible(const EntryHeader& h) {
  return h.magic == kEntryMagic && h.payload_length <= kMaxPayloadBytes;
}

uint32_t entry_crc(std::span<const uint8_t> header, std::span<const uint8_t> payload) {
  HF_REQUIRE(header.size() == kEntryHeaderBytes);
  const uint32_t crc = crc32c_extend(0, header.data(), kEntryCrcOffset);
  return crc32c_extend(crc, payload.data(), payload.size());
}

std::vector<uint8_t> encode_snapshot_header(uint64_t last_applied_sequence, std::span<const uint8_t> state) {
  std::vector<uint8_t> out;
  out.reserve(kSnapshotHeaderBytes);
  ByteWriter w(&out);
  w.u32(kSnapshotMagic);
  w.u16(kSnapshotVersion);
  w.u16(0);
  w.u64(last_applied_sequence);
  w.u64(state.size());
  w.u32(0);  // crc, patched below
  w.u32(0);
  const uint32_t crc = snapshot_crc(out, state);
  std::memcpy(out.data() + kSnapshotCrcOffset, &crc, sizeof crc);
  HF_ASSERT(out.size() == kSnapshotHeaderBytes);
  return out;
}

SnapshotHeader decode_snapshot_header(std::span<const uint8_t> header) {
  HF_REQUIRE(header.size() == kSnapshotHeaderBytes);
  ByteReader r(header);
  SnapshotHeader h;
  uint16_t reserved16 = 0;
  uint32_t reserved32 = 0;
  const bool ok = r.u32(&h.magic) && r.u16(&h.version) && r.u16(&reserved16) &&
                  r.u64(&h.last_applied_sequence) && r.u64(&h.state_length) && r.u32(&h.crc) &&
                  r.u32(&reserved32);
  HF_ASSERT(ok && r.at_end());
  return h;
}

uint32_t snapshot_crc(std::span<const uint8_t> header, std::span<const uint8_t> state) {
  HF_REQUIRE(header.size() == kSnapshotHeaderBytes);
  const uint32_t crc = crc32c_extend(0, header.data(), kSnapshotCrcOffset);
  return crc32c_extend(crc, state.data(), state.size());
}

namespace {

constexpr size_t kNumberDigits = 20;

std::string numbered_name(std::string_view prefix, uint64_t n, std::string_view suffix) {
  char digits[kNumberDigits + 1];
  std::snprintf(digits, sizeof digits, "%020llu", static_cast<unsigned long long>(n));
  std::string name(prefix);
  name.append(digits, kNumberDigits);
  name.append(suffix);
  return name;
}

std::optional<uint64_t> parse_numbered_name(std::string_view name, std::string_view prefix,
                                            std::string_view suffix) {
  if (name.size() != prefix.size() + kNumberDigits + suffix.size()) return std::nullopt;
  if (!name.starts_with(prefix) || !name.ends_with(suffix)) return std::nullopt;
  const std::string_view digits = name.substr(prefix.size(), kNumberDigits);
  for (char c : digits) {
    if (c < '0' || c > '9') return std::nullopt;
  }
  uint64_t n = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
  if (ec != std::errc() || end != digits.data() + digits.size()) return std::nullopt;
  return n;
}

constexpr std::string_view kSegmentPrefix = "journal-";
constexpr std::string_view kSegmentSuffix = ".log";
constexpr std::string_view kSnapshotPrefix = "snapshot-";
constexpr std::string_view kSnapshotSuffix = ".snap";

}  // namespace

std::string segment_file_name(uint64_t first_sequence) {
  return numbered_name(kSegmentPrefix, first_sequence, kSegmentSuffix);
}
std::string snapshot_file_name(uint64_t last_applied_seq) {
  return numbered_name(kSnapshotPrefix, last_applied_seq, kSnapshotSuffix);
}
std::optional<uint64_t> parse_segment_file_name(std::string_view name) {
  return parse_numbered_name(name, kSegmentPrefix, kSegmentSuffix);
}
std::optional<uint64_t> parse_snapshot_file_name(std::string_view name) {
  return parse_numbered_name(name, kSnapshotPrefix, kSnapshotSuffix);
}

}  // namespace holdfast::journal
