// ARQC verification: the cryptogram version is read from the IAD (tag 9F10), then the key chain
// and MAC input that version defines are rebuilt and compared in constant time.
#include "base/assert.h"
#include "crypto/emv.h"
#include "crypto/pboc.h"
#include "crypto/primitives.h"

namespace holdfast::crypto {
namespace {

constexpr size_t kUnOffset = 25;   // 9F37 inside the terminal data
constexpr size_t kAtcOffset = 31;  // 9F36 inside the terminal data

// Visa IAD formats 0/1/3: 06 || DKI || CVN || CVR(4) [|| len || issuer discretionary data].
bool visa_short_layout(ByteSpan iad) {
  if (iad.size() < 7 || iad[0] != 0x06) return false;
  return iad.size() == 7 || (iad.size() >= 8 && iad.size() == 8u + iad[7]);
}

// PBOC: 07 || DKI || CVN || CVR(4) || algorithm id [|| len || issuer discretionary data].
bool pboc_layout(ByteSpan iad) {
  if (iad.size() < 8 || iad[0] != 0x07) return false;
  return iad.size() == 8 || (iad.size() >= 9 && iad.size() == 9u + iad[8]);
}

struct MacPlan {
  Bytes data;         // MAC input
  Bytes session_key;  // key the cryptogram is computed under
};

ByteSpan sub(ByteSpan s, size_t from, size_t n) { return s.subspan(from, n); }

CryptoResult<Bytes> mk_for(const ArqcVerification& req, MasterKeyOption option) {
  return derive_icc_master_key(req.issuer_master_key, req.pan, req.psn, option);
}

CryptoResult<MacPlan> plan_visa(const ArqcVerification& req, CryptogramVersion v) {
  auto mk = mk_for(req, v == CryptogramVersion::kVisaCvn10 ? MasterKeyOption::kA : req.long_pan_option);
  if (!mk.ok()) return mk.error();
  if (v == CryptogramVersion::kVisaCvn10) {
    return MacPlan{concat(req.terminal_data, sub(req.iad, 3, 4)), std::move(*mk)};
  }
  Bytes r(8, 0);
  r[0] = req.terminal_data[kAtcOffset];
  r[1] = req.terminal_data[kAtcOffset + 1];
  auto sk = derive_session_key_emv_csk(*mk, r);
  cleanse(*mk);
  if (!sk.ok()) return sk.error();
  return MacPlan{concat(req.terminal_data, req.iad), std::move(*sk)};
}

CryptoResult<MacPlan> plan_mastercard(const ArqcVerification& req, CryptogramVersion v) {
  auto mk = mk_for(req, req.long_pan_option);
  if (!mk.ok()) return mk.error();
  const bool with_un = v == CryptogramVersion::kMastercardCvn16 || v == CryptogramVersion::kMastercardCvn17;
  const bool with_counters =
      v == CryptogramVersion::kMastercardCvn17 || v == CryptogramVersion::kMastercardCvn21;
  Bytes r(8, 0);
  r[0] = req.terminal_data[kAtcOffset];
  r[1] = req.terminal_data[kAtcOffset + 1];
  if (with_un) {
    for (size_t i = 0; i < 4; ++i) r[4 + i] = req.terminal_data[kUnOffset + i];
  }
  auto sk = derive_session_key_emv_csk(*mk, r);
  cleanse(*mk);
  if (!sk.ok()) return sk.error();
  Bytes data = concat(req.terminal_data, sub(req.iad, 2, 6));
  if (with_counters) data = concat(data, sub(req.iad, 10, 8));
  return MacPlan{std::move(data), std::move(*sk)};
}

CryptoResult<MacPlan> plan_pboc_tdes(const ArqcVerification& req) {
  auto mk = mk_for(req, req.long_pan_option);
  if (!mk.ok()) return mk.error();
  auto sk = pboc_tdes_session_key(*mk, sub(req.terminal_data, kAtcOffset, 2));
  cleanse(*mk);
  if (!sk.ok()) return sk.error();
  return MacPlan{concat(req.terminal_data, sub(req.iad, 3, 4)), std::move(*sk)};
}

CryptoResult<Bytes> expected_arqc(const ArqcVerification& req, CryptogramVersion v) {
  CryptoResult<MacPlan> plan = invalid("unplanned");
  switch (v) {
    case CryptogramVersion::kVisaCvn10:
    case CryptogramVersion::kVisaCvn18:
    case CryptogramVersion::kVisaCvn22: plan = plan_visa(req, v); break;
    case CryptogramVersion::kMastercardCvn16:
    case CryptogramVersion::kMastercardCvn17:
    case CryptogramVersion::kMastercardCvn20:
    case CryptogramVersion::kMastercardCvn21: plan = plan_mastercard(req, v); break;
    case CryptogramVersion::kPbocCvn01Tdes: plan = plan_pboc_tdes(req); break;
    case CryptogramVersion::kPbocCvn01Sm4: {
      auto mk = pboc_sm4_icc_master_key(req.issuer_master_key, req.pan, req.psn, req.long_pan_option);
      if (!mk.ok()) return mk;
      auto sk = pboc_sm4_session_key(*mk, sub(req.terminal_data, kAtcOffset, 2));
      cleanse(*mk);
      if (!sk.ok()) return sk;
      auto ac = pboc_sm4_ac(*sk, concat(req.terminal_data, sub(req.iad, 3, 4)));
      cleanse(*sk);
      return ac;
    }
  }
  if (!plan.ok()) return plan.error();
  const AcPadding padding =
      v == CryptogramVersion::kVisaCvn10 ? AcPadding::kZeroIfNeeded : AcPadding::kMethod2;
  auto ac = generate_ac(plan->session_key, plan->data, padding);
  cleanse(plan->session_key);
  return ac;
}

}  // namespace

std::string_view cryptogram_version_name(CryptogramVersion v) {
  switch (v) {
    case CryptogramVersion::kVisaCvn10: return "visa_cvn10";
    case CryptogramVersion::kVisaCvn18: return "visa_cvn18";
    case CryptogramVersion::kVisaCvn22: return "visa_cvn22";
    case CryptogramVersion::kMastercardCvn16: return "mastercard_cvn16";
    case CryptogramVersion::kMastercardCvn17: return "mastercard_cvn17";
    case CryptogramVersion::kMastercardCvn20: return "mastercard_cvn20";
    case CryptogramVersion::kMastercardCvn21: return "mastercard_cvn21";
    case CryptogramVersion::kPbocCvn01Tdes: return "pboc_cvn01_tdes";
    case CryptogramVersion::kPbocCvn01Sm4: return "pboc_cvn01_sm4";
  }
  HF_UNREACHABLE();
}

CryptoResult<CryptogramVersion> cryptogram_version_from_iad(ByteSpan iad) {
  if (visa_short_layout(iad) && iad[2] == 0x0A) return CryptogramVersion::kVisaCvn10;
  if (visa_short_layout(iad) && iad[2] == 0x12) return CryptogramVersion::kVisaCvn18;
  if (iad.size() == 32 && iad[0] == 0x1F && iad[1] == 0x22) return CryptogramVersion::kVisaCvn22;
  if (pboc_layout(iad) && iad[2] == 0x01 && iad[7] == 0x01) return CryptogramVersion::kPbocCvn01Tdes;
  if (pboc_layout(iad) && iad[2] == 0x01 && iad[7] == 0x04) return CryptogramVersion::kPbocCvn01Sm4;
  if (iad.size() >= 18) {
    switch (iad[1]) {
      case 0x10: return CryptogramVersion::kMastercardCvn16;
      case 0x11: return CryptogramVersion::kMastercardCvn17;
      case 0x14: return CryptogramVersion::kMastercardCvn20;
      case 0x15: return CryptogramVersion::kMastercardCvn21;
      default: break;
    }
  }
  return CryptoError{CryptoErrc::kUnsupported, "iad matches no supported cryptogram version"};
}

CryptoResult<ArqcVerdict> verify_arqc(const ArqcVerification& request) {
  if (request.terminal_data.size() != kArqcTerminalDataSize) {
    return invalid("terminal_data must be 33 bytes (9F02 9F03 9F1A 95 5F2A 9A 9C 9F37 82 9F36)");
  }
  if (request.arqc.size() != 8) return invalid("arqc must be 8 bytes");
  auto version = cryptogram_version_from_iad(request.iad);
  if (!version.ok()) return version.error();
  auto expected = expected_arqc(request, *version);
  if (!expected.ok()) return expected.error();
  return ArqcVerdict{equal_constant_time(*expected, request.arqc), *version};
}

}  // namespace holdfast::crypto
