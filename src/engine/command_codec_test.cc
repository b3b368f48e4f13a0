#include "engine/command_codec.h"

#include <gtest/gtest.h>

#include <cstring>

#include "engine/engine_test_support.h"
#include "engine/limits.h"

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
  const std::vector<CommandBody> bodies = {m,
                                           range,
                                           OpenAccount{Currency{156}, 60'000, 7},
                                           IssueCard{},
                                           SetCardStatus{5, cards::CardStatus::stolen},
                                           SetCreditLimit{1, 2},
                                           SetUplift{1, 2, Timestamp{3}},
                                           Tick{},
                                           ResetPinTries{9},
                                           Configure{EngineConfig{}}};
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

// Issue 8 item 2: the bounds of limits.h are the encoder's, the decoder's and the journal's.
// Each variable-size command at its bounds encodes to exactly the size limits.h computes (so
// its compile-time checks against one journal entry are about the real encoding) and decodes
// back; one past a bound is named by find_limit_violation and refused by the decoder.
CreateCardRange range_at_bounds() {
  CreateCardRange c;
  c.range.product.name.assign(limits::kMaxProductNameBytes, 'N');
  c.range.product.floor_limits.resize(limits::kMaxFloorLimitRules);
  c.range.product.uplift_countries.assign(limits::kMaxUpliftCountries, 840);
  return c;
}
Configure settings_at_bounds() {
  Configure c;
  c.config.mcc_hold_rules.resize(limits::kMaxMccHoldRules);
  c.config.clearing_tolerance_rules.resize(limits::kMaxClearingToleranceRules);
  c.config.scheme_rules_json.assign(limits::kMaxSchemeRulesBytes, ' ');
  return c;
}
DisputeAction evidence_at_bounds() {
  disputes::AttachEvidence e;
  e.description.assign(limits::kMaxEvidenceDescriptionBytes, 'd');
  return DisputeAction{1, e};
}

std::vector<uint8_t> encoded(const CommandBody& body) {
  std::vector<uint8_t> bytes;
  encode_command(Command{Timestamp{1}, body}, &bytes);
  return bytes;
}

TEST(CommandCodec, EachCommandAtItsBoundsFitsOneJournalEntryAndDecodes) {
  OpenDispute dispute;
  dispute.reason_code.assign(limits::kMaxReasonCodeBytes, '9');
  const std::vector<std::pair<CommandBody, size_t>> at_bounds = {
      {range_at_bounds(), limits::kMaxCreateCardRangeBytes},
      {settings_at_bounds(), limits::kMaxConfigureBytes},
      {evidence_at_bounds(), limits::kMaxAttachEvidenceBytes},
      {dispute, 0}};
  for (const auto& [body, computed] : at_bounds) {
    EXPECT_FALSE(find_limit_violation(body));
    const auto bytes = encoded(body);
    if (computed != 0) {
      EXPECT_EQ(bytes.size(), computed) << body.index();
    }
    EXPECT_LE(bytes.size(), limits::kMaxCommandBytes);
    auto decoded = decode_command(bytes);
    ASSERT_TRUE(decoded.ok()) << decoded.error().message;
    EXPECT_EQ(encoded(decoded->body), bytes);
  }
}

TEST(CommandCodec, OnePastABoundIsNamedAndRefusedByTheDecoder) {
  auto violation = [](const CommandBody& body) {
    return find_limit_violation(body).value_or(LimitViolation{}).field;
  };
  CreateCardRange range = range_at_bounds();
  range.range.product.name.push_back('N');
  EXPECT_EQ(violation(range), "product.name");
  range = range_at_bounds();
  range.range.product.floor_limits.emplace_back();
  EXPECT_EQ(violation(range), "product.floor_limits");
  range = range_at_bounds();
  range.range.product.uplift_countries.push_back(840);
  EXPECT_EQ(violation(range), "product.uplift_countries");
  Configure settings = settings_at_bounds();
  settings.config.mcc_hold_rules.emplace_back();
  EXPECT_EQ(violation(settings), "engine.mcc_hold_rules");
  settings = settings_at_bounds();
  settings.config.clearing_tolerance_rules.emplace_back();
  EXPECT_EQ(violation(settings), "engine.clearing_tolerance_rules");
  settings = settings_at_bounds();
  settings.config.scheme_rules_json.push_back(' ');
  EXPECT_EQ(violation(settings), "engine.scheme_rules_file");
  DisputeAction evidence = evidence_at_bounds();
  std::get<disputes::AttachEvidence>(evidence.step).description.push_back('d');
  EXPECT_EQ(violation(evidence), "description");
  OpenDispute dispute;
  dispute.reason_code.assign(limits::kMaxReasonCodeBytes + 1, '9');
  EXPECT_EQ(violation(dispute), "reason_code");

  // The decoder holds the same line: a product name one byte longer, written by hand.
  std::vector<uint8_t> bytes = encoded(range_at_bounds());
  constexpr size_t kNameLength = limits::kCommandHeaderBytes + 8 + 8 + 1;  // after the prefixes
  const uint32_t longer = limits::kMaxProductNameBytes + 1;
  std::memcpy(bytes.data() + kNameLength, &longer, sizeof longer);
  bytes.insert(bytes.begin() + kNameLength + 4, 'N');
  auto decoded = decode_command(bytes);
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.error().code, CommandCodecErrc::bad_value);
  EXPECT_NE(decoded.error().message.find("at offset"), std::string::npos) << decoded.error().message;
}

}  // namespace
}  // namespace holdfast::engine
