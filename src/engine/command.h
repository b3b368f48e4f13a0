// Commands: everything that changes holdfast's state enters the engine as one of these, stamped
// with the time it entered the journal. A command is plain data, fixed-size where it sits on the
// authorisation path, and carries no sensitive authentication data (no PIN block, CVV2, track,
// cryptogram, clear PAN): the gateway verifies those at the edge and passes on the results only,
// so the journal that stores commands never holds them.
//
// command_codec.h turns a command into journal bytes and back; the format is versioned there.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <variant>

#include "base/money.h"
#include "base/time.h"
#include "cards/cards.h"
#include "disputes/case.h"
#include "disputes/liability.h"
#include "engine/config.h"

namespace holdfast::engine {

// What an acquirer-side ISO 8583 message asks for, by its MTI class and function.
enum class MessageKind : uint8_t {
  authorization_request = 0,  // 0100: hold funds if approved
  authorization_advice,       // 0120: approved elsewhere (stand-in, offline); apply, never refuse
  financial_request,          // 0200: approve and post at once (single message)
  financial_advice,           // 0220: completed elsewhere; post, never refuse
  reversal_request,           // 0400: undo all or part of an earlier request
  reversal_advice,            // 0420: same, as an advice
  network_management,         // 0800: sign-on, sign-off, echo
};
constexpr int kMessageKindCount = 7;
const char* message_kind_name(MessageKind k) noexcept;

// DE 3 positions 1-2, the transaction type.
enum class TransactionType : uint8_t {
  purchase = 0,       // 00
  cash = 1,           // 01
  purchase_cashback,  // 09
  refund,             // 20: a credit to the cardholder
  balance_inquiry,    // 30, 31
  other,
};

// How the card was read (DE 22 positions 1-2) and where the cardholder was.
enum class Channel : uint8_t {
  card_present = 0,
  card_not_present,  // manual key entry, e-commerce, mail or telephone order
};

// Network management function (DE 70).
enum class NetworkFunction : uint8_t { sign_on = 0, sign_off, echo, other };

// Card security checks (issue 3): the security stage verifies the values a message carries
// (CVV family, PIN block, ARQC) before the command is journaled, and passes on only these
// results; the values themselves never reach the engine or the journal.
enum class CheckResult : uint8_t {
  not_present = 0,  // the message did not carry the value
  not_checked,      // carried, but no key or reference to check it against
  match,
  mismatch,
  malformed,  // carried but unusable (bad PIN block format, bad TLV, wrong length)
};
constexpr int kCheckResultCount = 5;
enum class CardVerificationKind : uint8_t { none = 0, cvv1, icvv, cvv2, dynamic_cvv };
constexpr int kCardVerificationKindCount = 5;

struct SecurityResults {
  CardVerificationKind card_verification_kind = CardVerificationKind::none;
  CheckResult card_verification = CheckResult::not_present;  // CVV1/iCVV (track), CVV2 (CNP)
  CheckResult pin = CheckResult::not_present;                // DE 52 against the card's PVV
  CheckResult cryptogram = CheckResult::not_present;         // ARQC in DE 55
  bool has_atc = false;
  uint16_t atc = 0;        // application transaction counter: of a checked ARQC (tag 9F36) or dCVV/CVC3
  bool chip_card = false;  // the track's service code is 2xx or 6xx: the card has a chip
};

// Identifies one message as the acquirer sent it: acquirer (DE 32) + STAN (DE 11) +
// transmission date and time (DE 7, MMDDhhmmss). Duplicates and reversals are matched on it.
struct MessageKey {
  uint64_t acquirer_id = 0;        // DE 32 digits as a number
  uint32_t stan = 0;               // DE 11
  uint64_t transmission_time = 0;  // DE 7 as the number MMDDhhmmss
  friend bool operator==(const MessageKey&, const MessageKey&) = default;
};

// An ISO 8583 request or advice in the engine's terms. Fixed size: no allocation on the path.
struct CardMessage {
  MessageKind kind = MessageKind::authorization_request;
  bool repeat = false;  // MTI origin digit 1 (0101, 0121, 0221, 0401, 0421)
  uint16_t mti = 0;     // as received, e.g. 100, 1100; echoed in explanations
  MessageKey key;
  uint64_t forwarding_id = 0;  // DE 33

  // The card, as the gateway found it: keyed hash for lookup, masked PAN for display.
  cards::PanHash pan_hash;
  cards::MaskedPan masked_pan;
  bool has_pan = false;
  uint16_t expiry_yymm = 0;  // DE 14, or from track 2; 0 = not sent

  TransactionType transaction_type = TransactionType::purchase;
  uint32_t processing_code = 0;      // DE 3 as sent
  int64_t amount_minor = 0;          // DE 4, in transaction currency
  Currency currency;                 // DE 49
  int64_t billing_amount_minor = 0;  // DE 6, in billing currency (0 = absent)
  Currency billing_currency;         // DE 51
  uint16_t mcc = 0;                  // DE 18
  uint16_t acquirer_country = 0;     // DE 19
  uint16_t pos_entry_mode = 0;       // DE 22 (first 3 digits in 1987)
  uint8_t pos_condition = 0;         // DE 25
  Channel channel = Channel::card_present;
  std::array<char, 8> terminal_id{};           // DE 41
  std::array<char, 15> merchant_id{};          // DE 42
  std::array<char, 12> retrieval_reference{};  // DE 37

  // Advices: what the stand-in or the terminal decided (DE 39, DE 38).
  std::array<char, 2> advice_response_code{};
  std::array<char, 6> advice_approval_code{};

  // Reversals: the original (DE 90 in 1987, DE 56 in 1993) and replacement amount (DE 95).
  bool has_original = false;
  uint16_t original_mti = 0;
  MessageKey original_key;
  bool has_replacement_amount = false;
  int64_t replacement_amount_minor = 0;  // what stays authorised after a partial reversal

  NetworkFunction network_function = NetworkFunction::other;
  uint16_t network_code = 0;  // DE 70 as sent

  SecurityResults security;
};

// Administrative commands: the portfolio and its settings. Journaled like card messages.
struct CreateCardRange {
  cards::CardRange range;  // range.id is assigned by the engine
};
struct OpenAccount {
  Currency currency;
  int64_t credit_limit_minor = 0;
  uint64_t requested_id = 0;  // 0 = engine assigns; else must be unused
};
// The PAN encrypted at rest (AES-256-GCM: 12-byte nonce, ciphertext, 16-byte tag) under the
// PAN key; produced at the edge, stored as is.
struct EncryptedPan {
  std::array<uint8_t, 48> bytes{};
  uint8_t size = 0;
  friend bool operator==(const EncryptedPan&, const EncryptedPan&) = default;
};

struct IssueCard {
  uint64_t requested_id = 0;  // 0 = engine assigns; else must be unused
  uint64_t account_id = 0;
  EncryptedPan encrypted_pan;
  std::array<char, 3> service_code{'2', '0', '1'};  // on the stripe/track: 2xx = chip card
  std::array<char, 4> pin_verification_value{};     // Visa PVV; all zero bytes = no PIN on file
  uint8_t pan_sequence_number = 0;                  // EMV PSN (tag 5F34)
  std::array<char, 12> pin_offset{};                // IBM 3624 offset; all zero bytes = none
  cards::PanHash pan_hash;
  cards::MaskedPan masked_pan;
  uint64_t prefix = 0;  // leading digits of the PAN for card range lookup (up to 11)
  uint8_t prefix_length = 0;
  uint16_t expiry_yymm = 0;
};
struct SetCardStatus {
  uint64_t card_id = 0;
  cards::CardStatus status = cards::CardStatus::active;
};
struct SetCreditLimit {
  uint64_t account_id = 0;
  int64_t credit_limit_minor = 0;
};
// Resets a card's PIN try counter (after the cardholder proved who they are).
struct ResetPinTries {
  uint64_t card_id = 0;
};
struct SetUplift {
  uint64_t account_id = 0;
  int64_t uplift_minor = 0;
  Timestamp expires_at;
};
// New engine settings (hold validity, retention...). Journaled, so that a replay applies the
// settings in force when each command was first applied.
struct Configure {
  EngineConfig config;
};
// A timer pulse: expires holds and old message records that are due at the command's time.
struct Tick {};

// One clearing record (src/clearing) in the engine's terms: what the acquirer presents for
// settlement, days after the purchase, with or without an authorisation behind it. The gateway
// hashes the PAN and the record id; nothing sensitive is carried.
enum class PresentmentKind : uint8_t {
  first_presentment = 0,       // 1240/200: the purchase, to be matched and posted
  first_presentment_reversal,  // 1240/200 reversed: undo an earlier presentment
  second_presentment,          // 1240/205, 282: the acquirer's representment of a chargeback
  other,                       // chargeback-cycle records the issuer sent itself: acknowledged
};
constexpr int kPresentmentKindCount = 4;
const char* presentment_kind_name(PresentmentKind k) noexcept;

// 16 bytes of SHA-256 over a text id (clearing record id, ARN): fixed size and no free text.
struct Digest16 {
  std::array<uint8_t, 16> bytes{};
  friend bool operator==(const Digest16&, const Digest16&) = default;
};

struct Presentment {
  PresentmentKind kind = PresentmentKind::first_presentment;
  uint16_t function_code = 200;     // DE 24 as sent
  bool partial = false;             // a partial amount (282; or one of several clearings)
  Digest16 record_id;               // the clearing record's stable id: applied at most once
  Digest16 arn;                     // acquirer reference (DE 31): links chargeback cycles
  std::array<char, 23> arn_text{};  // the ARN itself (not sensitive), shown to operators
  cards::PanHash pan_hash;
  cards::MaskedPan masked_pan;
  int64_t amount_minor = 0;                            // DE 4, transaction currency
  Currency currency;                                   // DE 49
  int64_t billing_amount_minor = 0;                    // DE 6 in the cardholder billing currency (0 = absent)
  Currency billing_currency;                           // DE 51
  std::array<char, 6> approval_code{};                 // DE 38 ('\0' = none)
  std::array<char, 12> retrieval_reference{};          // DE 37 ('\0' = none)
  uint16_t mcc = 0;                                    // DE 26
  uint16_t acquirer_country = 0;                       // ISO 3166 numeric; 0 = unknown
  cards::UseChannel channel = cards::UseChannel::any;  // from DE 22 (any = unknown)
  // DE 12, the acceptor's local time written as if it were UTC (0 = unknown), and the UTC
  // offsets the acceptor's country uses over the year (base/country.h, resolved at the edge from
  // DE 19 / DE 43; minutes east of UTC): the purchase was made at a UTC instant in
  // [transaction_time - max, transaction_time - min]. 0, 0 = DE 12 is UTC.
  Timestamp transaction_time;
  int16_t utc_offset_min_minutes = 0;
  int16_t utc_offset_max_minutes = 0;
  uint16_t reason_code = 0;  // DE 25 message reason
};

// Payment tokens (phone wallets) on a card.
struct ProvisionToken {
  uint64_t requested_id = 0;  // 0 = engine assigns
  uint64_t card_id = 0;
  cards::PanHash pan_hash;  // the token number's keyed hash
  cards::MaskedPan masked_pan;
  uint8_t wallet = 0;
};
struct SetTokenStatus {
  uint64_t token_id = 0;
  cards::TokenStatus status = cards::TokenStatus::active;
};

// A request for a temporary uplift abroad (from the cardholder's app or the card centre):
// granted by the product's settings and the card's risk signals, never blindly.
struct RequestUplift {
  uint64_t card_id = 0;
  uint64_t token_id = 0;       // the token it is for, if any (0 = the card itself)
  uint16_t country = 0;        // where the cardholder will spend (ISO 3166 numeric)
  uint32_t multiplier_bp = 0;  // asked-for limit as a multiple of the credit limit (20000 = 2x)
  cards::UseChannel channel = cards::UseChannel::card_present;
  bool fallback = false;  // asked for on the back of a stripe fallback read
};

// Cardholder disputes (engine_disputes.cc). A claim on a presented transaction: found by its
// clearing record id's digest or its ARN's digest. The liability facts are what the cardholder
// and the card centre know (when the cardholder was aware and reported, leaked credentials...);
// the engine adds its own (payment time, burst protection, the card's block) before assessing.
struct OpenDispute {
  uint64_t requested_case_id = 0;  // 0 = engine assigns; else must be unused
  Digest16 presentment;            // clearing record id digest, or the ARN digest with by_arn
  bool by_arn = false;
  std::string reason_code;   // the card's scheme's code, at most disputes::kMaxReasonCodeBytes
  int64_t amount_minor = 0;  // disputed, account currency; 0 = all that was posted
  Timestamp transaction_at;  // 0 = the authorisation's time if remembered, else the clearing's
  disputes::LiabilityClaim liability;
};
// One step of a case's lifecycle (disputes::Command): provisional credit, chargeback, evidence,
// the acquirer's and the scheme's answers, escalations, acceptance, withdrawal.
struct DisputeAction {
  uint64_t case_id = 0;
  disputes::Command step;
};
// Settles a closed case with the cardholder: the entitlement (liability split for fraud and
// authorisation claims) against what was credited while it was open, plus goodwill. Once per case.
struct CloseCompensation {
  uint64_t case_id = 0;
  int64_t fee_waiver_minor = 0;  // account currency
  int64_t reward_points = 0;
  bool reassess = false;  // replace the liability facts given at intake with these
  disputes::LiabilityClaim liability;
};

using CommandBody =
    std::variant<CardMessage, CreateCardRange, OpenAccount, IssueCard, SetCardStatus, SetCreditLimit,
                 SetUplift, Tick, ResetPinTries, Configure, Presentment, ProvisionToken, SetTokenStatus,
                 RequestUplift, OpenDispute, DisputeAction, CloseCompensation>;

struct Command {
  Timestamp time;
  CommandBody body;
};

}  // namespace holdfast::engine
