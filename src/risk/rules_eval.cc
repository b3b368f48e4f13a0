// Evaluating a compiled RuleSet (no allocation), and rule set versions as data.
#include <algorithm>
#include <bit>
#include <string>

#include "base/bytes.h"
#include "risk/rules_internal.h"

namespace holdfast::risk {
namespace {

bool in_sorted(const int64_t* first, const int64_t* last, int64_t x) noexcept {
  return std::binary_search(first, last, x);
}

}  // namespace

size_t RuleHits::count() const noexcept {
  size_t n = 0;
  for (uint64_t w : bits) n += static_cast<size_t>(std::popcount(w));
  return n;
}

// One rule's code: the stack machine of rules_internal.h.
static bool run_rule(const RuleSet::Instr* code, uint32_t begin, uint32_t end, const FeatureVector& fv,
                     const int64_t* list_values, const std::pair<uint32_t, uint32_t>* lists) noexcept {
  int64_t stack[kMaxStack];
  int top = -1;
  for (uint32_t pc = begin; pc < end; ++pc) {
    const RuleSet::Instr& in = code[pc];
    switch (static_cast<Op>(in.op)) {
      case Op::push_feature: stack[++top] = fv.values[in.a]; break;
      case Op::push_const: stack[++top] = in.k; break;
      case Op::eq: --top, stack[top] = stack[top] == stack[top + 1]; break;
      case Op::ne: --top, stack[top] = stack[top] != stack[top + 1]; break;
      case Op::lt: --top, stack[top] = stack[top] < stack[top + 1]; break;
      case Op::le: --top, stack[top] = stack[top] <= stack[top + 1]; break;
      case Op::gt: --top, stack[top] = stack[top] > stack[top + 1]; break;
      case Op::ge: --top, stack[top] = stack[top] >= stack[top + 1]; break;
      case Op::in_list: {
        const auto& l = lists[in.a];
        stack[top] = in_sorted(list_values + l.first, list_values + l.second, stack[top]);
        break;
      }
      case Op::logical_not: stack[top] = stack[top] == 0; break;
      case Op::to_bool: stack[top] = stack[top] != 0; break;
      case Op::jump_if_false_keep:
        if (stack[top] == 0)
          pc = static_cast<uint32_t>(in.k) - 1;
        else
          --top;
        break;
      case Op::jump_if_true_keep:
        if (stack[top] != 0)
          pc = static_cast<uint32_t>(in.k) - 1;
        else
          --top;
        break;
    }
  }
  return top >= 0 && stack[top] != 0;
}

Decision RuleSet::evaluate(const FeatureVector& fv) const noexcept {
  Decision d;
  uint8_t all_effects = 0;
  uint8_t approve_effects = 0;
  for (size_t i = 0; i < rules_.size(); ++i) {
    const Compiled& c = compiled_[i];
    if (!run_rule(code_.data(), c.code_begin, c.code_end, fv, list_values_.data(), lists_.data())) continue;
    d.hits.set(i);
    const RuleInfo& r = rules_[i];
    all_effects |= r.effects;
    if (r.verdict == Verdict::approve) approve_effects |= r.effects;
    if (r.verdict == Verdict::approve_and_alert) all_effects |= kAlert;
    if (r.verdict > d.verdict) {  // Verdict's order is its precedence; the first rule wins a tie
      d.verdict = r.verdict;
      d.deciding_rule = static_cast<uint16_t>(i);
      d.response_code = r.response_code;
    }
  }
  d.effects = d.verdict == Verdict::approve ? approve_effects : all_effects;
  return d;
}

uint16_t RuleSet::find_rule(std::string_view name) const noexcept {
  for (size_t i = 0; i < rules_.size(); ++i)
    if (rules_[i].name == name) return static_cast<uint16_t>(i);
  return kNoRule;
}

const char* verdict_name(Verdict v) noexcept {
  switch (v) {
    case Verdict::none: return "none";
    case Verdict::approve_and_alert: return "approve_and_alert";
    case Verdict::step_up: return "step_up";
    case Verdict::decline: return "decline";
    case Verdict::approve: return "approve";
  }
  return "?";
}

// ---- versions ---------------------------------------------------------------------------------
// Bytes: u32 magic "HFRV", u16 format version 1, u32 rule set version (> 0), u8 state (0..2),
// u32-length-prefixed source (<= kMaxRuleSourceBytes), nothing after. decode also compiles.
namespace {
constexpr uint32_t kVersionMagic = 0x56524648;  // "HFRV"

RiskError version_error(RiskErrc code, size_t offset, const std::string& what) {
  return RiskError{code, "rule set version: offset " + std::to_string(offset) + ": " + what};
}
}  // namespace

const char* rule_set_state_name(RuleSetState s) noexcept {
  switch (s) {
    case RuleSetState::draft: return "draft";
    case RuleSetState::shadow: return "shadow";
    case RuleSetState::active: return "active";
  }
  return "?";
}

std::vector<uint8_t> encode_rule_set_version(const RuleSetVersion& v) {
  std::vector<uint8_t> out;
  // Sized first: growing from empty by small writes makes g++ 12 -O3 report a false
  // -Wstringop-overflow inside ByteWriter::put.
  out.reserve(4 + 2 + 4 + 1 + 4 + v.source.size());
  ByteWriter w(&out);
  w.u32(kVersionMagic);
  w.u16(1);
  w.u32(v.version);
  w.u8(static_cast<uint8_t>(v.state));
  w.str(v.source);
  return out;
}

Result<RuleSetVersion, RiskError> decode_rule_set_version(std::span<const uint8_t> bytes) {
  ByteReader r(bytes);
  uint32_t magic = 0;
  uint16_t format = 0;
  uint8_t state = 0;
  RuleSetVersion v;
  if (!r.u32(&magic)) return version_error(RiskErrc::truncated, 0, "magic: truncated");
  if (magic != kVersionMagic) return version_error(RiskErrc::bad_magic, 0, "not a rule set version");
  if (!r.u16(&format)) return version_error(RiskErrc::truncated, 4, "format: truncated");
  if (format != 1)
    return version_error(RiskErrc::bad_version, 4, "format " + std::to_string(format) + ", expected 1");
  if (!r.u32(&v.version)) return version_error(RiskErrc::truncated, 6, "version: truncated");
  if (v.version == 0) return version_error(RiskErrc::bad_value, 6, "version 0");
  if (!r.u8(&state)) return version_error(RiskErrc::truncated, 10, "state: truncated");
  if (state > 2) return version_error(RiskErrc::bad_value, 10, "state " + std::to_string(state));
  v.state = static_cast<RuleSetState>(state);
  if (!r.str(&v.source, kMaxRuleSourceBytes))
    return version_error(RiskErrc::truncated, 11, "source: truncated or too long");
  if (!r.at_end()) return version_error(RiskErrc::trailing_bytes, r.offset(), "bytes after the source");
  auto compiled = RuleSet::compile(v.source);
  if (!compiled) {
    const RuleError& e = compiled.error().front();
    return version_error(
        RiskErrc::syntax, 15,
        "source " + std::to_string(e.line) + ":" + std::to_string(e.column) + ": " + e.message);
  }
  return v;
}

Result<Ok, RiskError> check_state_change(RuleSetState from, RuleSetState to) {
  using S = RuleSetState;
  const bool ok = (from == S::draft && to == S::shadow) || (from == S::shadow && to == S::active) ||
                  (from == S::shadow && to == S::draft) || (from == S::active && to == S::shadow);
  if (ok) return Ok{};
  return RiskError{RiskErrc::bad_value, std::string("rule set state: ") + rule_set_state_name(from) + " -> " +
                                            rule_set_state_name(to) + " is not allowed"};
}

}  // namespace holdfast::risk
