// Shared between the clearing readers and writers; not part of the public API.
// Every bound of the module is here, each with the reason for its value.
#pragma once

#include <cstdint>
#include <fstream>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "clearing/clearing.h"
#include "iso8583/message.h"

namespace holdfast::clearing::internal {

// A 1993 message with every field at its maximum is far below this; a larger length prefix
// means the framing is lost (or hostile), not a big record.
constexpr uint32_t kMaxRecordBytes = 32 * 1024;
// The documented CSV row is under 300 characters; 4 KiB leaves room without letting one bad
// line hold the reader's memory.
constexpr size_t kMaxCsvLineBytes = 4096;
// File reads go in chunks of this size: a clearing file is never loaded whole.
constexpr size_t kFileChunkBytes = 64 * 1024;
constexpr size_t kCsvColumns = 15;
constexpr size_t kMaxRecordIdChars = 64;

// MTIs and function codes (DE 24); FORMAT.md has the table.
constexpr uint16_t kMtiPresentment = 1240;
constexpr uint16_t kMtiChargeback = 1442;
constexpr uint16_t kMtiFileControl = 1644;
constexpr uint16_t kFuncFileHeader = 697;
constexpr uint16_t kFuncFileTrailer = 695;
// Private data subelements in DE 48 (tag n4, length n3, data), as Mastercard IPM uses them.
constexpr std::string_view kPdsReversal = "0025";   // 'R' + YYMMDD: the message is a reversal
constexpr std::string_view kPdsFileId = "0105";     // file id, in the header
constexpr std::string_view kPdsFileCount = "0306";  // messages in the file, in the trailer

struct Classified {
  RecordKind kind;
  bool partial;
};
std::optional<Classified> classify(uint16_t mti, uint16_t function, bool reversal);
struct Codes {
  uint16_t mti;
  uint16_t function;
};
Codes codes_for(RecordKind kind, bool partial);

bool is_digits(std::string_view s);
bool is_alnum(std::string_view s);
std::optional<uint32_t> parse_u32(std::string_view digits);  // up to 9 digits
std::string pad_digits(uint64_t value, size_t width);
// Year 2000..2099, a real calendar day (leap years included), hh:mm:ss in range.
bool valid_local_time(const LocalDateTime& t);

struct Pds {
  std::string_view tag;
  std::string_view data;
};
// Walks DE 48 as PDS; nullopt when malformed.
std::optional<std::vector<Pds>> parse_pds(std::string_view de48);
void append_pds(std::string* de48, std::string_view tag, std::string_view data);

// Field-level problem found while building a record; the reader adds the location.
struct FieldProblem {
  ClearingErrc code;
  int field;
  std::string field_name;
  std::string reason;
};
// Builds a record from a decoded 1240/1442. record_number/record_id are the caller's.
Result<ClearingRecord, FieldProblem> record_from_message(const iso8583::Message& msg);
// The inverse, for the writer. Fails on values the reader would refuse.
Result<Ok, FieldProblem> message_from_record(const ClearingRecord& record, iso8583::Message* msg);

std::string de_name(int de);  // "DE 4 amount, transaction"

}  // namespace holdfast::clearing::internal

namespace holdfast::clearing {

// A span or a file, read forwards; offset() counts bytes consumed.
class ByteSource {
 public:
  explicit ByteSource(std::span<const uint8_t> bytes) : window_(bytes) {}
  explicit ByteSource(const std::string& path);
  bool open_failed() const { return open_failed_; }
  bool io_error() const { return io_error_; }
  uint64_t offset() const { return base_ + pos_; }
  // Copies up to n bytes; fewer only at the end of the input (or on an I/O error).
  size_t read(uint8_t* out, size_t n);
  // Up to n of the next bytes, not consumed (fewer at the end of the input or of a file chunk:
  // for a look at the start of a file, n well under kFileChunkBytes).
  std::span<const uint8_t> peek(size_t n);
  // Reads one line without its '\n'; false when the input is already at its end. A line longer
  // than `max` is consumed to its end and reported by *too_long (its first `max` bytes kept).
  // *terminated says whether the line ended with '\n' (false: the input ended inside it).
  bool read_line(std::string* line, size_t max, bool* too_long, bool* terminated);

 private:
  bool fill();  // the window is used up: load the next chunk; false at the end
  std::span<const uint8_t> window_;
  size_t pos_ = 0;
  uint64_t base_ = 0;
  bool is_file_ = false;
  bool open_failed_ = false;
  bool io_error_ = false;
  std::ifstream file_;
  std::vector<uint8_t> chunk_;
};

}  // namespace holdfast::clearing
