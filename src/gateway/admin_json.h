// Administrative commands as JSON: the one format shared by the CLI, the server's admin port and
// portfolio files (docs/PORTFOLIO.md). Each request is one JSON object with an "op":
//   {"op":"create_card_range","prefix_low":"622588","prefix_high":"622588","product":{...}}
//   {"op":"open_account","id":1001,"currency":"156","credit_limit_minor":60000}
//   {"op":"issue_card","id":5001,"account_id":1001,"pan":"6225880000000001","expiry":"2812"}
//   {"op":"set_card_status","card_id":5001,"status":"lost"}
//   {"op":"set_credit_limit","account_id":1001,"credit_limit_minor":80000}
//   {"op":"set_uplift","account_id":1001,"uplift_minor":20000,"expires_at_s":1767225600}
//   {"op":"present","record_id":"F1:2","kind":"first_presentment","pan":"...","amount_minor":"1000",...}
//   {"op":"provision_token","card_id":5001,"token_pan":"...","wallet":1}
//   {"op":"set_token_status","token_id":1,"status":"suspended"}
//   {"op":"request_uplift","card_id":5001,"country":"THA","multiplier_bp":20000,"channel":"card_present"}
// plus read-only queries the server answers from engine state without journaling:
//   {"op":"get_account","account_id":1001}   {"op":"get_card","card_id":5001}   {"op":"stats"}
//   {"op":"get_token","token_id":1}   {"op":"list_cases","card_id":5001}
//   {"op":"get_presentment","record_id":"F1:2"}   {"op":"explain",...}
// A clear PAN appears only in issue_card, provision_token and present requests and is hashed,
// masked and (issue_card, with a PAN key) encrypted here, at the edge; issue_card and
// provision_token refuse a PAN that fails the Luhn check (a clearing record's PAN is the
// scheme's, taken as sent).
// {"op":"reload_keys"} is answered by the server (it reloads the card security key store).
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "base/result.h"
#include "clearing/clearing.h"
#include "engine/command.h"
#include "engine/engine.h"
#include "gateway/gateway.h"

namespace holdfast::gateway {

struct AdminParseError {
  std::string field;  // the JSON member at fault, "" for the whole request
  std::string reason;
};

// True for ops that read state and are not journaled.
bool is_admin_query(const nlohmann::json& request);

// Encrypts a PAN for storage (AES-256-GCM under the PAN key: security::pan_encryptor);
// false when it cannot (no PAN key).
using PanEncryptFn = std::function<bool(std::string_view pan, engine::EncryptedPan* out)>;

// Translates a mutating admin request into a command body. With `encrypt_pan`, issue_card
// carries the encrypted PAN (and fails when it cannot be encrypted); without, none.
Result<engine::CommandBody, AdminParseError> parse_admin_command(const nlohmann::json& request,
                                                                 const PanHasher& pan_hasher,
                                                                 const PanEncryptFn& encrypt_pan = {});
// Answers a read-only query from engine state.
nlohmann::json answer_admin_query(const nlohmann::json& request, const engine::Engine& engine);
// The JSON answer to a journaled admin command.
nlohmann::json admin_reply_json(const engine::Reply& reply);
// The `present` request for a clearing record read from a file (what `holdfast clearing apply`
// sends): the CSV columns, plus function_code so that partial records keep their DE 24.
nlohmann::json present_request(const clearing::ClearingRecord& record);

// Reads a portfolio file (JSON Lines of admin requests, or one JSON document
// {"card_ranges":[...],"accounts":[...],"cards":[...]}) into requests, in order.
Result<std::vector<nlohmann::json>, AdminParseError> read_portfolio(const std::string& path);
// The same, from the file's text.
Result<std::vector<nlohmann::json>, AdminParseError> parse_portfolio(const std::string& text);

}  // namespace holdfast::gateway
