// The issuer host's security stage: verifies the card security values an ISO 8583 request
// carries, with the keys of the key store, and reduces them to engine::SecurityResults (the
// values themselves never leave this function; the engine and the journal see results only).
//
// What is read (the link profile, also in src/gateway/README.md):
//  - DE 35 track 2: PAN '=' YYMM, service code (3), then discretionary data in the Visa layout
//      PVKI (1) PVV (4) CVV (3) [anything else, ignored]
//  - DE 45 track 1 format B: ['%'] 'B' PAN '^' NAME '^' YYMM SVC discretionary ['?' LRC],
//    the discretionary data in the same Visa layout; checked like track 2 (both, when both
//    are carried: the worse result stands).
//    CVV1 (the track's service code) for a stripe read (DE 22 entry 02 or 90, or any other
//    card-present read), iCVV (service code 999) for a chip read (05 or 07); 91 (contactless
//    magstripe): Mastercard CVC3 (discretionary CVC3(3) UN(3) ATC(5), key imk_cvc3) or Visa
//    dCVV (PVKI(1) PVV(4) dCVV(3) ATC(4), key imk_dcvv), a counter not above the card's last
//    verified ATC being a replay (mismatch).
//    chip_card = the track's service code starts with 2 or 6.
//  - DE 48 subelement 92 (Mastercard style): DE 48 = [one optional non-digit TCC character]
//    then subelements "SS LL value" (2-digit id, 2-digit length); SE 92 = CVV2, 3 digits.
//    CVV2 is checked for card-not-present messages, and for card-present ones without track.
//    Computed over the PAN, the card's expiry on file and service code 000.
//  - DE 52 PIN block under the zone PIN key of the acquirer in DE 32 (format per key entry,
//    ISO 0 by default; ISO 4 needs a 16-byte DE 52), translated into the verification zone
//    (ISO 4 under a one-time AES key) and verified under the range's PVK as the card's product
//    says: Visa PVV against the card's PVV (with the PVKI), or IBM 3624 against the card's
//    offset (with the pvk's decimalisation table and validation data settings).
//  - DE 55 ICC data: 9F26 ARQC, 9F10 IAD, 9F36 ATC and the terminal data 9F02 9F03 9F1A 95
//    5F2A 9A 9C 9F37 82, verified with crypto::verify_arqc (method chosen from the IAD) under
//    the range's IMK-AC, the card's PSN on file; an IAD of no known layout is malformed.
//    9F27, when present, must say ARQC (bits 8-7 = 10) or the data is malformed.
// Tokens (a wallet's device PAN standing for a card): the message's PAN is the token's, and so
// are the keys: CVV2, dCVV/CVC3 and the ARQC are checked with the keys whose scope prefixes the
// token number, card keys derived from the token number and PSN 00 (as wallets do: keys per
// token), CVV2 over the expiry the message carries (the token's own, DE 14), a replayed counter
// judged against the token's last ATC. The PIN is the card's: the block is opened with the
// token number it was formatted with and checked against the card's PVV/offset over the card's
// PAN (decrypted from its record with the pan key; not_checked when there is none).
// Results per check: match, mismatch, not_present (not carried), not_checked (no key or no
// reference value on file), malformed (carried but unusable).
// Rotation: every version of a key is tried, active first; any match is a match.
// Threading: pure functions over immutable inputs; SecurityStage is safe from any thread.
#pragma once

#include <array>
#include <memory>
#include <string>

#include "cards/cards.h"
#include "engine/command.h"
#include "engine/engine.h"
#include "iso8583/message.h"
#include "iso8583/spec.h"
#include "security/key_store.h"

namespace holdfast::security {

struct VerifyContext {
  const KeyStore* keys = nullptr;              // nullptr: every carried value is not_checked
  const iso8583::MessageSpec* spec = nullptr;  // how DE 55 travels (b = raw, else hex text)
  uint16_t pos_entry_mode = 0;                 // DE 22 as the gateway read it (3 digits)
  engine::Channel channel = engine::Channel::card_present;
};

// A message made with a wallet token's number: the token, and the card's clear PAN (decrypted
// from the card's record; empty when it cannot be) that the card's PIN reference is computed
// over. README.md, "Tokens".
struct TokenUse {
  const cards::Token* token = nullptr;
  std::string_view card_pan;
};

// `token`: nullptr when the message carries the card's own number.
engine::SecurityResults verify(const iso8583::Message& request, const cards::Card& card,
                               const cards::CardRange& range, const VerifyContext& context,
                               const TokenUse* token = nullptr);

// DE 55 for the response to a request whose ARQC verifies: tag 91 = ARPC || ARC (method 1) or
// ARPC || CSU (method 2), chosen from the IAD (README.md). `psn` as on file (2 digits).
// Returns false (and leaves *de55 alone) when there is nothing to add.
bool response_icc_data(const iso8583::Message& request, const iso8583::MessageSpec& spec,
                       std::array<char, 2> response_code, std::string_view psn, const KeyStore& keys,
                       std::string* de55);

// The server's single entry point.
class SecurityStage {
 public:
  SecurityStage(const KeyRing* keys, const iso8583::MessageSpec* spec) : keys_(keys), spec_(spec) {}

  // Engine thread, before the command is journaled: finds the card (directly, or through the
  // wallet token whose number the message carries) and its range in `engine`, verifies
  // `request` and writes the results into message->security. When the request
  // carries ICC data, the card's PSN is noted in the in-memory request (DE 23, never echoed)
  // for the response's ARPC.
  void check(const engine::Engine& engine, iso8583::Message& request, engine::CardMessage* message) const;
  // I/O thread: adds DE 55 (tag 91) to `response` when the request's ARQC verifies and the
  // spec defines DE 55.
  void add_arpc(const iso8583::Message& request, std::array<char, 2> response_code,
                iso8583::Message* response) const;

 private:
  const KeyRing* keys_;
  const iso8583::MessageSpec* spec_;
};

}  // namespace holdfast::security
