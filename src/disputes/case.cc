#include "disputes/case.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <type_traits>

namespace holdfast::disputes {

namespace {

Timestamp after_days(Timestamp t, int32_t days) {
  return add_seconds_saturating(t, static_cast<int64_t>(days) * kSecondsPerDay);
}

Refusal refuse(const Case& c, RefusalCode code) {
  return Refusal{code, c.state, kNoDeadline, 0, EvidenceKind::other};
}

Refusal refuse_late(const Case& c, Timestamp deadline) {
  return Refusal{RefusalCode::deadline_passed, c.state, deadline, 0, EvidenceKind::other};
}

// The case moved to `to` at `now`; the next deadline and who must meet it (D2).
Case moved(const Case& c, CaseState to, Timestamp now, Timestamp deadline, Party party) {
  HF_ASSERT(c.history.size() < kMaxHistory);  // D3: the longest path has 8 transitions
  Case out = c;
  out.history.push_back(Transition{c.state, to, now});
  out.state = to;
  if (is_closed(to)) {
    out.closed_at = now;
    out.deadline = kNoDeadline;
    out.deadline_party = Party::scheme;
  } else {
    out.deadline = deadline;
    out.deadline_party = party;
  }
  return out;
}

bool has_evidence(const Case& c, EvidenceKind k) {
  return std::any_of(c.evidence.begin(), c.evidence.end(), [k](const Evidence& e) { return e.kind == k; });
}

struct Applier {
  const RulesBook& rules;
  const Case& c;
  Timestamp now;

  using R = Result<Case, Refusal>;

  const ReasonCodeRule* rule() const { return rules.reason(c.scheme, c.reason_code); }
  const SchemeRules& scheme() const {
    const SchemeRules* s = rules.scheme(c.scheme);
    HF_ASSERT(s != nullptr);  // a case exists only for a scheme the rules know
    return *s;
  }
  bool late() const { return c.deadline != kNoDeadline && now > c.deadline; }

  R operator()(const GrantProvisionalCredit& g) const {
    if (g.amount_minor <= 0) return refuse(c, RefusalCode::amount_not_positive);
    if (g.amount_minor > c.disputed.minor) {
      Refusal r = refuse(c, RefusalCode::amount_above_disputed);
      r.limit_minor = c.disputed.minor;
      return r;
    }
    if (c.provisional_credit_minor != 0) return refuse(c, RefusalCode::provisional_credit_already_granted);
    Case out = c;
    out.provisional_credit_minor = g.amount_minor;
    out.provisional_credit_at = now;
    return out;
  }

  R operator()(const FileChargeback& f) const {
    if (c.state != CaseState::claimed) return refuse(c, RefusalCode::transition_not_allowed);
    const std::string& code = f.reason_code.empty() ? c.reason_code : f.reason_code;
    const ReasonCodeRule* rc = rules.reason(c.scheme, code);
    if (rc == nullptr) {
      // The filing clock is the intake code's until a valid code is named.
      if (late()) return refuse_late(c, c.deadline);
      return refuse(c, RefusalCode::unknown_reason_code);
    }
    const Timestamp filing_deadline = after_days(c.processed_at, rc->issuer_filing_days);
    if (now > filing_deadline) return refuse_late(c, filing_deadline);
    for (EvidenceKind k : rc->issuer_documentation) {
      if (!has_evidence(c, k)) {
        Refusal r = refuse(c, RefusalCode::documentation_missing);
        r.missing = k;
        return r;
      }
    }
    if (f.amount_minor <= 0) return refuse(c, RefusalCode::amount_not_positive);
    if (f.amount_minor > c.disputed.minor) {
      Refusal r = refuse(c, RefusalCode::amount_above_disputed);
      r.limit_minor = c.disputed.minor;
      return r;
    }
    Case out = moved(c, CaseState::chargeback_filed, now, after_days(now, rc->acquirer_response_days),
                     Party::acquirer);
    out.reason_code = code;
    out.category = rc->category;
    out.chargeback_minor = f.amount_minor;
    out.chargeback_at = now;
    return out;
  }

  R operator()(const AttachEvidence& a) const {
    if (c.evidence.size() >= kMaxEvidence) return refuse(c, RefusalCode::evidence_limit);
    if (a.description.size() > kMaxDescriptionBytes) return refuse(c, RefusalCode::description_too_long);
    Case out = c;
    out.evidence.push_back(Evidence{a.kind, a.from, now, a.description});
    return out;
  }

  R operator()(const AcquirerAccepts&) const {
    if (c.state != CaseState::chargeback_filed && c.state != CaseState::pre_arbitration)
      return refuse(c, RefusalCode::transition_not_allowed);
    return moved(c, CaseState::closed_won, now, kNoDeadline, Party::scheme);
  }

  R operator()(const RecordRepresentment&) const {
    if (c.state != CaseState::chargeback_filed) return refuse(c, RefusalCode::transition_not_allowed);
    if (late()) return refuse_late(c, c.deadline);
    const ReasonCodeRule* rc = rule();
    HF_ASSERT(rc != nullptr);  // a filed chargeback names a known code
    const int32_t days = rc->pre_arbitration_required ? scheme().pre_arbitration.filing_days
                                                      : scheme().arbitration.filing_days;
    return moved(c, CaseState::represented, now, after_days(now, days), Party::issuer);
  }

  R operator()(const FilePreArbitration&) const {
    if (c.state != CaseState::represented) return refuse(c, RefusalCode::transition_not_allowed);
    if (late()) return refuse_late(c, c.deadline);
    const ReasonCodeRule* rc = rule();
    HF_ASSERT(rc != nullptr);
    if (!rc->pre_arbitration_required) return refuse(c, RefusalCode::pre_arbitration_not_required);
    return moved(c, CaseState::pre_arbitration, now, after_days(now, scheme().pre_arbitration.response_days),
                 Party::acquirer);
  }

  R operator()(const RecordPreArbitrationDeclined&) const {
    if (c.state != CaseState::pre_arbitration) return refuse(c, RefusalCode::transition_not_allowed);
    if (late()) return refuse_late(c, c.deadline);
    return moved(c, CaseState::pre_arbitration_declined, now,
                 after_days(now, scheme().arbitration.filing_days), Party::issuer);
  }

  R operator()(const FileArbitration&) const {
    const ReasonCodeRule* rc = rule();
    const bool direct = c.state == CaseState::represented && rc != nullptr && !rc->pre_arbitration_required;
    if (c.state != CaseState::pre_arbitration_declined && !direct)
      return refuse(c, RefusalCode::transition_not_allowed);
    if (late()) return refuse_late(c, c.deadline);
    return moved(c, CaseState::arbitration, now, kNoDeadline, Party::scheme);
  }

  R operator()(const RecordArbitrationRuling& r) const {
    if (c.state != CaseState::arbitration) return refuse(c, RefusalCode::transition_not_allowed);
    return moved(c, r.issuer_won ? CaseState::closed_won : CaseState::closed_lost, now, kNoDeadline,
                 Party::scheme);
  }

  R operator()(const IssuerAccepts&) const {
    if (c.state != CaseState::represented && c.state != CaseState::pre_arbitration_declined)
      return refuse(c, RefusalCode::transition_not_allowed);
    return moved(c, CaseState::closed_lost, now, kNoDeadline, Party::scheme);
  }

  R operator()(const Withdraw&) const {
    return moved(c, CaseState::withdrawn, now, kNoDeadline, Party::scheme);
  }

  R operator()(const Tick&) const {
    if (!late()) return refuse(c, RefusalCode::nothing_due);
    switch (c.deadline_party) {
      case Party::issuer: return moved(c, CaseState::expired, now, kNoDeadline, Party::scheme);
      case Party::acquirer: return moved(c, CaseState::closed_won, now, kNoDeadline, Party::scheme);
      case Party::cardholder:
      case Party::merchant:
      case Party::scheme: break;
    }
    HF_UNREACHABLE();  // D2: only the issuer or the acquirer owe a deadline
  }
};

const char* deadline_name(CaseState s) {
  switch (s) {
    case CaseState::claimed: return "chargeback filing deadline";
    case CaseState::chargeback_filed: return "acquirer response deadline";
    case CaseState::represented: return "pre-arbitration / arbitration filing deadline";
    case CaseState::pre_arbitration: return "pre-arbitration response deadline";
    case CaseState::pre_arbitration_declined: return "arbitration filing deadline";
    case CaseState::arbitration:
    case CaseState::closed_won:
    case CaseState::closed_lost:
    case CaseState::withdrawn:
    case CaseState::expired: return "deadline";
  }
  return "deadline";
}

}  // namespace

const char* case_state_name(CaseState s) noexcept {
  switch (s) {
    case CaseState::claimed: return "claimed";
    case CaseState::chargeback_filed: return "chargeback_filed";
    case CaseState::represented: return "represented";
    case CaseState::pre_arbitration: return "pre_arbitration";
    case CaseState::pre_arbitration_declined: return "pre_arbitration_declined";
    case CaseState::arbitration: return "arbitration";
    case CaseState::closed_won: return "closed_won";
    case CaseState::closed_lost: return "closed_lost";
    case CaseState::withdrawn: return "withdrawn";
    case CaseState::expired: return "expired";
  }
  return "?";
}

bool is_closed(CaseState s) noexcept {
  switch (s) {
    case CaseState::claimed:
    case CaseState::chargeback_filed:
    case CaseState::represented:
    case CaseState::pre_arbitration:
    case CaseState::pre_arbitration_declined:
    case CaseState::arbitration: return false;
    case CaseState::closed_won:
    case CaseState::closed_lost:
    case CaseState::withdrawn:
    case CaseState::expired: return true;
  }
  return true;
}

const char* party_name(Party p) noexcept {
  switch (p) {
    case Party::cardholder: return "cardholder";
    case Party::issuer: return "issuer";
    case Party::acquirer: return "acquirer";
    case Party::merchant: return "merchant";
    case Party::scheme: return "scheme";
  }
  return "?";
}

const char* refusal_code_name(RefusalCode c) noexcept {
  switch (c) {
    case RefusalCode::case_closed: return "case_closed";
    case RefusalCode::transition_not_allowed: return "transition_not_allowed";
    case RefusalCode::deadline_passed: return "deadline_passed";
    case RefusalCode::unknown_reason_code: return "unknown_reason_code";
    case RefusalCode::documentation_missing: return "documentation_missing";
    case RefusalCode::amount_not_positive: return "amount_not_positive";
    case RefusalCode::amount_above_disputed: return "amount_above_disputed";
    case RefusalCode::provisional_credit_already_granted: return "provisional_credit_already_granted";
    case RefusalCode::pre_arbitration_not_required: return "pre_arbitration_not_required";
    case RefusalCode::evidence_limit: return "evidence_limit";
    case RefusalCode::description_too_long: return "description_too_long";
    case RefusalCode::nothing_due: return "nothing_due";
  }
  return "?";
}

std::string format_utc(Timestamp t) {
  if (t == kNoDeadline) return "none";
  const int64_t s = t.seconds();
  const int64_t days = s >= 0 ? s / kSecondsPerDay : -((-s + kSecondsPerDay - 1) / kSecondsPerDay);
  const int64_t rem = s - days * kSecondsPerDay;
  const CivilDate d = civil_from_days(days);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02dZ", d.year, d.month, d.day,
                static_cast<int>(rem / 3600), static_cast<int>(rem / 60 % 60), static_cast<int>(rem % 60));
  return buf;
}

std::string describe(const Refusal& r) {
  std::string out = std::string(refusal_code_name(r.code)) + " (case " + case_state_name(r.state) + ")";
  switch (r.code) {
    case RefusalCode::deadline_passed:
      return out + ": " + deadline_name(r.state) + " " + format_utc(r.deadline) + " has passed";
    case RefusalCode::amount_above_disputed:
      return out + ": at most " + std::to_string(r.limit_minor) + " minor units";
    case RefusalCode::documentation_missing: return out + ": missing " + evidence_kind_name(r.missing);
    case RefusalCode::case_closed:
    case RefusalCode::transition_not_allowed:
    case RefusalCode::unknown_reason_code:
    case RefusalCode::amount_not_positive:
    case RefusalCode::provisional_credit_already_granted:
    case RefusalCode::pre_arbitration_not_required:
    case RefusalCode::evidence_limit:
    case RefusalCode::description_too_long:
    case RefusalCode::nothing_due: return out;
  }
  return out;
}

Result<Case, Refusal> open_claim(const RulesBook& rules, const OpenClaim& claim, Timestamp now) {
  Case c;
  c.case_id = claim.case_id;
  c.card_id = claim.card_id;
  c.account_id = claim.account_id;
  c.scheme = claim.scheme;
  c.reason_code = claim.reason_code;
  c.disputed = claim.disputed;
  c.transaction_at = claim.transaction_at;
  c.processed_at = claim.processed_at;
  c.claimed_at = now;
  const ReasonCodeRule* rc = rules.reason(claim.scheme, claim.reason_code);
  if (rc == nullptr || claim.reason_code.size() > kMaxReasonCodeBytes)
    return refuse(c, RefusalCode::unknown_reason_code);
  c.category = rc->category;
  c.deadline = after_days(claim.processed_at, rc->issuer_filing_days);
  c.deadline_party = Party::issuer;
  if (now > c.deadline) return refuse_late(c, c.deadline);
  if (claim.disputed.minor <= 0) return refuse(c, RefusalCode::amount_not_positive);
  return c;
}

Result<Case, Refusal> apply(const RulesBook& rules, const Case& c, const Command& cmd, Timestamp now) {
  HF_REQUIRE(c.chargeback_minor >= 0 && c.chargeback_minor <= c.disputed.minor);     // D1
  HF_REQUIRE(c.evidence.size() <= kMaxEvidence && c.history.size() <= kMaxHistory);  // D3
  if (is_closed(c.state)) return refuse(c, RefusalCode::case_closed);
  Result<Case, Refusal> out = std::visit(Applier{rules, c, now}, cmd);
  if (out.ok()) {
    HF_ASSERT(out->chargeback_minor <= out->disputed.minor &&
              out->provisional_credit_minor <= out->disputed.minor);
    // D2: a closed case and a pending arbitration have no deadline; every other open state has one.
    HF_ASSERT(is_closed(out->state)
                  ? out->deadline == kNoDeadline
                  : (out->deadline != kNoDeadline) == (out->state != CaseState::arbitration));
  }
  return out;
}

std::vector<Alert> due_alerts(const std::vector<Case>& cases, Timestamp now, int64_t lead_time_s) {
  HF_REQUIRE(lead_time_s >= 0);
  std::vector<Alert> out;
  const Timestamp horizon = add_seconds_saturating(now, lead_time_s);
  for (const Case& c : cases) {
    if (is_closed(c.state) || c.deadline == kNoDeadline || c.deadline > horizon) continue;
    int64_t left_us = 0;
    if (__builtin_sub_overflow(c.deadline.us, now.us, &left_us)) left_us = INT64_MIN;  // only corrupt stamps
    const int64_t left_s = left_us / kMicrosPerSecond;
    out.push_back(Alert{now > c.deadline ? AlertKind::overdue : AlertKind::due_soon, c.case_id, c.state,
                        c.deadline_party, c.deadline, left_s});
  }
  std::sort(out.begin(), out.end(), [](const Alert& a, const Alert& b) {
    return a.deadline != b.deadline ? a.deadline < b.deadline : a.case_id < b.case_id;
  });
  return out;
}

}  // namespace holdfast::disputes
