// security_test: the key store (wrap, KCV, rotation, error hygiene), PAN encryption and every
// check of the verifier (match / mismatch / not_present / not_checked / malformed). Keys and
// card data come from testdata/crypto/vectors.jsonl where a published vector fits; the EMV
// data for the ARQC checks is generated with src/crypto (itself tested against the vectors).
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include <nlohmann/json.hpp>

#include "crypto/cvv.h"
#include "crypto/digits.h"
#include "crypto/emv.h"
#include "crypto/keys.h"
#include "crypto/pin_block.h"
#include "crypto/pin_verify.h"
#include "crypto/primitives.h"
#include "iso8583/spec.h"
#include "security/key_store.h"
#include "security/pan_cipher.h"
#include "security/verifier.h"

namespace holdfast::security {
namespace {

using crypto::Bytes;
using engine::CardVerificationKind;
using engine::CheckResult;

Bytes hx(std::string_view hex) {
  auto b = crypto::pack_nibbles(hex);
  EXPECT_TRUE(b.ok()) << hex;
  return b.ok() ? *b : Bytes{};
}
std::string raw(const Bytes& b) { return std::string(b.begin(), b.end()); }

// Published vectors used below (testdata/crypto/vectors.jsonl).
nlohmann::json vector_by_id(const std::string& id) {
  std::ifstream in(std::string(HOLDFAST_TESTDATA_DIR) + "/crypto/vectors.jsonl");
  std::string line;
  while (std::getline(in, line)) {
    auto j = nlohmann::json::parse(line);
    if (j["id"] == id) return j;
  }
  ADD_FAILURE() << "no vector " << id;
  return {};
}

const std::string kKekHex = "000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F";
Secret kek() { return Secret(hx(kKekHex)); }

// Card 4444333322221111 exp 9911: cvv-jmeter-000 (CVV2 114 with CVK 1313.. / 1313..), and
// pvv-cfpp-4444333322221111 (PIN 1234, PVKI 1, PVK 233220CCDDCC3223 15C44C2A51A2DFFD -> 7211).
constexpr const char* kPan = "4444333322221111";
const std::string kCvk = "13131313131313131313131313131313";
const std::string kPvk = "233220CCDDCC322315C44C2A51A2DFFD";
const std::string kZpk = "0123456789ABCDEFFEDCBA9876543210";
const std::string kImk = "0123456789ABCDEFFEDCBA9876543210";
const std::string kPanKey = "00112233445566778899AABBCCDDEEFF00112233445566778899AABBCCDDEEFF";

KeyStore make_store() {
  auto s = KeyStore::create(kek());
  EXPECT_TRUE(s.ok());
  KeyStore store = std::move(*s);
  auto add = [&](KeyType t, std::string scope, const std::string& key, std::string pvki = "1") {
    KeyStore::AddOptions o;
    o.type = t;
    o.scope = std::move(scope);
    o.pvki = std::move(pvki);
    auto id = store.add(kek(), o, hx(key));
    EXPECT_TRUE(id.ok()) << (id.ok() ? "" : id.error().message);
  };
  add(KeyType::cvk, "444433", kCvk);
  add(KeyType::pvk, "444433", kPvk);
  add(KeyType::zpk, "123456", kZpk);
  add(KeyType::imk_ac, "444433", kImk);
  add(KeyType::pan, "", kPanKey);
  return store;
}

cards::Card card_with_pvv() {
  cards::Card c;
  c.expiry_yymm = 9911;
  const std::string pvv = vector_by_id("pvv-cfpp-4444333322221111")["out"]["pvv"];
  std::copy_n(pvv.begin(), 4, c.pin_verification_value.begin());
  c.pan_sequence_number = 1;
  return c;
}

TEST(securityKeyStore, WrapRoundTripAndKcv) {
  const Bytes key = hx(kCvk);
  auto wrapped = wrap_key(kek(), KeyType::cvk, key);
  ASSERT_TRUE(wrapped.ok());
  EXPECT_EQ(wrapped->size(), 32u);  // RFC 5649: 8-byte AIV + 17 bytes padded to 24
  auto back = unwrap_key(kek(), KeyType::cvk, *wrapped);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(Bytes(back->span().begin(), back->span().end()), key);
  EXPECT_FALSE(unwrap_key(kek(), KeyType::pvk, *wrapped).ok());  // bound to its type
  Secret other(hx(std::string(64, 'A')));
  EXPECT_FALSE(unwrap_key(other, KeyType::cvk, *wrapped).ok());
  // KCV: TDES KCV of the key (the crypto module's kcv_des, tested against published KCVs).
  auto kcv = key_check_value(KeyType::cvk, key);
  ASSERT_TRUE(kcv.ok());
  EXPECT_EQ(*kcv, crypto::unpack_nibbles(*crypto::kcv_des(key, 3)));
}

// Every error text from the key store, checked for the key material it must not contain.
void expect_no_key_text(const std::string& message) {
  for (const std::string& key : {kKekHex, kCvk, kPvk, kZpk, kImk, kPanKey}) {
    std::string lower = key;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    EXPECT_EQ(message.find(key), std::string::npos) << message;
    EXPECT_EQ(message.find(lower), std::string::npos) << message;
    EXPECT_EQ(message.find(raw(hx(key))), std::string::npos) << message;
  }
}

std::string temp_path(const std::string& name) {
  return (std::filesystem::temp_directory_path() /
          (name + "-" + std::to_string(::getpid()) + "-" + std::to_string(std::rand())))
      .string();
}

TEST(securityKeyStore, SavedStoreLoadsBackWithTheSameKcvsAndNoClearKeyInTheFile) {
  const KeyStore store = make_store();
  const std::string path = temp_path("keystore");
  ASSERT_TRUE(store.save(path).ok());
  std::ifstream in(path);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  expect_no_key_text(text);
  auto loaded = KeyStore::load(path, kek());
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  ASSERT_EQ(loaded->entries().size(), store.entries().size());
  for (size_t i = 0; i < store.entries().size(); ++i) {
    EXPECT_EQ(loaded->entries()[i].kcv, store.entries()[i].kcv);
    EXPECT_EQ(loaded->entries()[i].id, store.entries()[i].id);
    EXPECT_EQ(Bytes(loaded->entries()[i].key.span().begin(), loaded->entries()[i].key.span().end()),
              Bytes(store.entries()[i].key.span().begin(), store.entries()[i].key.span().end()));
  }
  auto listed = KeyStore::list(path);
  ASSERT_TRUE(listed.ok());
  EXPECT_TRUE(listed->front().key.empty());
  std::filesystem::remove(path);
}

TEST(securityKeyStore, ErrorsNeverCarryKeyMaterial) {
  const KeyStore store = make_store();
  std::string text = store.to_json();
  // Wrong master key.
  auto wrong = KeyStore::parse(text, Secret(hx(kPanKey)));
  ASSERT_FALSE(wrong.ok());
  expect_no_key_text(wrong.error().message);
  // A damaged wrap and a wrong KCV.
  auto j = nlohmann::json::parse(text);
  std::string w = j["keys"][0]["wrapped"];
  w[5] = w[5] == '0' ? '1' : '0';
  j["keys"][0]["wrapped"] = w;
  auto damaged = KeyStore::parse(j.dump(), kek());
  ASSERT_FALSE(damaged.ok());
  EXPECT_NE(damaged.error().message.find("cvk/444433/v1"), std::string::npos);
  expect_no_key_text(damaged.error().message);
  j = nlohmann::json::parse(text);
  j["keys"][1]["kcv"] = "000000";
  auto bad_kcv = KeyStore::parse(j.dump(), kek());
  ASSERT_FALSE(bad_kcv.ok());
  EXPECT_NE(bad_kcv.error().message.find("check value"), std::string::npos);
  // A malformed master key in the environment is not echoed.
  ::setenv("HOLDFAST_TEST_KEK", (kCvk + "ZZ").c_str(), 1);
  auto env = load_master_key(MasterKeySource{"", "HOLDFAST_TEST_KEK"});
  ASSERT_FALSE(env.ok());
  expect_no_key_text(env.error().message);
  ::setenv("HOLDFAST_TEST_KEK", kKekHex.c_str(), 1);
  auto good = load_master_key(MasterKeySource{"", "HOLDFAST_TEST_KEK"});
  ASSERT_TRUE(good.ok());
  EXPECT_EQ(good->size(), 32u);
  // Too-short keys are refused by type.
  KeyStore copy = make_store();
  KeyStore::AddOptions o;
  o.type = KeyType::pan;
  auto short_key = copy.add(kek(), o, hx(kCvk));
  ASSERT_FALSE(short_key.ok());
  expect_no_key_text(short_key.error().message);
}

TEST(securityKeyStore, MasterKeyFileIsCreatedOnceWithOwnerOnlyMode) {
  const std::string path = temp_path("kek");
  ASSERT_TRUE(create_master_key_file(path).ok());
  EXPECT_FALSE(create_master_key_file(path).ok());  // never overwritten
  const auto perms = std::filesystem::status(path).permissions();
  EXPECT_EQ(perms & (std::filesystem::perms::group_all | std::filesystem::perms::others_all),
            std::filesystem::perms::none);
  auto k = load_master_key(MasterKeySource{path, ""});
  ASSERT_TRUE(k.ok());
  EXPECT_EQ(k->size(), 32u);
  std::filesystem::remove(path);
}

iso8583::Message cnp_request(std::string_view de48) {
  iso8583::Message m;
  m.set_mti("0100");
  m.set(2, kPan);
  m.set(22, "010");
  m.set(32, "123456");
  if (!de48.empty()) m.set(48, de48);
  return m;
}

VerifyContext context(const KeyStore* keys, uint16_t entry, engine::Channel channel) {
  return VerifyContext{keys, iso8583::find_spec("iso87binbitmap"), entry, channel};
}

TEST(securityVerify, Cvv2FromDe48Subelement92) {
  const KeyStore store = make_store();
  const cards::Card card = card_with_pvv();
  const cards::CardRange range;
  const auto ctx = context(&store, 10, engine::Channel::card_not_present);
  // cvv-jmeter-000: PAN 4444333322221111, expiry 9911, service code 000 -> 114.
  const std::string cvv2 = vector_by_id("cvv-jmeter-000")["out"]["cvv"];
  auto r = verify(cnp_request("R9203" + cvv2), card, range, ctx);
  EXPECT_EQ(r.card_verification_kind, CardVerificationKind::cvv2);
  EXPECT_EQ(r.card_verification, CheckResult::match);
  EXPECT_EQ(verify(cnp_request("R0102AB9203" + cvv2), card, range, ctx).card_verification,
            CheckResult::match);
  EXPECT_EQ(verify(cnp_request("R9203115"), card, range, ctx).card_verification, CheckResult::mismatch);
  auto absent = verify(cnp_request(""), card, range, ctx);
  EXPECT_EQ(absent.card_verification_kind, CardVerificationKind::cvv2);
  EXPECT_EQ(absent.card_verification, CheckResult::not_present);
  EXPECT_EQ(verify(cnp_request("R92021"), card, range, ctx).card_verification, CheckResult::malformed);
  EXPECT_EQ(verify(cnp_request("R9203"), card, range, ctx).card_verification, CheckResult::malformed);
  const auto no_keys = context(nullptr, 10, engine::Channel::card_not_present);
  EXPECT_EQ(verify(cnp_request("R9203" + cvv2), card, range, no_keys).card_verification,
            CheckResult::not_checked);
}

iso8583::Message track_request(const std::string& track, const char* entry) {
  iso8583::Message m;
  m.set_mti("0100");
  m.set(22, entry);
  m.set(32, "123456");
  m.set(35, track);
  return m;
}

TEST(securityVerify, Cvv1FromAStripeAndIcvvFromAChip) {
  const KeyStore store = make_store();
  const cards::Card card = card_with_pvv();
  const cards::CardRange range;
  // cvv-jmeter-101: service code 101 -> CVV1 662. Track: PVKI 1, PVV 7211, CVV 662.
  const std::string cvv1 = vector_by_id("cvv-jmeter-101")["out"]["cvv"];
  const std::string track = std::string(kPan) + "=9911101" + "17211" + cvv1 + "00000";
  auto r =
      verify(track_request(track, "902"), card, range, context(&store, 902, engine::Channel::card_present));
  EXPECT_EQ(r.card_verification_kind, CardVerificationKind::cvv1);
  EXPECT_EQ(r.card_verification, CheckResult::match);
  EXPECT_FALSE(r.chip_card);
  std::string bad = track;
  bad[std::string(kPan).size() + 1 + 7 + 5] = cvv1[0] == '9' ? '0' : static_cast<char>(cvv1[0] + 1);
  EXPECT_EQ(
      verify(track_request(bad, "902"), card, range, context(&store, 902, engine::Channel::card_present))
          .card_verification,
      CheckResult::mismatch);
  EXPECT_EQ(verify(track_request(std::string(kPan) + "9911101", "902"), card, range,
                   context(&store, 902, engine::Channel::card_present))
                .card_verification,
            CheckResult::malformed);
  EXPECT_EQ(verify(track_request(std::string(kPan) + "=9911201", "902"), card, range,
                   context(&store, 902, engine::Channel::card_present))
                .card_verification,
            CheckResult::malformed);  // no discretionary data to check
  // Chip read: iCVV (service code 999 in the computation), the card's track says 201.
  const auto icvv = crypto::compute_cvv({kPan, "9911", "999"}, hx(kCvk.substr(0, 16)), hx(kCvk.substr(16)));
  ASSERT_TRUE(icvv.ok());
  const std::string chip_track = std::string(kPan) + "=9911201" + "17211" + *icvv + "0";
  auto c = verify(track_request(chip_track, "051"), card, range,
                  context(&store, 51, engine::Channel::card_present));
  EXPECT_EQ(c.card_verification_kind, CardVerificationKind::icvv);
  EXPECT_EQ(c.card_verification, CheckResult::match);
  EXPECT_TRUE(c.chip_card);
  // The same track read by stripe checks CVV1 with service code 201: the iCVV does not match.
  auto s = verify(track_request(chip_track, "902"), card, range,
                  context(&store, 902, engine::Channel::card_present));
  EXPECT_EQ(s.card_verification_kind, CardVerificationKind::cvv1);
  EXPECT_EQ(s.card_verification, CheckResult::mismatch);
}

iso8583::Message track1_request(const std::string& track1, const char* entry) {
  iso8583::Message m = track_request("", entry);
  m.clear(35);
  m.set(45, track1);
  return m;
}

TEST(securityVerify, Track1CarriesCvv1AndIcvvLikeTrack2) {
  const KeyStore store = make_store();
  const cards::Card card = card_with_pvv();
  const cards::CardRange range;
  const auto stripe = context(&store, 902, engine::Channel::card_present);
  const auto chip = context(&store, 51, engine::Channel::card_present);
  // cvv-jmeter-101: service code 101 -> CVV1 662, in the Visa layout PVKI PVV CVV.
  const std::string cvv1 = vector_by_id("cvv-jmeter-101")["out"]["cvv"];
  const std::string body = std::string("B") + kPan + "^CARDHOLDER/TEST^9911101" + "17211" + cvv1 + "000000";
  for (const std::string& t : {body, "%" + body + "?", "%" + body + "?;"}) {
    auto r = verify(track1_request(t, "902"), card, range, stripe);
    EXPECT_EQ(r.card_verification_kind, CardVerificationKind::cvv1) << t;
    EXPECT_EQ(r.card_verification, CheckResult::match) << t;
    EXPECT_FALSE(r.chip_card);
  }
  std::string wrong = body;
  wrong[body.size() - 9] = cvv1[0] == '9' ? '0' : static_cast<char>(cvv1[0] + 1);
  EXPECT_EQ(verify(track1_request(wrong, "902"), card, range, stripe).card_verification,
            CheckResult::mismatch);
  // Chip read: iCVV with service code 999; the track says 201 (a chip card).
  const auto icvv = crypto::compute_cvv({kPan, "9911", "999"}, hx(kCvk.substr(0, 16)), hx(kCvk.substr(16)));
  ASSERT_TRUE(icvv.ok());
  const std::string chip_track = std::string("%B") + kPan + "^TEST/CARD^9911201" + "17211" + *icvv + "?";
  auto c = verify(track1_request(chip_track, "051"), card, range, chip);
  EXPECT_EQ(c.card_verification_kind, CardVerificationKind::icvv);
  EXPECT_EQ(c.card_verification, CheckResult::match);
  EXPECT_TRUE(c.chip_card);
  // Unreadable track 1: malformed, whatever the fault.
  for (const std::string& bad :
       {std::string("%A") + kPan + "^NAME^9911101172116620?",    // format A
        std::string("B") + kPan + "^9911101172116620",           // no name field
        std::string("B") + kPan + "^X^9911101172116620",         // name too short
        std::string("B") + kPan + "^NAME^99111",                 // no service code
        std::string("B") + kPan + "^NAME^9911101",               // no CVV
        std::string("B") + kPan + "^NAME^9911101172116620?12",   // after LRC
        std::string("B4444333322221112^NAME^9911101172116620"),  // not the PAN of DE 2
        std::string("B") + kPan + "^NAME^991110117211662" + std::string(60, '0')}) {
    iso8583::Message m = track1_request(bad, "902");
    m.set(2, kPan);
    EXPECT_EQ(verify(m, card, range, stripe).card_verification, CheckResult::malformed) << bad;
  }
  // Both tracks carried: each is checked and the worse result stands.
  const std::string track2 = std::string(kPan) + "=9911101" + "17211" + cvv1 + "00000";
  iso8583::Message both = track1_request(body, "902");
  both.set(35, track2);
  EXPECT_EQ(verify(both, card, range, stripe).card_verification, CheckResult::match);
  both.set(45, wrong);
  EXPECT_EQ(verify(both, card, range, stripe).card_verification, CheckResult::mismatch);
  // Without keys the value is carried but not checked.
  EXPECT_EQ(
      verify(track1_request(body, "902"), card, range, context(nullptr, 902, engine::Channel::card_present))
          .card_verification,
      CheckResult::not_checked);
}

// Contactless magstripe mode (DE 22 91x). CVC3 data: pyemv's published CVC3 test (issuer key
// 0123…8998, PAN 5123456789012345, PSN 00, ATC 005E = 94, UN 899 -> 29488 on track 2, …419 on
// track 1); the static tracks there are these with the dynamic digits as zeros. dCVV data: the
// hand-computed value of src/crypto/dynamic_cvv_test.cc (PAN 4761739001010010, ATC 0001 -> 802).
TEST(securityVerify, DynamicCvvAndCvc3InContactlessMagstripeMode) {
  KeyStore store = make_store();
  KeyStore::AddOptions o;
  o.type = KeyType::imk_cvc3;
  o.scope = "512345";
  ASSERT_TRUE(store.add(kek(), o, hx("01234567899876543210012345678998")).ok());
  o.type = KeyType::imk_dcvv;
  o.scope = "476173";
  ASSERT_TRUE(store.add(kek(), o, hx("2315208C9110AD402315208C9110AD40")).ok());
  cards::Card card;
  card.pan_sequence_number = 0;
  const cards::CardRange range;
  const auto ctx = context(&store, 912, engine::Channel::card_present);
  auto with_track1 = [](const std::string& t1) {
    iso8583::Message m = track_request("", "912");
    m.clear(35);
    m.set(45, t1);
    return m;
  };

  // Mastercard CVC3, track 2 and track 1.
  const std::string t2 = "5123456789012345=3512101" + std::string("488") + "899" + "00094" + "00";
  auto r = verify(track_request(t2, "912"), card, range, ctx);
  EXPECT_EQ(r.card_verification_kind, CardVerificationKind::dynamic_cvv);
  EXPECT_EQ(r.card_verification, CheckResult::match);
  EXPECT_TRUE(r.has_atc);
  EXPECT_EQ(r.atc, 94);
  const std::string t1 = "%B5123456789012345^KENOBI/OBIWAN^3512101" + std::string("419") + "899" + "00094" +
                         std::string(13, '0') + "?";
  EXPECT_EQ(verify(with_track1(t1), card, range, ctx).card_verification, CheckResult::match);
  std::string wrong = t2;
  wrong[24] = '5';  // CVC3 589
  EXPECT_EQ(verify(track_request(wrong, "912"), card, range, ctx).card_verification, CheckResult::mismatch);
  std::string other_un = t2;
  other_un[29] = '8';  // UN 898: the card's value was for another challenge
  EXPECT_EQ(verify(track_request(other_un, "912"), card, range, ctx).card_verification,
            CheckResult::mismatch);
  // A counter the card already used (seen in an earlier ARQC) is a replay.
  cards::Card used = card;
  used.has_atc = true;
  used.last_atc = 94;
  EXPECT_EQ(verify(track_request(t2, "912"), used, range, ctx).card_verification, CheckResult::mismatch);
  used.last_atc = 93;
  EXPECT_EQ(verify(track_request(t2, "912"), used, range, ctx).card_verification, CheckResult::match);
  EXPECT_EQ(
      verify(track_request("5123456789012345=3512101488899", "912"), card, range, ctx).card_verification,
      CheckResult::malformed);  // too short for CVC3, UN and ATC
  EXPECT_EQ(verify(track_request("5123456789012345=35121014888999999900", "912"), card, range, ctx)
                .card_verification,
            CheckResult::malformed);  // ATC 99999 > 65535

  // Visa dCVV (track 2): PVKI, PVV, dCVV, ATC.
  const std::string v2 = "4761739001010010=1220101" + std::string("1") + "0000" + "802" + "0001" + "0";
  auto v = verify(track_request(v2, "912"), card, range, ctx);
  EXPECT_EQ(v.card_verification, CheckResult::match);
  EXPECT_EQ(v.atc, 1);
  std::string next_atc = v2;
  next_atc[35] = '2';  // ATC 0002 with the dCVV of 0001
  EXPECT_EQ(verify(track_request(next_atc, "912"), card, range, ctx).card_verification,
            CheckResult::mismatch);
  EXPECT_EQ(verify(track_request(v2.substr(0, 34), "912"), card, range, ctx).card_verification,
            CheckResult::malformed);

  // No key for the card's range, or no key store: carried, not checked.
  const std::string cvv1 = vector_by_id("cvv-jmeter-101")["out"]["cvv"];
  EXPECT_EQ(verify(track_request(std::string(kPan) + "=9911101" + "17211" + cvv1 + "00000", "912"), card,
                   range, ctx)
                .card_verification,
            CheckResult::not_checked);
  EXPECT_EQ(
      verify(track_request(t2, "912"), card, range, context(nullptr, 912, engine::Channel::card_present))
          .card_verification,
      CheckResult::not_checked);
}

std::string pin_block(const std::string& pin, const std::string& zpk, const std::string& pan = kPan) {
  auto clear = crypto::encode_pin_block(crypto::PinBlockFormat::kIso0, pin, pan, "");
  EXPECT_TRUE(clear.ok());
  auto enc = crypto::des_ecb_encrypt(hx(zpk), *clear);
  EXPECT_TRUE(enc.ok());
  return raw(*enc);
}

TEST(securityVerify, PinBlockUnderTheAcquirerZoneKeyAgainstThePvv) {
  const KeyStore store = make_store();
  const cards::Card card = card_with_pvv();
  const cards::CardRange range;
  const auto ctx = context(&store, 21, engine::Channel::card_present);
  const std::string pin = vector_by_id("pvv-cfpp-4444333322221111")["in"]["pin"];
  iso8583::Message m = cnp_request("");
  EXPECT_EQ(verify(m, card, range, ctx).pin, CheckResult::not_present);
  m.set(52, pin_block(pin, kZpk));
  EXPECT_EQ(verify(m, card, range, ctx).pin, CheckResult::match);
  m.set(52, pin_block("1235", kZpk));
  EXPECT_EQ(verify(m, card, range, ctx).pin, CheckResult::mismatch);
  m.set(52, pin_block(pin, kCvk));  // wrong zone key: the block does not decode
  EXPECT_EQ(verify(m, card, range, ctx).pin, CheckResult::malformed);
  m.set(52, pin_block(pin, kZpk));
  m.set(32, "999999");  // no zone key for this acquirer
  EXPECT_EQ(verify(m, card, range, ctx).pin, CheckResult::not_checked);
  cards::Card no_pvv = card;
  no_pvv.pin_verification_value = {};
  m.set(32, "123456");
  EXPECT_EQ(verify(m, no_pvv, range, ctx).pin, CheckResult::not_checked);
}

// IBM 3624 offset (published vectors ibm3624-offset-1234-0-16-F and -5550-2-14-1, PVK
// 0123…3210, decimalisation table 1234567890123456, validation data = the PAN 1122334455667788).
// A token's PIN is the card's: the block comes formatted with the token number (the one the
// terminal read), the reference is the card's PVV over the card's own PAN.
TEST(securityVerify, ATokensPinIsCheckedAgainstTheCardsPvvOverTheCardsPan) {
  const KeyStore store = make_store();
  const cards::Card card = card_with_pvv();
  const cards::CardRange range;
  const auto ctx = context(&store, 71, engine::Channel::card_present);
  const std::string pin = vector_by_id("pvv-cfpp-4444333322221111")["in"]["pin"];
  const std::string token_pan = "4895370000000013";
  cards::Token token;
  iso8583::Message m = cnp_request("");
  m.set(2, token_pan);
  m.set(52, pin_block(pin, kZpk, token_pan));
  const TokenUse use{&token, kPan};
  EXPECT_EQ(verify(m, card, range, ctx, &use).pin, CheckResult::match);
  m.set(52, pin_block(pin == "9999" ? "1111" : "9999", kZpk, token_pan));
  EXPECT_EQ(verify(m, card, range, ctx, &use).pin, CheckResult::mismatch);
  // Without the card's PAN (no pan key to decrypt it) the PIN cannot be checked.
  const TokenUse no_card_pan{&token, {}};
  EXPECT_EQ(verify(m, card, range, ctx, &no_card_pan).pin, CheckResult::not_checked);
}

TEST(securityVerify, PinByIbm3624OffsetWhenTheProductSaysSo) {
  const nlohmann::json v = vector_by_id("ibm3624-offset-1234-0-16-F");
  const nlohmann::json w = vector_by_id("ibm3624-offset-5550-2-14-1");
  const std::string pan = v["in"]["validation_data"];
  KeyStore store = make_store();
  KeyStore::AddOptions o;
  o.type = KeyType::pvk;
  o.scope = pan.substr(0, 6);
  o.ibm3624.decimalization_table = v["in"]["decimalization_table"];
  ASSERT_TRUE(store.add(kek(), o, hx(v["in"]["pvk"].get<std::string>())).ok());
  cards::Card card;
  const std::string offset = v["out"]["offset"];
  std::copy(offset.begin(), offset.end(), card.pin_offset.begin());
  cards::CardRange range;
  range.product.pin_verification = cards::PinVerification::ibm3624_offset;
  const auto ctx = context(&store, 21, engine::Channel::card_present);
  iso8583::Message m = cnp_request("");
  m.set(2, pan);
  m.set(52, pin_block(v["in"]["pin"].get<std::string>(), kZpk, pan));
  EXPECT_EQ(verify(m, card, range, ctx).pin, CheckResult::match);
  m.set(52, pin_block("1235", kZpk, pan));
  EXPECT_EQ(verify(m, card, range, ctx).pin, CheckResult::mismatch);
  m.set(52, pin_block("12345", kZpk, pan));  // the offset fixes the PIN's length
  EXPECT_EQ(verify(m, card, range, ctx).pin, CheckResult::mismatch);
  m.set(52, pin_block(v["in"]["pin"].get<std::string>(), kZpk, pan));
  cards::Card no_offset = card;
  no_offset.pin_offset = {};
  EXPECT_EQ(verify(m, no_offset, range, ctx).pin, CheckResult::not_checked);
  // The same card under a Visa PVV product has no PVV on file: not checked.
  EXPECT_EQ(verify(m, card, cards::CardRange{}, ctx).pin, CheckResult::not_checked);

  // Validation data start, length and pad come from the pvk's settings; they survive a save.
  KeyStore other = make_store();
  o.ibm3624.validation_data_start = static_cast<uint8_t>(w["in"]["validation_data_start"].get<int>());
  o.ibm3624.validation_data_length = static_cast<uint8_t>(w["in"]["validation_data_length"].get<int>());
  o.ibm3624.pad_char = w["in"]["pad_char"].get<std::string>()[0];
  ASSERT_TRUE(other.add(kek(), o, hx(w["in"]["pvk"].get<std::string>())).ok());
  const std::string path = temp_path("ibm3624.json");
  ASSERT_TRUE(other.save(path).ok());
  auto loaded = KeyStore::load(path, kek());
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  std::filesystem::remove(path);
  const std::string w_offset = w["out"]["offset"];
  std::copy(w_offset.begin(), w_offset.end(), card.pin_offset.begin());
  m.set(52, pin_block(w["in"]["pin"].get<std::string>(), kZpk, pan));
  EXPECT_EQ(verify(m, card, range, context(&*loaded, 21, engine::Channel::card_present)).pin,
            CheckResult::match);
  EXPECT_EQ(verify(m, card, range, ctx).pin, CheckResult::mismatch);  // default settings: another PIN

  // Bad settings are refused, naming the setting.
  o.ibm3624.decimalization_table = "123456789012345";
  auto bad = other.add(kek(), o, hx(v["in"]["pvk"].get<std::string>()));
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("decimalization_table"), std::string::npos);
}

// PIN blocks from every zone format are translated into the verification zone and checked.
TEST(securityVerify, PinBlocksOfEveryZoneFormatAreTranslatedThenVerified) {
  KeyStore store = make_store();
  const std::string aes_zpk = "000102030405060708090A0B0C0D0E0F";
  KeyStore::AddOptions o;
  o.type = KeyType::zpk;
  o.scope = "222222";
  o.pin_block_format = crypto::PinBlockFormat::kIso4;
  ASSERT_TRUE(store.add(kek(), o, hx(aes_zpk)).ok());
  o.scope = "333333";
  o.pin_block_format = crypto::PinBlockFormat::kIso3;
  ASSERT_TRUE(store.add(kek(), o, hx(kZpk)).ok());
  const cards::Card card = card_with_pvv();
  const cards::CardRange range;
  const auto ctx = context(&store, 21, engine::Channel::card_present);
  const std::string pin = vector_by_id("pvv-cfpp-4444333322221111")["in"]["pin"];
  iso8583::Message m = cnp_request("");
  m.set(32, "222222");
  auto f4 = crypto::encipher_pin_block_format4(hx(aes_zpk), pin, kPan, hx("1122334455667788"));
  ASSERT_TRUE(f4.ok());
  m.set(52, raw(*f4));
  EXPECT_EQ(verify(m, card, range, ctx).pin, CheckResult::match);
  m.set(52, raw(*crypto::encipher_pin_block_format4(hx(aes_zpk), "9999", kPan, hx("1122334455667788"))));
  EXPECT_EQ(verify(m, card, range, ctx).pin, CheckResult::mismatch);
  m.set(52, pin_block(pin, kZpk));  // 8 bytes for a format 4 zone
  EXPECT_EQ(verify(m, card, range, ctx).pin, CheckResult::malformed);
  m.set(32, "333333");
  auto clear3 =
      crypto::encode_pin_block(crypto::PinBlockFormat::kIso3, pin, kPan, std::string(14 - pin.size(), 'A'));
  ASSERT_TRUE(clear3.ok());
  m.set(52, raw(*crypto::des_ecb_encrypt(hx(kZpk), *clear3)));
  EXPECT_EQ(verify(m, card, range, ctx).pin, CheckResult::match);
}

// EMV data for PAN 4444333322221111 PSN 01.
const std::string kTerminal =
    "000000010000"  // 9F02
    "000000000000"  // 9F03
    "0156"          // 9F1A
    "0000000000"    // 95
    "0156"          // 5F2A
    "250101"        // 9A
    "00"            // 9C
    "11223344"      // 9F37
    "1800";         // 82
struct Emv {
  std::string iad;
  std::string atc = "0007";
};

std::string tlv(const std::string& tag, const std::string& value_hex) {
  const size_t n = value_hex.size() / 2;
  static const char* digits = "0123456789ABCDEF";
  return tag + std::string{digits[n >> 4], digits[n & 15]} + value_hex;
}

// ARQC for Visa CVN 10 (ICC MK, terminal || CVR, zero padding) or CVN 18 (CSK, terminal || IAD).
std::string arqc_hex(const std::string& imk, const Emv& e) {
  const Bytes terminal = hx(kTerminal + e.atc);
  auto mk = crypto::derive_icc_master_key(hx(imk), kPan, "01", crypto::MasterKeyOption::kA);
  EXPECT_TRUE(mk.ok());
  const Bytes iad = hx(e.iad);
  if (iad[2] == 0x0A) {
    auto ac = crypto::generate_ac(*mk, crypto::concat(terminal, Bytes(iad.begin() + 3, iad.begin() + 7)),
                                  crypto::AcPadding::kZeroIfNeeded);
    return crypto::unpack_nibbles(*ac);
  }
  Bytes r(8, 0);
  r[0] = terminal[31];
  r[1] = terminal[32];
  auto sk = crypto::derive_session_key_emv_csk(*mk, r);
  auto ac = crypto::generate_ac(*sk, crypto::concat(terminal, iad), crypto::AcPadding::kMethod2);
  return crypto::unpack_nibbles(*ac);
}

std::string icc(const Emv& e, const std::string& arqc, bool drop_un = false) {
  std::string t = tlv("9F26", arqc) + tlv("9F27", "80") + tlv("9F10", e.iad) + tlv("9F36", e.atc) +
                  tlv("9F02", kTerminal.substr(0, 12)) + tlv("9F03", kTerminal.substr(12, 12)) +
                  tlv("9F1A", kTerminal.substr(24, 4)) + tlv("95", kTerminal.substr(28, 10)) +
                  tlv("5F2A", kTerminal.substr(38, 4)) + tlv("9A", kTerminal.substr(42, 6)) +
                  tlv("9C", kTerminal.substr(48, 2)) + tlv("82", kTerminal.substr(58, 4));
  if (!drop_un) t += tlv("9F37", kTerminal.substr(50, 8));
  return raw(hx(t));
}

iso8583::Message chip_request(const std::string& de55) {
  iso8583::Message m;
  m.set_mti("0100");
  m.set(2, kPan);
  m.set(22, "051");
  m.set(32, "123456");
  m.set(55, de55);
  return m;
}

TEST(securityVerify, ArqcInDe55WithTheMethodFromTheIad) {
  const KeyStore store = make_store();
  const cards::Card card = card_with_pvv();
  const cards::CardRange range;
  const auto ctx = context(&store, 51, engine::Channel::card_present);
  for (const std::string iad : {"06011203A00000", "06010A03A00000"}) {
    const Emv e{iad};
    const std::string arqc = arqc_hex(kImk, e);
    auto r = verify(chip_request(icc(e, arqc)), card, range, ctx);
    EXPECT_EQ(r.cryptogram, CheckResult::match) << iad;
    EXPECT_TRUE(r.has_atc);
    EXPECT_EQ(r.atc, 7);
    std::string flipped = arqc;
    flipped[0] = flipped[0] == '0' ? '1' : '0';
    EXPECT_EQ(verify(chip_request(icc(e, flipped)), card, range, ctx).cryptogram, CheckResult::mismatch);
    EXPECT_EQ(verify(chip_request(icc(e, arqc, true)), card, range, ctx).cryptogram, CheckResult::malformed);
    // The response: tag 91 (method 2 for CVN 18: ARPC(4) || CSU(4); method 1 for CVN 10).
    iso8583::Message request = chip_request(icc(e, arqc));
    std::string de55;
    ASSERT_TRUE(
        response_icc_data(request, *iso8583::find_spec("iso87binbitmap"), {'0', '0'}, "01", store, &de55));
    ASSERT_GE(de55.size(), 2u);
    EXPECT_EQ(static_cast<uint8_t>(de55[0]), 0x91);
    EXPECT_EQ(de55.size(), iad == "06011203A00000" ? 10u : 12u);
    // No ARPC for a cryptogram that does not verify.
    std::string none;
    EXPECT_FALSE(response_icc_data(chip_request(icc(e, flipped)), *iso8583::find_spec("iso87binbitmap"),
                                   {'0', '0'}, "01", store, &none));
  }
  EXPECT_EQ(verify(chip_request(icc(Emv{"0501"}, "0000000000000000")), card, range, ctx).cryptogram,
            CheckResult::malformed);  // an IAD of no known layout
  EXPECT_EQ(verify(chip_request(raw(hx("9F3602"))), card, range, ctx).cryptogram, CheckResult::malformed);
  EXPECT_EQ(verify(chip_request(raw(hx(tlv("9F36", "0007")))), card, range, ctx).cryptogram,
            CheckResult::not_present);
  EXPECT_EQ(verify(cnp_request(""), card, range, ctx).cryptogram, CheckResult::not_present);
  EXPECT_EQ(verify(chip_request(icc(Emv{"06011203A00000"}, arqc_hex(kImk, Emv{"06011203A00000"}))), card,
                   range, context(nullptr, 51, engine::Channel::card_present))
                .cryptogram,
            CheckResult::not_checked);
}

TEST(securityRotation, OldVersionsKeepVerifyingAndTheNewOneIsActive) {
  KeyStore store = make_store();
  const std::string new_cvk = "0123456789ABCDEFFEDCBA9876543210";
  KeyStore::AddOptions o;
  o.type = KeyType::cvk;
  o.scope = "444433";
  auto id = store.add(kek(), o, hx(new_cvk));
  ASSERT_TRUE(id.ok());
  EXPECT_EQ(*id, "cvk/444433/v2");
  const auto keys = store.for_card(KeyType::cvk, kPan);
  ASSERT_EQ(keys.size(), 2u);
  EXPECT_EQ(keys[0]->version, 2u);
  EXPECT_TRUE(keys[0]->active);
  EXPECT_FALSE(keys[1]->active);
  const cards::Card card = card_with_pvv();
  const auto ctx = context(&store, 10, engine::Channel::card_not_present);
  // A CVV2 printed under v1 and one printed under v2 both verify.
  const std::string old_cvv2 = vector_by_id("cvv-jmeter-000")["out"]["cvv"];
  auto new_cvv2 =
      crypto::compute_cvv({kPan, "9911", "000"}, hx(new_cvk.substr(0, 16)), hx(new_cvk.substr(16)));
  EXPECT_EQ(verify(cnp_request("R9203" + old_cvv2), card, {}, ctx).card_verification, CheckResult::match);
  EXPECT_EQ(verify(cnp_request("R9203" + *new_cvv2), card, {}, ctx).card_verification, CheckResult::match);
  // Saved and reloaded, still one active version per scope; activation can go back.
  auto reloaded = KeyStore::parse(store.to_json(), kek());
  ASSERT_TRUE(reloaded.ok()) << reloaded.error().message;
  ASSERT_TRUE(reloaded->activate("cvk/444433/v1").ok());
  EXPECT_EQ(reloaded->for_card(KeyType::cvk, kPan)[0]->version, 1u);
  // A longer scope wins over a shorter one.
  o.scope = "44443333";
  ASSERT_TRUE(store.add(kek(), o, hx(new_cvk)).ok());
  EXPECT_EQ(store.for_card(KeyType::cvk, kPan).size(), 1u);
  EXPECT_TRUE(store.for_card(KeyType::cvk, "5555000011112222").empty());
}

TEST(securityPanCipher, Aes256GcmRoundTripTamperAndRotation) {
  KeyStore store = make_store();
  engine::EncryptedPan e;
  ASSERT_TRUE(encrypt_pan(store, kPan, &e));
  EXPECT_EQ(e.size, 12 + 16 + 16);
  const std::string blob(e.bytes.begin(), e.bytes.begin() + e.size);
  EXPECT_EQ(blob.find(kPan), std::string::npos);
  auto back = decrypt_pan(store, e.bytes.data(), e.size);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(*back, kPan);
  engine::EncryptedPan again;
  ASSERT_TRUE(encrypt_pan(store, kPan, &again));
  EXPECT_NE(again, e);  // a fresh nonce each time
  engine::EncryptedPan tampered = e;
  tampered.bytes[14] ^= 1;
  EXPECT_FALSE(decrypt_pan(store, tampered.bytes.data(), tampered.size).has_value());
  KeyStore::AddOptions o;
  o.type = KeyType::pan;
  ASSERT_TRUE(store.add(kek(), o, hx(std::string(64, '7'))).ok());
  EXPECT_EQ(*decrypt_pan(store, e.bytes.data(), e.size), kPan);  // old version still decrypts
  EXPECT_FALSE(encrypt_pan(store, "12345678901234567890", &e));
  KeyStore empty = *KeyStore::create(kek());
  EXPECT_FALSE(encrypt_pan(empty, kPan, &e));
}

}  // namespace
}  // namespace holdfast::security
