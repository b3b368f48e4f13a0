// Administrative commands as JSON: the one format shared by the CLI, the server's admin port and
// portfolio files (docs/PORTFOLIO.md). Each request is one JSON object with an "op":
//   {"op":"create_card_range","prefix_low":"622588","prefix_high":"622588","product":{...}}
//   {"op":"open_account","id":1001,"currency":"156","credit_limit_minor":60000}
//   {"op":"issue_card","id":5001,"account_id":1001,"pan":"6225880000000001","expiry":"2812"}
//   {"op":"set_card_status","card_id":5001,"status":"lost"}
//   {"op":"set_credit_limit","account_id":1001,"credit_limit_minor":80000}
//   {"op":"set_uplift","account_id":1001,"uplift_minor":20000,"expires_at_s":1767225600}
// plus read-only queries the server answers from engine state without journaling:
//   {"op":"get_account","account_id":1001}   {"op":"get_card","card_id":5001}   {"op":"stats"}
// A clear PAN appears only in issue_card requests and is hashed, masked and (with a PAN key)
// encrypted here, at the edge; a PAN that fails the Luhn check is refused.
// {"op":"reload_keys"} is answered by the server (it reloads the card security key store).
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "base/result.h"
#include "engine/command.h"
#include "engine/engine.h"
#include "gateway/gateway.h"

namespace holdfast::gateway {

struct AdminParseError {
  std::string field;   // the JSON member at fault, "" for the whole request
  std::string reason;
};

// True for ops that read state and are not journaled.
bool is_admin_query(const nlohmann::json& request);

// Encrypts a PAN for storage (AES-256-GCM under the PAN key: security::pan_encryptor);
// false when it cannot (no PAN key).
using PanEncryptFn = std::function<bool(std::string_view pan, engine::EncryptedPan* out)>;

// Translates a mutating admin request into a command body. With `encrypt_pan`, issue_card
// carries the encrypted PAN (and fails when it cannot be encrypted); without, none.
Result<engine::CommandBody, AdminParseError> parse_admin_command(
    const nlohmann::json& request, const PanHasher& pan_hasher,
    const PanEncryptFn& encrypt_pan = {});
// Answers a read-only query from engine state.
nlohmann::json answer_admin_query(const nlohmann::json& request, const engine::Engine& engine);
// The JSON answer to a journaled admin command.
nlohmann::json admin_reply_json(const engine::Reply& reply);

// Reads a portfolio file (JSON Lines of admin requests, or one JSON document
// {"card_ranges":[...],"accounts":[...],"cards":[...]}) into requests, in order.
Result<std::vector<nlohmann::json>, AdminParseError> read_portfolio(const std::string& path);
// The same, from the file's text.
Result<std::vector<nlohmann::json>, AdminParseError> parse_portfolio(const std::string& text);

}  // namespace holdfast::gateway
