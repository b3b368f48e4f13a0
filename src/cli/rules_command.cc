// `holdfast rules check FILE`: compiles a rule file (docs/rules.md) and prints
//   OK: N rules                 exit 0
//   FILE:LINE:COL: message      one line per error, exit 2
// An unreadable file is an operating error: exit 1.
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>

#include "cli/commands.h"
#include "risk/risk.h"

namespace holdfast::cli {
namespace {

int check_rules(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  if (!in || !(text << in.rdbuf())) {
    std::cerr << "holdfast rules: cannot read " << path << "\n";
    return 1;
  }
  const auto compiled = risk::RuleSet::compile(text.str());
  if (!compiled) {
    for (const auto& e : compiled.error())
      std::cout << path << ":" << e.line << ":" << e.column << ": " << e.message << "\n";
    return 2;
  }
  std::cout << "OK: " << compiled->rule_count() << " rules\n";
  return 0;
}

}  // namespace

void add_rules_command(CLI::App& app, int* exit_code) {
  auto* rules = app.add_subcommand("rules", "Risk rules (docs/rules.md)");
  rules->require_subcommand(1);
  auto* check =
      rules->add_subcommand("check", "Compile a rule file: OK with the rule count, or FILE:LINE:COL errors");
  auto path = std::make_shared<std::string>();
  check->add_option("FILE", *path, "Rule file")->required();
  check->callback([exit_code, path] { *exit_code = check_rules(*path); });
}

}  // namespace holdfast::cli
