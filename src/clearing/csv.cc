// The operator CSV: reader (ClearingReader::next_csv) and writer. FORMAT.md has the format.
#include <algorithm>
#include <array>

#include "base/assert.h"
#include "clearing/internal.h"

namespace holdfast::clearing {

using namespace internal;

namespace {

constexpr std::string_view kHeader =
    "record_id,kind,pan,amount_minor,currency,billing_amount_minor,billing_currency,"
    "approval_code,rrn,arn,mcc,country,card_present,local_time,reason_code";
constexpr std::array<std::string_view, kCsvColumns> kColumns = {
    "record_id",        "kind",          "pan",        "amount_minor", "currency", "billing_amount_minor",
    "billing_currency", "approval_code", "rrn",        "arn",          "mcc",      "country",
    "card_present",     "local_time",    "reason_code"};
enum Col : size_t {
  kRecordId,
  kKind,
  kPan,
  kAmount,
  kCurrency,
  kBillingAmount,
  kBillingCurrency,
  kApproval,
  kRrn,
  kArn,
  kMcc,
  kCountry,
  kCardPresent,
  kLocalTime,
  kReason
};

struct Cell {
  std::string_view text;
  uint32_t column;  // 1-based character column where the cell starts
};

struct RowProblem {
  size_t col;  // index into kColumns
  ClearingErrc code;
  std::string reason;
};

bool id_char(char c) {
  return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '.' || c == '_' ||
         c == ':' || c == '/' || c == '-';
}

std::optional<int64_t> parse_minor(std::string_view s) {
  if (s.size() > 12 || !is_digits(s)) return std::nullopt;  // n12, as DE 4
  return parse_amount_digits(s);
}

std::optional<Currency> parse_csv_currency(std::string_view s) {
  if (s.size() != 3) return std::nullopt;
  const auto c = parse_currency(s);
  if (!c || !currency_exponent(*c)) return std::nullopt;
  return c;
}

std::optional<LocalDateTime> parse_iso_time(std::string_view s) {
  // YYYY-MM-DDThh:mm:ss
  if (s.size() != 19 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':')
    return std::nullopt;
  const auto y = parse_u32(s.substr(0, 4)), mo = parse_u32(s.substr(5, 2)), d = parse_u32(s.substr(8, 2)),
             h = parse_u32(s.substr(11, 2)), mi = parse_u32(s.substr(14, 2)), se = parse_u32(s.substr(17, 2));
  if (!y || !mo || !d || !h || !mi || !se || s.substr(0, 4).size() != 4) return std::nullopt;
  LocalDateTime t{static_cast<uint16_t>(*y), static_cast<uint8_t>(*mo), static_cast<uint8_t>(*d),
                  static_cast<uint8_t>(*h),  static_cast<uint8_t>(*mi), static_cast<uint8_t>(*se)};
  if (!valid_local_time(t)) return std::nullopt;
  return t;
}

std::string format_iso_time(const LocalDateTime& t) {
  return pad_digits(t.year, 4) + "-" + pad_digits(t.month, 2) + "-" + pad_digits(t.day, 2) + "T" +
         pad_digits(t.hour, 2) + ":" + pad_digits(t.minute, 2) + ":" + pad_digits(t.second, 2);
}

bool valid_country(std::string_view s) {
  if (s.size() != 3) return false;
  if (is_digits(s)) return true;
  for (char c : s)
    if (c < 'A' || c > 'Z') return false;
  return true;
}

RowProblem bad(size_t col, std::string reason) { return {col, ClearingErrc::kBadField, std::move(reason)}; }

// The identity and money columns.
std::optional<RowProblem> parse_core(const std::array<Cell, kCsvColumns>& c, ClearingRecord* r) {
  const auto id = c[kRecordId].text;
  if (id.empty()) return RowProblem{kRecordId, ClearingErrc::kMissingField, "required"};
  if (id.size() > kMaxRecordIdChars) return bad(kRecordId, "longer than 64 characters");
  for (char ch : id)
    if (!id_char(ch)) return bad(kRecordId, "only letters, digits and . _ : / - are allowed");
  r->record_id = std::string(id);
  const auto kind = parse_kind(c[kKind].text);
  if (!kind) return bad(kKind, "unknown kind '" + std::string(c[kKind].text) + "'");
  r->kind = *kind;
  const Codes codes = codes_for(*kind, false);
  r->mti = codes.mti;
  r->function_code = codes.function;
  const auto pan = c[kPan].text;
  if (pan.size() < 12 || pan.size() > 19 || !is_digits(pan)) return bad(kPan, "must be 12 to 19 digits");
  r->pan = std::string(pan);
  const auto amount = parse_minor(c[kAmount].text);
  if (!amount) return bad(kAmount, "must be 1 to 12 digits (minor units, no sign, no point)");
  const auto currency = parse_csv_currency(c[kCurrency].text);
  if (!currency) return bad(kCurrency, "unknown currency (ISO 4217 numeric or alphabetic)");
  r->amount = Money{*amount, *currency};
  const auto ba = c[kBillingAmount].text, bc = c[kBillingCurrency].text;
  if (ba.empty() != bc.empty())
    return RowProblem{ba.empty() ? kBillingAmount : kBillingCurrency, ClearingErrc::kMissingField,
                      "billing amount and billing currency go together"};
  if (!ba.empty()) {
    const auto billing = parse_minor(ba);
    if (!billing) return bad(kBillingAmount, "must be 1 to 12 digits (minor units, no sign, no point)");
    const auto billing_currency = parse_csv_currency(bc);
    if (!billing_currency) return bad(kBillingCurrency, "unknown currency (ISO 4217 numeric or alphabetic)");
    r->billing = Money{*billing, *billing_currency};
  }
  return std::nullopt;
}

// The reference and descriptive columns.
std::optional<RowProblem> parse_details(const std::array<Cell, kCsvColumns>& c, ClearingRecord* r) {
  const auto approval = c[kApproval].text;
  if (!approval.empty() && (approval.size() != 6 || !is_alnum(approval)))
    return bad(kApproval, "must be 6 letters or digits");
  r->approval_code = std::string(approval);
  const auto rrn = c[kRrn].text;
  if (!rrn.empty() && (rrn.size() != 12 || !is_alnum(rrn))) return bad(kRrn, "must be 12 letters or digits");
  r->rrn = std::string(rrn);
  const auto arn = c[kArn].text;
  if (!arn.empty() && (arn.size() > 99 || !is_alnum(arn)))
    return bad(kArn, "must be 1 to 99 letters or digits");
  r->arn = std::string(arn);
  if (!c[kMcc].text.empty()) {
    if (c[kMcc].text.size() != 4 || !is_digits(c[kMcc].text)) return bad(kMcc, "must be 4 digits");
    r->mcc = static_cast<uint16_t>(*parse_u32(c[kMcc].text));
  }
  const auto country = c[kCountry].text;
  if (!country.empty() && !valid_country(country))
    return bad(kCountry, "must be ISO 3166 numeric (3 digits) or alpha-3 (upper case)");
  r->country = std::string(country);
  const auto cp = c[kCardPresent].text;
  if (cp == "Y") {
    r->card_presence = CardPresence::kPresent;
  } else if (cp == "N") {
    r->card_presence = CardPresence::kNotPresent;
  } else if (!cp.empty()) {
    return bad(kCardPresent, "must be Y, N or empty");
  }
  if (!c[kLocalTime].text.empty()) {
    r->local_time = parse_iso_time(c[kLocalTime].text);
    if (!r->local_time) return bad(kLocalTime, "must be YYYY-MM-DDThh:mm:ss, year 2000..2099");
  }
  const auto reason = c[kReason].text;
  if (!reason.empty()) {
    if (reason.size() != 4 || !is_digits(reason)) return bad(kReason, "must be 4 digits");
    r->reason_code = static_cast<uint16_t>(*parse_u32(reason));
  }
  const bool chargeback = r->mti == kMtiChargeback;
  if (chargeback && !r->reason_code)
    return RowProblem{kReason, ClearingErrc::kMissingField, "a chargeback needs its reason code"};
  if (r->kind != RecordKind::kFirstPresentment && r->kind != RecordKind::kFirstPresentmentReversal &&
      r->arn.empty())
    return RowProblem{kArn, ClearingErrc::kMissingField,
                      "this kind needs the ARN of the original presentment"};
  return std::nullopt;
}

}  // namespace

std::string_view csv_header() { return kHeader; }

Result<std::optional<ClearingRecord>, ClearingError> ClearingReader::next_csv() {
  std::string line;
  bool too_long = false;
  bool terminated = false;
  if (!started_) {
    started_ = true;
    const bool any = source_->read_line(&line, kMaxCsvLineBytes, &too_long, &terminated);
    line_ = 1;
    if (source_->io_error()) return fail({ClearingErrc::kIo, true, 0, 0, 1, 1, 0, "", "read error"});
    if (line.starts_with("\xEF\xBB\xBF")) line.erase(0, 3);  // a UTF-8 byte order mark
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (!any || too_long || line != kHeader || !terminated)
      return fail({ClearingErrc::kBadCsvHeader, true, 0, 0, 1, 1, 0, "",
                   any ? "the first line must be exactly: " + std::string(kHeader) : "empty file"});
  }
  const bool any = source_->read_line(&line, kMaxCsvLineBytes, &too_long, &terminated);
  if (source_->io_error())
    return fail({ClearingErrc::kIo, true, stats_.messages + 1, 0, line_ + 1, 1, 0, "", "read error"});
  if (!any) {
    complete_ = true;
    return std::optional<ClearingRecord>{};
  }
  ++line_;
  const uint64_t record = ++stats_.messages;
  if (!terminated)
    return fail({ClearingErrc::kTruncated, true, record, 0, line_, static_cast<uint32_t>(line.size() + 1), 0,
                 "", "the last line has no line ending: the file is cut short"});
  auto row_error = [&](ClearingErrc code, uint32_t column, int field, std::string name, std::string reason) {
    ++stats_.errors;
    return ClearingError{code, false, record, 0, line_, column, field, std::move(name), std::move(reason)};
  };
  if (too_long)
    return row_error(ClearingErrc::kBadCsvRow, static_cast<uint32_t>(kMaxCsvLineBytes) + 1, 0, "",
                     "line longer than " + std::to_string(kMaxCsvLineBytes) + " bytes");
  if (!line.empty() && line.back() == '\r') line.pop_back();
  if (line.empty()) return row_error(ClearingErrc::kBadCsvRow, 1, 0, "", "empty line");
  std::array<Cell, kCsvColumns> cells{};
  size_t n = 0;
  size_t start = 0;
  for (size_t i = 0; i <= line.size(); ++i) {
    if (i < line.size() && line[i] != ',') {
      const auto ch = static_cast<unsigned char>(line[i]);
      if (ch == '"' || ch < 0x20 || ch > 0x7E)
        return row_error(ClearingErrc::kBadCsvRow, static_cast<uint32_t>(i + 1), static_cast<int>(n + 1),
                         n < kCsvColumns ? std::string(kColumns[n]) : "",
                         "quotes and non-printable characters are not allowed");
      continue;
    }
    if (n == kCsvColumns)
      return row_error(ClearingErrc::kBadCsvRow, static_cast<uint32_t>(start + 1), static_cast<int>(n + 1),
                       "", "more than " + std::to_string(kCsvColumns) + " columns");
    cells[n++] = Cell{std::string_view(line).substr(start, i - start), static_cast<uint32_t>(start + 1)};
    start = i + 1;
  }
  if (n != kCsvColumns)
    return row_error(ClearingErrc::kBadCsvRow, static_cast<uint32_t>(line.size() + 1),
                     static_cast<int>(n + 1), std::string(kColumns[n]),
                     std::to_string(n) + " columns, expected " + std::to_string(kCsvColumns));
  ClearingRecord r;
  auto problem = parse_core(cells, &r);
  if (!problem) problem = parse_details(cells, &r);
  if (problem)
    return row_error(problem->code, cells[problem->col].column, static_cast<int>(problem->col + 1),
                     std::string(kColumns[problem->col]), problem->reason);
  r.record_number = record;
  return std::optional<ClearingRecord>{std::move(r)};
}

Result<std::string, ClearingError> write_clearing_csv(std::span<const ClearingRecord> records) {
  std::string out(kHeader);
  out += '\n';
  uint64_t row = 0;
  for (const auto& r : records) {
    ++row;
    auto error = [&](std::string reason) {
      return ClearingError{ClearingErrc::kBadField, false, row, 0, static_cast<uint32_t>(row + 1), 1, 0, "",
                           std::move(reason)};
    };
    if (r.partial) return error("the CSV has no partial chargebacks or second presentments");
    auto money = [](const Money& m) {
      return std::to_string(m.minor) + "," + pad_digits(m.currency.code, 3);
    };
    std::string line =
        r.record_id + "," + std::string(kind_name(r.kind)) + "," + r.pan + "," + money(r.amount) + ",";
    line += r.billing ? money(*r.billing) : std::string(",");
    line += "," + r.approval_code + "," + r.rrn + "," + r.arn + ",";
    if (r.mcc) line += pad_digits(*r.mcc, 4);
    line += "," + r.country + ",";
    if (r.card_presence != CardPresence::kUnknown)
      line += r.card_presence == CardPresence::kPresent ? "Y" : "N";
    line += ",";
    if (r.local_time) line += format_iso_time(*r.local_time);
    line += ",";
    if (r.reason_code) line += pad_digits(*r.reason_code, 4);
    for (char ch : line)
      if (ch == '"' || ch == '\n' || ch == '\r') return error("a value contains a quote or a line break");
    if (std::count(line.begin(), line.end(), ',') != kCsvColumns - 1)
      return error("a value contains a comma");
    out += line;
    out += '\n';
  }
  return out;
}

}  // namespace holdfast::clearing
