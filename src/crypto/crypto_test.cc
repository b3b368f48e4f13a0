// Unit tests per algorithm, including negative cases. Vector tests live in vectors_test.cc.
// Suite names start with "crypto" so that `ctest -R crypto` (case-sensitive) selects them.
#include <gtest/gtest.h>

#include <string>

#include "base/hex.h"
#include "crypto/cvv.h"
#include "crypto/keys.h"
#include "crypto/luhn.h"
#include "crypto/mac.h"
#include "crypto/pin_block.h"
#include "crypto/pin_verify.h"
#include "crypto/primitives.h"

namespace holdfast::crypto {
namespace {

Bytes hx(std::string_view s) {
  auto b = from_hex(s);
  EXPECT_TRUE(b.has_value()) << s;
  return b.value_or(Bytes{});
}

TEST(cryptoSm4, GbT32907ExampleOne) {
  const Bytes k = hx("0123456789ABCDEFFEDCBA9876543210");
  auto c = sm4_ecb_encrypt(k, k);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(to_hex(*c), "681EDF34D206965E86B3E94F536E4246");
  auto p = sm4_ecb_decrypt(k, *c);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(*p, k);
}

TEST(cryptoSm4, RejectsWrongKeyLength) {
  EXPECT_FALSE(sm4_ecb_encrypt(hx("0011"), Bytes(16, 0)).ok());
  EXPECT_FALSE(sm4_ecb_encrypt(Bytes(16, 0), Bytes(15, 0)).ok());
}

// Single- and double-length keys expand to K1 K1 K1 and K1 K2 K1 (FIPS 81 "Now is t" vector).
TEST(cryptoDes, KeyLengthsExpandToTripleDes) {
  const Bytes k1 = hx("0123456789ABCDEF");
  const Bytes k2 = hx("FEDCBA9876543210");
  const Bytes block = hx("4E6F772069732074");
  auto single = des_ecb_encrypt(k1, block);
  ASSERT_TRUE(single.ok());
  EXPECT_EQ(to_hex(*single), "3FA40E8A984D4815");
  auto double_length = des_ecb_encrypt(concat(k1, k2), block);
  auto triple_length = des_ecb_encrypt(concat(concat(k1, k2), k1), block);
  ASSERT_TRUE(double_length.ok() && triple_length.ok());
  EXPECT_EQ(*double_length, *triple_length);
  EXPECT_NE(*double_length, *single);
  EXPECT_FALSE(des_ecb_encrypt(hx("0123456789ABCD"), block).ok());
}

TEST(cryptoKeys, OddParityAndKcv) {
  const Bytes k = with_odd_parity(hx("0023456789ABCDEF"));
  EXPECT_TRUE(has_odd_parity(k));
  EXPECT_EQ(to_hex(k), "0123456789ABCDEF");
  auto kcv = kcv_des(hx("0123456789ABCDEFFEDCBA9876543210"), 3);
  ASSERT_TRUE(kcv.ok());
  EXPECT_EQ(kcv->size(), 3u);
  EXPECT_FALSE(kcv_des(hx("0123"), 3).ok());
}

TEST(cryptoLuhn, CheckDigitAndValidation) {
  EXPECT_EQ(*luhn_check_digit("7992739871"), '3');
  EXPECT_TRUE(*luhn_valid("79927398713"));
  EXPECT_FALSE(*luhn_valid("79927398710"));
  EXPECT_FALSE(luhn_valid("12a4").ok());
  EXPECT_FALSE(luhn_check_digit("").ok());
}

TEST(cryptoCvv, WrongCvvDoesNotVerify) {
  const Bytes a = hx("0123456789ABCDEF");
  const Bytes b = hx("FEDCBA9876543210");
  const CvvInput in{"4123456789012345", "8701", "101"};
  EXPECT_TRUE(*verify_cvv(in, a, b, "561"));
  EXPECT_FALSE(*verify_cvv(in, a, b, "562"));
  EXPECT_FALSE(verify_cvv(in, a, b, "56").ok());
  const CvvInput cvv2{"4123456789012345", "8701", kCvv2ServiceCode};
  EXPECT_FALSE(*verify_cvv(cvv2, a, b, "561"));
}

TEST(cryptoCvv, RejectsBadInput) {
  const Bytes k = hx("0123456789ABCDEF");
  EXPECT_FALSE(compute_cvv({"41234X", "8701", "101"}, k, k).ok());
  EXPECT_FALSE(compute_cvv({"4123", "870", "101"}, k, k).ok());
  EXPECT_FALSE(compute_cvv({"4123", "8701", "101"}, hx("01"), k).ok());
}

TEST(cryptoPinBlock, RoundTripAllClearFormats) {
  const std::string pan = "5555555551234567";
  for (auto [f, fill] : {std::pair{PinBlockFormat::kIso0, ""},
                         {PinBlockFormat::kIso1, "ABCDEF0123"},
                         {PinBlockFormat::kIso2, ""},
                         {PinBlockFormat::kIso3, "ABCDEFABCD"}}) {
    auto block = encode_pin_block(f, "1234", pan, fill);
    ASSERT_TRUE(block.ok()) << block.error().message;
    auto pin = decode_pin_block(f, *block, pan);
    ASSERT_TRUE(pin.ok()) << pin.error().message;
    EXPECT_EQ(*pin, "1234");
  }
}

TEST(cryptoPinBlock, RejectsBadFormat) {
  EXPECT_FALSE(parse_pin_block_format("5").ok());
  EXPECT_FALSE(parse_pin_block_format("").ok());
  // A format 0 block decoded as format 3: the control nibble does not match.
  auto block = encode_pin_block(PinBlockFormat::kIso0, "1234", "4444333322221111", "");
  ASSERT_TRUE(block.ok());
  auto wrong = decode_pin_block(PinBlockFormat::kIso3, *block, "4444333322221111");
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.error().code, CryptoErrc::kFormatMismatch);
  // Length nibble 3 is below the ISO minimum.
  EXPECT_FALSE(decode_pin_block(PinBlockFormat::kIso2, hx("23123FFFFFFFFFFF"), "").ok());
  // Format 3 fill must be A-F.
  EXPECT_FALSE(encode_pin_block(PinBlockFormat::kIso3, "1234", "4444333322221111", "0123456789").ok());
  EXPECT_FALSE(encode_pin_block(PinBlockFormat::kIso0, "12a4", "4444333322221111", "").ok());
}

TEST(cryptoPinBlock, Format4RoundTripAndTamper) {
  const Bytes key = hx("00112233445566778899AABBCCDDEEFF");
  auto block = encipher_pin_block_format4(key, "98765", "1234567890123456789", hx("0102030405060708"));
  ASSERT_TRUE(block.ok());
  EXPECT_EQ(*decipher_pin_block_format4(key, *block, "1234567890123456789"), "98765");
  Bytes tampered = *block;
  tampered[0] ^= 1;
  EXPECT_FALSE(decipher_pin_block_format4(key, tampered, "1234567890123456789").ok());
}

TEST(cryptoPinBlock, TranslateBetweenZonesAndFormats) {
  const Bytes zpk1 = hx("0123456789ABCDEFFEDCBA9876543210");
  const Bytes zpk2 = hx("FEDCBA98765432100123456789ABCDEF");
  const Bytes aes = hx("00112233445566778899AABBCCDDEEFF");
  const std::string pan = "4444333322221111";
  const Bytes entropy = hx("0F1E2D3C4B5A6978");
  auto clear = encode_pin_block(PinBlockFormat::kIso0, "4321", pan, "");
  auto enc = des_ecb_encrypt(zpk1, *clear);
  ASSERT_TRUE(enc.ok());
  auto to3 =
      translate_pin_block(*enc, {PinBlockFormat::kIso0, zpk1}, {PinBlockFormat::kIso3, zpk2}, pan, entropy);
  ASSERT_TRUE(to3.ok()) << to3.error().message;
  auto clear3 = des_ecb_decrypt(zpk2, *to3);
  EXPECT_EQ(*decode_pin_block(PinBlockFormat::kIso3, *clear3, pan), "4321");
  auto to4 =
      translate_pin_block(*to3, {PinBlockFormat::kIso3, zpk2}, {PinBlockFormat::kIso4, aes}, pan, entropy);
  ASSERT_TRUE(to4.ok());
  EXPECT_EQ(*decipher_pin_block_format4(aes, *to4, pan), "4321");
  // Wrong source key: the decoded block fails its format checks (overwhelmingly likely).
  EXPECT_FALSE(
      translate_pin_block(*enc, {PinBlockFormat::kIso0, zpk2}, {PinBlockFormat::kIso0, zpk1}, pan, entropy)
          .ok());
}

TEST(cryptoPvv, VerifyAndReject) {
  const Bytes a = hx("0123456789ABCDEF");
  const Bytes b = hx("FEDCBA9876543210");
  const PvvInput in{"1122334455667788", "4524", "1"};
  EXPECT_TRUE(*verify_pvv(in, a, b, "8523"));
  EXPECT_FALSE(*verify_pvv(in, a, b, "8524"));
  const PvvInput wrong_pin{"1122334455667788", "4525", "1"};
  EXPECT_FALSE(*verify_pvv(wrong_pin, a, b, "8523"));
  EXPECT_FALSE(verify_pvv({"1122334455667788", "45", "1"}, a, b, "8523").ok());
}

TEST(cryptoIbm3624, VerifyAndReject) {
  const Bytes pvk = hx("0123456789ABCDEFFEDCBA9876543210");
  const Ibm3624Params p{"1122334455667788", "1234567890123456", 'F', 0, 16};
  EXPECT_TRUE(*ibm3624_verify(pvk, p, "1234", "7710"));
  EXPECT_FALSE(*ibm3624_verify(pvk, p, "1235", "7710"));
  EXPECT_FALSE(ibm3624_verify(pvk, p, "1234", "77100").ok());
  Ibm3624Params bad = p;
  bad.validation_data_start = 10;
  EXPECT_FALSE(ibm3624_offset(pvk, bad, "1234").ok());
  bad = p;
  bad.decimalization_table = "12345678901234";
  EXPECT_FALSE(ibm3624_offset(pvk, bad, "1234").ok());
}

TEST(cryptoMac, Iso9797AnnexB4Algorithm3) {
  const Bytes key = hx("0123456789ABCDEFFEDCBA9876543210");
  const std::string msg = "Now is the time for all ";
  const Bytes data(msg.begin(), msg.end());
  auto mac = mac_algorithm3(key, data, MacPadding::kMethod1);
  ASSERT_TRUE(mac.ok());
  EXPECT_EQ(to_hex(*mac).substr(0, 8), "A1C72E74");
  EXPECT_FALSE(mac_algorithm3(hx("0123456789ABCDEF"), data, MacPadding::kMethod1).ok());
  EXPECT_EQ(iso9797_pad({}, MacPadding::kMethod1, 8).size(), 8u);
  EXPECT_EQ(iso9797_pad(Bytes(8, 1), MacPadding::kMethod2, 8).size(), 16u);
  EXPECT_EQ(iso9797_pad(Bytes(8, 1), MacPadding::kZeroIfNeeded, 8).size(), 8u);
}

}  // namespace
}  // namespace holdfast::crypto
