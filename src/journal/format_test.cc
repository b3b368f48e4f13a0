// The byte format, pinned: these tests fail if an encoding change would make old files unreadable.
#include <gtest/gtest.h>

#include "journal/constants.h"
#include "journal/format.h"

namespace holdfast::journal {
namespace {

TEST(EntryFormat, HeaderLayoutIsAsDocumented) {
  const std::vector<uint8_t> payload = {'a', 'b', 'c'};
  std::vector<uint8_t> bytes;
  encode_entry(0x0102030405060708ull, payload, &bytes);
  ASSERT_EQ(bytes.size(), kEntryHeaderBytes + 3);
  EXPECT_EQ(std::string(bytes.begin(), bytes.begin() + 4), "HFJE");
  EXPECT_EQ(bytes[4], 1);  // version, little-endian
  EXPECT_EQ(bytes[5], 0);
  EXPECT_EQ(bytes[8], 0x08);  // sequence, little-endian
  EXPECT_EQ(bytes[15], 0x01);
  EXPECT_EQ(bytes[16], 3);  // payload length
  EXPECT_EQ(std::string(bytes.end() - 3, bytes.end()), "abc");
  const EntryHeader h = decode_entry_header(std::span(bytes).first(kEntryHeaderBytes));
  EXPECT_EQ(h.magic, kEntryMagic);
  EXPECT_EQ(h.sequence, 0x0102030405060708ull);
  EXPECT_EQ(h.payload_length, 3u);
  EXPECT_EQ(h.crc, entry_crc(std::span(bytes).first(kEntryHeaderBytes), payload));
}

TEST(EntryFormat, ChecksumCoversEveryHeaderFieldAndThePayload) {
  std::vector<uint8_t> bytes;
  encode_entry(7, std::vector<uint8_t>(10, 0x5A), &bytes);
  for (size_t i = 0; i < bytes.size(); ++i) {
    if (i >= kEntryCrcOffset && i < kEntryHeaderBytes) continue;  // the crc field itself
    std::vector<uint8_t> flipped = bytes;
    flipped[i] ^= 0x01;
    const auto header = std::span<const uint8_t>(flipped).first(kEntryHeaderBytes);
    const auto payload = std::span<const uint8_t>(flipped).subspan(kEntryHeaderBytes);
    EXPECT_NE(entry_crc(header, payload), decode_entry_header(header).crc) << "byte " << i;
  }
}

TEST(EntryFormat, OversizedLengthIsNotPlausible) {
  EntryHeader h{kEntryMagic, kEntryVersion, 0, 1, kMaxPayloadBytes + 1, 0};
  EXPECT_FALSE(entry_header_plausible(h));
  h.payload_length = kMaxPayloadBytes;
  EXPECT_TRUE(entry_header_plausible(h));
}

TEST(SnapshotFormat, HeaderRoundTrips) {
  const std::vector<uint8_t> state = {1, 2, 3, 4};
  const auto header = encode_snapshot_header(99, state);
  ASSERT_EQ(header.size(), kSnapshotHeaderBytes);
  EXPECT_EQ(std::string(header.begin(), header.begin() + 4), "HFJS");
  const SnapshotHeader h = decode_snapshot_header(header);
  EXPECT_EQ(h.last_applied_sequence, 99u);
  EXPECT_EQ(h.state_length, 4u);
  EXPECT_EQ(h.crc, snapshot_crc(header, state));
}

TEST(FileNames, AreFixedWidthAndParseBack) {
  EXPECT_EQ(segment_file_name(1), "journal-00000000000000000001.log");
  EXPECT_EQ(snapshot_file_name(42), "snapshot-00000000000000000042.snap");
  EXPECT_EQ(parse_segment_file_name(segment_file_name(UINT64_MAX)), UINT64_MAX);
  EXPECT_EQ(parse_snapshot_file_name("snapshot-00000000000000000042.snap"), 42u);
  EXPECT_FALSE(parse_segment_file_name("journal-1.log").has_value());
  EXPECT_FALSE(parse_segment_file_name("journal-0000000000000000000x.log").has_value());
  EXPECT_FALSE(parse_snapshot_file_name("snapshot-00000000000000000042.snap.tmp").has_value());
  EXPECT_FALSE(parse_segment_file_name("LOCK").has_value());
}

}  // namespace
}  // namespace holdfast::journal
