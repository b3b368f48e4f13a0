// Encode and decode of a typical 0100 authorisation request (PAN, processing code, amount,
// STAN, times, MCC, entry mode, acquirer, RRN, terminal, merchant, currency, ~100 bytes of
// DE55) on the two wire forms the authorisation server speaks most: iso87binbitmap and
// iso87binary. Reports messages per second (items/s). Both paths reuse their buffers, as the
// server does.
// Link: benchmark::benchmark holdfast_iso8583 (see src/iso8583/README.md).
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "base/assert.h"
#include "base/hex.h"
#include "iso8583/codec.h"
#include "iso8583/spec.h"

namespace holdfast::iso8583 {
namespace {

std::string icc_data() {
  // A plausible Visa ARQC set: 9F26, 9F27, 9F10, 9F37, 9F36, 95, 9A, 9C, 9F02, 5F2A, 82, 9F1A,
  // 9F03, 9F33, 9F34, 9F35 (about 100 bytes).
  const uint8_t bytes[] = {
      0x9F, 0x26, 0x08, 0x2E, 0x07, 0x8F, 0x5C, 0xEA, 0x11, 0x2D, 0xAA, 0x9F, 0x27, 0x01, 0x80, 0x9F, 0x10,
      0x07, 0x06, 0x01, 0x0A, 0x03, 0xA4, 0xA8, 0x10, 0x9F, 0x37, 0x04, 0x5A, 0xED, 0x67, 0x03, 0x9F, 0x36,
      0x02, 0x0A, 0x31, 0x95, 0x05, 0x80, 0x80, 0x00, 0x80, 0x00, 0x9A, 0x03, 0x24, 0x01, 0x08, 0x9C, 0x01,
      0x00, 0x9F, 0x02, 0x06, 0x00, 0x00, 0x00, 0x09, 0x00, 0x00, 0x5F, 0x2A, 0x02, 0x09, 0x78, 0x82, 0x02,
      0x1C, 0x00, 0x9F, 0x1A, 0x02, 0x09, 0x78, 0x9F, 0x03, 0x06, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x9F,
      0x33, 0x03, 0xE0, 0xB0, 0xC8, 0x9F, 0x34, 0x03, 0x01, 0x03, 0x02, 0x9F, 0x35, 0x01, 0x22};
  return {reinterpret_cast<const char*>(bytes), sizeof bytes};
}

// DE55 as the spec carries it: raw bytes where it is binary (iso87binbitmap), hex text where
// it is LLLCHAR (jPOS ISO87B, hence iso87binary).
std::string icc_field(const MessageSpec& spec) {
  const std::string raw = icc_data();
  if (spec.field(55).type == FieldType::kB) return raw;
  return to_hex({reinterpret_cast<const uint8_t*>(raw.data()), raw.size()});
}

Message authorization_request(const MessageSpec& spec) {
  Message msg;
  msg.set_mti("0100");
  msg.set(2, "4761739001010119");
  msg.set(3, "000000");
  msg.set(4, "000000012550");
  msg.set(7, "1129183301");
  msg.set(11, "004711");
  msg.set(12, "183301");
  msg.set(13, "1129");
  msg.set(18, "5411");
  msg.set(22, "051");
  msg.set(32, "12345678");
  msg.set(37, "433318004711");
  msg.set(41, "TERM0001");
  msg.set(42, "MERCHANT0000001");
  msg.set(49, "978");
  msg.set(55, icc_field(spec));
  return msg;
}

void encode_authorization(benchmark::State& state, const char* spec_name) {
  const MessageSpec& spec = *find_spec(spec_name);
  const Message msg = authorization_request(spec);
  std::vector<uint8_t> out;
  out.reserve(1024);
  for (auto _ : state) {
    out.clear();
    Result<Ok, EncodeError> result = encode_into(spec, msg, out);
    HF_ASSERT(result.ok());
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["bytes"] = static_cast<double>(out.size());
}

void decode_authorization(benchmark::State& state, const char* spec_name) {
  const MessageSpec& spec = *find_spec(spec_name);
  const std::vector<uint8_t> wire = *encode(spec, authorization_request(spec));
  Message msg;
  for (auto _ : state) {
    Result<Ok, DecodeError> result = decode_into(spec, wire, msg);
    HF_ASSERT(result.ok());
    benchmark::DoNotOptimize(msg.get(2).data());
  }
  state.SetItemsProcessed(state.iterations());
}

BENCHMARK_CAPTURE(encode_authorization, iso87binbitmap, "iso87binbitmap");
BENCHMARK_CAPTURE(decode_authorization, iso87binbitmap, "iso87binbitmap");
BENCHMARK_CAPTURE(encode_authorization, iso87binary, "iso87binary");
BENCHMARK_CAPTURE(decode_authorization, iso87binary, "iso87binary");

}  // namespace
}  // namespace holdfast::iso8583

BENCHMARK_MAIN();
