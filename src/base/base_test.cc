#include <gtest/gtest.h>

#include "base/bytes.h"
#include "base/crc32c.h"
#include "base/hex.h"
#include "base/money.h"
#include "base/time.h"

namespace holdfast {
namespace {

TEST(Crc32c, MatchesPublishedCheckValues) {
  // RFC 3720 (iSCSI) appendix B.4 and the common "123456789" check value.
  const std::string nine = "123456789";
  EXPECT_EQ(crc32c({reinterpret_cast<const uint8_t*>(nine.data()), nine.size()}), 0xE3069283u);
  std::vector<uint8_t> zeros(32, 0x00);
  EXPECT_EQ(crc32c(zeros), 0x8A9136AAu);
  std::vector<uint8_t> ones(32, 0xFF);
  EXPECT_EQ(crc32c(ones), 0x62A8AB43u);
  std::vector<uint8_t> inc(32);
  for (size_t i = 0; i < inc.size(); ++i) inc[i] = static_cast<uint8_t>(i);
  EXPECT_EQ(crc32c(inc), 0x46DD794Eu);
}

TEST(Crc32c, ExtendingInPiecesEqualsOneShot) {
  std::vector<uint8_t> data(1000);
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<uint8_t>(i * 7 + 3);
  uint32_t crc = 0;
  crc = crc32c_extend(crc, data.data(), 333);
  crc = crc32c_extend(crc, data.data() + 333, 667);
  EXPECT_EQ(crc, crc32c(data));
}

TEST(Hex, RoundTripsAndRejectsBadInput) {
  auto b = from_hex("00aFfF10");
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(to_hex(*b), "00AFFF10");
  EXPECT_FALSE(from_hex("ABC").has_value());
  EXPECT_FALSE(from_hex("GG").has_value());
}

TEST(ByteReader, NeverReadsPastTheEnd) {
  std::vector<uint8_t> buf;
  ByteWriter w(&buf);
  w.u32(7);
  w.str("abc");
  ByteReader r(buf);
  uint32_t v = 0;
  std::string s;
  ASSERT_TRUE(r.u32(&v));
  ASSERT_TRUE(r.str(&s, 10));
  EXPECT_EQ(s, "abc");
  uint64_t extra = 0;
  EXPECT_FALSE(r.u64(&extra));
  // A length prefix larger than what remains is refused, not trusted.
  std::vector<uint8_t> hostile = {0xFF, 0xFF, 0xFF, 0x7F, 'x'};
  ByteReader h(hostile);
  EXPECT_FALSE(h.str(&s, 1u << 30));
}

TEST(Money, ParsesDigitsOnly) {
  EXPECT_EQ(parse_amount_digits("000000012345"), 12345);
  EXPECT_FALSE(parse_amount_digits("12a").has_value());
  EXPECT_FALSE(parse_amount_digits("").has_value());
  EXPECT_EQ(currency_exponent(Currency{156}), 2);
  EXPECT_EQ(currency_exponent(Currency{392}), 0);
  EXPECT_EQ(currency_alpha(Currency{156}), "CNY");
}

TEST(CivilDate, RoundTripsAcrossLeapYears) {
  for (int64_t d = -800000; d < 800000; d += 997) {
    const CivilDate c = civil_from_days(d);
    EXPECT_EQ(days_from_civil(c.year, c.month, c.day), d);
  }
  EXPECT_EQ(days_from_civil(1970, 1, 1), 0);
  EXPECT_EQ(days_from_civil(2024, 2, 29) + 1, days_from_civil(2024, 3, 1));
}

}  // namespace
}  // namespace holdfast

#include <deque>
#include <random>
#include <unordered_map>

#include "base/flat_hash_map.h"

namespace holdfast {
namespace {

struct IdentityHash {
  size_t operator()(uint64_t k) const { return static_cast<size_t>(k * 0x9E3779B97F4A7C15ull >> 7); }
};

TEST(FlatHashMap, AgreesWithStdUnorderedMapUnderRandomPutsAndErases) {
  FlatHashMap<uint64_t, uint64_t, IdentityHash> flat(UINT64_MAX, 16);
  std::unordered_map<uint64_t, uint64_t> reference;
  std::mt19937_64 rng(7);
  for (int step = 0; step < 200'000; ++step) {
    const uint64_t key = rng() % 5'000;  // small key space: many collisions and re-inserts
    switch (rng() % 3) {
      case 0:
      case 1:
        flat.put(key, step);
        reference[key] = static_cast<uint64_t>(step);
        break;
      default: EXPECT_EQ(flat.erase(key), reference.erase(key) == 1);
    }
    if (step % 997 == 0) {
      for (uint64_t k = 0; k < 5'000; ++k) {
        const uint64_t* v = flat.find(k);
        auto it = reference.find(k);
        ASSERT_EQ(v != nullptr, it != reference.end()) << k;
        if (v != nullptr) {
          ASSERT_EQ(*v, it->second);
        }
      }
    }
  }
  EXPECT_EQ(flat.size(), reference.size());
}

}  // namespace
}  // namespace holdfast

#include "base/chunked_ring.h"

namespace holdfast {
namespace {

TEST(ChunkedRing, BehavesAsAFifoWithIndexingAcrossChunks) {
  ChunkedRing<int, 8> ring;
  std::deque<int> reference;
  std::mt19937 rng(3);
  for (int step = 0; step < 20'000; ++step) {
    if (rng() % 3 != 0 || reference.empty()) {
      ring.push_back(step);
      reference.push_back(step);
    } else {
      ring.pop_front();
      reference.pop_front();
    }
    ASSERT_EQ(ring.size(), reference.size());
    if (!reference.empty()) {
      ASSERT_EQ(ring.front(), reference.front());
      ASSERT_EQ(ring.back(), reference.back());
      const size_t i = rng() % reference.size();
      ASSERT_EQ(ring[i], reference[i]);
    }
  }
}

}  // namespace
}  // namespace holdfast

#include "base/siphash.h"

namespace holdfast {
namespace {

// The reference vectors (SipHash paper, appendix A; vectors.h): key 00..0f, message 00..n-1.
TEST(SipHash, MatchesTheReferenceVectors) {
  const HashSeed seed{0x0706050403020100ull, 0x0f0e0d0c0b0a0908ull};
  uint8_t message[64];
  for (int i = 0; i < 64; ++i) message[i] = static_cast<uint8_t>(i);
  EXPECT_EQ(siphash24(seed, message, 0), 0x726fdb47dd0e0e31ull);
  EXPECT_EQ(siphash24(seed, message, 15), 0xa129ca6149be45e5ull);
  const uint64_t words[2] = {0x0706050403020100ull, 0x0f0e0d0c0b0a0908ull};
  EXPECT_EQ(siphash24_words(seed, words), siphash24(seed, message, 16));
}

struct SeededHash {
  HashSeed seed;
  size_t operator()(uint64_t k) const { return static_cast<size_t>(siphash24_words(seed, {k})); }
};

// Keys an attacker built to share one home slot under one seed: under that seed the table
// degrades to a scan (which is what the probe count must show), under another seed it does not.
TEST(FlatHashMap, AFloodBuiltForOneSeedDoesNotClusterUnderAnother) {
  constexpr size_t kCapacity = 1 << 12;
  constexpr size_t kKeys = 400;
  const SeededHash known{{1, 2}};
  const SeededHash secret{{0x5eed5eed5eed5eedull, 0x0123456789abcdefull}};
  std::vector<uint64_t> flood;
  for (uint64_t k = 0; flood.size() < kKeys; ++k)
    if ((known(k) & (kCapacity - 1)) == 7) flood.push_back(k);
  auto worst_probe = [&](const SeededHash& hash) {
    FlatHashMap<uint64_t, uint64_t, SeededHash> map(UINT64_MAX, kCapacity, hash);
    for (uint64_t k : flood) map.put(k, k);
    size_t worst = 0;
    for (uint64_t k : flood) worst = std::max(worst, map.probes(k));
    return worst;
  };
  EXPECT_GE(worst_probe(known), kKeys);  // the attack works against a known seed
  EXPECT_LE(worst_probe(secret), 16u);   // and not against the secret one
}

}  // namespace
}  // namespace holdfast
