// The clearing reader: turns clearing files (scheme-style ISO 8583:1993 binary files framed by a
// 4-byte record length, or the operator CSV) into neutral ClearingRecords, one at a time, so a
// caller can apply each record as it is read. It does not apply anything: matching to holds and
// posting belong to the engine (its Presentment command). FORMAT.md describes both formats.
//
// Invariants: next() never reads outside its input and never crashes on any bytes; every error
// names the record number, where it is (byte offset or line/column), the field and the reason;
// an error is per record (the caller may call next() again) unless `fatal` says the framing is
// lost, after which next() returns std::nullopt and complete() stays false. complete() is true
// only when the whole input was read with intact framing and, for a binary file with a header,
// a trailer whose message count (if present) matched.
//
// Threading: a ClearingReader is single-threaded; records are values.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/money.h"
#include "base/result.h"
#include "iso8583/spec.h"

namespace holdfast::clearing {

// What a record asks of the issuer. The function code (DE 24) table is in FORMAT.md.
enum class RecordKind : uint8_t {
  kFirstPresentment,          // 1240 / 200
  kFirstPresentmentReversal,  // 1240 / 200 with PDS 0025 = 'R'
  kSecondPresentment,         // 1240 / 205 full, 282 partial (representment)
  kChargeback,                // 1442 / 450 full, 453 partial
  kChargebackReversal,        // 1442 / 450 or 453 with PDS 0025 = 'R'
  kArbitrationChargeback,     // 1442 / 451 full, 454 partial
};
// "first_presentment", ... (the CSV `kind` column).
std::string_view kind_name(RecordKind kind);
std::optional<RecordKind> parse_kind(std::string_view name);

// DE 22 position 6 (1993 POS data code): 1 card present, 0 not present, anything else unknown.
enum class CardPresence : uint8_t { kUnknown, kPresent, kNotPresent };

// DE 9/10, 1993 format n8: first digit = number of decimal places, then 7 digits.
// rate = digits / 10^decimals.
struct ConversionRate {
  uint8_t decimals = 0;  // 0..7
  uint32_t digits = 0;   // 0..9'999'999
  friend bool operator==(const ConversionRate&, const ConversionRate&) = default;
};

// DE 12, YYMMDDhhmmss, the card acceptor's local time (no zone). year = 2000 + YY.
struct LocalDateTime {
  uint16_t year = 2000;  // 2000..2099
  uint8_t month = 1;
  uint8_t day = 1;
  uint8_t hour = 0;
  uint8_t minute = 0;
  uint8_t second = 0;
  friend bool operator==(const LocalDateTime&, const LocalDateTime&) = default;
};

// One presentment or chargeback-cycle record. Strings are short (all but PAN and ARN fit the
// small-string buffer; PAN is at most 19, ARN at most 99 characters). Empty string / nullopt =
// the field was absent. The PAN is clear text: the caller hashes or encrypts it and drops it.
struct ClearingRecord {
  RecordKind kind = RecordKind::kFirstPresentment;
  uint16_t mti = 1240;           // 1240 or 1442
  uint16_t function_code = 200;  // DE 24
  bool partial = false;          // function 282, 453, 454
  uint64_t record_number = 0;    // 1-based position in the file (binary: every framed
                                 // message, header included; CSV: data row)
  // Stable id for idempotent application: "<file id>:<record number>" when the file has an id
  // (header PDS 0105 or ReaderOptions::file_id), else "arn:<ARN>:<function code>"; the CSV's
  // record_id column as given.
  std::string record_id;
  std::string pan;                                    // DE 2, 12..19 digits
  Money amount;                                       // DE 4 + DE 49
  std::optional<Money> billing;                       // DE 6 + DE 51
  std::optional<ConversionRate> billing_rate;         // DE 10
  std::optional<Money> reconciliation;                // DE 5 + DE 50
  std::optional<ConversionRate> reconciliation_rate;  // DE 9
  std::string approval_code;                          // DE 38, an6
  std::string rrn;                                    // DE 37, an12
  std::string arn;                                    // DE 31, acquirer reference data
  std::optional<uint16_t> mcc;                        // DE 26
  // ISO 3166: numeric "156" from DE 19, or alpha-3 "CHN" from the last 3 characters of DE 43.
  std::string country;
  std::string pos_data_code;  // DE 22, an12 (binary only)
  CardPresence card_presence = CardPresence::kUnknown;
  std::optional<LocalDateTime> local_time;  // DE 12
  std::optional<uint16_t> reason_code;      // DE 25; required for chargebacks
  friend bool operator==(const ClearingRecord&, const ClearingRecord&) = default;
};

enum class ClearingErrc : uint8_t {
  // Fatal: the framing is lost, nothing after this point can be trusted.
  kIo,                    // the file could not be opened or read
  kUnknownFormat,         // format auto: the file starts like neither format
  kTruncated,             // the input ends inside a length prefix or a record
  kBadRecordLength,       // length 0 or above kMaxRecordBytes
  kBadCsvHeader,          // the first line is not the documented header
  kMissingTrailer,        // a file with a header ended without its 1644/695 trailer
  kTrailerCountMismatch,  // trailer PDS 0306 differs from the number of messages read
  kDataAfterTrailer,      // anything after the trailer
  // Per record: the caller may continue with next().
  kBadMessage,          // the ISO 8583 codec rejected the record
  kUnsupportedMessage,  // MTI or function code not in the table
  kMisplacedHeader,     // a 1644/697 header that is not the first message
  kMissingField,        // a required field is absent
  kBadField,            // a field is present but its value is wrong
  kNoStableId,          // no file id and no ARN: the record cannot be applied idempotently
  kBadCsvRow,           // wrong number of columns, quotes, line too long
};
std::string_view errc_name(ClearingErrc code);

struct ClearingError {
  ClearingErrc code = ClearingErrc::kBadMessage;
  bool fatal = false;
  uint64_t record_number = 0;  // 0 = before the first record (file level)
  uint64_t byte_offset = 0;    // binary: offset in the file where the problem is
  uint32_t line = 0;           // CSV: 1-based line, 0 for binary
  uint32_t column = 0;         // CSV: 1-based character column
  int field = 0;               // binary: DE number (0 = framing/MTI); CSV: 1-based column index
  std::string field_name;      // "DE 4 amount" or the CSV column name; empty = whole record
  std::string reason;
};
// "record 3 at offset 120, DE 4 amount: not digits" / "record 2 at line 3 column 41,
// amount_minor: ...". One line, for logs and the CLI.
std::string describe(const ClearingError& error);

// kAuto tells the two apart by their first bytes (detect_format); the library's default stays
// kBinary, the CLI's is auto.
enum class FileFormat : uint8_t { kBinary, kCsv, kAuto };

// The format a file's first bytes announce: CSV when its first line starts with the documented
// header's first column ("record_id,", after an optional UTF-8 byte order mark); binary when its
// first 4 bytes are a big-endian record length of 1..32768 (kMaxRecordBytes); nullopt otherwise
// (and for fewer than 4 bytes).
std::optional<FileFormat> detect_format(std::span<const uint8_t> head);

struct ReaderOptions {
  FileFormat format = FileFormat::kBinary;
  // Binary only; nullptr = iso93binary. REQUIRES: a 1993 spec (iso93binary or iso93ascii).
  const iso8583::MessageSpec* spec = nullptr;
  // Used for record ids when the binary file header carries no PDS 0105 (e.g. the file name).
  std::string file_id;
};

struct ReaderStats {
  uint64_t messages = 0;  // framed messages (binary) or data rows (CSV) seen
  uint64_t records = 0;   // records returned
  uint64_t errors = 0;    // errors returned
  uint64_t skipped = 0;   // 1644 messages other than header/trailer (binary)
  std::string file_id;    // from the header's PDS 0105, else ReaderOptions::file_id
};

class ByteSource;  // reader.cc: a span or a file, read forwards

class ClearingReader {
 public:
  // Reads `bytes` (which must outlive the reader).
  static ClearingReader from_bytes(std::span<const uint8_t> bytes, ReaderOptions options = {});
  // Opens `path`, read forwards in chunks (the file is never loaded whole). An unopenable file
  // is reported by the first next() as a fatal kIo error.
  static ClearingReader from_file(const std::string& path, ReaderOptions options = {});

  ClearingReader(ClearingReader&&) noexcept;
  ClearingReader& operator=(ClearingReader&&) noexcept;
  ~ClearingReader();

  // The next record; std::nullopt at the end (or after a fatal error). Header, trailer and other
  // 1644 messages are consumed here, never returned.
  [[nodiscard]] Result<std::optional<ClearingRecord>, ClearingError> next();

  bool complete() const { return complete_; }
  bool failed() const { return failed_; }
  const ReaderStats& stats() const { return stats_; }

 private:
  ClearingReader(std::unique_ptr<ByteSource> source, ReaderOptions options);
  ClearingError wrong_format_hint(ClearingError error);
  Result<std::optional<ClearingRecord>, ClearingError> next_binary();
  Result<std::optional<ClearingRecord>, ClearingError> next_csv();
  ClearingError fail(ClearingError error);

  std::unique_ptr<ByteSource> source_;
  ReaderOptions options_;
  ReaderStats stats_;
  bool started_ = false;
  bool header_seen_ = false;
  bool trailer_seen_ = false;
  bool complete_ = false;
  bool failed_ = false;
  uint32_t line_ = 0;                 // CSV: last line read
  bool probed_ = false;               // first_bytes_ taken
  std::vector<uint8_t> first_bytes_;  // the file's first bytes: format detection and hints
  std::vector<uint8_t> buffer_;
};

// Writers for tests and tools. The binary writer frames each record (4-byte big-endian length +
// message under `spec`) and, when `file_id` is not empty, adds a 1644/697 header with PDS 0105
// and a 1644/695 trailer with PDS 0306 (message count, header and trailer included). The
// record_number and record_id of `records` are ignored (the reader derives them).
struct WriteOptions {
  std::string file_id = "HOLDFAST-TEST-FILE";  // empty = no header/trailer
};
[[nodiscard]] Result<std::vector<uint8_t>, ClearingError> write_clearing_file(
    std::span<const ClearingRecord> records, const iso8583::MessageSpec& spec,
    const WriteOptions& options = {});
// The documented CSV, header row first. Fields the CSV has no column for (function code beyond
// the kind, partial, rates, reconciliation, POS data code) are not written.
[[nodiscard]] Result<std::string, ClearingError> write_clearing_csv(std::span<const ClearingRecord> records);

// The exact CSV header row (without the line ending).
std::string_view csv_header();

}  // namespace holdfast::clearing
