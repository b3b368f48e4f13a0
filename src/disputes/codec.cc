#include "disputes/codec.h"

#include <algorithm>
#include <optional>

namespace holdfast::disputes {

namespace {

CodecError err(CodecErrorCode code, std::string what) { return CodecError{code, std::move(what)}; }

void put_time(ByteWriter* w, Timestamp t) { w->i64(t.us); }

// Reads with the first failure remembered; later reads do nothing.
struct In {
  ByteReader* r;
  std::optional<CodecError> error;

  void truncated(const char* what) {
    if (!error) error = err(CodecErrorCode::truncated, std::string("truncated at ") + what);
  }
  void bad(const char* what) {
    if (!error) error = err(CodecErrorCode::bad_value, std::string("bad value: ") + what);
  }
  uint64_t u64(const char* what) {
    uint64_t v = 0;
    if (!error && !r->u64(&v)) truncated(what);
    return v;
  }
  int64_t i64(const char* what) {
    int64_t v = 0;
    if (!error && !r->i64(&v)) truncated(what);
    return v;
  }
  uint32_t u32(const char* what) {
    uint32_t v = 0;
    if (!error && !r->u32(&v)) truncated(what);
    return v;
  }
  uint16_t u16(const char* what) {
    uint16_t v = 0;
    if (!error && !r->u16(&v)) truncated(what);
    return v;
  }
  Timestamp time(const char* what) { return Timestamp{i64(what)}; }
  template <typename E>
  E enumeration(const char* what, uint8_t count) {
    uint8_t v = 0;
    if (!error && !r->u8(&v)) truncated(what);
    if (!error && v >= count) bad(what);
    return static_cast<E>(error ? 0 : v);
  }
  std::string str(const char* what, size_t max_size) {
    std::string s;
    if (error) return s;
    uint32_t n = 0;
    {
      ByteReader peek = *r;
      if (!peek.u32(&n)) {
        truncated(what);
        return s;
      }
    }
    if (n > max_size) {
      bad(what);
      return s;
    }
    if (!r->str(&s, max_size)) truncated(what);
    return s;
  }
};

bool case_is_consistent(const Case& c) {
  if (c.disputed.minor <= 0) return false;
  if (c.chargeback_minor < 0 || c.chargeback_minor > c.disputed.minor) return false;  // D1
  if (c.provisional_credit_minor < 0 || c.provisional_credit_minor > c.disputed.minor) return false;
  if (c.reason_code.empty()) return false;
  if (is_closed(c.state)) return c.deadline == kNoDeadline;  // D2
  // D3: an open case has room for its next transition (apply asserts it; real paths take 8).
  if (c.history.size() >= kMaxHistory) return false;
  return (c.deadline != kNoDeadline) == (c.state != CaseState::arbitration);
}

}  // namespace

void encode_case(const Case& c, ByteWriter* w) {
  HF_REQUIRE(c.evidence.size() <= kMaxEvidence && c.history.size() <= kMaxHistory);
  HF_REQUIRE(c.reason_code.size() <= kMaxReasonCodeBytes);
  w->u64(c.case_id);
  w->u64(c.card_id);
  w->u64(c.account_id);
  w->u8(static_cast<uint8_t>(c.scheme));
  w->str(c.reason_code);
  w->u8(static_cast<uint8_t>(c.category));
  w->i64(c.disputed.minor);
  w->u16(c.disputed.currency.code);
  put_time(w, c.transaction_at);
  put_time(w, c.processed_at);
  put_time(w, c.claimed_at);
  w->u8(static_cast<uint8_t>(c.state));
  put_time(w, c.deadline);
  w->u8(static_cast<uint8_t>(c.deadline_party));
  w->i64(c.chargeback_minor);
  put_time(w, c.chargeback_at);
  w->i64(c.provisional_credit_minor);
  put_time(w, c.provisional_credit_at);
  put_time(w, c.closed_at);
  w->u32(static_cast<uint32_t>(c.evidence.size()));
  for (const Evidence& e : c.evidence) {
    HF_REQUIRE(e.description.size() <= kMaxDescriptionBytes);
    w->u8(static_cast<uint8_t>(e.kind));
    w->u8(static_cast<uint8_t>(e.from));
    put_time(w, e.received_at);
    w->str(e.description);
  }
  w->u32(static_cast<uint32_t>(c.history.size()));
  for (const Transition& t : c.history) {
    w->u8(static_cast<uint8_t>(t.from));
    w->u8(static_cast<uint8_t>(t.to));
    put_time(w, t.at);
  }
}

Result<Case, CodecError> decode_case(ByteReader* r) {
  In in{r, std::nullopt};
  Case c;
  c.case_id = in.u64("case_id");
  c.card_id = in.u64("card_id");
  c.account_id = in.u64("account_id");
  c.scheme = in.enumeration<Scheme>("scheme", kSchemeCount);
  c.reason_code = in.str("reason_code", kMaxReasonCodeBytes);
  c.category = in.enumeration<ReasonCategory>("category", kReasonCategoryCount);
  c.disputed.minor = in.i64("disputed_minor");
  c.disputed.currency.code = in.u16("currency");
  c.transaction_at = in.time("transaction_at");
  c.processed_at = in.time("processed_at");
  c.claimed_at = in.time("claimed_at");
  c.state = in.enumeration<CaseState>("state", kCaseStateCount);
  c.deadline = in.time("deadline");
  c.deadline_party = in.enumeration<Party>("deadline_party", kPartyCount);
  c.chargeback_minor = in.i64("chargeback_minor");
  c.chargeback_at = in.time("chargeback_at");
  c.provisional_credit_minor = in.i64("provisional_credit_minor");
  c.provisional_credit_at = in.time("provisional_credit_at");
  c.closed_at = in.time("closed_at");
  const uint32_t evidence_count = in.u32("evidence_count");
  if (!in.error && evidence_count > kMaxEvidence) in.bad("evidence_count");
  for (uint32_t i = 0; i < evidence_count && !in.error; ++i) {
    Evidence e;
    e.kind = in.enumeration<EvidenceKind>("evidence.kind", kEvidenceKindCount);
    e.from = in.enumeration<Party>("evidence.from", kPartyCount);
    e.received_at = in.time("evidence.received_at");
    e.description = in.str("evidence.description", kMaxDescriptionBytes);
    c.evidence.push_back(std::move(e));
  }
  const uint32_t history_count = in.u32("history_count");
  if (!in.error && history_count > kMaxHistory) in.bad("history_count");
  for (uint32_t i = 0; i < history_count && !in.error; ++i) {
    Transition t;
    t.from = in.enumeration<CaseState>("history.from", kCaseStateCount);
    t.to = in.enumeration<CaseState>("history.to", kCaseStateCount);
    t.at = in.time("history.at");
    c.history.push_back(t);
  }
  if (in.error) return *in.error;
  if (!case_is_consistent(c))
    return err(CodecErrorCode::bad_value, "case " + std::to_string(c.case_id) + " breaks D1/D2");
  return c;
}

std::vector<uint8_t> encode_cases(const std::vector<Case>& cases) {
  std::vector<const Case*> order;
  order.reserve(cases.size());
  for (const Case& c : cases) order.push_back(&c);
  std::sort(order.begin(), order.end(), [](const Case* a, const Case* b) { return a->case_id < b->case_id; });
  std::vector<uint8_t> out;
  ByteWriter w(&out);
  w.u32(kCasesMagic);
  w.u8(kCasesVersion);
  w.u32(static_cast<uint32_t>(order.size()));
  for (const Case* c : order) encode_case(*c, &w);
  return out;
}

Result<std::vector<Case>, CodecError> decode_cases(std::span<const uint8_t> bytes) {
  ByteReader r(bytes);
  uint32_t magic = 0;
  uint8_t version = 0;
  uint32_t count = 0;
  if (!r.u32(&magic)) return err(CodecErrorCode::truncated, "truncated at magic");
  if (magic != kCasesMagic) return err(CodecErrorCode::bad_magic, "not a dispute-case snapshot");
  if (!r.u8(&version)) return err(CodecErrorCode::truncated, "truncated at version");
  if (version != kCasesVersion)
    return err(CodecErrorCode::bad_version, "unknown version " + std::to_string(version));
  if (!r.u32(&count)) return err(CodecErrorCode::truncated, "truncated at count");
  std::vector<Case> out;
  for (uint32_t i = 0; i < count; ++i) {
    Result<Case, CodecError> c = decode_case(&r);
    if (!c.ok()) return c.error();
    if (!out.empty() && c->case_id <= out.back().case_id)
      return err(CodecErrorCode::out_of_order,
                 "case " + std::to_string(c->case_id) + " out of order or duplicated");
    out.push_back(std::move(c).value());
  }
  if (!r.at_end())
    return err(CodecErrorCode::trailing_bytes, std::to_string(r.remaining()) + " trailing bytes");
  return out;
}

}  // namespace holdfast::disputes
