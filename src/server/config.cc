#include "server/config.h"

#include <fstream>
#include <limits>
#include <sstream>

#include <nlohmann/json.hpp>

#include "disputes/rules.h"
#include "engine/command_codec.h"
#include "engine/limits.h"
#include "iso8583/spec.h"

namespace holdfast::server {
namespace {

using nlohmann::json;

ConfigError bad_value(std::string key, std::string why) {
  return ConfigError{ConfigErrc::bad_value, key, "config key \"" + key + "\": " + why};
}

// Reads an unsigned integer member within [low, high] into *out; absent members keep *out.
template <typename T>
std::optional<ConfigError> read_uint(const json& obj, const std::string& prefix, const char* name,
                                     uint64_t low, uint64_t high, T* out) {
  auto it = obj.find(name);
  if (it == obj.end()) return std::nullopt;
  const std::string key = prefix + name;
  if (!it->is_number_unsigned()) return bad_value(key, "expected a non-negative integer");
  const auto v = it->get<uint64_t>();
  if (v < low || v > high) {
    return bad_value(key, "must be between " + std::to_string(low) + " and " + std::to_string(high) +
                              ", got " + std::to_string(v));
  }
  *out = static_cast<T>(v);
  return std::nullopt;
}

std::optional<ConfigError> read_string(const json& obj, const std::string& prefix, const char* name,
                                       std::string* out) {
  auto it = obj.find(name);
  if (it == obj.end()) return std::nullopt;
  if (!it->is_string()) return bad_value(prefix + name, "expected a string");
  *out = it->get<std::string>();
  return std::nullopt;
}

std::optional<ConfigError> read_bool(const json& obj, const std::string& prefix, const char* name,
                                     bool* out) {
  auto it = obj.find(name);
  if (it == obj.end()) return std::nullopt;
  if (!it->is_boolean()) return bad_value(prefix + name, "expected true or false");
  *out = it->get<bool>();
  return std::nullopt;
}

std::optional<ConfigError> check_known(const json& obj, const std::string& prefix,
                                       std::initializer_list<std::string_view> known) {
  for (const auto& [name, value] : obj.items()) {
    bool found = false;
    for (std::string_view k : known) found = found || k == name;
    if (!found) {
      return ConfigError{ConfigErrc::unknown_key, prefix + name,
                         "unknown config key \"" + prefix + name + "\""};
    }
  }
  return std::nullopt;
}

std::optional<ConfigError> read_mcc_rules(const json& obj, engine::EngineConfig* out) {
  auto it = obj.find("mcc_hold_rules");
  if (it == obj.end()) return std::nullopt;
  if (!it->is_array()) return bad_value("engine.mcc_hold_rules", "expected an array");
  out->mcc_hold_rules.clear();
  for (size_t i = 0; i < it->size(); ++i) {
    const json& rule = (*it)[i];
    const std::string prefix = "engine.mcc_hold_rules[" + std::to_string(i) + "].";
    if (!rule.is_object()) return bad_value(prefix, "expected an object");
    if (auto e = check_known(rule, prefix, {"mcc_low", "mcc_high", "hold_days"})) return e;
    for (const char* k : {"mcc_low", "mcc_high", "hold_days"}) {
      if (!rule.contains(k)) return bad_value(prefix + k, "missing");
    }
    engine::MccHoldRule r;
    if (auto e = read_uint(rule, prefix, "mcc_low", 0, 9999, &r.mcc_low)) return e;
    if (auto e = read_uint(rule, prefix, "mcc_high", r.mcc_low, 9999, &r.mcc_high)) return e;
    if (auto e = read_uint(rule, prefix, "hold_days", 1, 366, &r.hold_days)) return e;
    out->mcc_hold_rules.push_back(r);
  }
  return std::nullopt;
}

std::optional<ConfigError> read_tolerance_rules(const json& obj, engine::EngineConfig* out) {
  auto it = obj.find("clearing_tolerance_rules");
  if (it == obj.end()) return std::nullopt;
  if (!it->is_array()) return bad_value("engine.clearing_tolerance_rules", "expected an array");
  out->clearing_tolerance_rules.clear();
  for (size_t i = 0; i < it->size(); ++i) {
    const json& rule = (*it)[i];
    const std::string prefix = "engine.clearing_tolerance_rules[" + std::to_string(i) + "].";
    if (!rule.is_object()) return bad_value(prefix, "expected an object");
    if (auto e = check_known(rule, prefix, {"mcc_low", "mcc_high", "card_present_bp", "card_not_present_bp"}))
      return e;
    for (const char* k : {"mcc_low", "mcc_high", "card_present_bp", "card_not_present_bp"})
      if (!rule.contains(k)) return bad_value(prefix + k, "missing");
    engine::ClearingToleranceRule r;
    if (auto e = read_uint(rule, prefix, "mcc_low", 0, 9999, &r.mcc_low)) return e;
    if (auto e = read_uint(rule, prefix, "mcc_high", r.mcc_low, 9999, &r.mcc_high)) return e;
    if (auto e = read_uint(rule, prefix, "card_present_bp", 0, 100'000, &r.card_present_bp)) return e;
    if (auto e = read_uint(rule, prefix, "card_not_present_bp", 0, 100'000, &r.card_not_present_bp)) return e;
    out->clearing_tolerance_rules.push_back(r);
  }
  return std::nullopt;
}

// The scheme dispute rules: a file in config/scheme-rules.json's format, checked here so a bad
// file stops start-up with the JSON path of the fault rather than refusing chargebacks later.
std::optional<ConfigError> read_scheme_rules(const json& obj, engine::EngineConfig* out) {
  std::string path;
  if (auto e = read_string(obj, "engine.", "scheme_rules_file", &path)) return e;
  if (path.empty()) return std::nullopt;
  std::ifstream in(path, std::ios::binary);
  if (!in) return bad_value("engine.scheme_rules_file", "cannot open \"" + path + "\"");
  std::ostringstream text;
  text << in.rdbuf();
  if (text.str().size() > engine::limits::kMaxSchemeRulesBytes) {
    return bad_value("engine.scheme_rules_file", path + " is " + std::to_string(text.str().size()) +
                                                     " bytes; the rules are journaled whole, at most " +
                                                     std::to_string(engine::limits::kMaxSchemeRulesBytes) +
                                                     " bytes");
  }
  auto rules = disputes::load_rules(text.str());
  if (!rules.ok()) return bad_value("engine.scheme_rules_file", path + ": " + rules.error().message);
  out->scheme_rules_json = text.str();
  return std::nullopt;
}

std::optional<ConfigError> read_engine_clearing(const json& e, engine::EngineConfig* out) {
  const std::string p = "engine.";
  std::string mode = engine::engine_mode_name(out->mode);
  if (auto err = read_string(e, p, "mode", &mode)) return err;
  if (mode == "holdfast")
    out->mode = engine::EngineMode::holdfast;
  else if (mode == "legacy")
    out->mode = engine::EngineMode::legacy;
  else
    return bad_value("engine.mode", "expected \"holdfast\" or \"legacy\", got \"" + mode + "\"");
  if (auto err = read_tolerance_rules(e, out)) return err;
  if (auto err = read_uint(e, p, "default_tolerance_bp", 0, 100'000, &out->default_tolerance_bp)) return err;
  if (auto err = read_uint(e, p, "currency_drift_bp", 0, 100'000, &out->currency_drift_bp)) return err;
  if (auto err = read_bool(e, p, "late_chargeback_only_over_limit", &out->late_chargeback_only_over_limit))
    return err;
  if (auto err =
          read_uint(e, p, "clearing_record_retention_days", 1, 3660, &out->clearing_record_retention_days))
    return err;
  if (auto err = read_uint(e, p, "burst_items", 0, 1000, &out->burst_items)) return err;
  if (auto err = read_uint(e, p, "burst_window_s", 1, 366u * 86400u, &out->burst_window_s)) return err;
  if (auto err = read_uint(e, p, "local_time_margin_s", 0, 86400, &out->local_time_margin_s)) return err;
  if (auto err = read_uint(e, p, "legacy_refresh_hour", 0, 23, &out->legacy_refresh_hour)) return err;
  if (auto err = read_uint(e, p, "legacy_uplift_multiplier_bp", 10'000, 1'000'000,
                           &out->legacy_uplift_multiplier_bp))
    return err;
  return read_scheme_rules(e, out);
}

std::optional<ConfigError> read_engine(const json& root, engine::EngineConfig* out) {
  auto it = root.find("engine");
  if (it == root.end()) return std::nullopt;
  if (!it->is_object()) return bad_value("engine", "expected an object");
  const json& e = *it;
  const std::string p = "engine.";
  if (auto err = check_known(
          e, p,
          {"default_hold_days", "mcc_hold_rules", "message_record_retention_days", "max_message_records",
           "max_expiries_per_tick", "require_sign_on", "mode", "clearing_tolerance_rules",
           "default_tolerance_bp", "currency_drift_bp", "late_chargeback_only_over_limit",
           "clearing_record_retention_days", "burst_items", "burst_window_s", "local_time_margin_s",
           "legacy_refresh_hour", "legacy_uplift_multiplier_bp", "scheme_rules_file"})) {
    return err;
  }
  if (auto err = read_uint(e, p, "default_hold_days", 1, 366, &out->default_hold_days)) return err;
  if (auto err = read_mcc_rules(e, out)) return err;
  if (auto err =
          read_uint(e, p, "message_record_retention_days", 1, 3660, &out->message_record_retention_days)) {
    return err;
  }
  if (auto err = read_uint(e, p, "max_message_records", 1, 1'000'000'000, &out->max_message_records)) {
    return err;
  }
  if (auto err = read_uint(e, p, "max_expiries_per_tick", 1, 100'000'000, &out->max_expiries_per_tick)) {
    return err;
  }
  if (auto err = read_bool(e, p, "require_sign_on", &out->require_sign_on)) return err;
  if (auto err = read_engine_clearing(e, out)) return err;
  // The settings are journaled as one Configure command: they must keep its bounds
  // (engine/limits.h), or start-up would stop at the journal instead of here.
  if (auto v = engine::find_limit_violation(*out)) return bad_value(v->field, v->reason);
  return std::nullopt;
}

std::optional<ConfigError> read_iso(const json& root, ServerConfig* c) {
  if (auto e = read_string(root, "", "iso_address", &c->iso_address)) return e;
  if (auto e = read_uint(root, "", "iso_port", 0, 65535, &c->iso_port)) return e;
  std::string framing(framing_name(c->framing));
  if (auto e = read_string(root, "", "framing", &framing)) return e;
  auto f = parse_framing(framing);
  if (!f) return bad_value("framing", "expected \"len2\" or \"len4ascii\", got \"" + framing + "\"");
  c->framing = *f;
  if (auto e = read_string(root, "", "spec", &c->spec)) return e;
  if (iso8583::find_spec(c->spec) == nullptr) {
    std::string names;
    for (std::string_view n : iso8583::spec_names()) names += (names.empty() ? "" : ", ") + std::string(n);
    return bad_value("spec", "unknown message spec \"" + c->spec + "\" (known: " + names + ")");
  }
  if (auto e = read_uint(root, "", "max_frame_bytes", 20, max_length(c->framing), &c->max_frame_bytes)) {
    return e;
  }
  if (c->max_frame_bytes > max_length(c->framing)) {
    return bad_value("max_frame_bytes", "exceeds what " + framing + " framing can carry (" +
                                            std::to_string(max_length(c->framing)) + ")");
  }
  return std::nullopt;
}

std::optional<ConfigError> read_limits(const json& root, ServerConfig* c) {
  constexpr uint64_t kU32 = std::numeric_limits<uint32_t>::max();
  if (auto e = read_uint(root, "", "io_threads", 1, 256, &c->io_threads)) return e;
  if (auto e = read_uint(root, "", "engine_queue_capacity", 1, 16'777'216, &c->engine_queue_capacity)) {
    return e;
  }
  if (auto e = read_uint(root, "", "max_batch", 1, 1'000'000, &c->max_batch)) return e;
  if (auto e = read_uint(root, "", "max_in_flight_per_connection", 1, 1'000'000,
                         &c->max_in_flight_per_connection)) {
    return e;
  }
  if (auto e = read_uint(root, "", "snapshot_every_commands", 1, std::numeric_limits<uint64_t>::max(),
                         &c->snapshot_every_commands)) {
    return e;
  }
  if (auto e = read_uint(root, "", "snapshot_interval_s", 0, 86'400 * 7, &c->snapshot_interval_s)) {
    return e;
  }
  if (auto e = read_bool(root, "", "snapshot_fork", &c->snapshot_fork)) return e;
  if (auto e = read_uint(root, "", "tick_interval_ms", 10, 3'600'000, &c->tick_interval_ms)) return e;
  if (auto e = read_uint(root, "", "stats_log_interval_s", 1, 86'400, &c->stats_log_interval_s)) {
    return e;
  }
  if (auto e = read_uint(root, "", "shutdown_grace_ms", 0, 600'000, &c->shutdown_grace_ms)) return e;
  return read_uint(root, "", "max_admin_line_bytes", 64, kU32, &c->max_admin_line_bytes);
}

}  // namespace

Result<ServerConfig, ConfigError> parse_server_config(std::string_view json_text) {
  json root = json::parse(json_text, nullptr, /*allow_exceptions=*/false, /*ignore_comments=*/true);
  if (root.is_discarded()) return ConfigError{ConfigErrc::bad_json, "", "config is not valid JSON"};
  if (!root.is_object()) return ConfigError{ConfigErrc::bad_json, "", "config must be a JSON object"};
  if (auto e = check_known(root, "",
                           {"iso_address",
                            "iso_port",
                            "framing",
                            "spec",
                            "max_frame_bytes",
                            "admin_address",
                            "admin_port",
                            "max_admin_line_bytes",
                            "io_threads",
                            "engine_queue_capacity",
                            "max_batch",
                            "max_in_flight_per_connection",
                            "snapshot_every_commands",
                            "snapshot_interval_s",
                            "snapshot_fork",
                            "tick_interval_ms",
                            "stats_log_interval_s",
                            "shutdown_grace_ms",
                            "pan_key_file",
                            "key_store_file",
                            "master_key_file",
                            "engine"})) {
    return *e;
  }
  ServerConfig c;
  if (auto e = read_iso(root, &c)) return *e;
  if (auto e = read_string(root, "", "admin_address", &c.admin_address)) return *e;
  if (auto e = read_uint(root, "", "admin_port", 0, 65535, &c.admin_port)) return *e;
  if (auto e = read_limits(root, &c)) return *e;
  if (auto e = read_string(root, "", "pan_key_file", &c.pan_key_file)) return *e;
  if (auto e = read_string(root, "", "key_store_file", &c.key_store_file)) return *e;
  if (auto e = read_string(root, "", "master_key_file", &c.master_key_file)) return *e;
  if (auto e = read_engine(root, &c.engine)) return *e;
  return c;
}

Result<ServerConfig, ConfigError> load_server_config(const std::string& path) {
  if (path.empty()) return ServerConfig{};
  std::ifstream in(path, std::ios::binary);
  if (!in) return ConfigError{ConfigErrc::unreadable, "", "cannot read config file " + path};
  std::ostringstream text;
  text << in.rdbuf();
  auto parsed = parse_server_config(text.str());
  if (!parsed.ok()) {
    ConfigError e = parsed.error();
    e.message = path + ": " + e.message;
    return e;
  }
  return parsed;
}

}  // namespace holdfast::server
