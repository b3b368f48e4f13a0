// Dynamic card verification values of contactless magnetic-stripe-mode transactions: a new
// value per transaction, computed by the card under its own key (the ICC key, derived from an
// issuer master key with EMV option A/B, `emv.h`) and carried in the track data.
//
// Visa dCVV: the CVV algorithm (`cvv.h`) under the card's key (A = left 8 bytes, B = right 8)
//   over an alternate PAN = ATC (4 digits) || the PAN from its fifth digit, the expiry YYMM and
//   service code 000. Described in the public "dsc.py" EMV tools module (generate_dcvv) and
//   consistent with the Thales payShield "PW" (verify dynamic CVV) command description: key
//   from the MK with option A/B, PSN 00, inputs PAN, expiry, service code, ATC, dCVV.
// Mastercard CVC3 (EMV Contactless Book C-2 / PayPass M/Stripe):
//   IVCVC3 = rightmost 2 bytes of the ISO 9797-1 algorithm 3 MAC (padding method 2) under
//            KDcvc3 over the static track template (track 2: digits with 'D' for '=', packed
//            as BCD, 'F' padded to whole bytes; track 1: the ASCII characters);
//   CVC3   = the rightmost 2 bytes of TDES-ECB(KDcvc3, IVCVC3 || UN (4 bytes BCD) || ATC
//            (2 bytes)) as a decimal number, 5 digits; the track carries its rightmost digits.
//   Checked against pyemv's published CVC3 tests (track 2 -> 29488, track 1 -> ...419).
// Invariants: the ICC key is 16 bytes (TDES A || B). Thread-safe, no state.
#pragma once

#include <string>
#include <string_view>

#include "crypto/crypto_error.h"

namespace holdfast::crypto {

// Visa dCVV, 3 digits. atc: 4 digits as the track carries them; pan: 5..19 digits.
CryptoResult<std::string> compute_dcvv(ByteSpan icc_key, std::string_view pan, std::string_view expiry_yymm,
                                       std::string_view atc);
CryptoResult<bool> verify_dcvv(ByteSpan icc_key, std::string_view pan, std::string_view expiry_yymm,
                               std::string_view atc, std::string_view presented_dcvv);

// The bytes the IVCVC3 MAC runs over, from a track 2 text (digits, '=' or 'D', optional 'F').
CryptoResult<Bytes> track2_template_bytes(std::string_view track2);
// IVCVC3 (2 bytes) over a template (track2_template_bytes, or a track 1's ASCII bytes).
CryptoResult<Bytes> compute_ivcvc3(ByteSpan icc_key, ByteSpan track_template);
// CVC3 as 5 decimal digits (00000-65535). un: 4 bytes (BCD of the numeric UN); atc: 2 bytes.
CryptoResult<std::string> compute_cvc3(ByteSpan icc_key, ByteSpan ivcvc3, ByteSpan un, ByteSpan atc);
// True when `presented` (1..5 digits) equals the rightmost digits of the CVC3.
CryptoResult<bool> verify_cvc3(ByteSpan icc_key, ByteSpan ivcvc3, ByteSpan un, ByteSpan atc,
                               std::string_view presented);

}  // namespace holdfast::crypto
