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

enum class CardScheme : uint8_t { visa = 0, mastercard = 1, unionpay = 2 };
constexpr int kCardSchemeCount = 3;
const char* card_scheme_name(CardScheme s) noexcept;
std::optional<CardScheme> parse_card_scheme(std::string_view s) noexcept;

enum class PinVerification : uint8_t { visa_pvv = 0, ibm3624_offset = 1 };
constexpr int kPinVerificationCount = 2;

// Where a card was used: lets a floor limit or a control tell a terminal from a web shop.
enum class UseChannel : uint8_t { any = 0, card_present = 1, card_not_present = 2 };
constexpr int kUseChannelCount = 3;

// The largest amount a merchant may complete without asking the issuer (offline or no
// authorisation), for items matching the MCC range, acquirer country (0 = any) and channel.
// First matching rule of the product wins, else Product::default_floor_limit_minor. Amounts in
// the account currency. RULES.md section 3: Visa zero since 2014, Mastercard offline chip up
// to USD 200, fallback always zero.
struct FloorLimitRule {
  uint16_t mcc_low = 0;
  uint16_t mcc_high = 9999;
  uint16_t country = 0;
  UseChannel channel = UseChannel::any;
  int64_t floor_limit_minor = 0;
  friend bool operator==(const FloorLimitRule&, const FloorLimitRule&) = default;
};

// Product settings carried by a card range: what the cards in it may do.
struct Product {
  std::string name;
  uint16_t issuer_country = 156;       // ISO 3166 numeric; cross-border = acquirer country differs
  bool allow_card_not_present = true;  // e-commerce, mail/telephone order
  bool allow_cross_border = true;
  bool allow_cash = true;                        // processing code 01 (cash), ATM
  int64_t single_authorization_limit_minor = 0;  // 0 = none; above it: response 61
  // Card security policy.
  uint8_t pin_try_limit = 3;                   // wrong PINs in a row before 75 (tries exceeded)
  uint16_t atc_window = 50;                    // an ARQC's ATC may run this far ahead of the last seen
  bool decline_fallback = true;                // chip card read by stripe: decline (else let risk score it)
  bool require_cvv2_card_not_present = false;  // card-not-present without CVV2: decline
  PinVerification pin_verification = PinVerification::visa_pvv;

  CardScheme scheme = CardScheme::mastercard;  // whose dispute rules apply
  // Offline exposure: floor limits (see FloorLimitRule).
  int64_t default_floor_limit_minor = 0;
  std::vector<FloorLimitRule> floor_limits;
  // Cross-border fee on presentments in a foreign currency, basis points of the billing amount.
  uint32_t foreign_fee_bp = 0;

  // Temporary uplifts abroad, granted per request by risk (never blindly): the credit limit
  // may be raised to at most uplift_max_multiplier_bp of itself (20000 = 2x), in the listed
  // acquirer countries (empty = any country but the issuer's), for uplift_days.
  uint32_t uplift_max_multiplier_bp = 0;  // 0 = no uplifts for this product
  std::vector<uint16_t> uplift_countries;
  uint32_t uplift_days = 7;
  bool uplift_on_authorization = false;  // ask for one when an authorisation abroad exceeds open-to-buy
  // Risk signals behind the uplift gate: a card or token unused this long is dormant; a token
  // provisioned less than token_cooling_days ago is too new to trust with more credit.
  uint32_t dormant_days = 90;
  uint32_t token_cooling_days = 30;
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
  // Legacy mode only (EngineMode::legacy): what online authorisations see as used, refreshed
  // from the books once a day (T+1).
  int64_t legacy_used_minor = 0;
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
  uint8_t pin_tries = 0;  // wrong PINs in a row
  bool has_atc = false;   // an ARQC was verified before
  uint16_t last_atc = 0;  // the highest verified ATC
  // IBM 3624 PIN offset (digits, '\0'-padded; all '\0' = none), for products verifying that way.
  std::array<char, 12> pin_offset{};
  // Burst protection: transaction times (UTC) and amounts (account currency) of the latest
  // unauthorised offline items, in arrival order.
  static constexpr size_t kOfflineItemsKept = 8;
  std::array<Timestamp, kOfflineItemsKept> offline_item_times{};
  std::array<int64_t, kOfflineItemsKept> offline_item_amounts{};
  uint8_t offline_item_count = 0;  // how many of offline_item_times are set
  Timestamp protected_at;          // when burst protection blocked the card (0 = never)
  // When the issuer listed the card (set it blocked, lost or stolen) while it was not listed;
  // 0 = not listed now (back to active, or never).
  Timestamp listed_at;
  // The card's latest message record (sequence + 1; 0 = none). Each record links to the card's
  // previous one, so presentments without holdfast's approval code, offline advices and
  // incremental authorisations walk the card's own history instead of a global index kept on
  // the authorisation path (the card is in cache there: linking costs nothing). Rebuilt from
  // the records at start-up.
  uint64_t last_record = 0;
  // The card's latest record that is an approval which held or posted money (sequence + 1; 0 =
  // none), each linking to the previous such one: presentments match against these only, so
  // declines sent on the card cannot lengthen the walk. Rebuilt from the records at start-up.
  uint64_t last_approval = 0;
  uint64_t fraud_case_id = 0;  // the fraud case opened for the card (0 = none)
  bool chip() const noexcept { return service_code[0] == '2' || service_code[0] == '6'; }
};

// A payment token (a device PAN in a phone wallet) standing for a card. Messages with the
// token's number find the card through it; a suspended token is refused. A token's messages are
// verified like the card's, with keys per token number (src/security/README.md, "Tokens"), and
// its application transaction counter is its own: the wallet counts, not the card.
struct TokenId {
  uint64_t value = 0;
  friend auto operator<=>(const TokenId&, const TokenId&) = default;
};
enum class TokenStatus : uint8_t { active = 0, suspended, deleted };
constexpr int kTokenStatusCount = 3;
const char* token_status_name(TokenStatus s) noexcept;
std::optional<TokenStatus> parse_token_status(std::string_view s) noexcept;

struct Token {
  TokenId id;
  CardId card;
  PanHash pan_hash;
  MaskedPan masked_pan;
  TokenStatus status = TokenStatus::active;
  uint8_t wallet = 0;  // wallet provider, an operator-defined number
  Timestamp provisioned_at;
  Timestamp last_used_at;  // 0 = never used
  bool has_atc = false;    // a cryptogram (ARQC, dCVV, CVC3) of this token was verified before
  uint16_t last_atc = 0;   // the highest verified ATC of this token
};

// True when the card's expiry month is over at `now` (a card is valid through the last day of
// its expiry month).
bool is_expired(uint16_t expiry_yymm, Timestamp now) noexcept;

}  // namespace holdfast::cards
