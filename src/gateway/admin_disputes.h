// Admin JSON for cardholder disputes (docs/PORTFOLIO.md, "Disputes"). The generic admin parser
// (admin_json.h) hands these ops over:
//   {"op":"open_dispute","record_id":"F1:2","reason_code":"10.4","amount_minor":20000,
//    "transaction_at_s":1795867200,"liability":{"aware_at_s":...,"reported_at_s":...}}
//      (or "arn" instead of "record_id"; amount_minor absent = all that was posted)
//   {"op":"dispute_action","case_id":7,"action":"attach_evidence","kind":"cardholder_statement",
//    "from":"cardholder","description":"..."}
//      actions: provisional_credit {amount_minor}, file_chargeback {amount_minor, reason_code?},
//      attach_evidence {kind, from, description}, acquirer_accepts, representment,
//      pre_arbitration, pre_arbitration_declined, arbitration, ruling {issuer_won},
//      issuer_accepts, withdraw
//   {"op":"close_compensation","case_id":7,"fee_waiver_minor":1500,"reward_points":1000,
//    "liability":{...}}   (liability present = reassess with these facts)
// and the read-only queries
//   {"op":"get_case","case_id":7}          the case, history, evidence, deadline, liability,
//                                          receivable / recovered / written off, compensation
//   {"op":"due_alerts","lead_time_s":86400} deadlines due soon or overdue, and closed claims
//                                          not yet compensated
// Bad input is refused naming the member at fault ("liability.kind", "description"...).
#pragma once

#include <optional>

#include <nlohmann/json.hpp>

#include "base/result.h"
#include "engine/command.h"
#include "engine/engine.h"
#include "gateway/admin_json.h"

namespace holdfast::gateway {

// True for get_case and due_alerts.
bool is_dispute_query(const nlohmann::json& request);

// The command for open_dispute, dispute_action or close_compensation; nullopt for other ops.
std::optional<Result<engine::CommandBody, AdminParseError>> parse_dispute_command(
    const nlohmann::json& request);

// The answer to get_case or due_alerts; nullopt for other ops.
std::optional<nlohmann::json> answer_dispute_query(const nlohmann::json& request,
                                                   const engine::Engine& engine);

// What a dispute refusal's Reply::detail means, added to its JSON answer: "deadline" (UTC),
// "limit_minor", "missing" (evidence kind) or "case_id" (the case already open). Nothing for
// other outcomes.
void add_dispute_details(const engine::Reply& reply, nlohmann::json* answer);

}  // namespace holdfast::gateway
