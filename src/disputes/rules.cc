#include "disputes/rules.h"

#include <optional>

#include <nlohmann/json.hpp>

namespace holdfast::disputes {

namespace {

using nlohmann::json;

constexpr int64_t kMaxDays = 1000;  // no scheme window comes near three years
constexpr int64_t kMaxBasisPoints = 10000;
constexpr int64_t kMaxHours = 24 * 365;
constexpr size_t kMaxCodeLength = 8;  // "13.9", "4837"

RulesError fail(RulesErrorCode code, const std::string& path, std::string_view what) {
  return RulesError{code, path + ": " + std::string(what)};
}

// Reads members; the first failure is kept (with its path) and later reads do nothing.
struct Reader {
  std::optional<RulesError> error;

  const json* member(const json& obj, const std::string& path, const char* key) {
    if (error) return nullptr;
    auto it = obj.find(key);
    if (it == obj.end()) {
      error = fail(RulesErrorCode::missing, path + "." + key, "missing");
      return nullptr;
    }
    return &*it;
  }
  const json* object(const json& obj, const std::string& path, const char* key) {
    const json* v = member(obj, path, key);
    if (v && !v->is_object()) {
      error = fail(RulesErrorCode::wrong_type, path + "." + key, "expected an object");
      return nullptr;
    }
    return v;
  }
  int32_t integer(const json& obj, const std::string& path, const char* key, int64_t lo, int64_t hi) {
    const json* v = member(obj, path, key);
    if (!v) return 0;
    if (!v->is_number_integer()) {
      error = fail(RulesErrorCode::wrong_type, path + "." + key, "expected an integer");
      return 0;
    }
    const int64_t n = v->get<int64_t>();
    if (n < lo || n > hi || (v->is_number_unsigned() && v->get<uint64_t>() > static_cast<uint64_t>(hi))) {
      error = fail(RulesErrorCode::out_of_range, path + "." + key,
                   "expected an integer in " + std::to_string(lo) + ".." + std::to_string(hi));
      return 0;
    }
    return static_cast<int32_t>(n);
  }
  std::string string(const json& obj, const std::string& path, const char* key, size_t max_size) {
    const json* v = member(obj, path, key);
    if (!v) return {};
    if (!v->is_string()) {
      error = fail(RulesErrorCode::wrong_type, path + "." + key, "expected a string");
      return {};
    }
    std::string s = v->get<std::string>();
    if (s.empty() || s.size() > max_size) {
      error = fail(RulesErrorCode::out_of_range, path + "." + key,
                   "expected a non-empty string of at most " + std::to_string(max_size) + " bytes");
      return {};
    }
    return s;
  }
  bool boolean(const json& obj, const std::string& path, const char* key) {
    const json* v = member(obj, path, key);
    if (!v) return false;
    if (!v->is_boolean()) {
      error = fail(RulesErrorCode::wrong_type, path + "." + key, "expected true or false");
      return false;
    }
    return v->get<bool>();
  }
  std::vector<std::string> strings(const json& obj, const std::string& path, const char* key,
                                   bool non_empty) {
    std::vector<std::string> out;
    const json* v = member(obj, path, key);
    if (!v) return out;
    const std::string p = path + "." + key;
    if (!v->is_array() || (non_empty && v->empty())) {
      error = fail(RulesErrorCode::wrong_type, p,
                   non_empty ? "expected a non-empty array of strings" : "expected an array of strings");
      return out;
    }
    for (size_t i = 0; i < v->size(); ++i) {
      const json& e = (*v)[i];
      if (!e.is_string() || e.get_ref<const std::string&>().empty()) {
        error = fail(RulesErrorCode::wrong_type, p + "[" + std::to_string(i) + "]",
                     "expected a non-empty string");
        return out;
      }
      out.push_back(e.get<std::string>());
    }
    return out;
  }
};

bool parse_category(std::string_view s, ReasonCategory* out) {
  for (uint8_t i = 0; i < kReasonCategoryCount; ++i) {
    if (s == reason_category_name(static_cast<ReasonCategory>(i))) {
      *out = static_cast<ReasonCategory>(i);
      return true;
    }
  }
  return false;
}

bool parse_scheme(std::string_view s, Scheme* out) {
  for (uint8_t i = 0; i < kSchemeCount; ++i) {
    if (s == scheme_name(static_cast<Scheme>(i))) {
      *out = static_cast<Scheme>(i);
      return true;
    }
  }
  return false;
}

Window read_window(Reader& r, const json& scheme, const std::string& path, const char* key,
                   bool has_response) {
  Window w;
  const json* o = r.object(scheme, path, key);
  if (!o) return w;
  const std::string p = path + "." + key;
  w.filing_days = r.integer(*o, p, "filing_days", 1, kMaxDays);
  if (has_response) w.response_days = r.integer(*o, p, "response_days", 1, kMaxDays);
  w.source = r.strings(*o, p, "source", true);
  return w;
}

ReasonCodeRule read_reason(Reader& r, const json& e, const std::string& p) {
  ReasonCodeRule rc;
  rc.code = r.string(e, p, "code", kMaxCodeLength);
  rc.name = r.string(e, p, "name", 200);
  const std::string category = r.string(e, p, "category", 32);
  if (!r.error && !parse_category(category, &rc.category))
    r.error = fail(RulesErrorCode::unknown, p + ".category",
                   "expected fraud, authorisation, processing or consumer, got \"" + category + "\"");
  rc.issuer_filing_days = r.integer(e, p, "issuer_filing_days", 1, kMaxDays);
  rc.acquirer_response_days = r.integer(e, p, "acquirer_response_days", 1, kMaxDays);
  rc.pre_arbitration_required = r.boolean(e, p, "pre_arbitration_required");
  const std::vector<std::string> docs = r.strings(e, p, "issuer_documentation", false);
  for (size_t i = 0; i < docs.size() && !r.error; ++i) {
    EvidenceKind k{};
    if (!parse_evidence_kind(docs[i], &k))
      r.error = fail(RulesErrorCode::unknown, p + ".issuer_documentation[" + std::to_string(i) + "]",
                     "unknown evidence kind \"" + docs[i] + "\"");
    rc.issuer_documentation.push_back(k);
  }
  rc.acquirer_evidence = r.string(e, p, "acquirer_evidence", 500);
  rc.source = r.strings(e, p, "source", true);
  return rc;
}

SchemeRules read_scheme(Reader& r, Scheme id, const json& s, const std::string& path) {
  SchemeRules out;
  out.scheme = id;
  out.no_authorisation_code = r.string(s, path, "no_authorisation_code", kMaxCodeLength);
  out.pre_arbitration = read_window(r, s, path, "pre_arbitration", true);
  out.arbitration = read_window(r, s, path, "arbitration", false);
  const json* codes = r.member(s, path, "reason_codes");
  if (r.error) return out;
  const std::string cp = path + ".reason_codes";
  if (!codes->is_array() || codes->empty()) {
    r.error = fail(RulesErrorCode::wrong_type, cp, "expected a non-empty array");
    return out;
  }
  for (size_t i = 0; i < codes->size() && !r.error; ++i) {
    const std::string p = cp + "[" + std::to_string(i) + "]";
    const json& e = (*codes)[i];
    if (!e.is_object()) {
      r.error = fail(RulesErrorCode::wrong_type, p, "expected an object");
      break;
    }
    ReasonCodeRule rc = read_reason(r, e, p);
    if (r.error) break;
    for (const ReasonCodeRule& seen : out.reason_codes)
      if (seen.code == rc.code)
        r.error = fail(RulesErrorCode::duplicate, p + ".code", "duplicate reason code " + rc.code);
    out.reason_codes.push_back(std::move(rc));
  }
  if (r.error) return out;
  bool found = false;
  for (const ReasonCodeRule& rc : out.reason_codes) found = found || rc.code == out.no_authorisation_code;
  if (!found)
    r.error = fail(RulesErrorCode::unknown, path + ".no_authorisation_code",
                   "\"" + out.no_authorisation_code + "\" is not one of the scheme's reason codes");
  return out;
}

LiabilityRules read_liability(Reader& r, const json& root) {
  LiabilityRules l;
  const json* o = r.object(root, "$", "liability");
  if (!o) return l;
  const std::string p = "$.liability";
  l.prompt_report_hours = r.integer(*o, p, "prompt_report_hours", 1, kMaxHours);
  l.leaked_credentials_share_bp = r.integer(*o, p, "leaked_credentials_share_bp", 0, kMaxBasisPoints);
  l.late_report_share_bp = r.integer(*o, p, "late_report_share_bp", 0, kMaxBasisPoints);
  l.issuer_main_liability_min_bp = r.integer(*o, p, "issuer_main_liability_min_bp", 0, kMaxBasisPoints);
  l.cardholder_max_share_bp = r.integer(*o, p, "cardholder_max_share_bp", 0, kMaxBasisPoints);
  l.source = r.strings(*o, p, "source", true);
  return l;
}

}  // namespace

const char* scheme_name(Scheme s) noexcept {
  switch (s) {
    case Scheme::visa: return "visa";
    case Scheme::mastercard: return "mastercard";
    case Scheme::unionpay: return "unionpay";
  }
  return "?";
}

const char* reason_category_name(ReasonCategory c) noexcept {
  switch (c) {
    case ReasonCategory::fraud: return "fraud";
    case ReasonCategory::authorisation: return "authorisation";
    case ReasonCategory::processing: return "processing";
    case ReasonCategory::consumer: return "consumer";
  }
  return "?";
}

const char* evidence_kind_name(EvidenceKind k) noexcept {
  switch (k) {
    case EvidenceKind::cardholder_statement: return "cardholder_statement";
    case EvidenceKind::loss_report: return "loss_report";
    case EvidenceKind::police_report: return "police_report";
    case EvidenceKind::receipt: return "receipt";
    case EvidenceKind::correspondence: return "correspondence";
    case EvidenceKind::transaction_alert: return "transaction_alert";
    case EvidenceKind::authentication_data: return "authentication_data";
    case EvidenceKind::cctv: return "cctv";
    case EvidenceKind::delivery_proof: return "delivery_proof";
    case EvidenceKind::other: return "other";
  }
  return "?";
}

bool parse_evidence_kind(std::string_view name, EvidenceKind* out) noexcept {
  for (uint8_t i = 0; i < kEvidenceKindCount; ++i) {
    if (name == evidence_kind_name(static_cast<EvidenceKind>(i))) {
      *out = static_cast<EvidenceKind>(i);
      return true;
    }
  }
  return false;
}

const SchemeRules* RulesBook::scheme(Scheme s) const noexcept {
  for (const SchemeRules& r : schemes)
    if (r.scheme == s) return &r;
  return nullptr;
}

const ReasonCodeRule* RulesBook::reason(Scheme s, std::string_view code) const noexcept {
  const SchemeRules* r = scheme(s);
  if (!r) return nullptr;
  for (const ReasonCodeRule& rc : r->reason_codes)
    if (rc.code == code) return &rc;
  return nullptr;
}

Result<RulesBook, RulesError> load_rules(std::string_view json_text) {
  const json root = json::parse(json_text, nullptr, /*allow_exceptions=*/false);
  if (root.is_discarded()) return fail(RulesErrorCode::not_json, "$", "not valid JSON");
  if (!root.is_object()) return fail(RulesErrorCode::wrong_type, "$", "expected an object");
  Reader r;
  RulesBook book;
  const json* schemes = r.object(root, "$", "schemes");
  if (r.error) return *r.error;
  if (schemes->empty()) return fail(RulesErrorCode::missing, "$.schemes", "expected at least one scheme");
  for (auto it = schemes->begin(); it != schemes->end() && !r.error; ++it) {
    const std::string path = "$.schemes." + it.key();
    Scheme id{};
    if (!parse_scheme(it.key(), &id))
      return fail(RulesErrorCode::unknown, path, "unknown scheme (visa, mastercard, unionpay)");
    if (!it.value().is_object()) return fail(RulesErrorCode::wrong_type, path, "expected an object");
    book.schemes.push_back(read_scheme(r, id, it.value(), path));
  }
  if (!r.error) book.liability = read_liability(r, root);
  if (r.error) return *r.error;
  return book;
}

}  // namespace holdfast::disputes
