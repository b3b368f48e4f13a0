// EMV issuer cryptography (EMV 4.3 Book 2 Annex A1.3/A1.4, A1.2 MAC, 8.2 ARPC), TDES based.
//  - ICC master key derivation option A (rightmost 16 digits of PAN || PSN) and option B
//    (SHA-1 of PAN || PSN for PANs over 16 digits, decimalised to 16 digits).
//    MK = TDES(IMK, Y) || TDES(IMK, Y XOR FF..FF), odd parity set.
//  - Session keys: EMV common session key (R with byte 2 = F0 / 0F), Visa secure-messaging
//    (MK halves XOR ATC / NOT ATC) and the EMV2000 tree (height H, branch factor b, IV).
//  - Application cryptogram: ISO 9797-1 MAC algorithm 3 over the joined data, "80" padding
//    (method 2) or Visa CVN10 zero padding.
//  - ARPC method 1 (TDES(ARQC XOR ARC||00..)) and method 2 (MAC over ARQC || CSU || PAD, 4 bytes).
//  - verify_arqc: chooses the cryptogram version from the issuer application data (tag 9F10),
//    never from a scheme name: Visa CVN 10/18/22, Mastercard M/Chip CVN 16/17/20/21, and PBOC
//    CVN 01 (TDES or SM4 by the IAD's algorithm identifier; see pboc.h).
// All keys are 16-byte double-length DES keys unless stated. Thread-safe, no logging.
#pragma once

#include <cstdint>
#include <string_view>

#include "crypto/crypto_error.h"

namespace holdfast::crypto {

enum class MasterKeyOption { kA, kB };

// pan: 1..19 digits; psn: "" (treated as "00") or 2 digits.
CryptoResult<Bytes> derive_icc_master_key(ByteSpan issuer_master_key, std::string_view pan,
                                          std::string_view psn, MasterKeyOption option);
// The 8-byte Y block (BCD) both options encrypt; exposed for the SM4 variant in pboc.h.
CryptoResult<Bytes> icc_derivation_data(std::string_view pan, std::string_view psn, MasterKeyOption option);

// r: 8 bytes (ATC || 00.. for Visa CVN18/EMV; ATC || 0000 || UN for Mastercard SKD).
CryptoResult<Bytes> derive_session_key_emv_csk(ByteSpan icc_master_key, ByteSpan r);
// atc: 2 bytes.
CryptoResult<Bytes> derive_session_key_visa_sm(ByteSpan icc_master_key, ByteSpan atc);

struct Emv2000Tree {
  uint32_t height = 8;         // H >= 2
  uint32_t branch_factor = 4;  // b >= 2; b^H must exceed the ATC
  ByteSpan iv;                 // 16 bytes
};
CryptoResult<Bytes> derive_session_key_emv2000_tree(ByteSpan icc_master_key, ByteSpan atc,
                                                    const Emv2000Tree& tree);

enum class AcPadding { kMethod2 /* "80" */, kZeroIfNeeded /* "00", Visa CVN10 */ };
// 8-byte application cryptogram (ARQC/TC/AAC) under a session key or ICC MK.
CryptoResult<Bytes> generate_ac(ByteSpan key, ByteSpan data, AcPadding padding);

// arc: 2 bytes. Returns 8 bytes.
CryptoResult<Bytes> arpc_method1(ByteSpan key, ByteSpan arqc, ByteSpan arc);
// csu: 4 bytes; proprietary_auth_data: 0..8 bytes. Returns 4 bytes.
CryptoResult<Bytes> arpc_method2(ByteSpan key, ByteSpan arqc, ByteSpan csu, ByteSpan proprietary_auth_data);

enum class CryptogramVersion {
  kVisaCvn10,
  kVisaCvn18,
  kVisaCvn22,
  kMastercardCvn16,
  kMastercardCvn17,
  kMastercardCvn20,
  kMastercardCvn21,
  kPbocCvn01Tdes,
  kPbocCvn01Sm4,
};
std::string_view cryptogram_version_name(CryptogramVersion v);
// Reads the IAD layout (see README.md); kUnsupported if no known layout matches.
CryptoResult<CryptogramVersion> cryptogram_version_from_iad(ByteSpan iad);

// Terminal data in EMV order: 9F02 9F03 9F1A 95 5F2A 9A 9C 9F37 82 9F36 (33 bytes);
// the UN (9F37) and ATC (9F36) are read from it.
constexpr size_t kArqcTerminalDataSize = 33;

struct ArqcVerification {
  ByteSpan issuer_master_key;  // 16 bytes (TDES IMK-AC, or SM4 IMK for PBOC SM4)
  std::string_view pan;
  std::string_view psn;
  ByteSpan terminal_data;                                 // kArqcTerminalDataSize bytes
  ByteSpan iad;                                           // tag 9F10
  ByteSpan arqc;                                          // tag 9F26, 8 bytes
  MasterKeyOption long_pan_option = MasterKeyOption::kB;  // for PANs over 16 digits
};
struct ArqcVerdict {
  bool valid = false;
  CryptogramVersion version = CryptogramVersion::kVisaCvn10;
};
CryptoResult<ArqcVerdict> verify_arqc(const ArqcVerification& request);

}  // namespace holdfast::crypto
