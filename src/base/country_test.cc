#include "base/country.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace holdfast {
namespace {

TEST(Country, AlphaThreeCodesMapToTheirIsoNumericCodes) {
  EXPECT_EQ(country_numeric("CHN"), 156);
  EXPECT_EQ(country_numeric("USA"), 840);
  EXPECT_EQ(country_numeric("GBR"), 826);
  EXPECT_EQ(country_numeric("THA"), 764);
  EXPECT_EQ(country_numeric("AFG"), 4);    // the smallest numeric code
  EXPECT_EQ(country_numeric("ZWE"), 716);  // the last alpha-3
  EXPECT_EQ(country_numeric("HKG"), 344);
  EXPECT_EQ(country_numeric("MAC"), 446);
}

TEST(Country, UnknownOrMalformedCodesHaveNoNumber) {
  EXPECT_FALSE(country_numeric("XXX"));
  EXPECT_FALSE(country_numeric("chn"));  // upper case only, as DE 43 carries it
  EXPECT_FALSE(country_numeric("CH"));
  EXPECT_FALSE(country_numeric("CHNA"));
  EXPECT_FALSE(country_numeric(""));
  EXPECT_FALSE(country_numeric("156"));
}

TEST(Country, TheTableIsCompleteSortedAndEveryCodeMapsToADistinctNumber) {
  const auto codes = country_codes();
  EXPECT_EQ(codes.size(), 249u);  // every officially assigned ISO 3166-1 code
  std::set<uint16_t> numbers;
  std::string previous;
  for (const CountryCode& c : codes) {
    ASSERT_EQ(c.alpha3.size(), 3u) << c.alpha3;
    for (char ch : c.alpha3) ASSERT_TRUE(ch >= 'A' && ch <= 'Z') << c.alpha3;
    EXPECT_LT(previous, std::string(c.alpha3)) << "not sorted at " << c.alpha3;
    previous = std::string(c.alpha3);
    EXPECT_GT(c.numeric, 0);
    EXPECT_LT(c.numeric, 1000);
    EXPECT_TRUE(numbers.insert(c.numeric).second) << c.alpha3 << " repeats " << c.numeric;
    EXPECT_EQ(country_numeric(c.alpha3), c.numeric) << c.alpha3;  // the lookup finds every entry
  }
}

TEST(Country, UtcOffsetRangesCoverEveryZoneAndDaylightSaving) {
  EXPECT_EQ(utc_offset_range(764), (UtcOffsetRange{420, 420}));    // Thailand: +7, no DST
  EXPECT_EQ(utc_offset_range(840), (UtcOffsetRange{-600, -240}));  // USA: Hawaii .. New York in summer
  EXPECT_EQ(utc_offset_range(826), (UtcOffsetRange{0, 60}));       // United Kingdom: GMT, BST
  EXPECT_EQ(utc_offset_range(524), (UtcOffsetRange{345, 345}));    // Nepal: +5:45
  EXPECT_EQ(utc_offset_range(0), kWorldUtcOffsets);                // unknown: anywhere
  EXPECT_EQ(utc_offset_range(999), kWorldUtcOffsets);
  for (const CountryCode& c : country_codes()) {
    EXPECT_LE(c.utc_offset_min_minutes, c.utc_offset_max_minutes) << c.alpha3;
    EXPECT_GE(c.utc_offset_min_minutes, kWorldUtcOffsets.min_minutes) << c.alpha3;
    EXPECT_LE(c.utc_offset_max_minutes, kWorldUtcOffsets.max_minutes) << c.alpha3;
  }
}

}  // namespace
}  // namespace holdfast
