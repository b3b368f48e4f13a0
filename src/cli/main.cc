// holdfast: an issuer-side card processing system. See README.md for the reading order.
#include <iostream>

#include <CLI/CLI.hpp>

#include "cli/commands.h"
#include "crypto/crypto_cli.h"
#include "server/server.h"
#if HOLDFAST_HAS_LOADGEN
#include "loadgen/loadgen.h"
#endif

int main(int argc, char** argv) {
  CLI::App app{"holdfast: issuer authorisation on a real-time ledger"};
  app.require_subcommand(1);
  int exit_code = 0;

  std::string data_dir = "holdfast-data";
  std::string config_path;
  auto* serve = app.add_subcommand("serve", "Run the ISO 8583 authorisation server");
  serve->add_option("--data", data_dir, "Data directory (journal, snapshots, keys)");
  serve->add_option("--config", config_path, "Configuration file (JSON; see src/server/README.md)");
  serve->callback([&] { exit_code = holdfast::server::run_serve(data_dir, config_path); });

  auto* crypto =
      app.add_subcommand("crypto", "Card security operations: JSON lines on stdin, one answer per line");
  crypto->callback([&] { exit_code = holdfast::crypto::run_crypto_cli(std::cin, std::cout); });

  holdfast::cli::add_iso8583_commands(app, &exit_code);
  holdfast::cli::add_admin_commands(app, &exit_code);
  holdfast::cli::add_demo_command(app, &exit_code);
  holdfast::cli::add_keys_command(app, &exit_code);
  holdfast::cli::add_clearing_command(app, &exit_code);
  holdfast::cli::add_scenario_commands(app, &exit_code);
  holdfast::cli::add_rules_command(app, &exit_code);
#if HOLDFAST_HAS_LOADGEN
  holdfast::loadgen::add_loadgen_command(app, &exit_code);
#endif

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  return exit_code;
}
