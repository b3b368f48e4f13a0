#include "gateway/admin_disputes.h"

#include <algorithm>
#include <cstring>
#include <string>

#include "disputes/case.h"
#include "disputes/compensation.h"
#include "disputes/liability.h"
#include "gateway/clearing_translate.h"

namespace holdfast::gateway {
namespace {

using nlohmann::json;

struct Fail {
  std::string field;
  std::string reason;
};

// Prefixes a nested object's member: "liability" + "kind" -> "liability.kind".
Fail within(const std::string& parent, const Fail& f) {
  return Fail{f.field.empty() ? parent : parent + "." + f.field, f.reason};
}

const json& member(const json& r, const char* name) {
  auto it = r.find(name);
  if (it == r.end()) throw Fail{name, "is required"};
  return *it;
}

uint64_t id_member(const json& r, const char* name) {
  const json& v = member(r, name);
  // Parsed text gives unsigned numbers; JSON built in code may give signed ones.
  if (v.is_number_unsigned() && v.get<uint64_t>() > 0) return v.get<uint64_t>();
  if (v.is_number_integer() && v.get<int64_t>() > 0) return static_cast<uint64_t>(v.get<int64_t>());
  throw Fail{name, "must be a positive integer"};
}

int64_t amount_member(const json& r, const char* name) {
  const json& v = member(r, name);
  if (!v.is_number_integer() || v.get<int64_t>() < 0)
    throw Fail{name, "must be a non-negative integer of minor units"};
  return v.get<int64_t>();
}

// Unix seconds; 0 and absent both mean "not known".
Timestamp time_member(const json& r, const char* name) {
  if (!r.contains(name)) return Timestamp{};
  const json& v = r[name];
  constexpr int64_t kMaxSeconds = 253'402'300'799;  // 9999-12-31T23:59:59Z
  if (!v.is_number_integer() || v.get<int64_t>() < 0 || v.get<int64_t>() > kMaxSeconds)
    throw Fail{name, "must be Unix seconds (a non-negative integer)"};
  return Timestamp::from_seconds(v.get<int64_t>());
}

std::string string_member(const json& r, const char* name) {
  const json& v = member(r, name);
  if (!v.is_string()) throw Fail{name, "must be a string"};
  return v.get<std::string>();
}

bool bool_or(const json& r, const char* name, bool fallback) {
  auto it = r.find(name);
  if (it == r.end()) return fallback;
  if (!it->is_boolean()) throw Fail{name, "must be true or false"};
  return it->get<bool>();
}

void only_members(const json& r, std::initializer_list<const char*> allowed) {
  for (const auto& [name, value] : r.items())
    if (std::none_of(allowed.begin(), allowed.end(), [&](const char* a) { return name == a; }))
      throw Fail{name, "is not a member of this request"};
}

std::string reason_code_member(const json& r, const char* name) {
  const std::string code = string_member(r, name);
  if (code.empty() || code.size() > disputes::kMaxReasonCodeBytes ||
      !std::all_of(code.begin(), code.end(), [](char c) { return c > ' ' && c <= '~'; }))
    throw Fail{name, "must be a scheme reason code of 1 to " + std::to_string(disputes::kMaxReasonCodeBytes) +
                         " printable characters (config/scheme-rules.json)"};
  return code;
}

template <typename T, size_t N>
T named(const json& r, const char* name, const std::array<const char*, N>& names, const char* what) {
  const std::string s = string_member(r, name);
  for (size_t i = 0; i < N; ++i)
    if (s == names[i]) return static_cast<T>(i);
  std::string list;
  for (size_t i = 0; i < N; ++i) list += (i == 0 ? "" : i + 1 == N ? " or " : ", ") + std::string(names[i]);
  throw Fail{name, std::string("must be ") + what + ": " + list};
}

// In the order of the enums (disputes/liability.h, case.h).
constexpr std::array<const char*, 3> kTheftKinds{"counterfeit_card_present", "online_theft",
                                                 "lost_or_stolen_card"};
constexpr std::array<const char*, 4> kCardStatuses{"active", "reported_lost", "frozen_by_cardholder",
                                                   "blocked_by_issuer"};
constexpr std::array<const char*, disputes::kPartyCount> kParties{"cardholder", "issuer", "acquirer",
                                                                  "merchant", "scheme"};

disputes::LiabilityClaim liability(const json& r) {
  if (!r.is_object()) throw Fail{"", "must be an object"};
  only_members(r, {"kind", "status_at_payment", "aware_at_s", "reported_at_s", "issuer_flagged_abnormal",
                   "issuer_kept_evidence", "issuer_proved_cardholder_made_it",
                   "cardholder_leaked_credentials", "chip_card_read_by_stripe"});
  disputes::LiabilityClaim c;
  if (r.contains("kind")) c.kind = named<disputes::TheftKind>(r, "kind", kTheftKinds, "a theft kind");
  if (r.contains("status_at_payment"))
    c.status_at_payment = named<disputes::CardStatus>(r, "status_at_payment", kCardStatuses, "a card status");
  c.aware_at = time_member(r, "aware_at_s");
  c.reported_at = time_member(r, "reported_at_s");
  c.issuer_flagged_abnormal = bool_or(r, "issuer_flagged_abnormal", false);
  c.issuer_kept_evidence = bool_or(r, "issuer_kept_evidence", true);
  c.issuer_proved_cardholder_made_it = bool_or(r, "issuer_proved_cardholder_made_it", false);
  c.cardholder_leaked_credentials = bool_or(r, "cardholder_leaked_credentials", false);
  c.chip_card_read_by_stripe = bool_or(r, "chip_card_read_by_stripe", false);
  return c;
}

disputes::LiabilityClaim liability_member(const json& r) {
  try {
    return liability(member(r, "liability"));
  } catch (const Fail& f) {
    throw within("liability", f);
  }
}

// Clearing ids are taken like the present op takes them: printable ASCII, at most 128.
std::string clearing_id_member(const json& r, const char* name) {
  const std::string id = string_member(r, name);
  if (id.empty() || id.size() > 128 ||
      !std::all_of(id.begin(), id.end(), [](char c) { return c >= ' ' && c <= '~'; }))
    throw Fail{name, "must be 1 to 128 printable ASCII characters"};
  return id;
}

engine::OpenDispute open_dispute(const json& r) {
  only_members(r, {"op", "record_id", "arn", "reason_code", "amount_minor", "case_id", "transaction_at_s",
                   "liability"});
  engine::OpenDispute c;
  const bool by_record = r.contains("record_id");
  c.by_arn = r.contains("arn");
  if (by_record == c.by_arn)
    throw Fail{"record_id", "give the presentment's record_id or its arn (one of them)"};
  c.presentment = digest16(clearing_id_member(r, by_record ? "record_id" : "arn"));
  c.reason_code = reason_code_member(r, "reason_code");
  if (r.contains("amount_minor")) {
    c.amount_minor = amount_member(r, "amount_minor");
    if (c.amount_minor == 0)
      throw Fail{"amount_minor", "must be positive (leave it out to dispute all that was posted)"};
  }
  if (r.contains("case_id")) c.requested_case_id = id_member(r, "case_id");
  c.transaction_at = time_member(r, "transaction_at_s");
  if (r.contains("liability")) c.liability = liability_member(r);
  return c;
}

disputes::Command action(const json& r) {
  const std::string a = string_member(r, "action");
  auto allow = [&](std::initializer_list<const char*> extra) {
    for (const auto& [name, value] : r.items()) {
      if (name == "op" || name == "case_id" || name == "action") continue;
      if (std::none_of(extra.begin(), extra.end(), [&](const char* e) { return name == e; }))
        throw Fail{name, "is not a member of the " + a + " action"};
    }
  };
  if (a == "provisional_credit") {
    allow({"amount_minor"});
    return disputes::GrantProvisionalCredit{amount_member(r, "amount_minor")};
  }
  if (a == "file_chargeback") {
    allow({"amount_minor", "reason_code"});
    disputes::FileChargeback f{amount_member(r, "amount_minor"), ""};
    if (r.contains("reason_code")) f.reason_code = reason_code_member(r, "reason_code");
    return f;
  }
  if (a == "attach_evidence") {
    allow({"kind", "from", "description"});
    disputes::AttachEvidence e;
    if (!disputes::parse_evidence_kind(string_member(r, "kind"), &e.kind)) {
      std::string kinds;
      for (uint8_t k = 0; k < disputes::kEvidenceKindCount; ++k)
        kinds += (k == 0 ? "" : ", ") +
                 std::string(disputes::evidence_kind_name(static_cast<disputes::EvidenceKind>(k)));
      throw Fail{"kind", "must be an evidence kind: " + kinds};
    }
    e.from = named<disputes::Party>(r, "from", kParties, "a party");
    e.description = string_member(r, "description");
    if (e.description.size() > disputes::kMaxDescriptionBytes)
      throw Fail{"description",
                 "must be at most " + std::to_string(disputes::kMaxDescriptionBytes) + " bytes"};
    return e;
  }
  if (a == "ruling") {
    allow({"issuer_won"});
    const json& won = member(r, "issuer_won");
    if (!won.is_boolean()) throw Fail{"issuer_won", "must be true or false"};
    return disputes::RecordArbitrationRuling{won.get<bool>()};
  }
  // The steps that carry nothing.
  disputes::Command plain;
  if (a == "acquirer_accepts")
    plain = disputes::AcquirerAccepts{};
  else if (a == "representment")
    plain = disputes::RecordRepresentment{};
  else if (a == "pre_arbitration")
    plain = disputes::FilePreArbitration{};
  else if (a == "pre_arbitration_declined")
    plain = disputes::RecordPreArbitrationDeclined{};
  else if (a == "arbitration")
    plain = disputes::FileArbitration{};
  else if (a == "issuer_accepts")
    plain = disputes::IssuerAccepts{};
  else if (a == "withdraw")
    plain = disputes::Withdraw{};
  else
    throw Fail{
        "action",
        "must be provisional_credit, file_chargeback, attach_evidence, acquirer_accepts, representment, "
        "pre_arbitration, pre_arbitration_declined, arbitration, ruling, issuer_accepts or withdraw"};
  allow({});
  return plain;
}

engine::CloseCompensation close_compensation(const json& r) {
  only_members(r, {"op", "case_id", "fee_waiver_minor", "reward_points", "liability"});
  engine::CloseCompensation c;
  c.case_id = id_member(r, "case_id");
  if (r.contains("fee_waiver_minor")) c.fee_waiver_minor = amount_member(r, "fee_waiver_minor");
  if (r.contains("reward_points")) {
    const json& v = r["reward_points"];
    if (!v.is_number_integer() || v.get<int64_t>() < 0)
      throw Fail{"reward_points", "must be a non-negative integer"};
    c.reward_points = v.get<int64_t>();
  }
  c.reassess = r.contains("liability");
  if (c.reassess) c.liability = liability_member(r);
  return c;
}

// ---- Answers ---------------------------------------------------------------------------------

json utc(Timestamp t) {
  return t.us == 0 || t == disputes::kNoDeadline ? json(nullptr) : json(disputes::format_utc(t));
}

json money(const Money& m) {
  if (m.currency == Currency{}) return json{{"points", m.minor}};
  return json{{"minor", m.minor}, {"currency", std::string(currency_alpha(m.currency))}};
}

json liability_json(const engine::DisputeRecord& d) {
  const disputes::LiabilityClaim& f = d.liability_claim;
  json reasons = json::array();
  for (auto reason : d.liability.reasons) reasons.push_back(disputes::liability_reason_name(reason));
  return json{{"bears", disputes::party_name(d.liability.bears)},
              {"issuer_bp", d.liability.issuer_bp},
              {"cardholder_bp", d.liability.cardholder_bp},
              {"recover_from_acquirer", d.liability.recover_from_acquirer},
              {"reasons", std::move(reasons)},
              {"facts",
               {{"kind", kTheftKinds[static_cast<size_t>(f.kind)]},
                {"status_at_payment", kCardStatuses[static_cast<size_t>(f.status_at_payment)]},
                {"payment_at", utc(f.payment_at)},
                {"aware_at", utc(f.aware_at)},
                {"reported_at", utc(f.reported_at)},
                {"issuer_flagged_abnormal", f.issuer_flagged_abnormal},
                {"issuer_stopped", f.issuer_stopped},
                {"issuer_kept_evidence", f.issuer_kept_evidence},
                {"issuer_proved_cardholder_made_it", f.issuer_proved_cardholder_made_it},
                {"cardholder_leaked_credentials", f.cardholder_leaked_credentials},
                {"chip_card_read_by_stripe", f.chip_card_read_by_stripe}}}};
}

json case_json(const engine::DisputeRecord& d) {
  const disputes::Case& c = d.dispute;
  json evidence = json::array();
  for (const auto& e : c.evidence)
    evidence.push_back(json{{"kind", disputes::evidence_kind_name(e.kind)},
                            {"from", disputes::party_name(e.from)},
                            {"received_at", utc(e.received_at)},
                            {"description", e.description}});
  json history = json::array();
  for (const auto& t : c.history)
    history.push_back(json{{"from", disputes::case_state_name(t.from)},
                           {"to", disputes::case_state_name(t.to)},
                           {"at", utc(t.at)}});
  json compensation = json::array();
  for (const auto& e : d.compensation)
    compensation.push_back(json{{"kind", disputes::entry_kind_name(e.kind)},
                                {"amount", money(e.amount)},
                                {"borne_by", disputes::party_name(e.borne_by)},
                                {"at", utc(e.at)}});
  const bool open = !disputes::is_closed(c.state);
  return json{{"case_id", c.case_id},
              {"origin", engine::case_origin_name(d.origin)},
              {"card_id", c.card_id},
              {"account_id", c.account_id},
              {"scheme", disputes::scheme_name(c.scheme)},
              {"reason_code", c.reason_code},
              {"category", disputes::reason_category_name(c.category)},
              {"state", disputes::case_state_name(c.state)},
              {"disputed", money(c.disputed)},
              {"transaction_at", utc(c.transaction_at)},
              {"processed_at", utc(c.processed_at)},
              {"claimed_at", utc(c.claimed_at)},
              {"deadline", open ? utc(c.deadline) : json(nullptr)},
              {"deadline_party", open ? json(disputes::party_name(c.deadline_party)) : json(nullptr)},
              {"chargeback_minor", c.chargeback_minor},
              {"chargeback_at", utc(c.chargeback_at)},
              {"provisional_credit_minor", c.provisional_credit_minor},
              {"provisional_credit_at", utc(c.provisional_credit_at)},
              {"closed_at", open ? json(nullptr) : utc(c.closed_at)},
              {"evidence", std::move(evidence)},
              {"history", std::move(history)},
              {"receivable_minor", d.receivable_minor},
              {"recovered_minor", d.recovered_minor},
              {"written_off_minor", d.written_off_minor},
              {"provisional_outstanding_minor", d.provisional_minor},
              {"liability", liability_json(d)},
              {"compensated", d.compensated},
              {"entitlement_minor", d.compensated ? json(d.entitlement_minor) : json(nullptr)},
              {"issuer_net_loss_minor", d.compensated ? json(d.issuer_net_loss_minor) : json(nullptr)},
              {"compensation", std::move(compensation)}};
}

json due_alerts(const json& r, const engine::Engine& engine) {
  const json& v = member(r, "lead_time_s");
  constexpr int64_t kMaxLead = 1000LL * kSecondsPerDay;  // the longest scheme window is 1000 days
  if (!v.is_number_integer() || v.get<int64_t>() < 0 || v.get<int64_t>() > kMaxLead)
    throw Fail{"lead_time_s", "must be 0 to 86400000 seconds"};
  std::vector<disputes::Case> open;
  json waiting = json::array();
  for (const auto& [id, d] : engine.disputes()) {
    if (!disputes::is_closed(d.dispute.state))
      open.push_back(d.dispute);
    else if (d.origin == engine::CaseOrigin::cardholder_claim && !d.compensated)
      waiting.push_back(id);
  }
  json alerts = json::array();
  for (const auto& a : disputes::due_alerts(open, engine.now(), v.get<int64_t>()))
    alerts.push_back(json{{"kind", a.kind == disputes::AlertKind::overdue ? "overdue" : "due_soon"},
                          {"case_id", a.case_id},
                          {"state", disputes::case_state_name(a.state)},
                          {"party", disputes::party_name(a.party)},
                          {"deadline", utc(a.deadline)},
                          {"seconds_left", a.seconds_left}});
  return json{{"now", utc(engine.now())},
              {"alerts", std::move(alerts)},
              {"awaiting_compensation", std::move(waiting)}};
}

std::string op_of(const json& request) {
  if (!request.is_object()) return "";
  auto it = request.find("op");
  return it != request.end() && it->is_string() ? it->get<std::string>() : "";
}

}  // namespace

bool is_dispute_query(const json& request) {
  const std::string op = op_of(request);
  return op == "get_case" || op == "due_alerts";
}

std::optional<Result<engine::CommandBody, AdminParseError>> parse_dispute_command(const json& request) {
  const std::string op = op_of(request);
  try {
    if (op == "open_dispute")
      return Result<engine::CommandBody, AdminParseError>(engine::CommandBody{open_dispute(request)});
    if (op == "dispute_action") {
      engine::DisputeAction c;
      c.case_id = id_member(request, "case_id");
      c.step = action(request);
      return Result<engine::CommandBody, AdminParseError>(engine::CommandBody{std::move(c)});
    }
    if (op == "close_compensation")
      return Result<engine::CommandBody, AdminParseError>(engine::CommandBody{close_compensation(request)});
  } catch (const Fail& f) {
    return Result<engine::CommandBody, AdminParseError>(AdminParseError{f.field, f.reason});
  }
  return std::nullopt;
}

std::optional<json> answer_dispute_query(const json& request, const engine::Engine& engine) {
  const std::string op = op_of(request);
  try {
    if (op == "get_case") {
      auto it = engine.disputes().find(id_member(request, "case_id"));
      if (it == engine.disputes().end()) return json{{"error", "unknown case"}};
      return case_json(it->second);
    }
    if (op == "due_alerts") return due_alerts(request, engine);
  } catch (const Fail& f) {
    return json{{"error", f.field + " " + f.reason}};
  }
  return std::nullopt;
}

void add_dispute_details(const engine::Reply& reply, json* answer) {
  using engine::Outcome;
  switch (reply.outcome) {
    case Outcome::dispute_deadline_passed:
      (*answer)["deadline"] = disputes::format_utc(Timestamp{reply.detail});
      break;
    case Outcome::dispute_amount_above_posted:
    case Outcome::dispute_amount_above_disputed: (*answer)["limit_minor"] = reply.detail; break;
    case Outcome::dispute_documentation_missing:
      if (reply.detail >= 0 && reply.detail < disputes::kEvidenceKindCount)
        (*answer)["missing"] =
            disputes::evidence_kind_name(static_cast<disputes::EvidenceKind>(reply.detail));
      break;
    case Outcome::dispute_already_open: (*answer)["case_id"] = reply.detail; break;
    default: break;
  }
}

}  // namespace holdfast::gateway
