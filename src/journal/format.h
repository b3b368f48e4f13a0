// The journal's on-disk formats: segment entries and snapshot files (documented in FORMAT.md).
// Pure functions over bytes; no I/O. All integers are little-endian.
//
// Entry (24-byte header, then payload):
//   offset 0  u32 magic            kEntryMagic ("HFJE")
//   offset 4  u16 version          kEntryVersion
//   offset 6  u16 reserved         0
//   offset 8  u64 sequence         strictly increasing by 1 across the whole journal
//   offset 16 u32 payload_length   <= kMaxPayloadBytes
//   offset 20 u32 crc32c           over bytes [0, 20) of the header, then the payload
//
// Snapshot file (32-byte header, then state):
//   offset 0  u32 magic            kSnapshotMagic ("HFJS")
//   offset 4  u16 version          kSnapshotVersion
//   offset 6  u16 reserved         0
//   offset 8  u64 last_applied_sequence
//   offset 16 u64 state_length
//   offset 24 u32 crc32c           over bytes [0, 24) of the header, then the state
//   offset 28 u32 reserved         0 (keeps the state 8-byte aligned in the file)
//
// Threading: stateless, safe from any thread.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace holdfast::journal {

static_assert(std::endian::native == std::endian::little,
              "ByteWriter writes host order; the formats are little-endian");

inline constexpr uint32_t kEntryMagic = 0x454A4648;  // "HFJE" in file byte order
inline constexpr uint16_t kEntryVersion = 1;
inline constexpr size_t kEntryHeaderBytes = 24;
inline constexpr size_t kEntryCrcOffset = 20;

inline constexpr uint32_t kSnapshotMagic = 0x534A4648;  // "HFJS" in file byte order
inline constexpr uint16_t kSnapshotVersion = 1;
inline constexpr size_t kSnapshotHeaderBytes = 32;
inline constexpr size_t kSnapshotCrcOffset = 24;

struct EntryHeader {
  uint32_t magic = 0;
  uint16_t version = 0;
  uint16_t reserved = 0;
  uint64_t sequence = 0;
  uint32_t payload_length = 0;
  uint32_t crc = 0;
};

// Appends one encoded entry (header + payload) to *out.
// REQUIRES: payload.size() <= kMaxPayloadBytes.
void encode_entry(uint64_t sequence, std::span<const uint8_t> payload, std::vector<uint8_t>* out);

// Parses the fixed header fields; does not judge them.
// REQUIRES: header.size() == kEntryHeaderBytes.
EntryHeader decode_entry_header(std::span<const uint8_t> header);

// True when magic matches and the length is within bounds: the header can be trusted enough to
// read payload_length more bytes. Version is judged after the checksum (see FORMAT.md).
bool entry_header_plausible(const EntryHeader& h);

// CRC32C of header bytes [0, 20) followed by the payload.
// REQUIRES: header.size() == kEntryHeaderBytes.
uint32_t entry_crc(std::span<const uint8_t> header, std::span<const uint8_t> payload);

struct SnapshotHeader {
  uint32_t magic = 0;
  uint16_t version = 0;
  uint64_t last_applied_sequence = 0;
  uint64_t state_length = 0;
  uint32_t crc = 0;
};

// Encodes a snapshot header for `state`.
std::vector<uint8_t> encode_snapshot_header(uint64_t last_applied_sequence, std::span<const uint8_t> state);
// REQUIRES: header.size() == kSnapshotHeaderBytes.
SnapshotHeader decode_snapshot_header(std::span<const uint8_t> header);
// REQUIRES: header.size() == kSnapshotHeaderBytes.
uint32_t snapshot_crc(std::span<const uint8_t> header, std::span<const uint8_t> state);

// File names. Numbers are 20 zero-padded decimal digits: wide enough for any u64, so names sort
// in numeric order and never need to widen (12 digits would run out after 10^12 entries).
std::string segment_file_name(uint64_t first_sequence);     // journal-<20 digits>.log
std::string snapshot_file_name(uint64_t last_applied_seq);  // snapshot-<20 digits>.snap
inline constexpr std::string_view kSnapshotTempSuffix = ".tmp";
inline constexpr std::string_view kLockFileName = "LOCK";
// Return the number when `name` is exactly a segment / snapshot file name, nullopt otherwise.
std::optional<uint64_t> parse_segment_file_name(std::string_view name);
std::optional<uint64_t> parse_snapshot_file_name(std::string_view name);

}  // namespace holdfast::journal
