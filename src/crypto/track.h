// Magnetic stripe track data as an issuer receives it (ISO 8583 DE 35 and DE 45), read into the
// fields the card algorithms take. ISO/IEC 7813:
//   track 2:          [';'] PAN '=' YYMM SVC discretionary ['?' [LRC]]   ('D' for '=' in BCD)
//   track 1 format B: ['%'] 'B' PAN '^' NAME '^' YYMM SVC discretionary ['?' [LRC]]
// Sentinels and the LRC are optional because acquirers strip them or not. The cardholder name
// is checked for shape and never returned. Errors name the part at fault, never its content.
// Views point into the input. Pure functions; thread-safe.
#pragma once

#include <string_view>

#include "crypto/crypto_error.h"

namespace holdfast::crypto {

struct TrackData {
  std::string_view pan;            // 1..19 digits
  std::string_view expiry_yymm;    // 4 digits
  std::string_view service_code;   // 3 digits
  std::string_view discretionary;  // the rest, sentinel and LRC removed (may be empty)
  std::string_view body;           // the whole track without sentinels and LRC (track 1 from 'B')
};

// Track 2: the discretionary data must be digits (its character set).
CryptoResult<TrackData> parse_track2(std::string_view track);
// Track 1 format B: printable characters other than the separators '^', '%' and '?'.
CryptoResult<TrackData> parse_track1(std::string_view track);

}  // namespace holdfast::crypto
