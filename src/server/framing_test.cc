// Framing stories: messages cut from a stream however the bytes arrive.
#include "server/framing.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>

namespace holdfast::server {
namespace {

std::vector<uint8_t> bytes(std::string_view s) { return {s.begin(), s.end()}; }

void feed(FrameReader& r, const std::vector<uint8_t>& data) {
  auto area = r.write_area(data.size());
  std::memcpy(area.data(), data.data(), data.size());
  r.commit_written(data.size());
}

TEST(Framing, TwoByteHeaderRoundTripsAcrossSplitReads) {
  std::vector<uint8_t> stream;
  append_frame(Framing::len2, bytes("0800hello"), &stream);
  append_frame(Framing::len2, bytes("0100world!"), &stream);
  EXPECT_EQ(stream[0], 0);
  EXPECT_EQ(stream[1], 9);

  FrameReader reader(Framing::len2, 100);
  // The stream arrives one byte at a time; each message appears once it is whole.
  std::vector<std::string> got;
  for (uint8_t b : stream) {
    feed(reader, {b});
    for (auto n = reader.next(); n.status == FrameReader::Status::frame; n = reader.next()) {
      got.emplace_back(n.message.begin(), n.message.end());
    }
  }
  EXPECT_EQ(got, (std::vector<std::string>{"0800hello", "0100world!"}));
  EXPECT_EQ(reader.buffered(), 0u);
}

TEST(Framing, FourAsciiDigitsHeader) {
  std::vector<uint8_t> stream;
  append_frame(Framing::len4ascii, bytes("abc"), &stream);
  EXPECT_EQ(std::string(stream.begin(), stream.end()), "0003abc");
  FrameReader reader(Framing::len4ascii, 100);
  feed(reader, stream);
  auto n = reader.next();
  ASSERT_EQ(n.status, FrameReader::Status::frame);
  EXPECT_EQ(std::string(n.message.begin(), n.message.end()), "abc");
}

TEST(Framing, InPlaceFramingMatchesAppendFrame) {
  for (Framing f : {Framing::len2, Framing::len4ascii}) {
    std::vector<uint8_t> expected, out;
    append_frame(f, bytes("0110xyz"), &expected);
    const size_t at = begin_frame(f, &out);
    out.insert(out.end(), {'0', '1', '1', '0', 'x', 'y', 'z'});
    ASSERT_TRUE(end_frame(f, at, &out));
    EXPECT_EQ(out, expected);
  }
}

TEST(Framing, OversizeAndNonDigitHeadersAreReported) {
  FrameReader big(Framing::len2, 10);
  feed(big, {0x00, 0x0B});
  auto n = big.next();
  EXPECT_EQ(n.status, FrameReader::Status::oversize);
  EXPECT_EQ(n.declared_length, 11u);

  FrameReader ascii(Framing::len4ascii, 100);
  feed(ascii, bytes("00x1abc"));
  EXPECT_EQ(ascii.next().status, FrameReader::Status::bad_header);
}

TEST(Framing, ZeroLengthKeepAlivesAreSkipped) {
  FrameReader reader(Framing::len2, 100);
  feed(reader, {0, 0, 0, 2, 'o', 'k'});
  auto n = reader.next();
  ASSERT_EQ(n.status, FrameReader::Status::frame);
  EXPECT_EQ(std::string(n.message.begin(), n.message.end()), "ok");
}

}  // namespace
}  // namespace holdfast::server
