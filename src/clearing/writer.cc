// The binary clearing-file writer, for tests and tools. Each record is checked by reading it
// back, so the writer never produces a record the reader refuses.
#include "base/assert.h"
#include "clearing/internal.h"
#include "iso8583/codec.h"

namespace holdfast::clearing {

using namespace internal;

namespace {

void frame(const std::vector<uint8_t>& message, std::vector<uint8_t>* out) {
  const auto n = static_cast<uint32_t>(message.size());
  HF_ASSERT(n > 0 && n <= kMaxRecordBytes);
  out->push_back(static_cast<uint8_t>(n >> 24));
  out->push_back(static_cast<uint8_t>(n >> 16));
  out->push_back(static_cast<uint8_t>(n >> 8));
  out->push_back(static_cast<uint8_t>(n));
  out->insert(out->end(), message.begin(), message.end());
}

ClearingError write_error(uint64_t record, ClearingErrc code, int field, std::string name,
                          std::string reason) {
  return ClearingError{code, false, record, 0, 0, 0, field, std::move(name), std::move(reason)};
}

Result<Ok, ClearingError> append_message(const iso8583::MessageSpec& spec, const iso8583::Message& msg,
                                         uint64_t record, std::vector<uint8_t>* out) {
  auto encoded = iso8583::encode(spec, msg);
  if (!encoded.ok())
    return write_error(record, ClearingErrc::kBadField, encoded.error().field, de_name(encoded.error().field),
                       iso8583::describe(encoded.error()));
  if (encoded->size() > kMaxRecordBytes)
    return write_error(record, ClearingErrc::kBadRecordLength, 0, "", "message over the record size bound");
  frame(*encoded, out);
  return Ok{};
}

iso8583::Message control_message(uint16_t function, std::string_view pds_tag, std::string_view pds_data) {
  iso8583::Message msg;
  msg.set_mti("1644");
  msg.set(24, pad_digits(function, 3));
  std::string de48;
  append_pds(&de48, pds_tag, pds_data);
  msg.set(48, de48);
  return msg;
}

}  // namespace

Result<std::vector<uint8_t>, ClearingError> write_clearing_file(std::span<const ClearingRecord> records,
                                                                const iso8583::MessageSpec& spec,
                                                                const WriteOptions& options) {
  HF_REQUIRE(spec.field(12).length == 12);  // a 1993 spec
  std::vector<uint8_t> out;
  const bool framed = !options.file_id.empty();
  if (framed && (options.file_id.size() > 99 || options.file_id.find(':') != std::string::npos))
    return write_error(0, ClearingErrc::kBadField, 48, de_name(48), "file id over 99 characters or with ':'");
  uint64_t record = 0;
  if (framed) {
    auto ok =
        append_message(spec, control_message(kFuncFileHeader, kPdsFileId, options.file_id), ++record, &out);
    if (!ok.ok()) return ok.error();
  }
  iso8583::Message msg;
  for (const auto& r : records) {
    ++record;
    if (r.pan.size() < 12)
      return write_error(record, ClearingErrc::kBadField, 2, de_name(2), "PAN shorter than 12 digits");
    auto built = message_from_record(r, &msg);
    if (!built.ok())
      return write_error(record, built.error().code, built.error().field, built.error().field_name,
                         built.error().reason);
    auto ok = append_message(spec, msg, record, &out);
    if (!ok.ok()) return ok.error();
    // Read it back: the writer must not produce what the reader refuses.
    auto check = record_from_message(msg);
    if (!check.ok())
      return write_error(record, check.error().code, check.error().field, check.error().field_name,
                         check.error().reason);
  }
  if (framed) {
    ++record;
    auto ok = append_message(spec, control_message(kFuncFileTrailer, kPdsFileCount, pad_digits(record, 8)),
                             record, &out);
    if (!ok.ok()) return ok.error();
  }
  return out;
}

}  // namespace holdfast::clearing
