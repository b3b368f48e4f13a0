#include "engine/command_codec.h"

#include <gtest/gtest.h>

#include "engine/engine_test_support.h"

namespace holdfast::engine {
namespace {

TEST(CommandCodec, EveryCommandKindRoundTrips) {
  testing::Story s;
  CardMessage m = s.authorization(6225880000000001, 12'345);
  m.has_original = true;
  m.original_key = MessageKey{1, 2, 3};
  m.terminal_id = {'T', 'E', 'R', 'M', '0', '0', '0', '1'};
  CreateCardRange range;
  range.range.product.name = "World";
  const std::vector<CommandBody> bodies = {
      m, range, OpenAccount{Currency{156}, 60'000, 7}, IssueCard{}, SetCardStatus{5, cards::CardStatus::stolen},
      SetCreditLimit{1, 2}, SetUplift{1, 2, Timestamp{3}}, Tick{}, ResetPinTries{9}, Configure{EngineConfig{}}};
  for (const auto& body : bodies) {
    const Command c{Timestamp{1'700'000'000'000'000}, body};
    std::vector<uint8_t> bytes;
    encode_command(c, &bytes);
    auto decoded = decode_command(bytes);
    ASSERT_TRUE(decoded.ok()) << decoded.error().message;
    std::vector<uint8_t> again;
    encode_command(*decoded, &again);
    EXPECT_EQ(bytes, again);
    EXPECT_EQ(decoded->body.index(), body.index());
    // Truncated at any point: an error, never a crash.
    for (size_t n = 0; n < bytes.size(); ++n)
      EXPECT_FALSE(decode_command(std::span<const uint8_t>(bytes.data(), n)).ok()) << n;
    bytes.push_back(0);
    EXPECT_EQ(decode_command(bytes).error().code, CommandCodecErrc::trailing_bytes);
  }
}

TEST(CommandCodec, UnknownVersionsTagsAndEnumsAreErrors) {
  std::vector<uint8_t> bytes;
  encode_command(Command{Timestamp{1}, SetCardStatus{1, cards::CardStatus::lost}}, &bytes);
  auto bad_version = bytes;
  bad_version[0] = 9;
  EXPECT_EQ(decode_command(bad_version).error().code, CommandCodecErrc::bad_version);
  auto bad_tag = bytes;
  bad_tag[9] = 200;
  EXPECT_EQ(decode_command(bad_tag).error().code, CommandCodecErrc::bad_tag);
  auto bad_status = bytes;
  bad_status.back() = 77;
  EXPECT_EQ(decode_command(bad_status).error().code, CommandCodecErrc::bad_value);
}

}  // namespace
}  // namespace holdfast::engine
