// The gateway: translation between ISO 8583 messages on an acquirer link and the engine's
// commands and replies. Pure functions: no sockets, no files, no clock.
//
// Inbound, it reads the data elements holdfast's link profile defines (see README.md) into a
// fixed-size engine::CardMessage: the PAN becomes a keyed hash and a masked form here, at the
// edge, and sensitive authentication data never goes further. A message that cannot be
// translated (a required element missing or malformed) is answered with response code 30 by
// the caller, using format_error_response().
//
// Outbound, it builds the response from the request (echoing the elements the acquirer matches
// on) and the engine's reply (DE 38 approval code, DE 39 response code, DE 54 balances).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/result.h"
#include "cards/cards.h"
#include "engine/command.h"
#include "engine/engine.h"
#include "iso8583/message.h"
#include "iso8583/spec.h"

namespace holdfast::gateway {

// Keyed hash of PANs (HMAC-SHA-256 under a 32-byte key, truncated to 16 bytes). The key comes
// from the server configuration (a key file); the same key must be used for the life of a data
// directory, since the journal and snapshots hold hashes, not PANs.
class PanHasher {
 public:
  explicit PanHasher(const std::array<uint8_t, 32>& key);
  cards::PanHash hash(std::string_view pan) const;

 private:
  std::array<uint8_t, 32> key_;
};

// Masked form of a PAN: first six, last four, length. REQUIRES: pan is 12-19 digits.
cards::MaskedPan mask_pan(std::string_view pan);
bool is_valid_pan(std::string_view pan);  // 12-19 digits (the Luhn check is the crypto module's)

// The largest ratio, either way, between DE 6 (cardholder billing) and DE 4 (transaction) in
// minor units: real rates between currencies' minor units stay below 10^5 (a US cent is about
// 16,000 rupiah minor units, 90,000 Lebanese piastres); beyond 10^6 the pair is a forgery or
// an error, answered 30 naming DE 6.
constexpr int64_t kMaxImpliedRate = 1'000'000;

enum class TranslateErrc { unsupported_message, missing_field, invalid_field };
struct TranslateError {
  TranslateErrc code;
  int field = 0;  // data element number, 0 for the MTI
  std::string reason;
};

// Reads a request or advice into a CardMessage. REQUIRES: `message` decoded without error.
Result<engine::CardMessage, TranslateError> to_card_message(const iso8583::Message& message,
                                                            const PanHasher& pan_hasher);

// Builds the response to `request` from the engine's reply. Response MTI per ISO 8583 (0100 ->
// 0110, 0101 -> 0110, 0420 -> 0430...).
// DE 39 takes the link spec's form: two characters (1987) or a three-digit action code (1993).
void build_response(const iso8583::MessageSpec& spec, const iso8583::Message& request,
                    const engine::Reply& reply, iso8583::Message* response);
// The response with DE 39 = 30 (format error) for a message that was not usable: one that
// decoded but did not translate, or what iso8583::salvage() kept of one that did not decode.
// Echoes only the matching elements whose values are valid for `spec`, so it always encodes.
// Returns false when the MTI itself has no response (e.g. a response MTI was sent to us).
bool format_error_response(const iso8583::MessageSpec& spec, const iso8583::Message& request,
                           iso8583::Message* response);

}  // namespace holdfast::gateway
