// Cards, accounts and card ranges: the issuer's portfolio as the engine sees it.
//
// Invariants:
//  - A card belongs to exactly one account and one card range; ids are never reused.
//  - The engine never sees a clear PAN: a card is found by its keyed hash (PanHash), and shown
//    by its masked form (first 6, last 4). The gateway computes both at the edge.
//  - Amounts are minor units in the account's currency.
// Threading: owned by the engine thread; no locks.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/money.h"
#include "base/time.h"

namespace holdfast::cards {

struct AccountId {
  uint64_t value = 0;
  friend auto operator<=>(const AccountId&, const AccountId&) = default;
};
struct CardId {
  uint64_t value = 0;
  friend auto operator<=>(const CardId&, const CardId&) = default;
};
struct CardRangeId {
  uint32_t value = 0;
  friend auto operator<=>(const CardRangeId&, const CardRangeId&) = default;
};

// Keyed hash of a PAN (HMAC-SHA-256, first 16 bytes): a lookup key that reveals nothing.
struct PanHash {
  std::array<uint8_t, 16> bytes{};
  friend bool operator==(const PanHash&, const PanHash&) = default;
};
struct PanHashHasher {
  size_t operator()(const PanHash& h) const noexcept {
    uint64_t v;
    static_assert(sizeof v <= sizeof h.bytes);
    __builtin_memcpy(&v, h.bytes.data(), sizeof v);
    return static_cast<size_t>(v);
  }
};

// First six and last four digits: what may be shown (PCI DSS masking).
struct MaskedPan {
  std::array<char, 6> first6{};
  std::array<char, 4> last4{};
  uint8_t length = 0;
  std::string display() const;  // "622588******1234"
};

enum class CardStatus : uint8_t { active = 0, blocked, lost, stolen, expired, closed };
constexpr int kCardStatusCount = 6;
const char* card_status_name(CardStatus s) noexcept;
std::optional<CardStatus> parse_card_status(std::string_view s) noexcept;

// Product settings carried by a card range: what the cards in it may do.
struct Product {
  std::string name;
  uint16_t issuer_country = 156;            // ISO 3166 numeric; cross-border = acquirer country differs
  bool allow_card_not_present = true;       // e-commerce, mail/telephone order
  bool allow_cross_border = true;
  bool allow_cash = true;                   // processing code 01 (cash), ATM
  int64_t single_authorization_limit_minor = 0;  // 0 = none; above it: response 61
  // Card security policy.
  uint8_t pin_try_limit = 3;         // wrong PINs in a row before 75 (tries exceeded)
  uint16_t atc_window = 50;          // an ARQC's ATC may run this far ahead of the last seen
  bool decline_fallback = true;      // chip card read by stripe: decline (else let risk score it)
  bool require_cvv2_card_not_present = false;  // card-not-present without CVV2: decline
};

struct CardRange {
  CardRangeId id;
  // PAN prefix range, inclusive, compared on the first `prefix_length` digits.
  uint64_t prefix_low = 0;
  uint64_t prefix_high = 0;
  uint8_t prefix_length = 6;
  Product product;
};

struct Account {
  AccountId id;
  Currency currency;
  int64_t credit_limit_minor = 0;
  // A temporary uplift on top of the credit limit, active until uplift_expires_at.
  int64_t uplift_minor = 0;
  Timestamp uplift_expires_at;
  uint32_t ledger_index = 0;  // the account's row in the ledger
  int64_t active_uplift_minor(Timestamp now) const noexcept {
    return now < uplift_expires_at ? uplift_minor : 0;
  }
};

struct Card {
  CardId id;
  AccountId account;
  CardRangeId range;
  PanHash pan_hash;
  MaskedPan masked_pan;
  uint16_t expiry_yymm = 0;  // e.g. 2812 = December 2028
  CardStatus status = CardStatus::active;
  Timestamp issued_at;
  Timestamp last_used_at;
  // Card security.
  std::array<uint8_t, 48> encrypted_pan{};  // AES-256-GCM (nonce, ciphertext, tag)
  uint8_t encrypted_pan_size = 0;
  std::array<char, 3> service_code{'2', '0', '1'};
  std::array<char, 4> pin_verification_value{};
  uint8_t pan_sequence_number = 0;
  uint8_t pin_tries = 0;     // wrong PINs in a row
  bool has_atc = false;      // an ARQC was verified before
  uint16_t last_atc = 0;     // the highest verified ATC
  bool chip() const noexcept { return service_code[0] == '2' || service_code[0] == '6'; }
};

// True when the card's expiry month is over at `now` (a card is valid through the last day of
// its expiry month).
bool is_expired(uint16_t expiry_yymm, Timestamp now) noexcept;

}  // namespace holdfast::cards
