#include "gateway/admin_json.h"

#include <algorithm>
#include <fstream>

#include "crypto/luhn.h"

namespace holdfast::gateway {
namespace {

using nlohmann::json;

struct Fail {
  std::string field;
  std::string reason;
};

const json& member(const json& request, const char* name) {
  auto it = request.find(name);
  if (it == request.end()) throw Fail{name, "is required"};
  return *it;
}

uint64_t unsigned_member(const json& request, const char* name) {
  const json& v = member(request, name);
  if (!v.is_number_unsigned()) throw Fail{name, "must be a non-negative integer"};
  return v.get<uint64_t>();
}

int64_t amount_member(const json& request, const char* name) {
  const json& v = member(request, name);
  if (!v.is_number_integer() || v.get<int64_t>() < 0) throw Fail{name, "must be a non-negative integer of minor units"};
  return v.get<int64_t>();
}

std::string string_member(const json& request, const char* name) {
  const json& v = member(request, name);
  if (v.is_number_unsigned()) return std::to_string(v.get<uint64_t>());
  if (!v.is_string()) throw Fail{name, "must be a string"};
  return v.get<std::string>();
}

bool bool_or(const json& object, const char* name, bool fallback) {
  auto it = object.find(name);
  if (it == object.end()) return fallback;
  if (!it->is_boolean()) throw Fail{name, "must be true or false"};
  return it->get<bool>();
}

Currency currency_member(const json& request, const char* name) {
  const auto c = parse_currency(string_member(request, name));
  if (!c) throw Fail{name, "is not an ISO 4217 currency holdfast knows"};
  return *c;
}

uint64_t digits_member(const json& request, const char* name, size_t max_digits, size_t* length) {
  const std::string s = string_member(request, name);
  if (s.empty() || s.size() > max_digits || s.find_first_not_of("0123456789") != std::string::npos)
    throw Fail{name, "must be 1 to " + std::to_string(max_digits) + " digits"};
  *length = s.size();
  return std::stoull(s);
}

engine::CreateCardRange card_range(const json& r) {
  engine::CreateCardRange c;
  size_t low_len = 0, high_len = 0;
  c.range.prefix_low = digits_member(r, "prefix_low", 11, &low_len);
  c.range.prefix_high = digits_member(r, "prefix_high", 11, &high_len);
  if (low_len != high_len) throw Fail{"prefix_high", "must have as many digits as prefix_low"};
  c.range.prefix_length = static_cast<uint8_t>(low_len);
  const json empty = json::object();
  const json& p = r.contains("product") ? r["product"] : empty;
  if (!p.is_object()) throw Fail{"product", "must be an object"};
  c.range.product.name = p.contains("name") ? string_member(p, "name") : "default";
  if (p.contains("issuer_country")) {
    size_t n = 0;
    c.range.product.issuer_country = static_cast<uint16_t>(digits_member(p, "issuer_country", 3, &n));
  }
  c.range.product.allow_card_not_present = bool_or(p, "allow_card_not_present", true);
  c.range.product.allow_cross_border = bool_or(p, "allow_cross_border", true);
  c.range.product.allow_cash = bool_or(p, "allow_cash", true);
  c.range.product.decline_fallback = bool_or(p, "decline_fallback", true);
  c.range.product.require_cvv2_card_not_present = bool_or(p, "require_cvv2_card_not_present", false);
  if (p.contains("pin_try_limit")) {
    size_t n = 0;
    c.range.product.pin_try_limit = static_cast<uint8_t>(digits_member(p, "pin_try_limit", 2, &n));
  }
  if (p.contains("atc_window")) {
    size_t n = 0;
    c.range.product.atc_window = static_cast<uint16_t>(digits_member(p, "atc_window", 4, &n));
  }
  if (p.contains("single_authorization_limit_minor"))
    c.range.product.single_authorization_limit_minor = amount_member(p, "single_authorization_limit_minor");
  return c;
}

engine::IssueCard issue_card(const json& r, const PanHasher& hasher, const PanEncryptFn& encrypt_pan) {
  engine::IssueCard c;
  const std::string pan = string_member(r, "pan");
  if (!is_valid_pan(pan)) throw Fail{"pan", "must be 12 to 19 digits"};
  if (const auto luhn = crypto::luhn_valid(pan); !luhn.ok() || !*luhn) {
    throw Fail{"pan", "fails the Luhn check"};
  }
  if (encrypt_pan && !encrypt_pan(pan, &c.encrypted_pan)) {
    throw Fail{"pan", "cannot be encrypted: no active pan key in the key store"};
  }
  c.requested_id = r.contains("id") ? unsigned_member(r, "id") : 0;
  c.account_id = unsigned_member(r, "account_id");
  c.pan_hash = hasher.hash(pan);
  c.masked_pan = mask_pan(pan);
  c.prefix_length = 11;
  c.prefix = std::stoull(pan.substr(0, 11));
  size_t n = 0;
  const uint64_t expiry = digits_member(r, "expiry", 4, &n);
  if (n != 4 || expiry % 100 < 1 || expiry % 100 > 12) throw Fail{"expiry", "must be YYMM"};
  c.expiry_yymm = static_cast<uint16_t>(expiry);
  if (r.contains("service_code")) {
    const uint64_t code = digits_member(r, "service_code", 3, &n);
    if (n != 3) throw Fail{"service_code", "must be 3 digits"};
    const std::string digits = std::to_string(1000 + code).substr(1);
    std::copy_n(digits.begin(), 3, c.service_code.begin());
  }
  if (r.contains("pvv")) {
    const std::string pvv = string_member(r, "pvv");
    if (pvv.size() != 4 || pvv.find_first_not_of("0123456789") != std::string::npos)
      throw Fail{"pvv", "must be 4 digits"};
    std::copy_n(pvv.begin(), 4, c.pin_verification_value.begin());
  }
  if (r.contains("pan_sequence_number")) {
    const uint64_t psn = digits_member(r, "pan_sequence_number", 2, &n);
    c.pan_sequence_number = static_cast<uint8_t>(psn);
  }
  return c;
}

engine::CommandBody parse(const json& r, const PanHasher& hasher, const PanEncryptFn& encrypt_pan) {
  const std::string op = string_member(r, "op");
  if (op == "create_card_range") return card_range(r);
  if (op == "open_account") {
    engine::OpenAccount c;
    c.requested_id = r.contains("id") ? unsigned_member(r, "id") : 0;
    c.currency = currency_member(r, "currency");
    c.credit_limit_minor = amount_member(r, "credit_limit_minor");
    return c;
  }
  if (op == "issue_card") return issue_card(r, hasher, encrypt_pan);
  if (op == "set_card_status") {
    const auto status = cards::parse_card_status(string_member(r, "status"));
    if (!status) throw Fail{"status", "must be active, blocked, lost, stolen, expired or closed"};
    return engine::SetCardStatus{unsigned_member(r, "card_id"), *status};
  }
  if (op == "reset_pin_tries") return engine::ResetPinTries{unsigned_member(r, "card_id")};
  if (op == "set_credit_limit")
    return engine::SetCreditLimit{unsigned_member(r, "account_id"), amount_member(r, "credit_limit_minor")};
  if (op == "set_uplift") {
    const int64_t expires_s = amount_member(r, "expires_at_s");
    return engine::SetUplift{unsigned_member(r, "account_id"), amount_member(r, "uplift_minor"),
                             Timestamp::from_seconds(expires_s)};
  }
  throw Fail{"op", "unknown operation '" + op + "'"};
}

json money_json(int64_t minor, Currency c) {
  return json{{"minor", minor}, {"currency", std::string(currency_alpha(c))}};
}

json account_json(const engine::Engine& engine, const cards::Account& a) {
  return json{{"account_id", a.id.value},
              {"currency", std::string(currency_alpha(a.currency))},
              {"credit_limit_minor", a.credit_limit_minor},
              {"uplift_minor", a.active_uplift_minor(engine.now())},
              {"posted_balance_minor", engine.posted_balance(a)},
              {"pending_holds_minor", engine.pending_holds(a)},
              {"open_to_buy_minor", engine.open_to_buy(a)}};
}

// Why a card message was answered as it was: the outcome the engine remembered for it (within
// the duplicate-detection window). The keys are the ones the acquirer sent: MTI, DE 32, DE 11, DE 7.
json explain(const json& request, const engine::Engine& engine) {
  size_t n = 0;
  const uint64_t mti = digits_member(request, "mti", 4, &n);
  if (n != 4) throw Fail{"mti", "must be 4 digits"};
  engine::MessageKind kind = engine::MessageKind::authorization_request;
  switch (mti / 100 % 10 * 10 + mti / 10 % 10) {
    case 10: kind = engine::MessageKind::authorization_request; break;
    case 12: kind = engine::MessageKind::authorization_advice; break;
    case 20: kind = engine::MessageKind::financial_request; break;
    case 22: kind = engine::MessageKind::financial_advice; break;
    case 40: kind = engine::MessageKind::reversal_request; break;
    case 42: kind = engine::MessageKind::reversal_advice; break;
    default: throw Fail{"mti", "is not a card request or advice"};
  }
  const engine::MessageKey key{digits_member(request, "acquirer_id", 11, &n),
                               static_cast<uint32_t>(digits_member(request, "stan", 6, &n)),
                               digits_member(request, "transmission_time", 10, &n)};
  const auto* record = engine.find_message(kind, key);
  if (record == nullptr) return json{{"error", "no such message remembered"}};
  return json{{"kind", engine::message_kind_name(record->kind)},
              {"outcome", std::string(engine::outcome_name(record->reply.outcome))},
              {"response_code", std::string(record->reply.response_code.begin(), record->reply.response_code.end())},
              {"card_id", record->card_id},
              {"amount_minor", record->account_amount_minor},
              {"reversed_minor", record->undone_minor},
              {"voided", record->voided},
              {"at_us", record->at.us}};
}

}  // namespace

bool is_admin_query(const json& request) {
  if (!request.is_object() || !request.contains("op") || !request["op"].is_string()) return false;
  const std::string op = request["op"].get<std::string>();
  return op == "get_account" || op == "get_card" || op == "stats" || op == "reload_keys" ||
         op == "explain";
}

Result<engine::CommandBody, AdminParseError> parse_admin_command(const json& request,
                                                                 const PanHasher& pan_hasher,
                                                                 const PanEncryptFn& encrypt_pan) {
  if (!request.is_object()) return AdminParseError{"", "a request must be a JSON object"};
  try {
    return parse(request, pan_hasher, encrypt_pan);
  } catch (const Fail& f) {
    return AdminParseError{f.field, f.reason};
  } catch (const std::exception& e) {
    return AdminParseError{"", e.what()};
  }
}

json answer_admin_query(const json& request, const engine::Engine& engine) {
  try {
    const std::string op = string_member(request, "op");
    if (op == "get_account") {
      const auto* a = engine.find_account(cards::AccountId{unsigned_member(request, "account_id")});
      if (a == nullptr) return json{{"error", "unknown account"}};
      return account_json(engine, *a);
    }
    if (op == "get_card") {
      const auto* c = engine.find_card(cards::CardId{unsigned_member(request, "card_id")});
      if (c == nullptr) return json{{"error", "unknown card"}};
      return json{{"card_id", c->id.value},
                  {"account_id", c->account.value},
                  {"pan", c->masked_pan.display()},
                  {"expiry", c->expiry_yymm},
                  {"status", cards::card_status_name(c->status)},
                  {"service_code", std::string(c->service_code.begin(), c->service_code.end())},
                  {"pin_tries", c->pin_tries},
                  {"last_atc", c->has_atc ? nlohmann::json(c->last_atc) : nlohmann::json(nullptr)}};
    }
    if (op == "explain") return explain(request, engine);
    const auto& k = engine.counters();
    return json{{"commands", k.commands},
                {"card_messages", k.card_messages},
                {"approvals", k.approvals},
                {"declines", k.declines},
                {"duplicates", k.duplicates},
                {"advices_over_limit", k.advices_over_limit},
                {"holds_expired", k.holds_expired},
                {"active_holds", engine.ledger().active_hold_count()},
                {"books_balance", engine.ledger().books_balance()}};
  } catch (const Fail& f) {
    return json{{"error", f.field + " " + f.reason}};
  }
}

json admin_reply_json(const engine::Reply& reply) {
  json out{{"outcome", std::string(engine::outcome_name(reply.outcome))},
           {"ok", engine::is_approval(reply.outcome)},
           {"id", reply.entity_id}};
  if (reply.account_currency.code != 0)
    out["open_to_buy"] = money_json(reply.open_to_buy_minor, reply.account_currency);
  return out;
}

Result<std::vector<json>, AdminParseError> read_portfolio(const std::string& path) {
  std::ifstream in(path);
  if (!in) return AdminParseError{"", "cannot open portfolio file " + path};
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return parse_portfolio(text);
}

Result<std::vector<json>, AdminParseError> parse_portfolio(const std::string& text) {
  std::vector<json> requests;
  const auto document = json::parse(text, nullptr, false);
  if (!document.is_discarded() && document.is_object()) {
    // One document: card ranges, then accounts, then cards.
    const std::pair<const char*, const char*> sections[] = {
        {"card_ranges", "create_card_range"}, {"accounts", "open_account"}, {"cards", "issue_card"}};
    for (const auto& [section, op] : sections) {
      if (!document.contains(section)) continue;
      if (!document[section].is_array()) return AdminParseError{section, "must be an array"};
      for (json item : document[section]) {
        if (!item.is_object()) return AdminParseError{section, "entries must be objects"};
        item["op"] = op;
        requests.push_back(std::move(item));
      }
    }
    return requests;
  }
  // JSON Lines: one request per line; blank lines and lines starting with # are skipped.
  size_t line_number = 0;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    const std::string line = text.substr(start, end - start);
    ++line_number;
    start = end + 1;
    if (line.find_first_not_of(" \t\r") == std::string::npos || line[line.find_first_not_of(" \t")] == '#') continue;
    auto request = json::parse(line, nullptr, false);
    if (request.is_discarded() || !request.is_object())
      return AdminParseError{"line " + std::to_string(line_number), "is not a JSON object"};
    requests.push_back(std::move(request));
  }
  return requests;
}

}  // namespace holdfast::gateway
