// clearing_test: stories about clearing files, read one record at a time.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <random>

#include "clearing/clearing.h"
#include "iso8583/codec.h"

namespace holdfast::clearing {
namespace {

const iso8583::MessageSpec& binary_spec() { return *iso8583::find_spec("iso93binary"); }
const iso8583::MessageSpec& ascii_spec() { return *iso8583::find_spec("iso93ascii"); }

ClearingRecord presentment(std::string pan, int64_t amount_minor, std::string approval, std::string arn) {
  ClearingRecord r;
  r.kind = RecordKind::kFirstPresentment;
  r.mti = 1240;
  r.function_code = 200;
  r.pan = std::move(pan);
  r.amount = Money{amount_minor, Currency{156}};
  r.approval_code = std::move(approval);
  r.rrn = "633412345678";
  r.arn = std::move(arn);
  r.mcc = 5812;
  r.country = "156";
  r.pos_data_code = "510101513344";  // position 6 = '1': card present
  r.card_presence = CardPresence::kPresent;
  r.local_time = LocalDateTime{2026, 11, 28, 19, 30, 5};
  return r;
}

ClearingRecord chargeback(std::string arn, int64_t amount_minor, uint16_t reason) {
  ClearingRecord r = presentment("6212345678901234", amount_minor, "A1B2C3", std::move(arn));
  r.kind = RecordKind::kChargeback;
  r.mti = 1442;
  r.function_code = 450;
  r.reason_code = reason;
  return r;
}

std::vector<uint8_t> frame(const iso8583::Message& msg, const iso8583::MessageSpec& spec = binary_spec()) {
  auto encoded = iso8583::encode(spec, msg);
  EXPECT_TRUE(encoded.ok()) << iso8583::describe(encoded.error());
  std::vector<uint8_t> out;
  const auto n = static_cast<uint32_t>(encoded->size());
  out.reserve(4 + n);
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<uint8_t>(n >> shift));
  for (uint8_t b : *encoded) out.push_back(b);
  return out;
}

std::vector<uint8_t> write(const std::vector<ClearingRecord>& records, const WriteOptions& options = {},
                           const iso8583::MessageSpec& spec = binary_spec()) {
  auto bytes = write_clearing_file(records, spec, options);
  EXPECT_TRUE(bytes.ok()) << describe(bytes.error());
  return bytes.ok() ? *bytes : std::vector<uint8_t>{};
}

struct ReadAll {
  std::vector<ClearingRecord> records;
  std::vector<ClearingError> errors;
  bool complete = false;
};

ReadAll read_all(ClearingReader reader) {
  ReadAll out;
  for (int guard = 0; guard < 100000; ++guard) {
    auto r = reader.next();
    if (!r.ok()) {
      out.errors.push_back(r.error());
      if (r.error().fatal) break;
      continue;
    }
    if (!r->has_value()) break;
    out.records.push_back(std::move(**r));
  }
  out.complete = reader.complete();
  return out;
}

ReadAll read_binary(std::span<const uint8_t> bytes, const iso8583::MessageSpec* spec = nullptr) {
  ReaderOptions options;
  options.spec = spec;
  return read_all(ClearingReader::from_bytes(bytes, options));
}

ReadAll read_csv(std::string_view text) {
  ReaderOptions options;
  options.format = FileFormat::kCsv;
  return read_all(ClearingReader::from_bytes(
      std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(text.data()), text.size()), options));
}

// Records as the reader numbers them: header = record 1.
std::vector<ClearingRecord> numbered(std::vector<ClearingRecord> records, const std::string& file_id) {
  for (size_t i = 0; i < records.size(); ++i) {
    records[i].record_number = i + 2;
    records[i].record_id = file_id + ":" + std::to_string(i + 2);
  }
  return records;
}

TEST(ClearingStory, FileWithHeaderThreePresentmentsAndTrailer) {
  const std::vector<ClearingRecord> sent = {
      presentment("6212345678901234", 12'000, "A1B2C3", "74567896123456789012345"),
      presentment("6212345678901234", 8'050, "D4E5F6", "74567896123456789012346"),
      presentment("4000123412341234", 99'900, "777777", "74567896123456789012347")};
  const auto bytes = write(sent, WriteOptions{"IPM-2026-11-29-001"});
  const auto got = read_binary(bytes);
  EXPECT_TRUE(got.errors.empty());
  EXPECT_TRUE(got.complete);
  ASSERT_EQ(got.records.size(), 3U);
  EXPECT_EQ(got.records, numbered(sent, "IPM-2026-11-29-001"));
  EXPECT_EQ(got.records[0].record_id, "IPM-2026-11-29-001:2");
  EXPECT_EQ(got.records[2].amount, (Money{99'900, Currency{156}}));
  EXPECT_EQ(got.records[1].card_presence, CardPresence::kPresent);
  EXPECT_EQ(got.records[1].mcc, 5812);
}

TEST(ClearingStory, PartialAndMultiplePresentmentsForOneApprovalCode) {
  // One approval of CNY 100.00 for a hotel, cleared as two partial presentments, then a
  // partial second presentment after a chargeback; the reader yields each, linked by approval
  // code and RRN, and leaves the matching to the engine.
  auto first = presentment("6212345678901234", 6'000, "H0TEL1", "74567896123456789000001");
  auto second = presentment("6212345678901234", 4'500, "H0TEL1", "74567896123456789000002");
  auto repr = first;
  repr.kind = RecordKind::kSecondPresentment;
  repr.partial = true;
  repr.function_code = 282;
  first.billing = Money{850, Currency{840}};
  first.billing_rate = ConversionRate{4, 1417};  // 0.1417 USD per CNY
  first.reconciliation = Money{850, Currency{840}};
  const auto got = read_binary(write({first, second, repr}, WriteOptions{""}));
  ASSERT_TRUE(got.errors.empty()) << describe(got.errors[0]);
  ASSERT_EQ(got.records.size(), 3U);
  EXPECT_TRUE(got.complete);
  EXPECT_EQ(got.records[0].approval_code, got.records[1].approval_code);
  EXPECT_EQ(got.records[0].amount.minor + got.records[1].amount.minor, 10'500);
  EXPECT_EQ(got.records[0].billing, (Money{850, Currency{840}}));
  EXPECT_EQ(got.records[0].billing_rate, (ConversionRate{4, 1417}));
  EXPECT_EQ(got.records[2].kind, RecordKind::kSecondPresentment);
  EXPECT_TRUE(got.records[2].partial);
  EXPECT_EQ(got.records[2].function_code, 282);
  // No file id: the ARN and function code make the id.
  EXPECT_EQ(got.records[0].record_id, "arn:74567896123456789000001:200");
  EXPECT_EQ(got.records[2].record_id, "arn:74567896123456789000001:282");
}

TEST(ClearingStory, ChargebackWithReasonCodeAndOneWithoutIsSkippable) {
  auto cb = chargeback("74567896123456789012345", 12'000, 4837);
  auto reversal = cb;
  reversal.kind = RecordKind::kChargebackReversal;
  iso8583::Message no_reason;
  no_reason.set_mti("1442");
  no_reason.set(2, "6212345678901234");
  no_reason.set(4, "000000012000");
  no_reason.set(49, "156");
  no_reason.set(24, "450");
  no_reason.set(31, "74567896123456789012399");
  auto bytes = write({cb}, WriteOptions{""});
  const auto bad = frame(no_reason);
  bytes.insert(bytes.end(), bad.begin(), bad.end());
  const auto tail = write({reversal}, WriteOptions{""});
  bytes.insert(bytes.end(), tail.begin(), tail.end());
  const auto got = read_binary(bytes);
  ASSERT_EQ(got.records.size(), 2U);
  EXPECT_EQ(got.records[0].kind, RecordKind::kChargeback);
  EXPECT_EQ(got.records[0].mti, 1442);
  EXPECT_EQ(got.records[0].reason_code, 4837);
  EXPECT_EQ(got.records[1].kind, RecordKind::kChargebackReversal);
  EXPECT_EQ(got.records[1].record_number, 3U);
  ASSERT_EQ(got.errors.size(), 1U);
  EXPECT_EQ(got.errors[0].code, ClearingErrc::kMissingField);
  EXPECT_EQ(got.errors[0].field, 25);
  EXPECT_EQ(got.errors[0].record_number, 2U);
  EXPECT_FALSE(got.errors[0].fatal);
  EXPECT_TRUE(got.complete);
  EXPECT_NE(describe(got.errors[0]).find("DE 25"), std::string::npos) << describe(got.errors[0]);
}

TEST(ClearingStory, AsciiSpecAndUnknownMessagesAndSkippedControlMessages) {
  iso8583::Message position;  // 1644/685 financial position: skipped, counted
  position.set_mti("1644");
  position.set(24, "685");
  iso8583::Message auth;  // an authorisation does not belong in a clearing file
  auth.set_mti("1100");
  auth.set(24, "100");
  auto bytes = frame(position, ascii_spec());
  const auto a = frame(auth, ascii_spec());
  bytes.insert(bytes.end(), a.begin(), a.end());
  const auto recs =
      write({presentment("6212345678901234", 100, "ABCDEF", "1")}, WriteOptions{""}, ascii_spec());
  bytes.insert(bytes.end(), recs.begin(), recs.end());
  ReaderOptions options;
  options.spec = &ascii_spec();
  options.file_id = "ops-upload-7";
  auto reader = ClearingReader::from_bytes(bytes, options);
  auto r1 = reader.next();
  ASSERT_FALSE(r1.ok());
  EXPECT_EQ(r1.error().code, ClearingErrc::kUnsupportedMessage);
  EXPECT_EQ(r1.error().record_number, 2U);
  auto r2 = reader.next();
  ASSERT_TRUE(r2.ok() && r2->has_value());
  EXPECT_EQ((*r2)->record_id, "ops-upload-7:3");
  EXPECT_EQ(reader.stats().skipped, 1U);
  auto r3 = reader.next();
  ASSERT_TRUE(r3.ok());
  EXPECT_FALSE(r3->has_value());
  EXPECT_TRUE(reader.complete());
}

TEST(ClearingStory, TruncatedFileIsAFatalErrorWithItsOffset) {
  const auto full = write({presentment("6212345678901234", 100, "ABCDEF", "1"),
                           presentment("6212345678901234", 200, "ABCDEF", "2")},
                          WriteOptions{""});
  const std::span<const uint8_t> cut(full.data(), full.size() - 3);
  const auto got = read_binary(cut);
  ASSERT_EQ(got.records.size(), 1U);
  ASSERT_EQ(got.errors.size(), 1U);
  EXPECT_EQ(got.errors[0].code, ClearingErrc::kTruncated);
  EXPECT_TRUE(got.errors[0].fatal);
  EXPECT_EQ(got.errors[0].record_number, 2U);
  const uint32_t first_len = (uint32_t{full[2]} << 8) | full[3];
  EXPECT_EQ(got.errors[0].byte_offset, 4U + first_len);
  EXPECT_FALSE(got.complete);
}

TEST(ClearingStory, BadRecordLengthStopsTheFile) {
  for (const std::vector<uint8_t>& prefix :
       {std::vector<uint8_t>{0, 0, 0, 0}, std::vector<uint8_t>{0x7F, 0xFF, 0xFF, 0xFF}}) {
    auto bytes = write({presentment("6212345678901234", 100, "ABCDEF", "1")}, WriteOptions{""});
    const size_t offset = bytes.size();
    bytes.insert(bytes.end(), prefix.begin(), prefix.end());
    bytes.insert(bytes.end(), 40, 0x31);
    const auto got = read_binary(bytes);
    EXPECT_EQ(got.records.size(), 1U);
    ASSERT_EQ(got.errors.size(), 1U);
    EXPECT_EQ(got.errors[0].code, ClearingErrc::kBadRecordLength);
    EXPECT_EQ(got.errors[0].byte_offset, offset);
    EXPECT_TRUE(got.errors[0].fatal);
    EXPECT_FALSE(got.complete);
  }
}

TEST(ClearingStory, WrongTrailerCountIsCaught) {
  // Take a good 3-message file (header, one presentment, trailer) and drop the presentment.
  const auto full = write({presentment("6212345678901234", 100, "ABCDEF", "1")}, WriteOptions{"F1"});
  const uint32_t header_len = (uint32_t{full[2]} << 8) | full[3];
  const size_t second = 4 + header_len;
  const uint32_t record_len = (uint32_t{full[second + 2]} << 8) | full[second + 3];
  std::vector<uint8_t> bytes(full.begin(), full.begin() + static_cast<long>(second));
  bytes.insert(bytes.end(), full.begin() + static_cast<long>(second + 4 + record_len), full.end());
  const auto got = read_binary(bytes);
  EXPECT_TRUE(got.records.empty());
  ASSERT_EQ(got.errors.size(), 1U);
  EXPECT_EQ(got.errors[0].code, ClearingErrc::kTrailerCountMismatch);
  EXPECT_FALSE(got.complete);
  // And a header without its trailer.
  const auto no_trailer = read_binary(std::span<const uint8_t>(full.data(), second + 4 + record_len));
  EXPECT_EQ(no_trailer.records.size(), 1U);
  ASSERT_EQ(no_trailer.errors.size(), 1U);
  EXPECT_EQ(no_trailer.errors[0].code, ClearingErrc::kMissingTrailer);
}

TEST(ClearingStory, OperatorCsv) {
  std::string csv(csv_header());
  csv += "\n";
  csv +=
      "ops-1,first_presentment,6212345678901234,12000,CNY,1700,840,A1B2C3,633412345678,"
      "74567896123456789012345,5812,THA,Y,2026-11-28T19:30:05,\r\n";
  csv += "ops-2,chargeback,6212345678901234,12000,156,,,A1B2C3,,74567896123456789012345,,,N,,4837\n";
  const auto got = read_csv(csv);
  ASSERT_TRUE(got.errors.empty()) << describe(got.errors[0]);
  EXPECT_TRUE(got.complete);
  ASSERT_EQ(got.records.size(), 2U);
  const auto& p = got.records[0];
  EXPECT_EQ(p.record_id, "ops-1");
  EXPECT_EQ(p.record_number, 1U);
  EXPECT_EQ(p.amount, (Money{12000, Currency{156}}));
  EXPECT_EQ(p.billing, (Money{1700, Currency{840}}));
  EXPECT_EQ(p.country, "THA");
  EXPECT_EQ(p.card_presence, CardPresence::kPresent);
  EXPECT_EQ(p.local_time, (LocalDateTime{2026, 11, 28, 19, 30, 5}));
  EXPECT_EQ(got.records[1].kind, RecordKind::kChargeback);
  EXPECT_EQ(got.records[1].reason_code, 4837);
  EXPECT_EQ(got.records[1].mti, 1442);
}

TEST(ClearingStory, CsvBadAmountNamesLineAndColumnAndTheNextRowStillReads) {
  std::string csv(csv_header());
  csv += "\n";
  csv += "ops-1,first_presentment,6212345678901234,120.00,CNY,,,,,,,,,,\n";
  csv += "ops-2,first_presentment,6212345678901234,12000,CNY,,,,,,,,,,\n";
  const auto got = read_csv(csv);
  ASSERT_EQ(got.errors.size(), 1U);
  const auto& e = got.errors[0];
  EXPECT_EQ(e.code, ClearingErrc::kBadField);
  EXPECT_EQ(e.line, 2U);
  EXPECT_EQ(e.column, 42U);  // "ops-1,first_presentment,6212345678901234," is 41 characters
  EXPECT_EQ(e.field, 4);
  EXPECT_EQ(e.field_name, "amount_minor");
  EXPECT_FALSE(e.fatal);
  EXPECT_NE(describe(e).find("line 2 column 42, amount_minor"), std::string::npos) << describe(e);
  ASSERT_EQ(got.records.size(), 1U);
  EXPECT_EQ(got.records[0].record_id, "ops-2");
  EXPECT_TRUE(got.complete);
}

TEST(ClearingStory, CsvStrictness) {
  const std::string head = std::string(csv_header()) + "\n";
  const std::string good = "a,first_presentment,6212345678901234,1,CNY,,,,,,,,,,";
  EXPECT_EQ(read_csv("record_id,kind\n" + good + "\n").errors.at(0).code, ClearingErrc::kBadCsvHeader);
  EXPECT_EQ(read_csv("").errors.at(0).code, ClearingErrc::kBadCsvHeader);
  EXPECT_EQ(read_csv(head + good + ",\n").errors.at(0).code, ClearingErrc::kBadCsvRow);
  EXPECT_EQ(read_csv(head + "\"a\"" + good.substr(1) + "\n").errors.at(0).code, ClearingErrc::kBadCsvRow);
  EXPECT_EQ(read_csv(head + "\n").errors.at(0).code, ClearingErrc::kBadCsvRow);
  EXPECT_EQ(read_csv(head + "a,chargeback,6212345678901234,1,CNY,,,,,1,,,,,\n").errors.at(0).field_name,
            "reason_code");
  EXPECT_EQ(
      read_csv(head + "a,first_presentment,6212345678901234,-1,CNY,,,,,,,,,,\n").errors.at(0).field_name,
      "amount_minor");
  EXPECT_EQ(read_csv(head + "a,first_presentment,6212345678901234,1,XXX,,,,,,,,,,\n").errors.at(0).field_name,
            "currency");
  EXPECT_EQ(
      read_csv(head + "a,first_presentment,6212345678901234,1,CNY,5,,,,,,,,,\n").errors.at(0).field_name,
      "billing_currency");
  EXPECT_EQ(read_csv(head + "a,first_presentment,6212345678901234,1,CNY,,,,,,,,,2026-02-30 10:00:00,\n")
                .errors.at(0)
                .field_name,
            "local_time");
  EXPECT_EQ(read_csv(head + "a,first_presentment,6212345678901234,1,CNY,,,,,,,,,2026-02-29T10:00:00,\n")
                .errors.at(0)
                .field_name,
            "local_time");
  EXPECT_TRUE(read_csv(head + "a,first_presentment,6212345678901234,1,CNY,,,,,,,,,2028-02-29T10:00:00,\n")
                  .errors.empty());
  const auto cut = read_csv(head + good);  // no line ending: cut short
  EXPECT_EQ(cut.errors.at(0).code, ClearingErrc::kTruncated);
  EXPECT_FALSE(cut.complete);
  EXPECT_EQ(read_csv(head + std::string(5000, 'x') + "\n").errors.at(0).code, ClearingErrc::kBadCsvRow);
}

// Seeded random records within what both formats carry.
ClearingRecord random_record(std::mt19937_64& rng, bool csv) {
  auto pick = [&](uint64_t n) { return rng() % n; };
  auto digits = [&](size_t n) {
    std::string s;
    for (size_t i = 0; i < n; ++i) s += static_cast<char>('0' + pick(10));
    return s;
  };
  auto alnum = [&](size_t n) {
    static constexpr std::string_view kChars =
        "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    std::string s;
    for (size_t i = 0; i < n; ++i) s += kChars[pick(kChars.size())];
    return s;
  };
  static constexpr uint16_t kCurrencies[] = {156, 840, 978, 392, 826, 344};
  ClearingRecord r;
  r.kind = static_cast<RecordKind>(pick(6));
  r.partial = !csv && r.kind != RecordKind::kFirstPresentment &&
              r.kind != RecordKind::kFirstPresentmentReversal && pick(2) == 0;
  const auto codes = std::array<std::pair<uint16_t, uint16_t>, 6>{
      {{1240, 200}, {1240, 200}, {1240, 205}, {1442, 450}, {1442, 450}, {1442, 451}}};
  r.mti = codes[static_cast<size_t>(r.kind)].first;
  r.function_code = codes[static_cast<size_t>(r.kind)].second;
  if (r.partial) r.function_code = r.function_code == 205 ? 282 : r.function_code == 450 ? 453 : 454;
  r.pan = digits(12 + pick(8));
  r.amount = Money{static_cast<int64_t>(pick(1'000'000'000'000)), Currency{kCurrencies[pick(6)]}};
  if (pick(2)) r.billing = Money{static_cast<int64_t>(pick(1'000'000'000)), Currency{kCurrencies[pick(6)]}};
  if (pick(3) == 0) r.approval_code = alnum(6);
  if (pick(3) == 0) r.rrn = alnum(12);
  if (r.mti == 1442 || r.kind == RecordKind::kSecondPresentment || pick(2)) r.arn = alnum(1 + pick(23));
  if (pick(2)) r.mcc = static_cast<uint16_t>(pick(10000));
  const int country = static_cast<int>(pick(3));
  if (country == 1) r.country = digits(3);
  if (country == 2)
    r.country = std::string{static_cast<char>('A' + pick(26)), static_cast<char>('A' + pick(26)),
                            static_cast<char>('A' + pick(26))};
  if (pick(2))
    r.local_time = LocalDateTime{static_cast<uint16_t>(2000 + pick(100)), static_cast<uint8_t>(1 + pick(12)),
                                 static_cast<uint8_t>(1 + pick(28)),      static_cast<uint8_t>(pick(24)),
                                 static_cast<uint8_t>(pick(60)),          static_cast<uint8_t>(pick(60))};
  if (r.mti == 1442 || pick(4) == 0) r.reason_code = static_cast<uint16_t>(pick(10000));
  if (csv) {
    r.card_presence = static_cast<CardPresence>(pick(3));
  } else {
    if (pick(2)) {
      r.billing_rate = ConversionRate{static_cast<uint8_t>(pick(8)), static_cast<uint32_t>(pick(10'000'000))};
      r.reconciliation = Money{static_cast<int64_t>(pick(1'000'000)), Currency{kCurrencies[pick(6)]}};
      r.reconciliation_rate =
          ConversionRate{static_cast<uint8_t>(pick(8)), static_cast<uint32_t>(pick(10'000'000))};
    }
    if (pick(2)) {
      r.pos_data_code = alnum(12);
      r.card_presence = r.pos_data_code[5] == '1'   ? CardPresence::kPresent
                        : r.pos_data_code[5] == '0' ? CardPresence::kNotPresent
                                                    : CardPresence::kUnknown;
    }
  }
  return r;
}

TEST(ClearingProperty, BinaryRoundTripUnderBothSpecs) {
  for (const auto* spec : {&binary_spec(), &ascii_spec()}) {
    for (uint64_t seed = 1; seed <= 40; ++seed) {
      std::mt19937_64 rng(seed);
      std::vector<ClearingRecord> records;
      for (uint64_t i = 0, n = rng() % 20; i < n; ++i) records.push_back(random_record(rng, false));
      const auto bytes = write(records, WriteOptions{"SEED-" + std::to_string(seed)}, *spec);
      const auto got = read_binary(bytes, spec);
      ASSERT_TRUE(got.errors.empty()) << spec->name << " seed " << seed << ": " << describe(got.errors[0]);
      EXPECT_TRUE(got.complete);
      EXPECT_EQ(got.records, numbered(records, "SEED-" + std::to_string(seed)))
          << spec->name << " seed " << seed;
    }
  }
}

TEST(ClearingProperty, CsvRoundTrip) {
  for (uint64_t seed = 1; seed <= 40; ++seed) {
    std::mt19937_64 rng(seed);
    std::vector<ClearingRecord> records;
    for (uint64_t i = 0, n = rng() % 20; i < n; ++i) {
      records.push_back(random_record(rng, true));
      records.back().record_id = "row-" + std::to_string(seed) + "." + std::to_string(i);
      records.back().record_number = i + 1;
    }
    auto csv = write_clearing_csv(records);
    ASSERT_TRUE(csv.ok()) << describe(csv.error());
    const auto got = read_csv(*csv);
    ASSERT_TRUE(got.errors.empty()) << "seed " << seed << ": " << describe(got.errors[0]);
    EXPECT_TRUE(got.complete);
    EXPECT_EQ(got.records, records) << "seed " << seed;
  }
}

TEST(ClearingProperty, EveryPrefixOfAValidFileIsFullyReadOrFailsCleanly) {
  std::mt19937_64 rng(7);
  std::vector<ClearingRecord> records;
  for (int i = 0; i < 4; ++i) records.push_back(random_record(rng, false));
  const auto bytes = write(records, WriteOptions{"PREFIX"});
  const auto expected = numbered(records, "PREFIX");
  for (size_t n = 0; n < bytes.size(); ++n) {
    const auto got = read_binary(std::span<const uint8_t>(bytes.data(), n));
    ASSERT_LE(got.records.size(), expected.size());
    for (size_t i = 0; i < got.records.size(); ++i) EXPECT_EQ(got.records[i], expected[i]) << "prefix " << n;
    if (n == 0) {
      EXPECT_TRUE(got.complete);  // an empty file: nothing to read
      continue;
    }
    EXPECT_FALSE(got.complete) << "prefix " << n;
    ASSERT_EQ(got.errors.size(), 1U) << "prefix " << n;
    EXPECT_TRUE(got.errors[0].fatal);
  }
  EXPECT_TRUE(read_binary(bytes).complete);

  for (auto& r : records) r.partial = false, r.record_id = "r";
  std::vector<ClearingRecord> csv_records;
  for (int i = 0; i < 4; ++i) {
    csv_records.push_back(random_record(rng, true));
    csv_records.back().record_id = "r" + std::to_string(i);
    csv_records.back().record_number = static_cast<uint64_t>(i + 1);
  }
  const auto csv = *write_clearing_csv(csv_records);
  for (size_t n = 0; n < csv.size(); ++n) {
    const auto got = read_csv(std::string_view(csv).substr(0, n));
    ASSERT_LE(got.records.size(), csv_records.size());
    for (size_t i = 0; i < got.records.size(); ++i)
      EXPECT_EQ(got.records[i], csv_records[i]) << "prefix " << n;
    // A cut at a line end reads as a shorter file (the CSV has no trailer); any other cut fails.
    if (n > 0 && csv[n - 1] == '\n') {
      EXPECT_TRUE(got.complete) << "prefix " << n;
    } else {
      EXPECT_FALSE(got.complete) << "prefix " << n;
      EXPECT_TRUE(!got.errors.empty() && got.errors.back().fatal) << "prefix " << n;
    }
  }
}

ReadAll read_as(std::span<const uint8_t> bytes, FileFormat format) {
  ReaderOptions options;
  options.format = format;
  return read_all(ClearingReader::from_bytes(bytes, options));
}

std::span<const uint8_t> bytes_of(std::string_view text) {
  return {reinterpret_cast<const uint8_t*>(text.data()), text.size()};
}

std::string one_row_csv() {
  std::string csv(csv_header());
  csv += "\nops-1,first_presentment,6212345678901234,12000,156,,,A1B2C3,,,5812,CHN,Y,,\n";
  return csv;
}

// An operator who forgets --format csv used to get "record length 1919247215" (the bytes
// "rec" + "o" read as a length): format auto reads either, and a file named as the wrong format
// says which one it looks like.
TEST(ClearingFormat, AutoDetectionReadsBothFormats) {
  const auto binary = write({presentment("6212345678901234", 100, "ABCDEF", "1")}, WriteOptions{"F1"});
  const auto from_binary = read_as(binary, FileFormat::kAuto);
  EXPECT_TRUE(from_binary.errors.empty());
  EXPECT_TRUE(from_binary.complete);
  EXPECT_EQ(from_binary.records.size(), 1U);
  const std::string csv = one_row_csv();
  const auto from_csv = read_as(bytes_of(csv), FileFormat::kAuto);
  ASSERT_TRUE(from_csv.errors.empty()) << describe(from_csv.errors[0]);
  EXPECT_TRUE(from_csv.complete);
  EXPECT_EQ(from_csv.records.size(), 1U);
  EXPECT_EQ(detect_format(bytes_of("\xEF\xBB\xBF" + csv)), FileFormat::kCsv);
  EXPECT_EQ(detect_format(bytes_of("")), std::nullopt);
  EXPECT_TRUE(read_as({}, FileFormat::kAuto).complete);  // an empty file: no records
}

TEST(ClearingFormat, AFileLikeNeitherFormatIsRefusedNamingBoth) {
  const auto got = read_as(bytes_of("hello, this is not a clearing file\n"), FileFormat::kAuto);
  ASSERT_EQ(got.errors.size(), 1U);
  EXPECT_EQ(got.errors[0].code, ClearingErrc::kUnknownFormat);
  EXPECT_TRUE(got.errors[0].fatal);
  EXPECT_EQ(got.errors[0].byte_offset, 0U);
  const std::string text = describe(got.errors[0]);
  EXPECT_NE(text.find("at offset 0"), std::string::npos) << text;
  EXPECT_NE(text.find("1..32768"), std::string::npos) << text;
  EXPECT_NE(text.find("record_id,"), std::string::npos) << text;
  EXPECT_FALSE(got.complete);
}

TEST(ClearingFormat, ACsvReadAsBinarySaysItLooksLikeCsvWithTheOffsetAndTheLimit) {
  const std::string csv = one_row_csv();
  const auto got = read_as(bytes_of(csv), FileFormat::kBinary);
  ASSERT_EQ(got.errors.size(), 1U);
  EXPECT_EQ(got.errors[0].code, ClearingErrc::kBadRecordLength);
  const std::string text = describe(got.errors[0]);
  EXPECT_NE(text.find("at offset 0"), std::string::npos) << text;
  EXPECT_NE(text.find("record length 1919247215 (allowed 1..32768)"), std::string::npos) << text;
  EXPECT_NE(text.find("this looks like the operator CSV: read it as CSV (--format csv)"), std::string::npos)
      << text;
  // And a binary file read as CSV.
  const auto binary = write({presentment("6212345678901234", 100, "ABCDEF", "1")}, WriteOptions{"F1"});
  const auto as_csv = read_as(binary, FileFormat::kCsv);
  ASSERT_EQ(as_csv.errors.size(), 1U);
  EXPECT_EQ(as_csv.errors[0].code, ClearingErrc::kBadCsvHeader);
  EXPECT_NE(as_csv.errors[0].reason.find("looks like a binary clearing file"), std::string::npos)
      << as_csv.errors[0].reason;
  // A bad length later in a binary file gets no hint: the file was binary.
  auto later = write({presentment("6212345678901234", 100, "ABCDEF", "1")}, WriteOptions{""});
  later.insert(later.end(), {'r', 'e', 'c', 'o'});
  const auto late = read_as(later, FileFormat::kBinary);
  ASSERT_EQ(late.errors.size(), 1U);
  EXPECT_EQ(late.errors[0].reason.find("looks like"), std::string::npos);
}

TEST(ClearingStory, ReadsFromAFilePathAndReportsAMissingFile) {
  std::mt19937_64 rng(11);
  std::vector<ClearingRecord> records;
  for (int i = 0; i < 300; ++i) records.push_back(random_record(rng, false));  // spans chunks
  const auto bytes = write(records, WriteOptions{"ONDISK"});
  const std::string path = ::testing::TempDir() + "clearing_test_file.bin";
  {
    std::ofstream out(path, std::ios::binary);
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  }
  const auto got = read_all(ClearingReader::from_file(path));
  EXPECT_TRUE(got.errors.empty());
  EXPECT_TRUE(got.complete);
  EXPECT_EQ(got.records, numbered(records, "ONDISK"));
  std::remove(path.c_str());
  const auto missing = read_all(ClearingReader::from_file(path));
  ASSERT_EQ(missing.errors.size(), 1U);
  EXPECT_EQ(missing.errors[0].code, ClearingErrc::kIo);
  EXPECT_FALSE(missing.complete);
}

}  // namespace
}  // namespace holdfast::clearing
