// Stories about the ISO 8583 codec: the public vectors (testdata/iso8583/vectors.json) decode to
// what their sources say and re-encode to the same bytes; malformed messages are rejected with
// an error that names the field and offset; random messages survive the round trip.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "base/hex.h"
#include "iso8583/codec.h"
#include "iso8583/json.h"
#include "iso8583/mti.h"
#include "iso8583/spec.h"
#include "iso8583/tlv.h"

namespace holdfast::iso8583 {
namespace {

using nlohmann::json;

std::vector<uint8_t> bytes_of(std::string_view hex) {
  std::optional<std::vector<uint8_t>> bytes = from_hex(hex);
  HF_REQUIRE(bytes.has_value());
  return *bytes;
}

struct Vector {
  size_t index;
  json entry;
  std::string spec_override;
  std::string spec() const { return spec_override.empty() ? entry.value("spec", "") : spec_override; }
  bool valid() const { return entry.at("valid").get<bool>(); }
  std::vector<uint8_t> wire() const { return bytes_of(entry.at("raw_hex").get<std::string>()); }
};

const std::vector<Vector>& all_vectors() {
  static const std::vector<Vector> vectors = [] {
    std::ifstream in(std::string(HOLDFAST_TESTDATA_DIR) + "/iso8583/vectors.json");
    HF_REQUIRE(in.good());
    const json doc = json::parse(in);
    std::vector<Vector> out;
    for (size_t i = 0; i < doc.size(); ++i) {
      const json& entry = doc[i];
      // fluidpay's fixed DE62/DE63 cannot share a spec with jPOS's LLL ones (README.md):
      // every fluidpay vector also runs under the fluidpay variant, and those carrying
      // DE62/63 run only there.
      const bool fluidpay = entry.value("variant", "") == "ascii93-fluidpay";
      const bool fixed_62_63 =
          entry.contains("fields") && (entry["fields"].contains("62") || entry["fields"].contains("63"));
      if (!(fluidpay && fixed_62_63)) out.push_back({i, entry, ""});
      if (fluidpay) out.push_back({i, entry, "iso93ascii-fluidpay"});
    }
    return out;
  }();
  return vectors;
}

std::vector<Vector> vectors_where(bool (*pred)(const Vector&)) {
  std::vector<Vector> out;
  for (const Vector& v : all_vectors()) {
    if (pred(v)) out.push_back(v);
  }
  return out;
}

// The entry at `index` in vectors.json.
const Vector& vector_at(size_t index) {
  for (const Vector& v : all_vectors()) {
    if (v.index == index) return v;
  }
  HF_UNREACHABLE();
}

bool is_spec_message(const Vector& v) {
  return v.entry.value("kind", "message") == "message" && !v.spec().empty();
}
bool is_tlv(const Vector& v) { return v.entry.value("kind", "") == "de55_tlv"; }

std::string vector_name(const testing::TestParamInfo<Vector>& info) {
  std::string name = "v" + std::to_string(info.param.index) + "_" + info.param.spec();
  for (char& c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return name + (info.param.valid() ? "_valid" : "_invalid");
}

// The vectors write binary fields as hex and, on BCD links, the track-2 separator as the "D"
// nibble jPOS and CUP leave in place. Holdfast's canonical value is raw bytes and '='.
std::string canonical(const MessageSpec& spec, int de, const std::string& expected) {
  const FieldSpec& f = spec.field(de);
  if (f.type == FieldType::kB) {
    std::vector<uint8_t> raw = bytes_of(expected);
    return {raw.begin(), raw.end()};
  }
  std::string value = expected;
  if (f.type == FieldType::kZ && spec.digits_of(f) == DigitEncoding::kBcd) {
    std::replace(value.begin(), value.end(), 'D', '=');
  }
  return value;
}

// ---------------------------------------------------------------------------------------------
// Public vectors

class MessageVectors : public testing::TestWithParam<Vector> {};

TEST_P(MessageVectors, DecodeAsPublishedAndReencodeToTheSameBytes) {
  const Vector& v = GetParam();
  const MessageSpec* spec = find_spec(v.spec());
  ASSERT_NE(spec, nullptr) << v.spec();
  const std::vector<uint8_t> wire = v.wire();
  Result<Message, DecodeError> decoded = decode(*spec, wire);

  if (!v.valid()) {
    ASSERT_FALSE(decoded.ok()) << "accepted a negative vector: " << v.entry.value("note", "");
    const std::string text = describe(decoded.error());
    EXPECT_NE(text.find(" at offset "), std::string::npos) << text;
    EXPECT_LE(decoded.error().offset, wire.size()) << text;
    return;
  }
  ASSERT_TRUE(decoded.ok()) << describe(decoded.error());
  const Message& msg = *decoded;
  EXPECT_EQ(msg.mti(), v.entry.at("mti").get<std::string>());
  const json& fields = v.entry.at("fields");
  EXPECT_EQ(static_cast<size_t>(msg.field_count()), fields.size());
  for (const auto& [key, value] : fields.items()) {
    const int de = std::stoi(key);
    EXPECT_TRUE(msg.has(de)) << "DE " << de;
    EXPECT_EQ(msg.get(de), canonical(*spec, de, value.get<std::string>())) << "DE " << de;
  }
  Result<std::vector<uint8_t>, EncodeError> encoded = encode(*spec, msg);
  ASSERT_TRUE(encoded.ok()) << describe(encoded.error());
  EXPECT_EQ(to_hex(*encoded), to_hex(wire));
}

TEST_P(MessageVectors, EveryProperPrefixIsRejectedWithoutACrash) {
  const Vector& v = GetParam();
  const MessageSpec* spec = find_spec(v.spec());
  ASSERT_NE(spec, nullptr);
  const std::vector<uint8_t> wire = v.wire();
  for (size_t n = 0; n < wire.size(); ++n) {
    // A prefix that happens to be a complete message (fields are optional) is fine only if
    // the full vector is invalid; a valid vector's proper prefix always misses something.
    Result<Message, DecodeError> decoded = decode(*spec, std::span(wire).first(n));
    if (!v.valid()) continue;
    ASSERT_FALSE(decoded.ok()) << "prefix of " << n << " bytes accepted";
    EXPECT_LE(decoded.error().offset, n);
  }
}

INSTANTIATE_TEST_SUITE_P(Published, MessageVectors, testing::ValuesIn(vectors_where(is_spec_message)),
                         vector_name);

TEST(MessageVectors, EverySpecHasValidVectors) {
  std::map<std::string, int> valid_per_spec;
  for (const Vector& v : vectors_where(is_spec_message)) valid_per_spec[v.spec()] += v.valid();
  for (std::string_view name : spec_names()) {
    EXPECT_GT(valid_per_spec[std::string(name)], 0) << name;
  }
}

class TlvVectors : public testing::TestWithParam<Vector> {};

TEST_P(TlvVectors, WalkAsPublished) {
  const Vector& v = GetParam();
  const std::vector<uint8_t> data = v.wire();
  Result<std::vector<TlvItem>, TlvError> items = parse_tlv(data);
  if (!v.valid()) {
    ASSERT_FALSE(items.ok());
    EXPECT_NE(v.entry.at("expected_error").get<std::string>().find(items.error().reason), std::string::npos)
        << items.error().reason;
    return;
  }
  ASSERT_TRUE(items.ok()) << items.error().reason;
  std::map<std::string, std::string> seen;
  for (const TlvItem& item : *items) seen[tag_hex(item.tag)] = to_hex(item.value);
  std::map<std::string, std::string> expected;
  for (const auto& [tag, value] : v.entry.at("fields").items()) {
    expected[tag] = value.get<std::string>();
  }
  EXPECT_EQ(seen, expected);
}

TEST(Tlv, ConstructedTagsAreWalkedIntoAndLongFormLengthsRead) {
  // 70 (constructed) { 9F02 len 81 06 = 6 bytes }, then 5F34 01 02 at top level.
  const std::vector<uint8_t> data = bytes_of(
      "700A"
      "9F028106000000012345"
      "5F340102");
  Result<std::vector<TlvItem>, TlvError> items = parse_tlv(data);
  ASSERT_TRUE(items.ok()) << items.error().reason;
  ASSERT_EQ(items->size(), 3u);
  EXPECT_TRUE((*items)[0].constructed);
  EXPECT_EQ(tag_hex((*items)[1].tag), "9F02");
  EXPECT_EQ((*items)[1].depth, 1);
  EXPECT_EQ(to_hex((*items)[1].value), "000000012345");
  EXPECT_EQ((*items)[2].depth, 0);
}

TEST(Tlv, AChildThatOverrunsItsParentIsAnErrorWithTheOffset) {
  Result<std::vector<TlvItem>, TlvError> items =
      parse_tlv(bytes_of("7004"
                         "9F0206000000"
                         "00"));
  ASSERT_FALSE(items.ok());
  EXPECT_EQ(items.error().code, TlvErrc::kTruncatedValue);
  EXPECT_EQ(items.error().offset, 5u);
}

INSTANTIATE_TEST_SUITE_P(Published, TlvVectors, testing::ValuesIn(vectors_where(is_tlv)), vector_name);

// ---------------------------------------------------------------------------------------------
// Random valid messages: encode -> decode gives the message back, decode -> encode the bytes.

class RandomMessages {
 public:
  RandomMessages(const MessageSpec& spec, uint32_t seed) : spec_(spec), rng_(seed) {}

  Message next() {
    Message msg;
    std::string mti;
    for (int i = 0; i < 4; ++i) mti.push_back(digit());
    msg.set_mti(mti);
    const int density = pick(1, 60);  // percent of defined fields present
    for (int de = kMinField; de <= kMaxField; ++de) {
      if (spec_.field(de).defined() && pick(1, 100) <= density) msg.set(de, value_for(de));
    }
    return msg;
  }

 private:
  int pick(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
  char digit() { return static_cast<char>('0' + pick(0, 9)); }

  size_t length_for(const FieldSpec& f) {
    if (!f.variable()) return f.length;
    const int cap = static_cast<int>(std::min<uint32_t>(f.length, 64));
    return static_cast<size_t>(pick(0, 9) == 0 ? static_cast<int>(f.length) : pick(0, cap));
  }

  std::string value_for(int de) {
    const FieldSpec& f = spec_.field(de);
    std::string v(length_for(f), ' ');
    for (char& c : v) {
      switch (f.type) {
        case FieldType::kN: c = digit(); break;
        case FieldType::kZ: c = pick(0, 15) == 0 ? '=' : digit(); break;
        case FieldType::kXn: c = digit(); break;
        case FieldType::kAn:
        case FieldType::kAns: c = static_cast<char>(pick(0x20, 0x7E)); break;
        case FieldType::kB: c = static_cast<char>(pick(0, 255)); break;
        case FieldType::kUndefined: HF_UNREACHABLE();
      }
    }
    if (f.type == FieldType::kXn) v[0] = pick(0, 1) == 0 ? 'C' : 'D';
    return v;
  }

  const MessageSpec& spec_;
  std::mt19937 rng_;
};

class EverySpec : public testing::TestWithParam<std::string_view> {};

TEST_P(EverySpec, ThousandsOfRandomMessagesRoundTripExactly) {
  const MessageSpec& spec = *find_spec(GetParam());
  RandomMessages messages(spec, /*seed=*/8583);
  for (int i = 0; i < 3000; ++i) {
    const Message original = messages.next();
    Result<std::vector<uint8_t>, EncodeError> wire = encode(spec, original);
    ASSERT_TRUE(wire.ok()) << "iteration " << i << ": " << describe(wire.error());
    Result<Message, DecodeError> decoded = decode(spec, *wire);
    ASSERT_TRUE(decoded.ok()) << "iteration " << i << ": " << describe(decoded.error());
    ASSERT_TRUE(*decoded == original) << "iteration " << i;
    Result<std::vector<uint8_t>, EncodeError> again = encode(spec, *decoded);
    ASSERT_TRUE(again.ok());
    ASSERT_EQ(*again, *wire) << "iteration " << i;
  }
}

TEST_P(EverySpec, JsonRoundTripKeepsEveryField) {
  const MessageSpec& spec = *find_spec(GetParam());
  RandomMessages messages(spec, /*seed=*/1987);
  for (int i = 0; i < 300; ++i) {
    const Message original = messages.next();
    Result<Message, JsonError> back = from_json(spec, to_json(spec, original));
    ASSERT_TRUE(back.ok()) << back.error().reason;
    ASSERT_TRUE(*back == original) << to_json(spec, original).dump();
  }
}

std::string spec_test_name(const testing::TestParamInfo<std::string_view>& param) {
  std::string name(param.param);
  std::replace(name.begin(), name.end(), '-', '_');
  return name;
}

INSTANTIATE_TEST_SUITE_P(Specs, EverySpec, testing::ValuesIn(spec_names()), spec_test_name);

// ---------------------------------------------------------------------------------------------
// Quirks, one story each (NOTES.md §1.4).

const MessageSpec& spec(std::string_view name) { return *find_spec(name); }

Message authorization_request() {
  Message msg;
  msg.set_mti("0100");
  msg.set(2, "4761739001010119");
  msg.set(3, "000000");
  msg.set(4, "000000005000");
  msg.set(11, "000123");
  msg.set(35, "4761739001010119=22122011758928889");
  return msg;
}

TEST(TrackTwo, TheBcdSeparatorNibbleDReadsAsEqualsAndIsWrittenBack) {
  const Message msg = authorization_request();
  std::vector<uint8_t> wire = *encode(spec("iso87binary"), msg);
  // LL 35 digits, then ...0119 D 2212...: the '=' travels as the nibble D.
  EXPECT_NE(to_hex(wire).find("344761739001010119D2212"), std::string::npos) << to_hex(wire);
  Result<Message, DecodeError> back = decode(spec("iso87binary"), wire);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->get(35), "4761739001010119=22122011758928889");
}

TEST(TrackTwo, AnEncoderGivenTheLetterDInsteadOfEqualsRefusesIt) {
  Message msg = authorization_request();
  msg.set(35, "4761739001010119D22122011758928889");
  Result<std::vector<uint8_t>, EncodeError> wire = encode(spec("iso87binary"), msg);
  ASSERT_FALSE(wire.ok());
  EXPECT_EQ(wire.error().field, 35);
  EXPECT_EQ(wire.error().code, EncodeErrc::kBadCharacter);
}

TEST(NumericFields, NonDigitsAreRefusedRatherThanSilentlyPackedAsBcd) {
  // jPOS ISO93B packs DE56 "EFGH" as 56 78 and reads back "5678"; holdfast refuses to send it.
  Message msg;
  msg.set_mti("1800");
  msg.set(56, "EFGH");
  Result<std::vector<uint8_t>, EncodeError> wire = encode(spec("iso93binary"), msg);
  ASSERT_FALSE(wire.ok());
  EXPECT_EQ(describe(wire.error()), "field 56: numeric field holds a non-digit");
}

TEST(NumericFields, OddFixedNumericsPadLeftOn87BinaryAndRightOn93BinaryAndCup) {
  Message msg;
  msg.set_mti("0800");
  msg.set(19, "858");
  EXPECT_EQ(to_hex(*encode(spec("iso87binary"), msg)),
            "08000000200000000000"
            "0858");
  msg.set_mti("1800");
  EXPECT_EQ(to_hex(*encode(spec("iso93binary"), msg)),
            "18000000200000000000"
            "8580");
  msg.set_mti("0800");
  EXPECT_EQ(to_hex(*encode(spec("cup-bcd"), msg)),
            "08000000200000000000"
            "8580");
}

std::vector<uint8_t> ascii(std::string_view text) { return {text.begin(), text.end()}; }

// 0100 with DE 2, 3, 4, 5, 7 (bitmap 7A00...) in iso87ascii.
std::string small_0100(std::string_view bitmap) {
  return "0100" + std::string(bitmap) +
         "164242424242424242"
         "123456"
         "000000000100" +
         "000000000200"
         "0611191024";
}

TEST(Bitmap, LowerCaseHexDecodesLikeUpperCaseAndIsWrittenUpperCase) {
  Result<Message, DecodeError> upper = decode(spec("iso87ascii"), ascii(small_0100("7A00000000000000")));
  Result<Message, DecodeError> lower = decode(spec("iso87ascii"), ascii(small_0100("7a00000000000000")));
  ASSERT_TRUE(upper.ok() && lower.ok());
  EXPECT_TRUE(*upper == *lower);
  EXPECT_EQ(*encode(spec("iso87ascii"), *lower), ascii(small_0100("7A00000000000000")));
}

TEST(Bitmap, ANonHexCharacterIsRejectedWhereJposWouldReadEveryBitAsSet) {
  Result<Message, DecodeError> bad = decode(spec("iso87ascii"), ascii(small_0100("7G00000000000000")));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, DecodeErrc::kBadBitmap);
  EXPECT_EQ(describe(bad.error()), "bitmap at offset 5: non-hex character 0x47 in bitmap");
}

TEST(Bitmap, AnEmptySecondaryBitmapFromTheNpmPeerIsAcceptedAndSentBackTheSameWay) {
  const Vector& advice = vector_at(51);  // npm iso_8583 toAdvice(): bit 1 set, nothing above 64
  Result<Message, DecodeError> msg = decode(spec("iso87binbitmap"), advice.wire());
  ASSERT_TRUE(msg.ok());
  EXPECT_TRUE(msg->empty_secondary_bitmap());
  EXPECT_EQ(*encode(spec("iso87binbitmap"), *msg), advice.wire());

  // A message holdfast builds itself gets a secondary bitmap only when DE 65-128 are present.
  Message built = *msg;
  built.set_empty_secondary_bitmap(false);
  const std::vector<uint8_t> primary_only = *encode(spec("iso87binbitmap"), built);
  EXPECT_EQ(primary_only.size(), advice.wire().size() - 8);
  EXPECT_EQ(primary_only[4] & 0x80, 0);
  built.set(70, "301");
  const std::vector<uint8_t> with_secondary = *encode(spec("iso87binbitmap"), built);
  EXPECT_EQ(with_secondary[4] & 0x80, 0x80);
}

TEST(Bitmap, Bit65WouldAnnounceATertiaryBitmapAndIsRejected) {
  Result<Message, DecodeError> bad = decode(spec("iso87ascii"), ascii("0800"
                                                                      "8000000000000000"
                                                                      "8000000000000000"));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, DecodeErrc::kTertiaryBitmap);
  EXPECT_EQ(bad.error().field, 65);
}

TEST(Bitmap, AFieldTheSpecDoesNotDefineIsRejected) {
  // CUP POS terminals use DE 2-64 only: a DE70 is not something holdfast should guess at.
  Result<Message, DecodeError> bad = decode(spec("cup-bcd"), bytes_of("0800"
                                                                      "8000000000000000"
                                                                      "0400000000000000"
                                                                      "0301"));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(describe(bad.error()), "field 70 at offset 18: not defined by spec cup-bcd");
}

TEST(Lengths, AZeroLengthLlvarIsAcceptedBothWays) {
  Message msg = authorization_request();
  msg.set(2, "");
  for (std::string_view name : spec_names()) {
    Result<std::vector<uint8_t>, EncodeError> wire = encode(spec(name), msg);
    ASSERT_TRUE(wire.ok()) << name;
    Result<Message, DecodeError> back = decode(spec(name), *wire);
    ASSERT_TRUE(back.ok()) << name << ": " << describe(back.error());
    EXPECT_TRUE(back->has(2));
    EXPECT_EQ(back->get(2), "");
  }
}

TEST(Lengths, AnOverlongPanIsRejectedWithTheFieldOffsetAndBothLengths) {
  Result<Message, DecodeError> bad = decode(spec("iso87ascii"), vector_at(35).wire());
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(describe(bad.error()), "field 2 at offset 20: length 20 exceeds maximum 19");
}

TEST(Lengths, TheEncoderInsistsOnExactFixedLengths) {
  Message msg = authorization_request();
  msg.set(3, "12345");
  Result<std::vector<uint8_t>, EncodeError> wire = encode(spec("iso87ascii"), msg);
  ASSERT_FALSE(wire.ok());
  EXPECT_EQ(wire.error().code, EncodeErrc::kBadLength);
  EXPECT_EQ(describe(wire.error()), "field 3: length 5, fixed length is 6");
}

TEST(Strictness, BytesAfterTheLastFieldAreAnErrorNotIgnored) {
  Result<Message, DecodeError> bad = decode(spec("iso87ascii"), vector_at(31).wire());
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(describe(bad.error()), "bitmap at offset 36: 5 trailing bytes after the last field");
}

TEST(Strictness, ANonAsciiByteInAPanIsAnErrorAtThatByte) {
  Result<Message, DecodeError> bad = decode(spec("iso87ascii"), vector_at(34).wire());
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, DecodeErrc::kBadCharacter);
  EXPECT_EQ(bad.error().field, 2);
}

TEST(Strictness, ANonZeroBcdPadNibbleIsRejected) {
  // DE19 "858" left-padded on iso87binary: 08 58 is fine, 18 58 is not.
  EXPECT_TRUE(decode(spec("iso87binary"), bytes_of("0800"
                                                   "0000200000000000"
                                                   "0858"))
                  .ok());
  Result<Message, DecodeError> bad = decode(spec("iso87binary"), bytes_of("0800"
                                                                          "0000200000000000"
                                                                          "1858"));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, DecodeErrc::kBadPadding);
}

// ---------------------------------------------------------------------------------------------
// The message value and the hot-path entry points.

TEST(MessageValue, SettingAFieldFromAnotherFieldOfTheSameMessageIsSafe) {
  Message msg = authorization_request();
  for (int i = 0; i < 100; ++i) msg.set(5, msg.get(4));  // forces the buffer to grow
  EXPECT_EQ(msg.get(5), "000000005000");
  msg.clear(5);
  EXPECT_FALSE(msg.has(5));
  std::vector<int> order;
  for (auto [de, value] : msg.fields()) order.push_back(de);
  EXPECT_EQ(order, (std::vector<int>{2, 3, 4, 11, 35}));
}

TEST(MessageValue, DecodeIntoReusesTheMessageAndForgetsTheOldFields) {
  Message msg;
  ASSERT_TRUE(decode_into(spec("iso87ascii"), vector_at(0).wire(), msg).ok());
  ASSERT_TRUE(decode_into(spec("iso87ascii"), vector_at(19).wire(), msg).ok());
  EXPECT_EQ(msg.field_count(), 3);
  EXPECT_FALSE(msg.has(90));
}

TEST(MessageValue, EncodeIntoAppendsWithoutReallocatingWhenThereIsRoom) {
  std::vector<uint8_t> out = {0x00, 0x00};  // room for a 2-byte length header
  out.reserve(4096);
  const uint8_t* before = out.data();
  ASSERT_TRUE(encode_into(spec("iso87binary"), authorization_request(), out).ok());
  EXPECT_EQ(out.data(), before);
  EXPECT_EQ(std::vector<uint8_t>(out.begin() + 2, out.end()),
            *encode(spec("iso87binary"), authorization_request()));

  Message bad = authorization_request();
  bad.set(4, "12");
  const size_t size = out.size();
  EXPECT_FALSE(encode_into(spec("iso87binary"), bad, out).ok());
  EXPECT_EQ(out.size(), size);  // a failed encode leaves nothing behind
}

// ---------------------------------------------------------------------------------------------
// MTI, JSON

TEST(ResponseMti, RequestsAdvicesAndNotificationsGetTheirResponsePair) {
  const std::pair<const char*, const char*> pairs[] = {
      {"0100", "0110"}, {"0101", "0110"}, {"0400", "0410"}, {"0401", "0410"}, {"0420", "0430"},
      {"0800", "0810"}, {"1100", "1110"}, {"1200", "1210"}, {"1220", "1230"}, {"1240", "1250"},
      {"1800", "1810"}, {"1804", "1814"}, {"1820", "1830"}};
  for (auto [request, response] : pairs) {
    std::string out;
    EXPECT_TRUE(response_mti(request, &out)) << request;
    EXPECT_EQ(out, response) << request;
  }
  std::string out = "unchanged";
  for (const char* not_a_request : {"0110", "0430", "010", "01A0", "0160", "0109"}) {
    EXPECT_FALSE(response_mti(not_a_request, &out)) << not_a_request;
  }
  EXPECT_EQ(out, "unchanged");
}

TEST(Json, BinaryFieldsAreUpperCaseHexAndTextIsItsCharacters) {
  Message msg = authorization_request();
  msg.set(52, std::string("\x01\x23\x45\x67\x89\xab\xcd\xef", 8));
  const json doc = to_json(spec("iso87binary"), msg);
  EXPECT_EQ(doc["mti"], "0100");
  EXPECT_EQ(doc["fields"]["52"], "0123456789ABCDEF");
  EXPECT_EQ(doc["fields"]["35"], "4761739001010119=22122011758928889");
}

TEST(Json, ErrorsNameTheField) {
  auto reason = [](const json& doc) {
    Result<Message, JsonError> msg = from_json(spec("iso87ascii"), doc);
    return msg.ok() ? std::string("accepted") : msg.error().reason;
  };
  EXPECT_EQ(reason({{"mti", "0100"}, {"fields", {{"3", "12345"}}}}), "field 3: length 5, fixed length is 6");
  EXPECT_EQ(reason({{"mti", "0100"}, {"fields", {{"52", "XYZ"}}}}), "field 52: not hex");
  EXPECT_EQ(reason({{"mti", "0100"}, {"fields", {{"65", "00"}}}}),
            "field 65: not defined by spec iso87ascii");
  EXPECT_EQ(reason({{"mti", "0100"}, {"fields", {{"x", "1"}}}}),
            "fields: \"x\" is not a data element 2..128");
  EXPECT_EQ(reason({{"mti", "100"}}), "mti: \"100\" is not four digits");
}

}  // namespace
}  // namespace holdfast::iso8583

namespace holdfast::iso8583 {
namespace {

TEST(PartialDecode, AFailedDecodeKeepsTheFieldsBeforeTheFailingOne) {
  const MessageSpec& binbitmap = *find_spec("iso87binbitmap");
  Message msg;
  msg.set_mti("0100");
  msg.set(3, "000000");
  msg.set(4, "000000010000");
  msg.set(7, "1129120000");
  msg.set(11, "123456");
  msg.set(41, "TERM0001");
  auto wire = encode(binbitmap, msg);
  ASSERT_TRUE(wire.ok());
  // Cut inside DE 41: the keys before it were readable.
  std::vector<uint8_t> cut(wire->begin(), wire->end() - 3);
  Message partial;
  auto result = decode_into(binbitmap, cut, partial);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().field, 41);
  EXPECT_EQ(partial.mti(), "0100");
  EXPECT_EQ(partial.get(11), "123456");
  EXPECT_EQ(partial.get(7), "1129120000");
  EXPECT_FALSE(partial.has(41));
}

}  // namespace
}  // namespace holdfast::iso8583

namespace holdfast::iso8583 {
namespace {

// An 0100 on iso87binbitmap with the matching keys and a PIN block last.
Message salvage_0100() {
  Message msg;
  msg.set_mti("0100");
  msg.set(2, "4242424242424242");
  msg.set(3, "000000");
  msg.set(4, "000000010000");
  msg.set(7, "1129120000");
  msg.set(11, "123456");
  msg.set(37, "000000123456");
  msg.set(41, "TERM0001");
  msg.set(49, "156");
  msg.set(52, std::string("\x12\x34\x56\x78\x9A\xBC\xDE\xF0", 8));
  return msg;
}

std::vector<uint8_t> encoded(const MessageSpec& spec, const Message& msg) {
  auto wire = encode(spec, msg);
  HF_ASSERT(wire.ok());
  return *wire;
}

TEST(Salvage, ANonNumericAmountIsSkippedByItsFixedLengthAndTheStanAfterItIsFound) {
  const MessageSpec& spec = *find_spec("iso87binbitmap");
  std::vector<uint8_t> wire = encoded(spec, salvage_0100());
  const std::string text(wire.begin(), wire.end());
  const size_t at = text.find("000000010000");
  ASSERT_NE(at, std::string::npos);
  wire[at + 5] = 'A';
  Message full;
  ASSERT_FALSE(decode_into(spec, wire, full).ok());
  Message salvaged;
  ASSERT_TRUE(salvage(spec, wire, salvaged));
  EXPECT_EQ(salvaged.mti(), "0100");
  EXPECT_FALSE(salvaged.has(4));  // malformed: located, not kept
  EXPECT_EQ(salvaged.get(11), "123456");
  EXPECT_EQ(salvaged.get(41), "TERM0001");
  EXPECT_EQ(salvaged.get(52).size(), 8u);
  EXPECT_TRUE(encode(spec, salvaged).ok());
}

TEST(Salvage, ABitmapAnnouncingAMissingFieldKeepsOnlyValidFieldsAndStopsWhereBytesRunOut) {
  const MessageSpec& spec = *find_spec("iso87binbitmap");
  std::vector<uint8_t> wire = encoded(spec, salvage_0100());
  // Announce DE 32 (LLVAR n..11), which is not there: its prefix is read from DE 37 ("00"),
  // every later field shifts by two bytes, DE 49 reads two bytes of the PIN block and DE 52
  // runs out of bytes.
  wire[4 + 3] |= 0x01;  // bitmap byte 4 (DE 25..32), lowest bit = DE 32
  Message salvaged;
  ASSERT_TRUE(salvage(spec, wire, salvaged));
  EXPECT_EQ(salvaged.get(11), "123456");
  EXPECT_EQ(salvaged.get(32), "");
  EXPECT_FALSE(salvaged.has(49));  // "6" + PIN block bytes: not digits
  EXPECT_FALSE(salvaged.has(52));  // truncated: reading stopped
  EXPECT_TRUE(encode(spec, salvaged).ok());
  // What decode_into leaves behind holds the malformed DE 49, which does not encode.
  Message partial;
  ASSERT_FALSE(decode_into(spec, wire, partial).ok());
  EXPECT_FALSE(encode(spec, partial).ok());
}

TEST(Salvage, AVariableFieldNeedsAValidLengthPrefixAndReadingStopsThere) {
  const MessageSpec& spec = *find_spec("iso87ascii");
  Message msg = salvage_0100();
  msg.clear(52);
  std::vector<uint8_t> wire = encoded(spec, msg);
  wire[4 + 16] = 'X';  // the first digit of DE 2's LL prefix
  Message salvaged;
  ASSERT_TRUE(salvage(spec, wire, salvaged));
  EXPECT_EQ(salvaged.mti(), "0100");
  EXPECT_EQ(salvaged.field_count(), 0);  // DE 2 cannot be located, nor anything after it
}

TEST(Salvage, OnBcdLinksAFixedFieldIsSkippedByItsPackedSize) {
  const MessageSpec& spec = *find_spec("iso87binary");
  Message msg = salvage_0100();
  std::vector<uint8_t> wire = encoded(spec, msg);
  // DE 3 (n6, 3 BCD bytes) follows MTI (2), bitmap (8), DE 2 (1 + 8): make its first nibble 0xA.
  wire[2 + 8 + 9] = 0xA0;
  Message salvaged;
  ASSERT_TRUE(salvage(spec, wire, salvaged));
  EXPECT_FALSE(salvaged.has(3));
  EXPECT_EQ(salvaged.get(4), "000000010000");
  EXPECT_EQ(salvaged.get(11), "123456");
}

TEST(Salvage, AnUnreadableMtiSalvagesNothing) {
  const MessageSpec& spec = *find_spec("iso87ascii");
  Message salvaged;
  EXPECT_FALSE(salvage(spec, ascii("01X0"), salvaged));
  EXPECT_EQ(salvaged.mti(), "");
  EXPECT_FALSE(salvage(spec, ascii("01"), salvaged));
}

}  // namespace
}  // namespace holdfast::iso8583
