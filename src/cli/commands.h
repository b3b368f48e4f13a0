// Subcommands of the holdfast executable. Each registers itself on the CLI11 app and runs from
// a callback; exit codes: 0 ok, 1 operating error, 2 bad input (malformed message or request).
#pragma once

#include <CLI/CLI.hpp>

namespace holdfast::cli {

void add_iso8583_commands(CLI::App& app, int* exit_code);
void add_admin_commands(CLI::App& app, int* exit_code);
void add_demo_command(CLI::App& app, int* exit_code);
void add_keys_command(CLI::App& app, int* exit_code);
void add_clearing_command(CLI::App& app, int* exit_code);
void add_scenario_commands(CLI::App& app, int* exit_code);
void add_rules_command(CLI::App& app, int* exit_code);

}  // namespace holdfast::cli
