// ClearingReader: construction and the binary format (4-byte big-endian length + 1993 message).
#include <utility>

#include "base/assert.h"
#include "clearing/internal.h"
#include "iso8583/codec.h"

namespace holdfast::clearing {

using namespace internal;

ClearingReader::ClearingReader(std::unique_ptr<ByteSource> source, ReaderOptions options)
    : source_(std::move(source)), options_(std::move(options)) {
  if (options_.spec == nullptr) options_.spec = iso8583::find_spec("iso93binary");
  HF_REQUIRE(options_.spec != nullptr && options_.spec->field(12).length == 12);  // a 1993 spec
  stats_.file_id = options_.file_id;
}
ClearingReader::ClearingReader(ClearingReader&&) noexcept = default;
ClearingReader& ClearingReader::operator=(ClearingReader&&) noexcept = default;
ClearingReader::~ClearingReader() = default;

ClearingReader ClearingReader::from_bytes(std::span<const uint8_t> bytes, ReaderOptions options) {
  return ClearingReader(std::make_unique<ByteSource>(bytes), std::move(options));
}

ClearingReader ClearingReader::from_file(const std::string& path, ReaderOptions options) {
  return ClearingReader(std::make_unique<ByteSource>(path), std::move(options));
}

ClearingError ClearingReader::fail(ClearingError error) {
  error.fatal = true;
  failed_ = true;
  ++stats_.errors;
  return error;
}

std::optional<FileFormat> detect_format(std::span<const uint8_t> head) {
  std::string_view text(reinterpret_cast<const char*>(head.data()), head.size());
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);  // a UTF-8 byte order mark
  if (text.starts_with("record_id,")) return FileFormat::kCsv;
  if (head.size() < 4) return std::nullopt;
  const uint32_t length =
      (uint32_t{head[0]} << 24) | (uint32_t{head[1]} << 16) | (uint32_t{head[2]} << 8) | head[3];
  if (length >= 1 && length <= kMaxRecordBytes) return FileFormat::kBinary;
  return std::nullopt;
}

namespace {
constexpr size_t kFormatProbeBytes = 16;
}  // namespace

Result<std::optional<ClearingRecord>, ClearingError> ClearingReader::next() {
  if (failed_ || complete_) return std::optional<ClearingRecord>{};
  if (source_->open_failed())
    return fail({ClearingErrc::kIo, true, 0, 0, 0, 0, 0, "", "cannot open the file"});
  if (!probed_) {
    probed_ = true;
    const std::span<const uint8_t> head = source_->peek(kFormatProbeBytes);
    first_bytes_.assign(head.begin(), head.end());
  }
  if (options_.format == FileFormat::kAuto) {
    const std::optional<FileFormat> detected = detect_format(first_bytes_);
    if (!detected && !first_bytes_.empty())
      return fail({ClearingErrc::kUnknownFormat, true, 0, 0, 0, 0, 0, "",
                   "neither a binary clearing file (a 4-byte big-endian record length of 1.." +
                       std::to_string(kMaxRecordBytes) +
                       ") nor the operator CSV (a first line starting "
                       "\"record_id,\"): name the format"});
    options_.format = detected.value_or(FileFormat::kBinary);  // an empty file: no records
  }
  auto result = options_.format == FileFormat::kBinary ? next_binary() : next_csv();
  if (!result.ok() && result.error().fatal) return wrong_format_hint(std::move(result).error());
  if (result.ok() && result->has_value()) ++stats_.records;
  return result;
}

// A file refused at its first bytes under the format it was named as, that starts like the
// other format, says so: "record length 1919247215" alone does not tell an operator to use CSV.
ClearingError ClearingReader::wrong_format_hint(ClearingError error) {
  const bool at_start = (error.code == ClearingErrc::kBadRecordLength && error.byte_offset == 0) ||
                        error.code == ClearingErrc::kBadCsvHeader;
  if (!at_start) return error;
  const std::optional<FileFormat> looks_like = detect_format(first_bytes_);
  if (looks_like == FileFormat::kCsv && options_.format == FileFormat::kBinary)
    error.reason += "; this looks like the operator CSV: read it as CSV (--format csv)";
  if (looks_like == FileFormat::kBinary && options_.format == FileFormat::kCsv)
    error.reason += "; this looks like a binary clearing file: read it as binary (--format binary)";
  return error;
}

namespace {

ClearingError at(ClearingErrc code, uint64_t record, uint64_t offset, int field, std::string reason) {
  return ClearingError{code,
                       false,
                       record,
                       offset,
                       0,
                       0,
                       field,
                       field == 0 && code != ClearingErrc::kBadMessage ? "" : de_name(field),
                       std::move(reason)};
}

}  // namespace

Result<std::optional<ClearingRecord>, ClearingError> ClearingReader::next_binary() {
  iso8583::Message msg;
  while (true) {
    const uint64_t offset = source_->offset();
    uint8_t prefix[4];
    const size_t got = source_->read(prefix, 4);
    const uint64_t record = stats_.messages + 1;
    if (got == 0 && !source_->io_error()) {
      if (header_seen_ && !trailer_seen_)
        return fail(at(ClearingErrc::kMissingTrailer, record, offset, 0,
                       "the file has a header but ends without a 1644/695 trailer"));
      complete_ = true;
      return std::optional<ClearingRecord>{};
    }
    if (source_->io_error()) return fail(at(ClearingErrc::kIo, record, offset, 0, "read error"));
    if (trailer_seen_)
      return fail(at(ClearingErrc::kDataAfterTrailer, record, offset, 0, "bytes after the trailer"));
    if (got < 4)
      return fail(at(ClearingErrc::kTruncated, record, offset, 0,
                     "length prefix cut short: " + std::to_string(got) + " of 4 bytes"));
    const uint32_t length = (uint32_t{prefix[0]} << 24) | (uint32_t{prefix[1]} << 16) |
                            (uint32_t{prefix[2]} << 8) | uint32_t{prefix[3]};
    if (length == 0 || length > kMaxRecordBytes)
      return fail(at(ClearingErrc::kBadRecordLength, record, offset, 0,
                     "record length " + std::to_string(length) + " (allowed 1.." +
                         std::to_string(kMaxRecordBytes) + ")"));
    buffer_.resize(length);
    const size_t body = source_->read(buffer_.data(), length);
    if (body < length)
      return fail(
          at(source_->io_error() ? ClearingErrc::kIo : ClearingErrc::kTruncated, record, offset, 0,
             "record declares " + std::to_string(length) + " bytes, " + std::to_string(body) + " remain"));
    stats_.messages = record;
    started_ = true;
    auto decoded = iso8583::decode_into(*options_.spec, buffer_, msg);
    if (!decoded.ok()) {
      ++stats_.errors;
      const auto& e = decoded.error();
      return at(ClearingErrc::kBadMessage, record, offset + 4 + e.offset, e.field, iso8583::describe(e));
    }
    if (msg.mti() == "1644") {
      const auto function = parse_u32(msg.get(24)).value_or(0);
      std::optional<std::vector<Pds>> pds;
      if (msg.has(48)) {
        pds = parse_pds(msg.get(48));
        if (!pds) {
          ++stats_.errors;
          return at(ClearingErrc::kBadField, record, offset, 48,
                    "not a PDS sequence (tag n4, length n3, data)");
        }
      }
      if (function == kFuncFileHeader) {
        if (record != 1) {
          ++stats_.errors;
          return at(ClearingErrc::kMisplacedHeader, record, offset, 24,
                    "a file header must be the first message");
        }
        header_seen_ = true;
        if (pds)
          for (const auto& p : *pds)
            if (p.tag == kPdsFileId && !p.data.empty()) stats_.file_id = std::string(p.data);
        continue;
      }
      if (function == kFuncFileTrailer) {
        trailer_seen_ = true;
        if (pds) {
          for (const auto& p : *pds) {
            if (p.tag != kPdsFileCount) continue;
            const auto count = parse_u32(p.data);
            if (!count || *count != record)
              return fail(at(ClearingErrc::kTrailerCountMismatch, record, offset, 48,
                             "trailer PDS 0306 says " + std::string(p.data) + " messages, the file has " +
                                 std::to_string(record)));
          }
        }
        continue;
      }
      ++stats_.skipped;
      continue;
    }
    auto built = record_from_message(msg);
    if (!built.ok()) {
      ++stats_.errors;
      const auto& p = built.error();
      return ClearingError{p.code, false, record, offset, 0, 0, p.field, p.field_name, p.reason};
    }
    ClearingRecord r = std::move(built.value());
    r.record_number = record;
    if (!stats_.file_id.empty()) {
      r.record_id = stats_.file_id + ":" + std::to_string(record);
    } else if (!r.arn.empty()) {
      r.record_id = "arn:" + r.arn + ":" + std::to_string(r.function_code);
    } else {
      ++stats_.errors;
      return at(ClearingErrc::kNoStableId, record, offset, 31,
                "no file id (header PDS 0105 or options) and no ARN");
    }
    return std::optional<ClearingRecord>{std::move(r)};
  }
}

}  // namespace holdfast::clearing
