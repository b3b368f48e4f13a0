// The dispute lifecycle as a deterministic state machine.
//
//   Result<Case, Refusal> apply(const RulesBook&, const Case&, const Command&, Timestamp now)
//
// returns the case after the command, or a Refusal naming why not (a transition not allowed
// from this state, a deadline already passed, an amount above the disputed amount...). The
// input case is never changed. No clock, no I/O, no randomness: time is the `now` parameter,
// so the engine can call this inside its single-writer apply and replays give the same cases.
//
// States (README.md has the diagram):
//   claimed -> chargeback_filed -> represented -> pre_arbitration -> pre_arbitration_declined
//           -> arbitration -> closed_won | closed_lost;  any open state -> withdrawn;
//   a deadline that passes: the issuer's -> expired, the acquirer's -> closed_won (Tick).
// Provisional credit is an attribute (granted at most once, while open), not a state.
//
// Invariants (asserted):
//   D1 0 < chargeback_minor <= disputed.minor once filed; provisional credit <= disputed.
//   D2 an open case has exactly one next deadline and one party that must act by it (the
//      scheme, with no deadline, while arbitration is pending); a closed case has none.
//   D3 evidence and history are append-only and bounded (kMaxEvidence, kMaxHistory).
// Threading: plain values; no shared state.
#pragma once

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "base/money.h"
#include "base/result.h"
#include "base/time.h"
#include "disputes/rules.h"

namespace holdfast::disputes {

// Bounds (each also a decoder limit): a case with more is a bug or an attack.
inline constexpr size_t kMaxEvidence = 64;           // documents per case; real cases hold a handful
inline constexpr size_t kMaxHistory = 32;            // transitions per case; the longest path has 8
inline constexpr size_t kMaxDescriptionBytes = 512;  // evidence description (text, not the document)
inline constexpr size_t kMaxReasonCodeBytes = 8;

inline constexpr Timestamp kNoDeadline{INT64_MAX};

enum class CaseState : uint8_t {
  claimed = 0,                   // cardholder claim recorded; issuer must file the chargeback
  chargeback_filed = 1,          // acquirer must accept or represent
  represented = 2,               // acquirer's second presentment; issuer must escalate or accept
  pre_arbitration = 3,           // issuer filed pre-arbitration; acquirer must accept or decline
  pre_arbitration_declined = 4,  // issuer must file arbitration or accept
  arbitration = 5,               // the scheme rules
  closed_won = 6,                // the issuer recovered the chargeback amount
  closed_lost = 7,               // the issuer did not recover
  withdrawn = 8,                 // cardholder or issuer dropped the claim
  expired = 9,                   // the issuer let its deadline pass; it can no longer act
};
inline constexpr uint8_t kCaseStateCount = 10;
const char* case_state_name(CaseState s) noexcept;
bool is_closed(CaseState s) noexcept;

enum class Party : uint8_t { cardholder = 0, issuer = 1, acquirer = 2, merchant = 3, scheme = 4 };
inline constexpr uint8_t kPartyCount = 5;
const char* party_name(Party p) noexcept;

struct Evidence {
  EvidenceKind kind = EvidenceKind::other;
  Party from = Party::cardholder;
  Timestamp received_at;
  std::string description;
  friend bool operator==(const Evidence&, const Evidence&) = default;
};

struct Transition {
  CaseState from = CaseState::claimed;
  CaseState to = CaseState::claimed;
  Timestamp at;
  friend bool operator==(const Transition&, const Transition&) = default;
};

struct Case {
  uint64_t case_id = 0;
  uint64_t card_id = 0;
  uint64_t account_id = 0;
  Scheme scheme = Scheme::visa;
  std::string reason_code;                          // as classified at intake; may change when filing
  ReasonCategory category = ReasonCategory::fraud;  // of reason_code (from the rules)
  Money disputed;                                   // the amount the cardholder disputes (billing currency)
  Timestamp transaction_at;                         // when the purchase happened
  Timestamp processed_at;  // processing / clearing date: the filing clock starts here
  Timestamp claimed_at;
  CaseState state = CaseState::claimed;
  Timestamp deadline = kNoDeadline;  // D2
  Party deadline_party = Party::issuer;
  int64_t chargeback_minor = 0;  // 0 until filed (partial allowed)
  Timestamp chargeback_at;
  int64_t provisional_credit_minor = 0;
  Timestamp provisional_credit_at;
  Timestamp closed_at;
  std::vector<Evidence> evidence;
  std::vector<Transition> history;
  friend bool operator==(const Case&, const Case&) = default;
};

// ---- Commands -------------------------------------------------------------------------------
struct GrantProvisionalCredit {
  int64_t amount_minor = 0;
};
// reason_code empty: the one classified at intake.
struct FileChargeback {
  int64_t amount_minor = 0;
  std::string reason_code;
};
struct AttachEvidence {
  EvidenceKind kind = EvidenceKind::other;
  Party from = Party::cardholder;
  std::string description;
};
struct AcquirerAccepts {};      // accepts the chargeback or the pre-arbitration
struct RecordRepresentment {};  // acquirer's second presentment
struct FilePreArbitration {};
struct RecordPreArbitrationDeclined {};
struct FileArbitration {};
struct RecordArbitrationRuling {
  bool issuer_won = false;
};
struct IssuerAccepts {};  // issuer accepts the representment / decline
struct Withdraw {};
struct Tick {};  // deadline pulse: expire what is overdue
using Command = std::variant<GrantProvisionalCredit, FileChargeback, AttachEvidence, AcquirerAccepts,
                             RecordRepresentment, FilePreArbitration, RecordPreArbitrationDeclined,
                             FileArbitration, RecordArbitrationRuling, IssuerAccepts, Withdraw, Tick>;

// Why a command was refused. Dense, ordered by precedence: the first failing check decides.
enum class RefusalCode : uint8_t {
  case_closed = 0,
  transition_not_allowed = 1,
  deadline_passed = 2,
  unknown_reason_code = 3,
  documentation_missing = 4,
  amount_not_positive = 5,
  amount_above_disputed = 6,
  provisional_credit_already_granted = 7,
  pre_arbitration_not_required = 8,
  evidence_limit = 9,
  description_too_long = 10,
  nothing_due = 11,
};
const char* refusal_code_name(RefusalCode c) noexcept;

struct Refusal {
  RefusalCode code = RefusalCode::transition_not_allowed;
  CaseState state = CaseState::claimed;        // the state the case was in
  Timestamp deadline = kNoDeadline;            // deadline_passed: the one that passed
  int64_t limit_minor = 0;                     // amount_above_disputed: the most allowed
  EvidenceKind missing = EvidenceKind::other;  // documentation_missing: the first kind missing
};
// One line for people: "deadline_passed: chargeback filing deadline 2026-03-01T00:00:00Z passed".
std::string describe(const Refusal& r);
// "2026-03-01T00:00:00Z"
std::string format_utc(Timestamp t);

struct OpenClaim {
  uint64_t case_id = 0;
  uint64_t card_id = 0;
  uint64_t account_id = 0;
  Scheme scheme = Scheme::visa;
  std::string reason_code;
  Money disputed;
  Timestamp transaction_at;
  Timestamp processed_at;
};

// A cardholder claim. Refused when the reason code is unknown for the scheme, the amount is not
// positive, or the filing deadline already passed (the claim is then the issuer's alone).
[[nodiscard]] Result<Case, Refusal> open_claim(const RulesBook& rules, const OpenClaim& claim, Timestamp now);

// REQUIRES: c satisfies D1-D3 (any Case from open_claim/apply/decode does).
[[nodiscard]] Result<Case, Refusal> apply(const RulesBook& rules, const Case& c, const Command& cmd,
                                          Timestamp now);

// ---- Deadline alerts ------------------------------------------------------------------------
enum class AlertKind : uint8_t { due_soon = 0, overdue = 1 };
struct Alert {
  AlertKind kind = AlertKind::due_soon;
  uint64_t case_id = 0;
  CaseState state = CaseState::claimed;
  Party party = Party::issuer;  // who must act
  Timestamp deadline;
  int64_t seconds_left = 0;  // negative when overdue
};
// Open cases whose next deadline is at or before now + lead_time (due_soon) or already passed
// (overdue: a Tick will expire them). Ordered by deadline, then case id. Cases awaiting the
// scheme's arbitration ruling have no deadline and never alert.
std::vector<Alert> due_alerts(const std::vector<Case>& cases, Timestamp now, int64_t lead_time_s);

}  // namespace holdfast::disputes
