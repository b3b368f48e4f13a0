// Record kinds, the function-code table, and the mapping between a 1993 message and a record.
#include <array>
#include <string>

#include "base/assert.h"
#include "clearing/internal.h"

namespace holdfast::clearing {
namespace {

constexpr std::array<std::string_view, 6> kKindNames = {"first_presentment",   "first_presentment_reversal",
                                                        "second_presentment",  "chargeback",
                                                        "chargeback_reversal", "arbitration_chargeback"};

}  // namespace

std::string_view kind_name(RecordKind kind) {
  const auto i = static_cast<size_t>(kind);
  HF_REQUIRE(i < kKindNames.size());
  return kKindNames[i];
}

std::optional<RecordKind> parse_kind(std::string_view name) {
  for (size_t i = 0; i < kKindNames.size(); ++i)
    if (kKindNames[i] == name) return static_cast<RecordKind>(i);
  return std::nullopt;
}

std::string_view errc_name(ClearingErrc code) {
  switch (code) {
    case ClearingErrc::kIo: return "io";
    case ClearingErrc::kUnknownFormat: return "unknown_format";
    case ClearingErrc::kTruncated: return "truncated";
    case ClearingErrc::kBadRecordLength: return "bad_record_length";
    case ClearingErrc::kBadCsvHeader: return "bad_csv_header";
    case ClearingErrc::kMissingTrailer: return "missing_trailer";
    case ClearingErrc::kTrailerCountMismatch: return "trailer_count_mismatch";
    case ClearingErrc::kDataAfterTrailer: return "data_after_trailer";
    case ClearingErrc::kBadMessage: return "bad_message";
    case ClearingErrc::kUnsupportedMessage: return "unsupported_message";
    case ClearingErrc::kMisplacedHeader: return "misplaced_header";
    case ClearingErrc::kMissingField: return "missing_field";
    case ClearingErrc::kBadField: return "bad_field";
    case ClearingErrc::kNoStableId: return "no_stable_id";
    case ClearingErrc::kBadCsvRow: return "bad_csv_row";
  }
  HF_UNREACHABLE();
}

std::string describe(const ClearingError& e) {
  std::string out = "record " + std::to_string(e.record_number);
  if (e.line != 0) {
    out += " at line " + std::to_string(e.line) + " column " + std::to_string(e.column);
  } else {
    out += " at offset " + std::to_string(e.byte_offset);
  }
  if (!e.field_name.empty()) out += ", " + e.field_name;
  out += ": " + std::string(errc_name(e.code)) + ": " + e.reason;
  if (e.fatal) out += " (fatal)";
  return out;
}

namespace internal {

std::optional<Classified> classify(uint16_t mti, uint16_t function, bool reversal) {
  using enum RecordKind;
  if (mti == kMtiPresentment) {
    if (function == 200) return Classified{reversal ? kFirstPresentmentReversal : kFirstPresentment, false};
    if (reversal) return std::nullopt;
    if (function == 205) return Classified{kSecondPresentment, false};
    if (function == 282) return Classified{kSecondPresentment, true};
    return std::nullopt;
  }
  if (mti == kMtiChargeback) {
    if (function == 450 || function == 453)
      return Classified{reversal ? kChargebackReversal : kChargeback, function == 453};
    if (reversal) return std::nullopt;
    if (function == 451 || function == 454) return Classified{kArbitrationChargeback, function == 454};
  }
  return std::nullopt;
}

Codes codes_for(RecordKind kind, bool partial) {
  switch (kind) {
    case RecordKind::kFirstPresentment:
    case RecordKind::kFirstPresentmentReversal: return {kMtiPresentment, 200};
    case RecordKind::kSecondPresentment: return {kMtiPresentment, static_cast<uint16_t>(partial ? 282 : 205)};
    case RecordKind::kChargeback:
    case RecordKind::kChargebackReversal: return {kMtiChargeback, static_cast<uint16_t>(partial ? 453 : 450)};
    case RecordKind::kArbitrationChargeback:
      return {kMtiChargeback, static_cast<uint16_t>(partial ? 454 : 451)};
  }
  HF_UNREACHABLE();
}

bool is_digits(std::string_view s) {
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return !s.empty();
}

bool is_alnum(std::string_view s) {
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'))) return false;
  return !s.empty();
}

std::optional<uint32_t> parse_u32(std::string_view digits) {
  if (digits.size() > 9 || !is_digits(digits)) return std::nullopt;
  uint32_t v = 0;
  for (char c : digits) v = v * 10 + static_cast<uint32_t>(c - '0');
  return v;
}

std::string pad_digits(uint64_t value, size_t width) {
  std::string s = std::to_string(value);
  if (s.size() < width) s.insert(0, width - s.size(), '0');
  return s;
}

std::optional<std::vector<Pds>> parse_pds(std::string_view de48) {
  std::vector<Pds> out;
  size_t pos = 0;
  while (pos < de48.size()) {
    if (de48.size() - pos < 7) return std::nullopt;
    const auto tag = de48.substr(pos, 4);
    const auto len = parse_u32(de48.substr(pos + 4, 3));
    if (!is_digits(tag) || !len || *len > de48.size() - pos - 7) return std::nullopt;
    out.push_back({tag, de48.substr(pos + 7, *len)});
    pos += 7 + *len;
  }
  return out;
}

void append_pds(std::string* de48, std::string_view tag, std::string_view data) {
  HF_REQUIRE(tag.size() == 4 && data.size() <= 999);
  de48->append(tag);
  de48->append(pad_digits(data.size(), 3));
  de48->append(data);
}

bool valid_local_time(const LocalDateTime& t) {
  static constexpr uint8_t kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (t.year < 2000 || t.year > 2099 || t.month < 1 || t.month > 12 || t.day < 1) return false;
  const bool leap = t.year % 4 == 0 && (t.year % 100 != 0 || t.year % 400 == 0);
  const int days = kDays[t.month - 1] + (t.month == 2 && leap ? 1 : 0);
  return t.day <= days && t.hour <= 23 && t.minute <= 59 && t.second <= 59;
}

std::string de_name(int de) {
  std::string_view what;
  switch (de) {
    case 2: what = "PAN"; break;
    case 4: what = "amount, transaction"; break;
    case 5: what = "amount, reconciliation"; break;
    case 6: what = "amount, cardholder billing"; break;
    case 9: what = "conversion rate, reconciliation"; break;
    case 10: what = "conversion rate, cardholder billing"; break;
    case 12: what = "date and time, local transaction"; break;
    case 19: what = "acquiring institution country code"; break;
    case 22: what = "POS data code"; break;
    case 24: what = "function code"; break;
    case 25: what = "message reason code"; break;
    case 26: what = "card acceptor business code (MCC)"; break;
    case 31: what = "acquirer reference data (ARN)"; break;
    case 37: what = "retrieval reference number"; break;
    case 38: what = "approval code"; break;
    case 43: what = "card acceptor name/location"; break;
    case 48: what = "additional data (PDS)"; break;
    case 49: what = "currency code, transaction"; break;
    case 50: what = "currency code, reconciliation"; break;
    case 51: what = "currency code, cardholder billing"; break;
    default: break;
  }
  if (de == 0) return "MTI";
  if (de == 1) return "bitmap";
  std::string out = "DE ";  // appended piece by piece: '"..." + std::string' trips g++ 12 -Wrestrict
  out += std::to_string(de);
  if (!what.empty()) out.append(" ").append(what);
  return out;
}

namespace {

FieldProblem problem(ClearingErrc code, int de, std::string reason) {
  return FieldProblem{code, de, de_name(de), std::move(reason)};
}

std::optional<Currency> known_currency(std::string_view digits) {
  const auto v = parse_u32(digits);
  if (!v || digits.size() != 3) return std::nullopt;
  const Currency c{static_cast<uint16_t>(*v)};
  if (!currency_exponent(c)) return std::nullopt;
  return c;
}

// An amount (n12) with its currency (n3): both or neither.
Result<std::optional<Money>, FieldProblem> money_pair(const iso8583::Message& msg, int amount_de,
                                                      int currency_de) {
  const bool has_amount = msg.has(amount_de);
  const bool has_currency = msg.has(currency_de);
  if (!has_amount && !has_currency) return std::optional<Money>{};
  if (!has_amount) return problem(ClearingErrc::kMissingField, amount_de, "currency without amount");
  if (!has_currency) return problem(ClearingErrc::kMissingField, currency_de, "amount without currency");
  const auto minor = parse_amount_digits(msg.get(amount_de));
  if (!minor) return problem(ClearingErrc::kBadField, amount_de, "not an amount");
  const auto currency = known_currency(msg.get(currency_de));
  if (!currency) return problem(ClearingErrc::kBadField, currency_de, "unknown currency code");
  return std::optional<Money>{Money{*minor, *currency}};
}

Result<std::optional<ConversionRate>, FieldProblem> rate(const iso8583::Message& msg, int de) {
  if (!msg.has(de)) return std::optional<ConversionRate>{};
  const auto v = msg.get(de);
  if (v.size() != 8 || !is_digits(v) || v[0] > '7')
    return problem(ClearingErrc::kBadField, de, "conversion rate must be n8 with 0..7 decimals");
  return std::optional<ConversionRate>{
      ConversionRate{static_cast<uint8_t>(v[0] - '0'), *parse_u32(v.substr(1))}};
}

std::optional<LocalDateTime> parse_de12(std::string_view v) {
  if (v.size() != 12 || !is_digits(v)) return std::nullopt;
  auto two = [&](size_t i) { return static_cast<uint8_t>((v[i] - '0') * 10 + (v[i + 1] - '0')); };
  LocalDateTime t{static_cast<uint16_t>(2000 + two(0)), two(2), two(4), two(6), two(8), two(10)};
  if (!valid_local_time(t)) return std::nullopt;
  return t;
}

std::string format_de12(const LocalDateTime& t) {
  return pad_digits(t.year % 100, 2) + pad_digits(t.month, 2) + pad_digits(t.day, 2) + pad_digits(t.hour, 2) +
         pad_digits(t.minute, 2) + pad_digits(t.second, 2);
}

bool is_upper_alpha3(std::string_view s) {
  if (s.size() != 3) return false;
  for (char c : s)
    if (c < 'A' || c > 'Z') return false;
  return true;
}

CardPresence presence_of(std::string_view pos_data_code) {
  if (pos_data_code.size() < 6) return CardPresence::kUnknown;
  if (pos_data_code[5] == '1') return CardPresence::kPresent;
  if (pos_data_code[5] == '0') return CardPresence::kNotPresent;
  return CardPresence::kUnknown;
}

bool needs_reason(RecordKind k) {
  return k == RecordKind::kChargeback || k == RecordKind::kChargebackReversal ||
         k == RecordKind::kArbitrationChargeback;
}

bool needs_arn(RecordKind k) {
  return k != RecordKind::kFirstPresentment && k != RecordKind::kFirstPresentmentReversal;
}

// The optional descriptive fields: ids, MCC, country, POS data, time, reason.
Result<Ok, FieldProblem> read_descriptive(const iso8583::Message& msg, ClearingRecord* r) {
  r->approval_code = std::string(msg.get(38));
  r->rrn = std::string(msg.get(37));
  r->arn = std::string(msg.get(31));
  if (msg.has(26)) r->mcc = static_cast<uint16_t>(*parse_u32(msg.get(26)));
  if (msg.has(19)) {
    r->country = std::string(msg.get(19));
  } else if (msg.has(43) && msg.get(43).size() >= 3) {
    const auto de43 = msg.get(43);
    if (is_upper_alpha3(de43.substr(de43.size() - 3))) r->country = std::string(de43.substr(de43.size() - 3));
  }
  r->pos_data_code = std::string(msg.get(22));
  r->card_presence = presence_of(r->pos_data_code);
  if (msg.has(12)) {
    r->local_time = parse_de12(msg.get(12));
    if (!r->local_time) return problem(ClearingErrc::kBadField, 12, "not a valid YYMMDDhhmmss");
  }
  if (msg.has(25)) r->reason_code = static_cast<uint16_t>(*parse_u32(msg.get(25)));
  if (needs_reason(r->kind) && !r->reason_code)
    return problem(ClearingErrc::kMissingField, 25, "a chargeback needs its reason code");
  if (needs_arn(r->kind) && r->arn.empty())
    return problem(ClearingErrc::kMissingField, 31, "this kind needs the ARN of the original presentment");
  return Ok{};
}

}  // namespace

Result<ClearingRecord, FieldProblem> record_from_message(const iso8583::Message& msg) {
  ClearingRecord r;
  const auto mti = parse_u32(msg.mti());
  if (!msg.has(24)) return problem(ClearingErrc::kMissingField, 24, "function code required");
  const auto function = parse_u32(msg.get(24));
  bool reversal = false;
  if (msg.has(48)) {
    const auto pds = parse_pds(msg.get(48));
    if (!pds) return problem(ClearingErrc::kBadField, 48, "not a PDS sequence (tag n4, length n3, data)");
    for (const auto& p : *pds)
      if (p.tag == kPdsReversal) reversal = !p.data.empty() && p.data[0] == 'R';
  }
  const auto classified =
      classify(static_cast<uint16_t>(mti.value_or(0)), static_cast<uint16_t>(function.value_or(0)), reversal);
  if (!mti || !function || !classified)
    return problem(ClearingErrc::kUnsupportedMessage, 24,
                   "MTI " + std::string(msg.mti()) + " function " + std::string(msg.get(24)) +
                       (reversal ? " reversal" : "") + " is not in the table");
  r.kind = classified->kind;
  r.partial = classified->partial;
  r.mti = static_cast<uint16_t>(*mti);
  r.function_code = static_cast<uint16_t>(*function);
  if (!msg.has(2)) return problem(ClearingErrc::kMissingField, 2, "PAN required");
  if (msg.get(2).size() < 12) return problem(ClearingErrc::kBadField, 2, "PAN shorter than 12 digits");
  r.pan = std::string(msg.get(2));
  auto amount = money_pair(msg, 4, 49);
  if (!amount.ok()) return amount.error();
  if (!amount->has_value()) return problem(ClearingErrc::kMissingField, 4, "transaction amount required");
  r.amount = **amount;
  auto billing = money_pair(msg, 6, 51);
  if (!billing.ok()) return billing.error();
  r.billing = *billing;
  auto reconciliation = money_pair(msg, 5, 50);
  if (!reconciliation.ok()) return reconciliation.error();
  r.reconciliation = *reconciliation;
  auto billing_rate = rate(msg, 10);
  if (!billing_rate.ok()) return billing_rate.error();
  r.billing_rate = *billing_rate;
  auto reconciliation_rate = rate(msg, 9);
  if (!reconciliation_rate.ok()) return reconciliation_rate.error();
  r.reconciliation_rate = *reconciliation_rate;
  auto descriptive = read_descriptive(msg, &r);
  if (!descriptive.ok()) return descriptive.error();
  return r;
}

namespace {

Result<Ok, FieldProblem> set_checked(iso8583::Message* msg, int de, std::string_view value) {
  msg->set(de, value);
  return Ok{};
}

void set_money(iso8583::Message* msg, int amount_de, int currency_de, const Money& m) {
  msg->set(amount_de, pad_digits(static_cast<uint64_t>(m.minor), 12));
  msg->set(currency_de, pad_digits(m.currency.code, 3));
}

std::string format_rate(const ConversionRate& r) {
  return pad_digits(r.decimals, 1) + pad_digits(r.digits, 7);
}

}  // namespace

Result<Ok, FieldProblem> message_from_record(const ClearingRecord& r, iso8583::Message* msg) {
  msg->reset();
  const Codes codes = codes_for(r.kind, r.partial);
  msg->set_mti(pad_digits(codes.mti, 4));
  msg->set(24, pad_digits(codes.function, 3));
  if (r.kind == RecordKind::kFirstPresentmentReversal || r.kind == RecordKind::kChargebackReversal) {
    std::string de48;
    std::string reversal = "R";  // appended, not '"R" + std::string' (g++ 12 -Wrestrict)
    reversal += r.local_time ? format_de12(*r.local_time).substr(0, 6) : "000000";
    append_pds(&de48, kPdsReversal, reversal);
    msg->set(48, de48);
  }
  auto money_ok = [](const Money& m) {
    return m.minor >= 0 && m.minor <= 999'999'999'999 && currency_exponent(m.currency).has_value();
  };
  if (!money_ok(r.amount))
    return problem(ClearingErrc::kBadField, 4, "amount out of range or unknown currency");
  set_money(msg, 4, 49, r.amount);
  if (r.billing) {
    if (!money_ok(*r.billing))
      return problem(ClearingErrc::kBadField, 6, "amount out of range or unknown currency");
    set_money(msg, 6, 51, *r.billing);
  }
  if (r.reconciliation) {
    if (!money_ok(*r.reconciliation))
      return problem(ClearingErrc::kBadField, 5, "amount out of range or unknown currency");
    set_money(msg, 5, 50, *r.reconciliation);
  }
  for (auto [de, rt] : {std::pair{10, r.billing_rate}, std::pair{9, r.reconciliation_rate}}) {
    if (!rt) continue;
    if (rt->decimals > 7 || rt->digits > 9'999'999)
      return problem(ClearingErrc::kBadField, de, "rate out of range");
    msg->set(de, format_rate(*rt));
  }
  msg->set(2, r.pan);
  if (!r.approval_code.empty()) msg->set(38, r.approval_code);
  if (!r.rrn.empty()) msg->set(37, r.rrn);
  if (!r.arn.empty()) msg->set(31, r.arn);
  if (r.mcc) msg->set(26, pad_digits(*r.mcc, 4));
  if (is_digits(r.country)) {
    msg->set(19, r.country);
  } else if (is_upper_alpha3(r.country)) {
    msg->set(43, std::string("\\\\\\") + std::string(13, ' ') + r.country);
  } else if (!r.country.empty()) {
    return problem(ClearingErrc::kBadField, 19, "country is neither 3 digits nor 3 upper-case letters");
  }
  if (!r.pos_data_code.empty()) {
    msg->set(22, r.pos_data_code);
  } else if (r.card_presence != CardPresence::kUnknown) {
    msg->set(22, r.card_presence == CardPresence::kPresent ? "999991999999" : "999990999999");
  }
  if (r.local_time) {
    if (!valid_local_time(*r.local_time))
      return problem(ClearingErrc::kBadField, 12, "not a valid local time");
    msg->set(12, format_de12(*r.local_time));
  }
  if (r.reason_code) {
    if (*r.reason_code > 9999) return problem(ClearingErrc::kBadField, 25, "reason code over 4 digits");
    msg->set(25, pad_digits(*r.reason_code, 4));
  }
  return set_checked(msg, 2, r.pan);
}

}  // namespace internal
}  // namespace holdfast::clearing
