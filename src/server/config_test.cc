// Configuration stories: defaults, overrides, and errors that name the key at fault.
#include "server/config.h"

#include <fstream>
#include <iterator>

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "engine/limits.h"

namespace holdfast::server {
namespace {

TEST(Config, EmptyObjectGivesTheDocumentedDefaults) {
  auto c = parse_server_config("{}");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->iso_address, "127.0.0.1");
  EXPECT_EQ(c->iso_port, 8583);
  EXPECT_EQ(c->admin_port, 8584);
  EXPECT_EQ(c->framing, Framing::len2);
  EXPECT_EQ(c->spec, "iso87binbitmap");
  EXPECT_EQ(c->io_threads, 1u);
  EXPECT_EQ(c->tick_interval_ms, 1000u);
  EXPECT_EQ(c->engine.default_hold_days, 7u);
}

TEST(Config, OverridesIncludingEngineSettings) {
  auto c = parse_server_config(R"({
    "iso_port": 0, "framing": "len4ascii", "spec": "iso87ascii", "io_threads": 2,
    "engine": {"default_hold_days": 5, "require_sign_on": true,
               "mcc_hold_rules": [{"mcc_low": 7011, "mcc_high": 7011, "hold_days": 28}]}
  })");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->iso_port, 0);
  EXPECT_EQ(c->framing, Framing::len4ascii);
  EXPECT_EQ(c->spec, "iso87ascii");
  EXPECT_EQ(c->io_threads, 2u);
  EXPECT_EQ(c->engine.default_hold_days, 5u);
  EXPECT_TRUE(c->engine.require_sign_on);
  ASSERT_EQ(c->engine.mcc_hold_rules.size(), 1u);
  EXPECT_EQ(c->engine.mcc_hold_rules[0].hold_days, 28u);
}

TEST(Config, ClearingBurstAndLegacySettings) {
  auto c = parse_server_config(R"({"engine": {
    "mode": "legacy", "burst_items": 4, "burst_window_s": 7200, "local_time_margin_s": 60, "currency_drift_bp": 500,
    "late_chargeback_only_over_limit": false, "legacy_refresh_hour": 2,
    "clearing_tolerance_rules": [{"mcc_low": 5542, "mcc_high": 5542, "card_present_bp": 1500, "card_not_present_bp": 0}]
  }})");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->engine.mode, engine::EngineMode::legacy);
  EXPECT_EQ(c->engine.burst_items, 4u);
  EXPECT_EQ(c->engine.burst_window_s, 7200u);
  EXPECT_EQ(c->engine.local_time_margin_s, 60u);
  EXPECT_EQ(c->engine.currency_drift_bp, 500u);
  EXPECT_FALSE(c->engine.late_chargeback_only_over_limit);
  EXPECT_EQ(c->engine.legacy_refresh_hour, 2u);
  ASSERT_EQ(c->engine.clearing_tolerance_rules.size(), 1u);
  EXPECT_EQ(c->engine.clearing_tolerance_rules[0].card_present_bp, 1500u);
  // Unset: the built-in scheme rules.
  EXPECT_TRUE(c->engine.scheme_rules_json.empty());
}

TEST(Config, ASchemeRulesFileIsCheckedAtStartUpAndTheErrorNamesTheJsonPath) {
  const std::string path = ::testing::TempDir() + "/bad-scheme-rules.json";
  {
    std::ofstream out(path);
    out << R"({"version": 1, "schemes": {"visa": {"no_authorisation_code": 11}}})";
  }
  auto r = parse_server_config(R"({"engine": {"scheme_rules_file": ")" + path + R"("}})");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().key, "engine.scheme_rules_file");
  EXPECT_NE(r.error().message.find("$."), std::string::npos) << r.error().message;
  const std::string good = std::string(HOLDFAST_TESTDATA_DIR) + "/../config/scheme-rules.json";
  auto ok = parse_server_config(R"({"engine": {"scheme_rules_file": ")" + good + R"("}})");
  ASSERT_TRUE(ok.ok()) << ok.error().message;
  EXPECT_FALSE(ok->engine.scheme_rules_json.empty());
}

// Issue 8 item 2: the scheme rules are journaled whole in one Configure command; a file past
// the bound stopped start-up with an abort in the journal. Now the configuration names it.
TEST(Config, SchemeRulesAndRuleListsPastTheCommandBoundsAreConfigErrors) {
  std::ifstream shipped(std::string(HOLDFAST_TESTDATA_DIR) + "/../config/scheme-rules.json",
                        std::ios::binary);
  std::string rules((std::istreambuf_iterator<char>(shipped)), std::istreambuf_iterator<char>());
  const std::string path = ::testing::TempDir() + "/large-scheme-rules.json";
  auto write = [&](size_t size) {
    std::string text = rules;
    text.resize(size, ' ');  // valid JSON: trailing whitespace
    std::ofstream(path, std::ios::binary) << text;
  };
  write(engine::limits::kMaxSchemeRulesBytes);
  auto at_bound = parse_server_config(R"({"engine": {"scheme_rules_file": ")" + path + R"("}})");
  ASSERT_TRUE(at_bound.ok()) << at_bound.error().message;
  write(engine::limits::kMaxSchemeRulesBytes + 1);
  auto past = parse_server_config(R"({"engine": {"scheme_rules_file": ")" + path + R"("}})");
  ASSERT_FALSE(past.ok());
  EXPECT_EQ(past.error().key, "engine.scheme_rules_file");
  EXPECT_NE(past.error().message.find(std::to_string(engine::limits::kMaxSchemeRulesBytes)),
            std::string::npos)
      << past.error().message;

  nlohmann::json rule{{"mcc_low", 4000}, {"mcc_high", 4999}, {"hold_days", 9}};
  nlohmann::json config{{"engine", {{"mcc_hold_rules", nlohmann::json::array()}}}};
  for (size_t i = 0; i <= engine::limits::kMaxMccHoldRules; ++i)
    config["engine"]["mcc_hold_rules"].push_back(rule);
  auto too_many = parse_server_config(config.dump());
  ASSERT_FALSE(too_many.ok());
  EXPECT_EQ(too_many.error().key, "engine.mcc_hold_rules");
}

TEST(Config, ErrorsNameTheKey) {
  struct Case {
    const char* json;
    const char* key;
  };
  for (const Case& c :
       {Case{R"({"iso_prot": 1})", "iso_prot"}, Case{R"({"iso_port": 70000})", "iso_port"},
        Case{R"({"framing": "len3"})", "framing"}, Case{R"({"spec": "iso2003"})", "spec"},
        Case{R"({"io_threads": 0})", "io_threads"},
        Case{R"({"engine": {"default_hold_days": "7"}})", "engine.default_hold_days"},
        Case{R"({"engine": {"hold": 1}})", "engine.hold"},
        Case{R"({"engine": {"mcc_hold_rules": [{"mcc_low": 1}]}})", "engine.mcc_hold_rules[0].mcc_high"},
        Case{R"({"engine": {"mode": "t+1"}})", "engine.mode"},
        Case{R"({"engine": {"burst_window_s": 0}})", "engine.burst_window_s"},
        Case{R"({"engine": {"local_time_margin_s": 86401}})", "engine.local_time_margin_s"},
        Case{R"({"engine": {"clearing_tolerance_rules": [{"mcc_low": 5812, "mcc_high": 5812,
                             "card_present_bp": 2000}]}})",
             "engine.clearing_tolerance_rules[0].card_not_present_bp"},
        Case{R"({"engine": {"scheme_rules_file": "/nonexistent/rules.json"}})",
             "engine.scheme_rules_file"}}) {
    auto r = parse_server_config(c.json);
    ASSERT_FALSE(r.ok()) << c.json;
    EXPECT_EQ(r.error().key, c.key) << r.error().message;
    EXPECT_NE(r.error().message.find(c.key), std::string::npos) << r.error().message;
  }
  EXPECT_EQ(parse_server_config("{not json").error().code, ConfigErrc::bad_json);
}

}  // namespace
}  // namespace holdfast::server
