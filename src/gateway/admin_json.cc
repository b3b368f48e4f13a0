#include "gateway/admin_json.h"

#include <algorithm>
#include <cstring>
#include <fstream>
#include <limits>

#include "base/country.h"
#include "crypto/luhn.h"
#include "disputes/case.h"
#include "engine/command_codec.h"
#include "gateway/admin_disputes.h"
#include "gateway/clearing_translate.h"

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

// JSON parsed from text holds 5 as unsigned, JSON built in C++ from an int as signed: both are
// non-negative integers.
bool non_negative_integer(const json& v) {
  return v.is_number_unsigned() || (v.is_number_integer() && v.get<int64_t>() >= 0);
}

uint64_t unsigned_member(const json& request, const char* name) {
  const json& v = member(request, name);
  if (!non_negative_integer(v)) throw Fail{name, "must be a non-negative integer"};
  return v.get<uint64_t>();
}

int64_t amount_member(const json& request, const char* name) {
  const json& v = member(request, name);
  if (!v.is_number_integer() || v.get<int64_t>() < 0)
    throw Fail{name, "must be a non-negative integer of minor units"};
  return v.get<int64_t>();
}

std::string string_member(const json& request, const char* name) {
  const json& v = member(request, name);
  if (non_negative_integer(v)) return std::to_string(v.get<uint64_t>());
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

uint32_t u32_member(const json& request, const char* name, uint32_t max) {
  const uint64_t v = unsigned_member(request, name);
  if (v > max) throw Fail{name, "must be at most " + std::to_string(max)};
  return static_cast<uint32_t>(v);
}

// ISO 3166 numeric ("156", or 156) or alpha-3 ("CHN"); 0 = any country where allowed.
uint16_t country_value(const json& v, const std::string& field) {
  if (!v.is_string() && !non_negative_integer(v)) throw Fail{field, "must be an ISO 3166 code (string)"};
  const std::string s = v.is_string() ? v.get<std::string>() : std::to_string(v.get<uint64_t>());
  if (s.size() == 3 && std::all_of(s.begin(), s.end(), [](char c) { return c >= 'A' && c <= 'Z'; })) {
    if (const auto code = country_numeric(s)) return *code;
    throw Fail{field, "'" + s + "' is not an ISO 3166 alpha-3 code"};
  }
  if (s.empty() || s.size() > 3 || s.find_first_not_of("0123456789") != std::string::npos)
    throw Fail{field, "must be an ISO 3166 numeric (up to 3 digits) or alpha-3 code"};
  return static_cast<uint16_t>(std::stoul(s));
}
uint16_t country_member(const json& request, const char* name) {
  return country_value(member(request, name), name);
}

// "any" (where allowed), "card_present" or "card_not_present".
cards::UseChannel channel_member(const json& request, const char* name, bool allow_any) {
  const std::string s = string_member(request, name);
  if (s == "card_present") return cards::UseChannel::card_present;
  if (s == "card_not_present") return cards::UseChannel::card_not_present;
  if (s == "any" && allow_any) return cards::UseChannel::any;
  throw Fail{name, allow_any ? "must be any, card_present or card_not_present"
                             : "must be card_present or card_not_present"};
}

uint16_t mcc_value(const json& object, const char* name, uint16_t fallback) {
  if (!object.contains(name)) return fallback;
  size_t n = 0;
  return static_cast<uint16_t>(digits_member(object, name, 4, &n));
}

cards::FloorLimitRule floor_limit_rule(const json& rule) {
  if (!rule.is_object()) throw Fail{"", "must be an object"};
  cards::FloorLimitRule f;
  f.mcc_low = mcc_value(rule, "mcc_low", 0);
  f.mcc_high = mcc_value(rule, "mcc_high", 9999);
  if (f.mcc_low > f.mcc_high) throw Fail{"mcc_high", "must not be below mcc_low"};
  if (rule.contains("country")) f.country = country_member(rule, "country");
  if (rule.contains("channel")) f.channel = channel_member(rule, "channel", true);
  f.floor_limit_minor = amount_member(rule, "floor_limit_minor");
  return f;
}

// The product settings for clearing, offline exposure and uplifts (cards::Product).
void offline_and_uplift_settings(const json& p, cards::Product* product) {
  if (p.contains("scheme")) {
    const auto scheme = cards::parse_card_scheme(string_member(p, "scheme"));
    if (!scheme) throw Fail{"scheme", "must be visa, mastercard or unionpay"};
    product->scheme = *scheme;
  }
  if (p.contains("pin_verification")) {
    const std::string v = string_member(p, "pin_verification");
    if (v == "visa_pvv") {
      product->pin_verification = cards::PinVerification::visa_pvv;
    } else if (v == "ibm3624_offset") {
      product->pin_verification = cards::PinVerification::ibm3624_offset;
    } else {
      throw Fail{"pin_verification", "must be visa_pvv or ibm3624_offset"};
    }
  }
  if (p.contains("default_floor_limit_minor"))
    product->default_floor_limit_minor = amount_member(p, "default_floor_limit_minor");
  if (p.contains("floor_limits")) {
    const json& rules = p["floor_limits"];
    if (!rules.is_array()) throw Fail{"floor_limits", "must be an array"};
    for (size_t i = 0; i < rules.size(); ++i) {
      const std::string path = "floor_limits[" + std::to_string(i) + "]";
      try {
        product->floor_limits.push_back(floor_limit_rule(rules[i]));
      } catch (const Fail& f) {
        throw Fail{f.field.empty() ? path : path + "." + f.field, f.reason};
      }
    }
  }
  constexpr uint32_t kAllBp = 10'000;  // 100 %
  if (p.contains("foreign_fee_bp")) product->foreign_fee_bp = u32_member(p, "foreign_fee_bp", kAllBp);
  if (p.contains("uplift_max_multiplier_bp")) {
    product->uplift_max_multiplier_bp =
        u32_member(p, "uplift_max_multiplier_bp", std::numeric_limits<uint32_t>::max());
    if (product->uplift_max_multiplier_bp != 0 && product->uplift_max_multiplier_bp < kAllBp)
      throw Fail{"uplift_max_multiplier_bp",
                 "must be 0 (no uplifts) or at least 10000 (1x the credit limit)"};
  }
  if (p.contains("uplift_countries")) {
    const json& countries = p["uplift_countries"];
    if (!countries.is_array()) throw Fail{"uplift_countries", "must be an array"};
    for (size_t i = 0; i < countries.size(); ++i)
      product->uplift_countries.push_back(
          country_value(countries[i], "uplift_countries[" + std::to_string(i) + "]"));
  }
  constexpr uint32_t kMaxDays = 36'500;  // a century: anything longer is a typo
  if (p.contains("uplift_days")) product->uplift_days = u32_member(p, "uplift_days", kMaxDays);
  product->uplift_on_authorization = bool_or(p, "uplift_on_authorization", product->uplift_on_authorization);
  if (p.contains("dormant_days")) product->dormant_days = u32_member(p, "dormant_days", kMaxDays);
  if (p.contains("token_cooling_days"))
    product->token_cooling_days = u32_member(p, "token_cooling_days", kMaxDays);
}

void product_settings(const json& p, cards::Product* product) {
  product->name = p.contains("name") ? string_member(p, "name") : "default";
  if (p.contains("issuer_country")) {
    size_t n = 0;
    product->issuer_country = static_cast<uint16_t>(digits_member(p, "issuer_country", 3, &n));
  }
  product->allow_card_not_present = bool_or(p, "allow_card_not_present", true);
  product->allow_cross_border = bool_or(p, "allow_cross_border", true);
  product->allow_cash = bool_or(p, "allow_cash", true);
  product->decline_fallback = bool_or(p, "decline_fallback", true);
  product->require_cvv2_card_not_present = bool_or(p, "require_cvv2_card_not_present", false);
  if (p.contains("pin_try_limit")) {
    size_t n = 0;
    product->pin_try_limit = static_cast<uint8_t>(digits_member(p, "pin_try_limit", 2, &n));
  }
  if (p.contains("atc_window")) {
    size_t n = 0;
    product->atc_window = static_cast<uint16_t>(digits_member(p, "atc_window", 4, &n));
  }
  if (p.contains("single_authorization_limit_minor"))
    product->single_authorization_limit_minor = amount_member(p, "single_authorization_limit_minor");
  offline_and_uplift_settings(p, product);
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
  try {
    product_settings(p, &c.range.product);
  } catch (const Fail& f) {
    throw Fail{"product." + f.field, f.reason};
  }
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
  if (r.contains("pin_offset")) {
    const std::string offset = string_member(r, "pin_offset");
    if (offset.size() < 4 || offset.size() > c.pin_offset.size() ||
        offset.find_first_not_of("0123456789") != std::string::npos)
      throw Fail{"pin_offset", "must be 4 to 12 digits (IBM 3624 offset)"};
    std::copy(offset.begin(), offset.end(), c.pin_offset.begin());  // the rest stays '\0'
  }
  return c;
}

// ---- present: one clearing record, in the operator CSV's columns (src/clearing/FORMAT.md) ----

std::vector<std::string> csv_columns() {
  std::vector<std::string> columns;
  const std::string_view header = clearing::csv_header();
  size_t start = 0;
  while (start <= header.size()) {
    size_t end = header.find(',', start);
    if (end == std::string_view::npos) end = header.size();
    columns.emplace_back(header.substr(start, end - start));
    start = end + 1;
  }
  return columns;
}

// The CSV cell for one member: strings as given, unsigned integers as digits, booleans for
// card_present; absent or null = empty.
std::string csv_cell(const json& r, const std::string& column) {
  const auto it = r.find(column);
  if (it == r.end() || it->is_null()) return "";
  if (column == "card_present" && it->is_boolean()) return it->get<bool>() ? "Y" : "N";
  if (non_negative_integer(*it)) return std::to_string(it->get<uint64_t>());
  if (!it->is_string()) throw Fail{column, "must be a string (or a non-negative integer)"};
  const std::string cell = it->get<std::string>();
  for (char ch : cell)
    if (ch == ',' || ch == '"' || ch < ' ' || ch > '~')
      throw Fail{column, "commas, quotes and non-printable characters are not allowed"};
  return cell;
}

// Clearing ids from binary files ("<file id>:<record number>", "arn:<ARN>:<function code>")
// are longer and freer than the CSV's record_id column allows; only their digest is kept.
constexpr size_t kMaxPresentRecordIdChars = 128;

// Function codes (DE 24) a kind may carry, and which of them are partial (FORMAT.md table).
bool function_code_fits(clearing::RecordKind kind, uint64_t code, bool* partial) {
  using K = clearing::RecordKind;
  *partial = code == 282 || code == 453 || code == 454;
  switch (kind) {
    case K::kFirstPresentment:
    case K::kFirstPresentmentReversal: return code == 200;
    case K::kSecondPresentment: return code == 205 || code == 282;
    case K::kChargeback:
    case K::kChargebackReversal: return code == 450 || code == 453;
    case K::kArbitrationChargeback: return code == 451 || code == 454;
  }
  return false;
}

// The JSON member to blame for a to_presentment error (by its DE).
std::string member_of_field(int de) {
  switch (de) {
    case 0: return "record_id";
    case 2: return "pan";
    case 4: return "amount_minor";
    case 6: return "billing_amount_minor";
    case 19:
    case 43: return "country";
    case 25: return "reason_code";
    case 26: return "mcc";
    case 31: return "arn";
    case 37: return "rrn";
    case 38: return "approval_code";
    default: return "";
  }
}

// The record goes through the clearing module's own CSV reader (one header, one row), so a
// record sent here is validated exactly like a row of an operator's file.
engine::Presentment present(const json& r, const PanHasher& hasher) {
  static const std::vector<std::string> columns = csv_columns();
  for (const auto& [name, value] : r.items()) {
    if (name == "op" || name == "function_code") continue;
    if (std::find(columns.begin(), columns.end(), name) == columns.end())
      throw Fail{name, "is not a clearing record column (src/clearing/FORMAT.md)"};
  }
  const std::string record_id = string_member(r, "record_id");
  if (record_id.empty() || record_id.size() > kMaxPresentRecordIdChars ||
      !std::all_of(record_id.begin(), record_id.end(), [](char c) { return c >= ' ' && c <= '~'; }))
    throw Fail{"record_id", "must be 1 to 128 printable ASCII characters"};
  std::string text(clearing::csv_header());
  text += '\n';
  for (size_t i = 0; i < columns.size(); ++i) {
    if (i > 0) text += ',';
    text += columns[i] == "record_id" ? std::string("present") : csv_cell(r, columns[i]);
  }
  text += '\n';
  clearing::ReaderOptions options;
  options.format = clearing::FileFormat::kCsv;
  auto reader = clearing::ClearingReader::from_bytes(
      std::span(reinterpret_cast<const uint8_t*>(text.data()), text.size()), options);
  auto read = reader.next();
  if (!read.ok()) throw Fail{read.error().field_name, read.error().reason};
  if (!read->has_value()) throw Fail{"", "no clearing record"};
  clearing::ClearingRecord record = std::move(**read);
  record.record_id = record_id;
  if (r.contains("function_code")) {
    const uint64_t code = unsigned_member(r, "function_code");
    if (!function_code_fits(record.kind, code, &record.partial))
      throw Fail{"function_code",
                 "is not a function code of a " + std::string(clearing::kind_name(record.kind))};
    record.function_code = static_cast<uint16_t>(code);
  }
  auto presentment = to_presentment(record, hasher);
  if (!presentment.ok()) throw Fail{member_of_field(presentment.error().field), presentment.error().reason};
  return *presentment;
}

engine::ProvisionToken provision_token(const json& r, const PanHasher& hasher) {
  engine::ProvisionToken c;
  c.requested_id = r.contains("id") ? unsigned_member(r, "id") : 0;
  c.card_id = unsigned_member(r, "card_id");
  const std::string token_pan = string_member(r, "token_pan");
  if (!is_valid_pan(token_pan)) throw Fail{"token_pan", "must be 12 to 19 digits"};
  if (const auto luhn = crypto::luhn_valid(token_pan); !luhn.ok() || !*luhn)
    throw Fail{"token_pan", "fails the Luhn check"};
  c.pan_hash = hasher.hash(token_pan);
  c.masked_pan = mask_pan(token_pan);
  c.wallet = static_cast<uint8_t>(u32_member(r, "wallet", std::numeric_limits<uint8_t>::max()));
  return c;
}

engine::RequestUplift request_uplift(const json& r) {
  engine::RequestUplift c;
  c.card_id = unsigned_member(r, "card_id");
  c.token_id = r.contains("token_id") ? unsigned_member(r, "token_id") : 0;
  c.country = country_member(r, "country");
  if (r.contains("multiplier_bp")) {
    c.multiplier_bp = u32_member(r, "multiplier_bp", std::numeric_limits<uint32_t>::max());
    if (c.multiplier_bp != 0 && c.multiplier_bp < 10'000)
      throw Fail{"multiplier_bp",
                 "must be 0 (the product's maximum) or at least 10000 (1x the credit limit)"};
  }
  c.channel = channel_member(r, "channel", false);
  c.fallback = bool_or(r, "fallback", false);
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
  if (op == "present") return present(r, hasher);
  if (op == "provision_token") return provision_token(r, hasher);
  if (op == "set_token_status") {
    const auto status = cards::parse_token_status(string_member(r, "status"));
    if (!status) throw Fail{"status", "must be active, suspended or deleted"};
    return engine::SetTokenStatus{unsigned_member(r, "token_id"), *status};
  }
  if (op == "request_uplift") return request_uplift(r);
  throw Fail{"op", "unknown operation '" + op + "'"};
}

json money_json(int64_t minor, Currency c) {
  return json{{"minor", minor}, {"currency", std::string(currency_alpha(c))}};
}

// open_to_buy_minor is always credit limit + uplift - posted - pending holds (E1, the fields
// beside it). Legacy mode adds what its online authorisations see instead: the used amount taken
// from the books at the last daily refresh plus their own approvals and reversals since (T+1).
json account_json(const engine::Engine& engine, const cards::Account& a) {
  json out{{"account_id", a.id.value},
           {"currency", std::string(currency_alpha(a.currency))},
           {"credit_limit_minor", a.credit_limit_minor},
           {"uplift_minor", a.active_uplift_minor(engine.now())},
           {"posted_balance_minor", engine.posted_balance(a)},
           {"pending_holds_minor", engine.pending_holds(a)},
           {"open_to_buy_minor", engine.books_open_to_buy(a)}};
  if (engine.config().mode == engine::EngineMode::legacy)
    out["legacy"] = json{{"used_minor", a.legacy_used_minor},
                         {"open_to_buy_minor", engine.open_to_buy(a)},
                         {"refresh_hour_utc", engine.config().legacy_refresh_hour}};
  return out;
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
  // What lies behind the outcome (the uplift gate's refusal behind insufficient_funds), or null.
  const json cause = record->cause == engine::Outcome::approved
                         ? json(nullptr)
                         : json(std::string(engine::outcome_name(record->cause)));
  return json{
      {"kind", engine::message_kind_name(record->kind)},
      {"outcome", std::string(engine::outcome_name(record->reply.outcome))},
      {"cause", cause},
      {"response_code", std::string(record->reply.response_code.begin(), record->reply.response_code.end())},
      {"card_id", record->card_id},
      {"amount_minor", record->account_amount_minor},
      {"reversed_minor", record->undone_minor},
      {"voided", record->voided},
      {"at_us", record->at.us}};
}

json token_json(const cards::Token& t) {
  return json{{"token_id", t.id.value},
              {"card_id", t.card.value},
              {"pan", t.masked_pan.display()},
              {"status", cards::token_status_name(t.status)},
              {"wallet", t.wallet},
              {"provisioned_at_us", t.provisioned_at.us},
              {"last_used_at_us", t.last_used_at.us}};
}

json token_ids(const engine::Engine& engine, cards::CardId card) {
  json ids = json::array();
  for (const cards::Token* t : engine.tokens_of(card)) ids.push_back(t->id.value);
  return ids;
}

json deadline_json(Timestamp deadline) {
  return deadline == disputes::kNoDeadline ? json(nullptr) : json(disputes::format_utc(deadline));
}

// Dispute cases (chargebacks the engine raised, cardholder claims) and burst-protection fraud
// cases, optionally of one card.
json list_cases(const json& request, const engine::Engine& engine) {
  const bool one_card = request.contains("card_id");
  const uint64_t card_id = one_card ? unsigned_member(request, "card_id") : 0;
  json disputes = json::array();
  for (const auto& [id, record] : engine.disputes()) {
    const disputes::Case& c = record.dispute;
    if (one_card && c.card_id != card_id) continue;
    disputes.push_back(json{
        {"case_id", id},
        {"origin", engine::case_origin_name(record.origin)},
        {"card_id", c.card_id},
        {"account_id", c.account_id},
        {"scheme", disputes::scheme_name(c.scheme)},
        {"state", disputes::case_state_name(c.state)},
        {"reason_code", c.reason_code},
        {"amount", money_json(c.disputed.minor, c.disputed.currency)},
        {"chargeback_minor", c.chargeback_minor},
        {"deadline", deadline_json(c.deadline)},
        {"deadline_party", disputes::party_name(c.deadline_party)},
        {"arn", std::string(record.arn_text.data(), strnlen(record.arn_text.data(), record.arn_text.size()))},
        {"receivable_minor", record.receivable_minor},
        {"recovered_minor", record.recovered_minor},
        {"written_off_minor", record.written_off_minor}});
  }
  json fraud = json::array();
  for (const auto& [id, f] : engine.fraud_cases()) {
    if (one_card && f.card_id != card_id) continue;
    fraud.push_back(json{{"case_id", id},
                         {"card_id", f.card_id},
                         {"opened_at", disputes::format_utc(f.opened_at)},
                         {"items", f.items},
                         {"amount_minor", f.amount_minor}});
  }
  return json{{"disputes", std::move(disputes)}, {"fraud_cases", std::move(fraud)}};
}

// What became of one clearing record, found by the id it was applied under.
json get_presentment(const json& request, const engine::Engine& engine) {
  const std::string record_id = string_member(request, "record_id");
  if (record_id.empty()) throw Fail{"record_id", "must not be empty"};
  const auto* p = engine.find_presentment(digest16(record_id));
  if (p == nullptr) return json{{"error", "no such clearing record applied (or no longer remembered)"}};
  return json{{"record_id", record_id},
              {"kind", engine::presentment_kind_name(p->kind)},
              {"outcome", std::string(engine::outcome_name(p->reply.outcome))},
              {"card_id", p->card_id},
              {"matched", p->matched},
              {"posted_minor", p->posted_minor},
              {"fee_minor", p->fee_minor},
              {"unauthorised_minor", p->unauthorised_minor},
              {"case_id", p->case_id},
              {"reversed", p->reversed},
              {"at_us", p->at.us}};
}

}  // namespace

json present_request(const clearing::ClearingRecord& r) {
  const auto padded = [](uint64_t value, size_t width) {
    std::string digits = std::to_string(value);
    return std::string(width > digits.size() ? width - digits.size() : 0, '0') + digits;
  };
  json request{{"op", "present"},
               {"record_id", r.record_id},
               {"kind", std::string(clearing::kind_name(r.kind))},
               {"function_code", r.function_code},
               {"pan", r.pan},
               {"amount_minor", std::to_string(r.amount.minor)},
               {"currency", padded(r.amount.currency.code, 3)}};
  if (r.billing) {
    request["billing_amount_minor"] = std::to_string(r.billing->minor);
    request["billing_currency"] = padded(r.billing->currency.code, 3);
  }
  if (!r.approval_code.empty()) request["approval_code"] = r.approval_code;
  if (!r.rrn.empty()) request["rrn"] = r.rrn;
  if (!r.arn.empty()) request["arn"] = r.arn;
  if (r.mcc) request["mcc"] = padded(*r.mcc, 4);
  if (!r.country.empty()) request["country"] = r.country;
  if (r.card_presence != clearing::CardPresence::kUnknown)
    request["card_present"] = r.card_presence == clearing::CardPresence::kPresent ? "Y" : "N";
  if (r.local_time) {
    const clearing::LocalDateTime& t = *r.local_time;
    request["local_time"] = padded(t.year, 4) + "-" + padded(t.month, 2) + "-" + padded(t.day, 2) + "T" +
                            padded(t.hour, 2) + ":" + padded(t.minute, 2) + ":" + padded(t.second, 2);
  }
  if (r.reason_code) request["reason_code"] = padded(*r.reason_code, 4);
  return request;
}

bool is_admin_query(const json& request) {
  if (!request.is_object() || !request.contains("op") || !request["op"].is_string()) return false;
  const std::string op = request["op"].get<std::string>();
  return op == "get_account" || op == "get_card" || op == "stats" || op == "reload_keys" || op == "explain" ||
         op == "get_token" || op == "list_cases" || op == "get_presentment" || is_dispute_query(request);
}

namespace {

Result<engine::CommandBody, AdminParseError> parse_unchecked(const json& request, const PanHasher& pan_hasher,
                                                             const PanEncryptFn& encrypt_pan) {
  if (!request.is_object()) return AdminParseError{"", "a request must be a JSON object"};
  if (auto dispute = parse_dispute_command(request)) return std::move(*dispute);
  try {
    return parse(request, pan_hasher, encrypt_pan);
  } catch (const Fail& f) {
    return AdminParseError{f.field, f.reason};
  } catch (const std::exception& e) {
    return AdminParseError{"", e.what()};
  }
}

}  // namespace

Result<engine::CommandBody, AdminParseError> parse_admin_command(const json& request,
                                                                 const PanHasher& pan_hasher,
                                                                 const PanEncryptFn& encrypt_pan) {
  auto parsed = parse_unchecked(request, pan_hasher, encrypt_pan);
  if (!parsed) return parsed;
  // The bounds every journaled command must keep (engine/limits.h): refused here, before the
  // command is journaled, so an accepted command always replays.
  if (auto v = engine::find_limit_violation(*parsed)) return AdminParseError{v->field, v->reason};
  return parsed;
}

json answer_admin_query(const json& request, const engine::Engine& engine) {
  if (auto dispute = answer_dispute_query(request, engine)) return std::move(*dispute);
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
                  {"last_atc", c->has_atc ? nlohmann::json(c->last_atc) : nlohmann::json(nullptr)},
                  {"tokens", token_ids(engine, c->id)},
                  {"fraud_case_id", c->fraud_case_id},
                  {"protected_at_us", c->protected_at.us}};
    }
    if (op == "explain") return explain(request, engine);
    if (op == "get_token") {
      const auto* t = engine.find_token(cards::TokenId{unsigned_member(request, "token_id")});
      if (t == nullptr) return json{{"error", "unknown token"}};
      return token_json(*t);
    }
    if (op == "list_cases") return list_cases(request, engine);
    if (op == "get_presentment") return get_presentment(request, engine);
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
  add_dispute_details(reply, &out);
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
    if (line.find_first_not_of(" \t\r") == std::string::npos || line[line.find_first_not_of(" \t")] == '#')
      continue;
    auto request = json::parse(line, nullptr, false);
    if (request.is_discarded() || !request.is_object())
      return AdminParseError{"line " + std::to_string(line_number), "is not a JSON object"};
    requests.push_back(std::move(request));
  }
  return requests;
}

}  // namespace holdfast::gateway
