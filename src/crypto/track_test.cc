// Track data parsing (ISO/IEC 7813 track 1 format B and track 2), good and bad shapes.
#include "crypto/track.h"

#include <gtest/gtest.h>

#include <string>

namespace holdfast::crypto {
namespace {

TEST(cryptoTrack, Track1FormatBWithAndWithoutSentinels) {
  for (const std::string t : {"%B4444333322221111^DOE/JOHN^2812101172116620000?",
                              "%B4444333322221111^DOE/JOHN^2812101172116620000?X",
                              "B4444333322221111^DOE/JOHN^2812101172116620000"}) {
    auto r = parse_track1(t);
    ASSERT_TRUE(r.ok()) << t;
    EXPECT_EQ(r->pan, "4444333322221111");
    EXPECT_EQ(r->expiry_yymm, "2812");
    EXPECT_EQ(r->service_code, "101");
    EXPECT_EQ(r->discretionary, "172116620000");
    EXPECT_EQ(r->body, "B4444333322221111^DOE/JOHN^2812101172116620000");
  }
  auto empty = parse_track1("B4444333322221111^DOE/JOHN^2812101");
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(empty->discretionary, "");
}

TEST(cryptoTrack, Track1RejectsEveryBadShapeWithoutQuotingIt) {
  const char* bad[] = {
      "",
      "%",
      "A4444333322221111^DOE/JOHN^2812101",                     // format code
      "B4444333322221111DOE/JOHN2812101",                       // no separators
      "B4444333322221111^DOE/JOHN2812101",                      // one separator
      "B^DOE/JOHN^2812101",                                     // no PAN
      "B44443333222211112222^DOE/JOHN^2812101",                 // PAN over 19 digits
      "B44443333X2221111^DOE/JOHN^2812101",                     // PAN not digits
      "B4444333322221111^J^2812101",                            // name too short
      "B4444333322221111^ABCDEFGHIJKLMNOPQRSTUVWXYZA^2812101",  // name over 26
      "B4444333322221111^DOE%JOHN^2812101",                     // a sentinel inside the name
      "B4444333322221111^DOE/JOHN^28121",                       // no service code
      "B4444333322221111^DOE/JOHN^28A2101",                     // expiry not digits
      "B4444333322221111^DOE/JOHN^2812101^1",                   // a third separator
      "B4444333322221111^DOE/JOHN^2812101?12",                  // more than an LRC after the end sentinel
  };
  for (const char* t : bad) {
    auto r = parse_track1(t);
    ASSERT_FALSE(r.ok()) << t;
    EXPECT_EQ(r.error().message.find("4444"), std::string::npos);
    EXPECT_EQ(r.error().message.find("JOHN"), std::string::npos);
  }
  EXPECT_FALSE(parse_track1("B4444333322221111^DOE/JOHN^2812101" + std::string(50, '0')).ok());  // > 79
}

TEST(cryptoTrack, Track2WithAndWithoutSentinels) {
  for (const std::string t : {"4444333322221111=2812101172116620", ";4444333322221111D2812101172116620?"}) {
    auto r = parse_track2(t);
    ASSERT_TRUE(r.ok()) << t;
    EXPECT_EQ(r->pan, "4444333322221111");
    EXPECT_EQ(r->expiry_yymm, "2812");
    EXPECT_EQ(r->service_code, "101");
    EXPECT_EQ(r->discretionary, "172116620");
    EXPECT_EQ(r->body.substr(16, 1), t.substr(t[0] == ';' ? 17 : 16, 1));
    EXPECT_EQ(r->body.size(), 33u);
  }
  for (const char* t : {"4444333322221111", "4444333322221111=28121", "4444333322221111=2812101A", "=2812101",
                        "4444333322221111=2812101?123", "4444333322221111=2812101000000000000000000000"}) {
    EXPECT_FALSE(parse_track2(t).ok()) << t;
  }
}

}  // namespace
}  // namespace holdfast::crypto
