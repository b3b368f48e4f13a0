// Dynamic CVV (Visa dCVV) and CVC3 (Mastercard).
// CVC3: the published test values of pyemv (github.com/knovichikhin/pyemv, tests/test_cvv_hsm.py:
// issuer CVC3 key 0123…8998, PAN 5123456789012345 PSN 00 with option A -> ICC key KCV BB8F;
// ATC 005E, UN 00000899 -> CVC3 29488 over the track 2 template, …419 over the track 1 one).
// dCVV: no published values were found; the expected values below were computed by hand with
// the openssl command line (enc -des-ede, step by step: option A key, alternate PAN, the CVV
// steps and decimalisation) for the inputs of the public dsc.py example (MDK 2315…AD40, PAN
// 4761739001010010, PSN 00, expiry 1220).
#include "crypto/dynamic_cvv.h"

#include <gtest/gtest.h>

#include <string>

#include "base/hex.h"
#include "crypto/crypto_ops.h"
#include "crypto/cvv.h"
#include "crypto/emv.h"
#include "crypto/keys.h"

namespace holdfast::crypto {
namespace {

Bytes hx(std::string_view s) {
  auto b = from_hex(s);
  EXPECT_TRUE(b.has_value()) << s;
  return b.value_or(Bytes{});
}

Bytes icc_key(std::string_view imk, std::string_view pan) {
  auto k = derive_icc_master_key(hx(imk), pan, "00", MasterKeyOption::kA);
  EXPECT_TRUE(k.ok());
  return k.ok() ? *k : Bytes{};
}

TEST(cryptoCvc3, PublishedTrack2AndTrack1Values) {
  const Bytes key = icc_key("01234567899876543210012345678998", "5123456789012345");
  EXPECT_EQ(to_hex(*kcv_des(key, 2)), "BB8F");
  const Bytes atc = hx("005E"), un = hx("00000899");

  auto t2 = track2_template_bytes("5123456789012345D35121010000000000000");
  ASSERT_TRUE(t2.ok());
  EXPECT_EQ(to_hex(*t2), "5123456789012345D35121010000000000000F");
  EXPECT_EQ(*t2, *track2_template_bytes("5123456789012345=35121010000000000000F"));
  auto iv2 = compute_ivcvc3(key, *t2);
  ASSERT_TRUE(iv2.ok());
  EXPECT_EQ(*compute_cvc3(key, *iv2, un, atc), "29488");
  EXPECT_TRUE(*verify_cvc3(key, *iv2, un, atc, "488"));
  EXPECT_TRUE(*verify_cvc3(key, *iv2, un, atc, "29488"));
  EXPECT_FALSE(*verify_cvc3(key, *iv2, un, atc, "489"));
  EXPECT_FALSE(*verify_cvc3(key, *iv2, hx("00000898"), atc, "488"));  // another UN
  EXPECT_FALSE(*verify_cvc3(key, *iv2, un, hx("005F"), "488"));       // another ATC

  const std::string track1 = "B5123456789012345^KENOBI/OBIWAN^3512101000000000000000000000000";
  auto iv1 = compute_ivcvc3(key, Bytes(track1.begin(), track1.end()));
  ASSERT_TRUE(iv1.ok());
  EXPECT_EQ(compute_cvc3(key, *iv1, un, atc)->substr(2), "419");
  EXPECT_TRUE(*verify_cvc3(key, *iv1, un, atc, "419"));
}

TEST(cryptoCvc3, RejectsBadInput) {
  const Bytes key(16, 0x11);
  EXPECT_FALSE(compute_ivcvc3(Bytes(8, 1), hx("12")).ok());
  EXPECT_FALSE(compute_ivcvc3(key, {}).ok());
  EXPECT_FALSE(compute_cvc3(key, hx("0102"), hx("000008"), hx("005E")).ok());
  EXPECT_FALSE(compute_cvc3(key, hx("01"), hx("00000899"), hx("005E")).ok());
  EXPECT_FALSE(compute_cvc3(key, hx("0102"), hx("00000899"), hx("5E")).ok());
  EXPECT_FALSE(verify_cvc3(key, hx("0102"), hx("00000899"), hx("005E"), "").ok());
  EXPECT_FALSE(verify_cvc3(key, hx("0102"), hx("00000899"), hx("005E"), "123456").ok());
  EXPECT_FALSE(verify_cvc3(key, hx("0102"), hx("00000899"), hx("005E"), "12a").ok());
  EXPECT_FALSE(track2_template_bytes("5123X45=3512101").ok());
  EXPECT_FALSE(track2_template_bytes("5123F45=3512101").ok());
}

TEST(cryptoDcvv, HandComputedValuesAndTheCvvAlgorithmOverTheAlternatePan) {
  const Bytes key = icc_key("2315208C9110AD402315208C9110AD40", "4761739001010010");
  EXPECT_EQ(to_hex(key), "1375FB0ECD3E26E089B640543137F189");  // option A, odd parity
  EXPECT_EQ(*compute_dcvv(key, "4761739001010010", "1220", "0001"), "802");
  EXPECT_EQ(*compute_dcvv(key, "4761739001010010", "1220", "0002"), "020");
  // The same as the CVV algorithm with the ATC in place of the first four PAN digits.
  EXPECT_EQ(*compute_dcvv(key, "4761739001010010", "1220", "0003"),
            *compute_cvv({"0003739001010010", "1220", "000"}, ByteSpan(key).first(8), ByteSpan(key).last(8)));
  EXPECT_TRUE(*verify_dcvv(key, "4761739001010010", "1220", "0001", "802"));
  EXPECT_FALSE(*verify_dcvv(key, "4761739001010010", "1220", "0002", "802"));  // replayed value
  EXPECT_FALSE(*verify_dcvv(key, "4761739001010010", "1221", "0001", "802"));
  EXPECT_FALSE(verify_dcvv(key, "4761739001010010", "1220", "001", "802").ok());
  EXPECT_FALSE(verify_dcvv(key, "4761739001010010", "1220", "0001", "80").ok());
  EXPECT_FALSE(compute_dcvv(key, "4761", "1220", "0001").ok());
  EXPECT_FALSE(compute_dcvv(Bytes(8, 1), "4761739001010010", "1220", "0001").ok());
}

TEST(cryptoDynamicCvvOps, CliOpsGiveTheSameValuesAndNameBadFields) {
  const std::string key = to_hex(icc_key("01234567899876543210012345678998", "5123456789012345"));
  auto out = run_crypto_op({{"id", 1},
                            {"op", "cvc3"},
                            {"in",
                             {{"icc_key", key},
                              {"track2", "5123456789012345D35121010000000000000"},
                              {"un", "00000899"},
                              {"atc", "005E"}}}});
  EXPECT_EQ(out["out"]["cvc3"], "29488") << out.dump();
  out = run_crypto_op({{"id", 2},
                       {"op", "cvc3"},
                       {"in",
                        {{"icc_key", key},
                         {"track1", "B5123456789012345^KENOBI/OBIWAN^3512101000000000000000000000000"},
                         {"un", "00000899"},
                         {"atc", "005E"}}}});
  EXPECT_EQ(out["out"]["cvc3"].get<std::string>().substr(2), "419") << out.dump();
  const std::string dkey = to_hex(icc_key("2315208C9110AD402315208C9110AD40", "4761739001010010"));
  out = run_crypto_op(
      {{"id", 3},
       {"op", "dcvv"},
       {"in", {{"icc_key", dkey}, {"pan", "4761739001010010"}, {"expiry_yymm", "1220"}, {"atc", "0001"}}}});
  EXPECT_EQ(out["out"]["dcvv"], "802") << out.dump();
  out = run_crypto_op({{"id", 4},
                       {"op", "cvc3"},
                       {"in", {{"icc_key", key}, {"track2", "51"}, {"un", "0899"}, {"atc", "005E"}}}});
  EXPECT_NE(out["error"].get<std::string>().find("un"), std::string::npos) << out.dump();
  out = run_crypto_op({{"id", 5}, {"op", "dcvv"}, {"in", {{"icc_key", "00"}, {"pan", "4761739001010010"}}}});
  EXPECT_NE(out["error"].get<std::string>().find("icc_key"), std::string::npos) << out.dump();
}

}  // namespace
}  // namespace holdfast::crypto
