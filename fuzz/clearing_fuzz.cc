// libFuzzer target: arbitrary bytes through both clearing readers (binary under iso93binary and
// iso93ascii, and the operator CSV). Reading must never crash, must end (every next() call makes
// progress), and every record the binary reader yields must survive write -> read unchanged
// apart from its number and id; every record is also translated into the engine's Presentment.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "base/assert.h"
#include "clearing/clearing.h"
#include "gateway/clearing_translate.h"
#include "iso8583/spec.h"

using namespace holdfast;
using namespace holdfast::clearing;

namespace {

void check_round_trip(const ClearingRecord& record, const iso8583::MessageSpec& spec) {
  const std::vector<ClearingRecord> one = {record};
  auto bytes = write_clearing_file(one, spec, WriteOptions{""});
  HF_ASSERT(bytes.ok());
  ReaderOptions options;
  options.spec = &spec;
  options.file_id = "F";
  auto reader = ClearingReader::from_bytes(*bytes, options);
  auto again = reader.next();
  HF_ASSERT(again.ok() && again->has_value());
  ClearingRecord expected = record;
  expected.record_number = 1;
  expected.record_id = "F:1";
  HF_ASSERT(**again == expected);
}

void read_everything(std::span<const uint8_t> bytes, ReaderOptions options) {
  const bool binary = options.format == FileFormat::kBinary;
  const iso8583::MessageSpec* spec = options.spec;
  auto reader = ClearingReader::from_bytes(bytes, std::move(options));
  // Each call consumes at least one byte or ends the file, so this bound is never reached.
  for (size_t calls = 0; calls <= bytes.size() + 1; ++calls) {
    auto r = reader.next();
    if (!r.ok()) {
      HF_ASSERT(!describe(r.error()).empty());
      if (r.error().fatal) {
        HF_ASSERT(reader.failed() && !reader.complete());
        return;
      }
      continue;
    }
    if (!r->has_value()) return;
    if (binary) check_round_trip(**r, *spec);
    // Translation either succeeds or names the data element and the reason.
    static const gateway::PanHasher hasher(std::array<uint8_t, 32>{});
    auto presentment = gateway::to_presentment(**r, hasher);
    HF_ASSERT(presentment.ok() || !presentment.error().reason.empty());
  }
  HF_UNREACHABLE();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::span<const uint8_t> bytes(data, size);
  for (std::string_view name : {"iso93binary", "iso93ascii"}) {
    ReaderOptions options;
    options.spec = iso8583::find_spec(name);
    read_everything(bytes, options);
  }
  ReaderOptions csv;
  csv.format = FileFormat::kCsv;
  read_everything(bytes, csv);
  return 0;
}
