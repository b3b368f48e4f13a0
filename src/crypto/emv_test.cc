// EMV, PBOC, DUKPT and dispatcher tests beyond the published vectors: IAD-driven ARQC
// verification (and its failure on a flipped bit), PBOC worked examples, bad requests.
#include <gtest/gtest.h>

#include <sstream>

#include "base/hex.h"
#include "crypto/crypto_cli.h"
#include "crypto/crypto_ops.h"
#include "crypto/dukpt.h"
#include "crypto/emv.h"
#include "crypto/pboc.h"

namespace holdfast::crypto {
namespace {

Bytes hx(std::string_view s) {
  auto b = from_hex(s);
  EXPECT_TRUE(b.has_value()) << s;
  return b.value_or(Bytes{});
}

const Bytes kImk = hx("0123456789ABCDEFFEDCBA9876543210");
constexpr std::string_view kVisaTerminal =
    "0000000040000000000000000124800004800001241911050152BF45851800001C";
constexpr std::string_view kMcTerminal = "00000000999900000000000001248000000000012420990600ABCDEF121800001C";

struct Case {
  std::string_view terminal, iad, arqc;
  CryptogramVersion version;
};

ArqcVerdict verify(const Case& c, const Bytes& arqc) {
  const Bytes terminal = hx(c.terminal), iad = hx(c.iad);
  auto v = verify_arqc({kImk, "1234567890123456", "00", terminal, iad, arqc});
  EXPECT_TRUE(v.ok()) << v.error().message;
  return v.ok() ? *v : ArqcVerdict{};
}

// ARQCs are the published pyemv CVN vectors; the IADs rebuild the layouts those CVNs define.
TEST(cryptoArqcVerify, VersionComesFromIadAndFlippedBitFails) {
  const Case cases[] = {
      {kVisaTerminal, "06010A03A06010", "29CCA15AE665FA2E", CryptogramVersion::kVisaCvn10},
      {kVisaTerminal, "06011203A0B800", "7A788EA6B8A3E733", CryptogramVersion::kVisaCvn18},
      {kMcTerminal,
       "0010A00003220000"
       "0000"
       "0000000000000000",
       "24CCF3DEE3158C70", CryptogramVersion::kMastercardCvn16},
      {kMcTerminal,
       "0011A00003220000"
       "0000"
       "00000000000322FF",
       "EAE8A620A75648D8", CryptogramVersion::kMastercardCvn17},
      {kMcTerminal,
       "0014A00003220000"
       "0000"
       "0000000000000000",
       "CD29615D6452E70E", CryptogramVersion::kMastercardCvn20},
  };
  for (const Case& c : cases) {
    Bytes arqc = hx(c.arqc);
    const ArqcVerdict ok = verify(c, arqc);
    EXPECT_TRUE(ok.valid) << c.arqc;
    EXPECT_EQ(ok.version, c.version) << c.arqc;
    arqc[7] ^= 0x01;
    EXPECT_FALSE(verify(c, arqc).valid) << c.arqc;
  }
}

TEST(cryptoArqcVerify, RejectsUnknownIadAndBadLengths) {
  const Bytes terminal = hx(kVisaTerminal), arqc(8, 0);
  const Bytes unknown = hx("0102030405");
  auto v = verify_arqc({kImk, "1234567890123456", "00", terminal, unknown, arqc});
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.error().code, CryptoErrc::kUnsupported);
  const Bytes iad = hx("06011203A0B800");
  EXPECT_FALSE(verify_arqc({kImk, "1234567890123456", "00", ByteSpan(terminal).first(32), iad, arqc}).ok());
  EXPECT_FALSE(verify_arqc({kImk, "1234567890123456", "00", terminal, iad, Bytes(7, 0)}).ok());
}

// Worked PBOC 2.0/3.0 TDES example published at https://553668.com/manong/959163.html:
// IMK-AC, PAN 6228000100001, PSN 01, ATC 0240, ARQC 5D016C91005E7CC2, ARC "01" -> ARPC.
TEST(cryptoPboc, TdesWorkedExampleVerifiesAndAnswers) {
  const Bytes imk = hx("F0C34A8124CEE0A91A0B034AA97D6EAC");
  const Bytes terminal = hx("000000000001000000000000015600800460000156140701001E78EEBC7D000240");
  const Bytes iad = hx("07000103A04002010A010000001000D1F61152");
  Bytes arqc = hx("5D016C91005E7CC2");
  auto v = verify_arqc({imk, "6228000100001", "01", terminal, iad, arqc});
  ASSERT_TRUE(v.ok()) << v.error().message;
  EXPECT_TRUE(v->valid);
  EXPECT_EQ(v->version, CryptogramVersion::kPbocCvn01Tdes);
  auto mk = derive_icc_master_key(imk, "6228000100001", "01", MasterKeyOption::kA);
  auto sk = pboc_tdes_session_key(*mk, hx("0240"));
  EXPECT_EQ(to_hex(*arpc_method1(*sk, arqc, hx("3031"))), "21415243527CE78F");
  arqc[0] ^= 0x80;
  EXPECT_FALSE(verify_arqc({imk, "6228000100001", "01", terminal, iad, arqc})->valid);
}

// SM4 session key and script MAC from the worked example at
// https://topic.alibabacloud.com/a/java-font-classtopic-s-color00c1decardfont-application-development-ix-apdu-the-font-classtopic-s-color00c1demacfont-checksum-in-the-script-command_1_27_30504549.html
TEST(cryptoPboc, Sm4SessionKeyAndScriptMacWorkedExample) {
  auto sk = pboc_sm4_session_key(hx("8B4F854F0831FBF2635A212E4DDDB92A"), hx("0003"));
  ASSERT_TRUE(sk.ok());
  EXPECT_EQ(to_hex(*sk), "B6FA9E085B5773C1E3AA2E4738831F73");
  auto mac = pboc_sm4_mac(*sk, hx("04DA9F790A000335304180BE2CBD3F000000100099"));
  ASSERT_TRUE(mac.ok());
  EXPECT_EQ(to_hex(*mac).substr(0, 8), "95FD68F5");
}

TEST(cryptoPboc, Sm4ArqcRoundTripThroughIad) {
  const Bytes imk = hx("0123456789ABCDEFFEDCBA9876543210");
  const Bytes terminal = hx("000000000001000000000000015600800460000156140701001E78EEBC7D000240");
  const Bytes iad = hx("07000103A04002040A010000001000D1F61152");  // algorithm id 04 = SM4
  auto mk = pboc_sm4_icc_master_key(imk, "6228000100001", "01", MasterKeyOption::kA);
  auto sk = pboc_sm4_session_key(*mk, hx("0240"));
  Bytes data = terminal;
  data.insert(data.end(), iad.begin() + 3, iad.begin() + 7);
  Bytes arqc = *pboc_sm4_ac(*sk, data);
  auto v = verify_arqc({imk, "6228000100001", "01", terminal, iad, arqc});
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(v->valid);
  EXPECT_EQ(v->version, CryptogramVersion::kPbocCvn01Sm4);
  arqc[3] ^= 0x10;
  EXPECT_FALSE(verify_arqc({imk, "6228000100001", "01", terminal, iad, arqc})->valid);
}

TEST(cryptoEmv, RejectsBadKeyAndInputLengths) {
  EXPECT_FALSE(derive_icc_master_key(hx("0123"), "1234567890123456", "00", MasterKeyOption::kA).ok());
  EXPECT_FALSE(derive_icc_master_key(kImk, "12345X", "00", MasterKeyOption::kA).ok());
  EXPECT_FALSE(derive_icc_master_key(kImk, "1234567890123456", "123", MasterKeyOption::kA).ok());
  EXPECT_FALSE(derive_session_key_emv_csk(kImk, hx("0011")).ok());
  EXPECT_FALSE(arpc_method2(kImk, Bytes(8, 0), Bytes(4, 0), Bytes(9, 0)).ok());
  const Emv2000Tree too_small{2, 2, Bytes(16, 0)};
  EXPECT_FALSE(derive_session_key_emv2000_tree(kImk, hx("0100"), too_small).ok());
}

TEST(cryptoDukpt, VariantsAndLimits) {
  const Bytes tk(16, 0);
  EXPECT_EQ(to_hex(*dukpt_tdes_variant(tk, DukptTdesVariant::kPinEncryption)),
            "00000000000000FF00000000000000FF");
  EXPECT_EQ(to_hex(*dukpt_tdes_variant(tk, DukptTdesVariant::kMacRequest)),
            "000000000000FF00000000000000FF00");
  EXPECT_EQ(to_hex(*dukpt_tdes_variant(tk, DukptTdesVariant::kMacResponse)),
            "00000000FF00000000000000FF000000");
  EXPECT_FALSE(dukpt_tdes_ipek(Bytes(16, 0), Bytes(8, 0)).ok());
  const Bytes ksn = hx("123456789012345600000001");
  auto aes128 = dukpt_aes_transaction_key(hx("FEDCBA9876543210F1F1F1F1F1F1F1F1"), ksn);
  ASSERT_TRUE(aes128.ok());
  EXPECT_FALSE(dukpt_aes_working_key(*aes128, ksn, DukptKeyUsage::kPinEncryption, AesKeyType::kAes256).ok());
  EXPECT_FALSE(dukpt_aes_initial_key(Bytes(20, 0), Bytes(8, 0)).ok());
}

nlohmann::json op(const char* op_name, nlohmann::json in) {
  return run_crypto_op({{"id", 7}, {"op", op_name}, {"in", std::move(in)}});
}

TEST(cryptoDispatcher, BadRequestsNameTheField) {
  const nlohmann::json cvv_in = {{"pan", "4123456789012345"},
                                 {"expiry_yymm", "8701"},
                                 {"service_code", "101"},
                                 {"cvk_a", "0123456789ABCDEF"},
                                 {"cvk_b", "FEDCBA9876543210"}};
  EXPECT_EQ(op("cvv", cvv_in)["out"]["cvv"], "561");
  EXPECT_EQ(op("cvv", cvv_in)["id"], 7);
  auto bad_hex = cvv_in;
  bad_hex["cvk_a"] = "0123456789ABCDEZ";
  EXPECT_NE(op("cvv", bad_hex)["error"].get<std::string>().find("cvk_a"), std::string::npos);
  auto short_key = cvv_in;
  short_key["cvk_b"] = "FEDCBA98";
  EXPECT_NE(op("cvv", short_key)["error"].get<std::string>().find("cvk_b"), std::string::npos);
  auto missing = cvv_in;
  missing.erase("pan");
  EXPECT_NE(op("cvv", missing)["error"].get<std::string>().find("pan"), std::string::npos);
  EXPECT_NE(op("nope", cvv_in)["error"].get<std::string>().find("unknown op"), std::string::npos);
  EXPECT_TRUE(run_crypto_op(nlohmann::json::array())["error"].is_string());
  EXPECT_TRUE(run_crypto_op({{"op", "cvv"}, {"in", 5}})["error"].is_string());
  EXPECT_TRUE(op("pin_block_decode", {{"format", "7"}, {"clear_pin_block", "041274EDCBA9876F"}})["error"]
                  .is_string());
  EXPECT_TRUE(op("retail_mac", {{"key", "00"}, {"data", ""}, {"padding", "2"}, {"algorithm", 3}})["error"]
                  .is_string());
  EXPECT_TRUE(
      op("sm4_encrypt", {{"key", std::string(32, '0')}, {"plaintext", "00"}, {"iterations", -1}})["error"]
          .is_string());
}

TEST(cryptoCli, OneLineOutPerRequestLine) {
  std::istringstream in(
      "{\"id\":\"a\",\"op\":\"luhn\",\"in\":{\"number\":\"7894\"}}\n"
      "\n"
      "not json\n"
      "{\"id\":2,\"op\":\"kcv\",\"in\":{\"key\":\"0123456789ABCDEFFEDCBA9876543210\"}}\n");
  std::ostringstream out;
  EXPECT_EQ(run_crypto_cli(in, out), 0);
  std::istringstream lines(out.str());
  std::string line;
  std::vector<nlohmann::json> responses;
  while (std::getline(lines, line)) responses.push_back(nlohmann::json::parse(line));
  ASSERT_EQ(responses.size(), 3u);
  EXPECT_EQ(responses[0]["out"]["check_digit"], "9");
  EXPECT_TRUE(responses[1]["error"].is_string());
  EXPECT_EQ(responses[2]["id"], 2);
  EXPECT_EQ(responses[2]["out"]["kcv"].get<std::string>().size(), 6u);
}

}  // namespace
}  // namespace holdfast::crypto
