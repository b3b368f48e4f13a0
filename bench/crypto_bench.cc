// Issuer-side crypto throughput: CVV2 verify, PVV PIN verify, ARQC verify (IAD-driven, Visa
// CVN18 with option B MK + EMV CSK, and Mastercard CVN16). Reports ops/s per benchmark.
// Links: holdfast_crypto (-> holdfast_base, OpenSSL::Crypto, nlohmann_json) and
// benchmark::benchmark (BENCHMARK_MAIN below, so not benchmark_main).
#include <benchmark/benchmark.h>

#include "base/hex.h"
#include "crypto/cvv.h"
#include "crypto/emv.h"
#include "crypto/pin_verify.h"

namespace {

using holdfast::crypto::Bytes;

Bytes hx(std::string_view s) { return holdfast::from_hex(s).value(); }

void BM_Cvv2Verify(benchmark::State& state) {
  const Bytes a = hx("0123456789ABCDEF"), b = hx("FEDCBA9876543210");
  const holdfast::crypto::CvvInput in{"4123456789012345", "8701", holdfast::crypto::kCvv2ServiceCode};
  const std::string cvv2 = *holdfast::crypto::compute_cvv(in, a, b);
  for (auto _ : state) {
    auto ok = holdfast::crypto::verify_cvv(in, a, b, cvv2);
    benchmark::DoNotOptimize(ok);
  }
  state.counters["ops/s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_Cvv2Verify);

void BM_PvvVerify(benchmark::State& state) {
  const Bytes a = hx("0123456789ABCDEF"), b = hx("FEDCBA9876543210");
  const holdfast::crypto::PvvInput in{"1122334455667788", "4524", "1"};
  for (auto _ : state) {
    auto ok = holdfast::crypto::verify_pvv(in, a, b, "8523");
    benchmark::DoNotOptimize(ok);
  }
  state.counters["ops/s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_PvvVerify);

void arqc_verify(benchmark::State& state, std::string_view terminal_hex, std::string_view iad_hex,
                 std::string_view arqc_hex) {
  const Bytes imk = hx("0123456789ABCDEFFEDCBA9876543210");
  const Bytes terminal = hx(terminal_hex), iad = hx(iad_hex), arqc = hx(arqc_hex);
  const holdfast::crypto::ArqcVerification req{imk, "1234567890123456", "00", terminal, iad, arqc};
  if (!holdfast::crypto::verify_arqc(req)->valid) state.SkipWithError("fixture ARQC does not verify");
  for (auto _ : state) {
    auto verdict = holdfast::crypto::verify_arqc(req);
    benchmark::DoNotOptimize(verdict);
  }
  state.counters["ops/s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}

void BM_ArqcVerifyVisaCvn18(benchmark::State& state) {
  arqc_verify(state, "0000000040000000000000000124800004800001241911050152BF45851800001C", "06011203A0B800",
              "7A788EA6B8A3E733");
}
BENCHMARK(BM_ArqcVerifyVisaCvn18);

void BM_ArqcVerifyMastercardCvn16(benchmark::State& state) {
  arqc_verify(state, "00000000999900000000000001248000000000012420990600ABCDEF121800001C",
              "0010A0000322000000000000000000000000", "24CCF3DEE3158C70");
}
BENCHMARK(BM_ArqcVerifyMastercardCvn16);

}  // namespace

BENCHMARK_MAIN();
