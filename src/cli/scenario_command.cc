// holdfast scenario: replays the seed's attacks through the real engine, in holdfast mode, in
// the legacy mode that behaves like the seed's issuer, or both side by side.
#include <iostream>

#include <fmt/format.h>

#include "cli/commands.h"
#include "scenario/scenario.h"

namespace holdfast::cli {
namespace {

std::string yuan(int64_t minor) { return fmt::format("{}.{:02}", minor / 100, minor % 100); }

void print_table(const scenario::ScenarioReport& h, const scenario::ScenarioReport& l) {
  auto row = [](const char* what, const std::string& a, const std::string& b) {
    std::cout << fmt::format("  {:<26} {:>16} {:>16}\n", what, a, b);
  };
  std::cout << fmt::format("{} ({}; limit {})\n", h.scenario, currency_alpha(h.currency),
                           yuan(h.credit_limit_minor));
  row("", "holdfast", "legacy");
  row("gross fraud", yuan(h.gross_fraud_minor), yuan(l.gross_fraud_minor));
  row("recovered (chargebacks)", yuan(h.recovered_minor), yuan(l.recovered_minor));
  row("issuer loss", yuan(h.issuer_loss_minor), yuan(l.issuer_loss_minor));
  row("most over the limit", yuan(h.max_over_limit_minor), yuan(l.max_over_limit_minor));
  row("chargebacks raised", std::to_string(h.chargebacks_raised), std::to_string(l.chargebacks_raised));
  row("fraud attempts / done", fmt::format("{} / {}", h.fraud_attempts, h.fraud_completed),
      fmt::format("{} / {}", l.fraud_attempts, l.fraud_completed));
  row("card blocked at",
      h.card_blocked_at ? scenario::to_json(h)["card_blocked_at"].get<std::string>() : "never",
      l.card_blocked_at ? scenario::to_json(l)["card_blocked_at"].get<std::string>() : "never");
  row("uplifts granted / refused", fmt::format("{} / {}", h.uplifts_granted, h.uplifts_refused),
      fmt::format("{} / {}", l.uplifts_granted, l.uplifts_refused));
  row("genuine purchases declined", std::to_string(h.legitimate_declined),
      std::to_string(l.legitimate_declined));
}

}  // namespace

void add_scenario_commands(CLI::App& app, int* exit_code) {
  auto* cmd =
      app.add_subcommand("scenario", "Replay a scripted attack through the engine (holdfast vs legacy)");
  cmd->require_subcommand(1);
  auto* list = cmd->add_subcommand("list", "The scenarios and what each replays");
  list->callback([] {
    for (const auto& s : scenario::scenarios()) std::cout << s.name << ": " << s.summary << "\n";
  });
  auto* run = cmd->add_subcommand("run", "Run one scenario and print its report");
  static std::string name;
  static std::string mode = "both";
  static bool json = false;
  run->add_option("name", name, "Scenario name (holdfast scenario list)")->required();
  run->add_option("--mode", mode, "holdfast, legacy or both")
      ->check(CLI::IsMember({"holdfast", "legacy", "both"}));
  run->add_flag("--json", json, "One JSON object per mode (a JSON line each)");
  run->callback([exit_code] {
    std::vector<engine::EngineMode> modes;
    if (mode != "legacy") modes.push_back(engine::EngineMode::holdfast);
    if (mode != "holdfast") modes.push_back(engine::EngineMode::legacy);
    std::vector<scenario::ScenarioReport> reports;
    for (engine::EngineMode m : modes) {
      auto report = scenario::run_scenario(name, m);
      if (!report.ok()) {
        std::cerr << "holdfast scenario: " << report.error() << "\n";
        *exit_code = 2;
        return;
      }
      reports.push_back(std::move(report).value());
    }
    if (json) {
      for (const auto& r : reports) std::cout << scenario::to_json(r).dump() << "\n";
    } else if (reports.size() == 2) {
      print_table(reports[0], reports[1]);
    } else {
      std::cout << scenario::to_json(reports[0]).dump(2) << "\n";
    }
  });
}

}  // namespace holdfast::cli
