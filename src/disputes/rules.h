// Scheme rules for disputes, loaded from configuration (config/scheme-rules.json), never
// constants in code: scheme rules change twice a year and vary by region.
//
// What is here: per scheme, the chargeback reason codes (category, issuer filing limit, acquirer
// response window, whether pre-arbitration is required, the documents the issuer must hold
// before filing), the pre-arbitration and arbitration windows, the no-authorisation reason code;
// and the liability thresholds used by liability.h. Every entry carries the source ids of
// ../shared/data/scheme/RULES.md (the shared folder beside the repository) in its "source" member.
//
// The loader parses text (the caller reads the file): no I/O here. Errors name the JSON path,
// e.g. "$.schemes.visa.reason_codes[2].issuer_filing_days: expected an integer in 1..1000".
// Invariants of a loaded RulesBook: every scheme has at least one reason code, codes are unique
// within a scheme, the no-authorisation code is one of them, every window is 1..1000 days,
// every share is 0..10000 basis points.
// Threading: a RulesBook is immutable after loading; share it freely.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace holdfast::disputes {

enum class Scheme : uint8_t { visa = 0, mastercard = 1, unionpay = 2 };
inline constexpr uint8_t kSchemeCount = 3;
const char* scheme_name(Scheme s) noexcept;

enum class ReasonCategory : uint8_t { fraud = 0, authorisation = 1, processing = 2, consumer = 3 };
inline constexpr uint8_t kReasonCategoryCount = 4;
const char* reason_category_name(ReasonCategory c) noexcept;

// What the issuer holds as evidence. The config names the kinds a reason code needs before a
// chargeback may be filed ("time first, evidence is king").
enum class EvidenceKind : uint8_t {
  cardholder_statement = 0,  // the cardholder's signed dispute / fraud declaration
  loss_report = 1,           // report of loss or theft to the issuer
  police_report = 2,
  receipt = 3,
  correspondence = 4,       // with the merchant
  transaction_alert = 5,    // the alert the issuer sent the cardholder
  authentication_data = 6,  // 3DS / UCAF / cryptogram / CVM results
  cctv = 7,
  delivery_proof = 8,
  other = 9,
};
inline constexpr uint8_t kEvidenceKindCount = 10;
const char* evidence_kind_name(EvidenceKind k) noexcept;
bool parse_evidence_kind(std::string_view name, EvidenceKind* out) noexcept;

struct ReasonCodeRule {
  std::string code;  // "4837", "10.4"
  std::string name;
  ReasonCategory category = ReasonCategory::fraud;
  int32_t issuer_filing_days = 0;  // from the processing / clearing date (Visa TPD, MC CSBD)
  int32_t acquirer_response_days = 0;
  bool pre_arbitration_required = true;            // false: after representment straight to arbitration
  std::vector<EvidenceKind> issuer_documentation;  // must be attached before filing
  std::string acquirer_evidence;                   // what the acquirer typically answers with (text)
  std::vector<std::string> source;
};

struct Window {
  int32_t filing_days = 0;    // days the filing side has, from the previous step
  int32_t response_days = 0;  // days the receiving side has to accept or decline (0: n/a)
  std::vector<std::string> source;
};

struct SchemeRules {
  Scheme scheme = Scheme::visa;
  std::string no_authorisation_code;  // Visa 11.3, Mastercard 4808
  Window pre_arbitration;
  Window arbitration;
  std::vector<ReasonCodeRule> reason_codes;
};

// Liability thresholds (RULES.md §6, SPC 2021 interpretation; BRIEF.md). Basis points of the
// disputed amount.
struct LiabilityRules {
  int32_t prompt_report_hours = 0;           // a loss report within this is "at once"
  int32_t leaked_credentials_share_bp = 0;   // cardholder share for failing to safeguard (Art. 7)
  int32_t late_report_share_bp = 0;          // cardholder share of the enlarged loss (Art. 7)
  int32_t issuer_main_liability_min_bp = 0;  // issuer floor when it failed to spot / stop (Art. 6-7)
  int32_t cardholder_max_share_bp = 0;       // cap on all cardholder faults together
  std::vector<std::string> source;
};

struct RulesBook {
  std::vector<SchemeRules> schemes;
  LiabilityRules liability;

  const SchemeRules* scheme(Scheme s) const noexcept;
  const ReasonCodeRule* reason(Scheme s, std::string_view code) const noexcept;
};

enum class RulesErrorCode : uint8_t {
  not_json = 0,
  missing = 1,
  wrong_type = 2,
  out_of_range = 3,
  duplicate = 4,
  unknown = 5
};
using RulesError = Error<RulesErrorCode>;

// Parses the rules JSON. The error message starts with the JSON path of the offending member.
[[nodiscard]] Result<RulesBook, RulesError> load_rules(std::string_view json_text);

}  // namespace holdfast::disputes
