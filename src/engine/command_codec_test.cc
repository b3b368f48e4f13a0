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

TEST(CommandCodec, APresentmentsUtcOffsetsRoundTripAndImpossibleOnesAreRefused) {
  Presentment p;
  p.transaction_time = Timestamp{1'700'000'000'000'000};
  p.utc_offset_min_minutes = -600;
  p.utc_offset_max_minutes = -240;
  std::vector<uint8_t> bytes;
  encode_command(Command{Timestamp{1}, p}, &bytes);
  auto decoded = decode_command(bytes);
  ASSERT_TRUE(decoded.ok()) << decoded.error().message;
  EXPECT_EQ(std::get<Presentment>(decoded->body).utc_offset_min_minutes, -600);
  EXPECT_EQ(std::get<Presentment>(decoded->body).utc_offset_max_minutes, -240);
  for (auto [low, high] : {std::pair{60, 0}, std::pair{-721, 0}, std::pair{0, 841}}) {
    p.utc_offset_min_minutes = static_cast<int16_t>(low);
    p.utc_offset_max_minutes = static_cast<int16_t>(high);
    bytes.clear();
    encode_command(Command{Timestamp{1}, p}, &bytes);
    EXPECT_FALSE(decode_command(bytes).ok()) << low << ".." << high;
  }
}

}  // namespace
}  // namespace holdfast::engine
