// Clearing records (src/clearing) into the engine's Presentment command. Like card messages,
// the PAN is hashed (the gateway's PanHasher) and masked here, at the edge, and dropped; the
// record id and the ARN become 16-byte digests (the first 16 bytes of SHA-256 of their text) so
// that the command stays fixed-size and carries no free text but the short ARN itself.
//
// Field by field (FORMAT.md of src/clearing names the DEs):
//   kind          first presentment, its reversal, second presentment; the chargeback cycle
//                 (records the issuer itself sent) becomes PresentmentKind::other
//   DE 4/49, 6/51 amount and currency, billing amount and currency when present
//   DE 38, 37     approval code (6), retrieval reference (12); absent = all '\0'
//   DE 31         ARN: digest, and the text itself (at most 23 characters, else an error);
//                 absent = all-zero digest and empty text
//   DE 19 / 43    acquirer country: numeric as is, alpha-3 through the ISO 3166 table
//                 (base/country.h); an alpha-3 the table does not know is an error
//   DE 22         card presence -> UseChannel (unknown -> any)
//   DE 12         transaction time: the acceptor's local time (no zone), with the smallest and
//                 largest UTC offset of the acceptor's country (base/country.h; unknown country:
//                 -12:00..+14:00), so that the engine compares it with UTC as an interval
//   DE 25, 26     reason code, MCC; absent = 0
#pragma once

#include <string_view>

#include "base/result.h"
#include "clearing/clearing.h"
#include "engine/command.h"
#include "gateway/gateway.h"

namespace holdfast::gateway {

// First 16 bytes of SHA-256 of `text` (a clearing record id or an ARN).
engine::Digest16 digest16(std::string_view text);

// The Presentment for one clearing record. TranslateError::field is the DE number of the field
// at fault (0 for the record id and the kind); the reason names the field too.
Result<engine::Presentment, TranslateError> to_presentment(const clearing::ClearingRecord& record,
                                                           const PanHasher& pan_hasher);

}  // namespace holdfast::gateway
