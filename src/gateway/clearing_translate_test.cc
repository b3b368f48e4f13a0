// Clearing records into Presentment commands: what each field becomes, and the errors that name
// the field at fault.
#include "gateway/clearing_translate.h"

#include <gtest/gtest.h>

#include <string>

#include "base/hex.h"

namespace holdfast::gateway {
namespace {

const PanHasher kHasher(std::array<uint8_t, 32>{7, 7, 7});
constexpr Currency kCny{156};
constexpr Currency kThb{764};

// A Thai supermarket's card-present purchase on a CNY card, billed in CNY.
clearing::ClearingRecord thai_purchase() {
  clearing::ClearingRecord r;
  r.kind = clearing::RecordKind::kFirstPresentment;
  r.mti = 1240;
  r.function_code = 200;
  r.record_id = "F2026112801:2";
  r.pan = "6225880000000018";
  r.amount = Money{350000, kThb};
  r.billing = Money{70312, kCny};
  r.approval_code = "A1B2C3";
  r.rrn = "633212345678";
  r.arn = "74123456789012345678901";
  r.mcc = 5411;
  r.country = "THA";
  r.card_presence = clearing::CardPresence::kPresent;
  r.local_time = clearing::LocalDateTime{2026, 11, 28, 14, 30, 5};
  return r;
}

std::string text(const auto& chars) { return std::string(chars.begin(), chars.end()); }

TEST(ClearingTranslate, APresentmentCarriesTheCardHashedAndMaskedAndEveryMatchingField) {
  const auto p = to_presentment(thai_purchase(), kHasher);
  ASSERT_TRUE(p.ok()) << p.error().reason;
  EXPECT_EQ(p->kind, engine::PresentmentKind::first_presentment);
  EXPECT_EQ(p->function_code, 200);
  EXPECT_FALSE(p->partial);
  EXPECT_EQ(p->record_id, digest16("F2026112801:2"));
  EXPECT_EQ(p->arn, digest16("74123456789012345678901"));
  EXPECT_EQ(text(p->arn_text), "74123456789012345678901");
  EXPECT_EQ(p->pan_hash, kHasher.hash("6225880000000018"));
  EXPECT_EQ(p->masked_pan.display(), "622588******0018");
  EXPECT_EQ(p->amount_minor, 350000);
  EXPECT_EQ(p->currency, kThb);
  EXPECT_EQ(p->billing_amount_minor, 70312);
  EXPECT_EQ(p->billing_currency, kCny);
  EXPECT_EQ(text(p->approval_code), "A1B2C3");
  EXPECT_EQ(text(p->retrieval_reference), "633212345678");
  EXPECT_EQ(p->mcc, 5411);
  EXPECT_EQ(p->acquirer_country, 764);  // THA through the ISO 3166 table
  EXPECT_EQ(p->channel, cards::UseChannel::card_present);
  EXPECT_EQ(p->transaction_time, Timestamp::from_seconds(1'795'876'205));  // 2026-11-28T14:30:05 as UTC
  EXPECT_EQ(p->utc_offset_min_minutes, 420);                               // Thailand: UTC+7 all year
  EXPECT_EQ(p->utc_offset_max_minutes, 420);
  EXPECT_EQ(p->reason_code, 0);
}

TEST(ClearingTranslate, TheLocalTimeCarriesItsCountrysUtcOffsets) {
  clearing::ClearingRecord r = thai_purchase();
  r.country = "840";
  auto p = to_presentment(r, kHasher);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->utc_offset_min_minutes, -600);  // Hawaii
  EXPECT_EQ(p->utc_offset_max_minutes, -240);  // New York in summer
  r.country.clear();                           // no country: anywhere on earth
  p = to_presentment(r, kHasher);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->utc_offset_min_minutes, -720);
  EXPECT_EQ(p->utc_offset_max_minutes, 840);
}

TEST(ClearingTranslate, TheDigestIsTheFirstSixteenBytesOfSha256) {
  EXPECT_EQ(to_hex(digest16("abc").bytes), "BA7816BF8F01CFEA414140DE5DAE2223");  // FIPS 180-2 example
  EXPECT_NE(digest16("F1:1"), digest16("F1:2"));
}

TEST(ClearingTranslate, AbsentFieldsStayEmptyAndANumericCountryIsTakenAsIs) {
  clearing::ClearingRecord r = thai_purchase();
  r.billing.reset();
  r.approval_code.clear();
  r.rrn.clear();
  r.arn.clear();
  r.mcc.reset();
  r.country = "156";
  r.card_presence = clearing::CardPresence::kUnknown;
  r.local_time.reset();
  const auto p = to_presentment(r, kHasher);
  ASSERT_TRUE(p.ok()) << p.error().reason;
  EXPECT_EQ(p->billing_amount_minor, 0);
  EXPECT_EQ(p->billing_currency.code, 0);
  EXPECT_EQ(p->approval_code, (std::array<char, 6>{}));
  EXPECT_EQ(p->retrieval_reference, (std::array<char, 12>{}));
  EXPECT_EQ(p->arn, engine::Digest16{});  // no ARN: the all-zero digest
  EXPECT_EQ(p->arn_text, (std::array<char, 23>{}));
  EXPECT_EQ(p->mcc, 0);
  EXPECT_EQ(p->acquirer_country, 156);
  EXPECT_EQ(p->channel, cards::UseChannel::any);
  EXPECT_EQ(p->transaction_time, Timestamp{});
}

TEST(ClearingTranslate, EachRecordKindBecomesItsPresentmentKind) {
  const std::pair<clearing::RecordKind, engine::PresentmentKind> cases[] = {
      {clearing::RecordKind::kFirstPresentment, engine::PresentmentKind::first_presentment},
      {clearing::RecordKind::kFirstPresentmentReversal, engine::PresentmentKind::first_presentment_reversal},
      {clearing::RecordKind::kSecondPresentment, engine::PresentmentKind::second_presentment},
      {clearing::RecordKind::kChargeback, engine::PresentmentKind::other},
      {clearing::RecordKind::kChargebackReversal, engine::PresentmentKind::other},
      {clearing::RecordKind::kArbitrationChargeback, engine::PresentmentKind::other},
  };
  for (const auto& [kind, expected] : cases) {
    clearing::ClearingRecord r = thai_purchase();
    r.kind = kind;
    r.reason_code = 4837;
    const auto p = to_presentment(r, kHasher);
    ASSERT_TRUE(p.ok()) << p.error().reason;
    EXPECT_EQ(p->kind, expected) << clearing::kind_name(kind);
    EXPECT_EQ(p->reason_code, 4837);
  }
  clearing::ClearingRecord partial = thai_purchase();
  partial.kind = clearing::RecordKind::kSecondPresentment;
  partial.function_code = 282;
  partial.partial = true;
  partial.card_presence = clearing::CardPresence::kNotPresent;
  const auto p = to_presentment(partial, kHasher);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->function_code, 282);
  EXPECT_TRUE(p->partial);
  EXPECT_EQ(p->channel, cards::UseChannel::card_not_present);
}

TEST(ClearingTranslate, AnArnLongerThanTwentyThreeCharactersIsRefusedNamingTheField) {
  clearing::ClearingRecord r = thai_purchase();
  r.arn = std::string(24, '7');
  const auto p = to_presentment(r, kHasher);
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error().field, 31);
  EXPECT_EQ(p.error().code, TranslateErrc::invalid_field);
  EXPECT_NE(p.error().reason.find("ARN"), std::string::npos) << p.error().reason;
  EXPECT_NE(p.error().reason.find("23"), std::string::npos) << p.error().reason;
}

TEST(ClearingTranslate, BadFieldsAreRefusedNamingTheFieldAndTheReason) {
  struct Case {
    void (*spoil)(clearing::ClearingRecord&);
    int field;
    const char* words;
  };
  const Case cases[] = {
      {[](clearing::ClearingRecord& r) { r.record_id.clear(); }, 0, "record id"},
      {[](clearing::ClearingRecord& r) { r.pan = "62258800"; }, 2, "PAN"},
      {[](clearing::ClearingRecord& r) { r.pan = "622588000000001A"; }, 2, "12 to 19 digits"},
      {[](clearing::ClearingRecord& r) { r.amount.minor = -1; }, 4, "amount"},
      {[](clearing::ClearingRecord& r) {
         r.billing = Money{1, Currency{0}};
       },
       6, "billing"},
      {[](clearing::ClearingRecord& r) { r.approval_code = "A1B2"; }, 38, "approval code"},
      {[](clearing::ClearingRecord& r) { r.rrn = "63321234567!"; }, 37, "retrieval reference"},
      {[](clearing::ClearingRecord& r) { r.mcc = 10000; }, 26, "MCC"},
      {[](clearing::ClearingRecord& r) { r.country = "QQQ"; }, 43, "'QQQ' is not an ISO 3166 alpha-3"},
      {[](clearing::ClearingRecord& r) { r.country = "th"; }, 19, "country"},
      {[](clearing::ClearingRecord& r) { r.arn = "7412\n"; }, 31, "printable"},
      {[](clearing::ClearingRecord& r) { r.reason_code = 12345; }, 25, "reason code"},
  };
  for (const Case& c : cases) {
    clearing::ClearingRecord r = thai_purchase();
    c.spoil(r);
    const auto p = to_presentment(r, kHasher);
    ASSERT_FALSE(p.ok()) << c.words;
    EXPECT_EQ(p.error().field, c.field) << p.error().reason;
    EXPECT_NE(p.error().reason.find(c.words), std::string::npos) << p.error().reason;
  }
}

TEST(ClearingTranslate, ARecordReadFromTheOperatorCsvTranslatesLikeTheRecordWritten) {
  const std::vector<clearing::ClearingRecord> written = {thai_purchase()};
  const auto csv = clearing::write_clearing_csv(written);
  ASSERT_TRUE(csv.ok());
  clearing::ReaderOptions options;
  options.format = clearing::FileFormat::kCsv;
  auto reader = clearing::ClearingReader::from_bytes(
      std::span(reinterpret_cast<const uint8_t*>(csv->data()), csv->size()), options);
  auto read = reader.next();
  ASSERT_TRUE(read.ok()) << clearing::describe(read.error());
  ASSERT_TRUE(read->has_value());
  const auto from_file = to_presentment(**read, kHasher);
  const auto direct = to_presentment(written[0], kHasher);
  ASSERT_TRUE(from_file.ok() && direct.ok());
  EXPECT_EQ(from_file->record_id, direct->record_id);
  EXPECT_EQ(from_file->pan_hash, direct->pan_hash);
  EXPECT_EQ(from_file->amount_minor, direct->amount_minor);
  EXPECT_EQ(from_file->billing_amount_minor, direct->billing_amount_minor);
  EXPECT_EQ(from_file->approval_code, direct->approval_code);
  EXPECT_EQ(from_file->acquirer_country, direct->acquirer_country);
  EXPECT_EQ(from_file->transaction_time, direct->transaction_time);
}

}  // namespace
}  // namespace holdfast::gateway
