// holdfast admin / holdfast portfolio load: journaled admin commands sent to a running server's
// admin port, so every change goes through the engine and the journal like any other command.
#include <fstream>
#include <iostream>

#include "cli/commands.h"
#include "client/client.h"
#include "gateway/admin_json.h"

namespace holdfast::cli {
namespace {

struct AdminOptions {
  std::string admin = "127.0.0.1:8584";
  // The old spellings, still accepted: --host and --port (override --admin's parts).
  std::string host;
  uint16_t port = 0;
  std::string request;
  std::string portfolio;
};

// --admin HOST:PORT, and the old --host / --port on top of it.
bool admin_address(const AdminOptions& o, client::AdminAddress* address) {
  if (!client::parse_admin_address(o.admin, address)) {
    std::cerr << "holdfast: --admin must be HOST:PORT, got '" << o.admin << "'\n";
    return false;
  }
  if (!o.host.empty()) address->host = o.host;
  if (o.port != 0) address->port = o.port;
  return true;
}

void add_admin_address_options(CLI::App* command, const std::shared_ptr<AdminOptions>& o) {
  auto* admin = command->add_option("--admin", o->admin, client::kAdminOptionHelp);
  // Old spellings, kept so scripts keep working; not listed in --help.
  admin->excludes(command->add_option("--host", o->host)->group(""));
  admin->excludes(command->add_option("--port", o->port)->group(""));
}

int send_requests(const AdminOptions& o, const std::vector<nlohmann::json>& requests) {
  client::AdminAddress address;
  if (!admin_address(o, &address)) return 2;
  auto client = client::AdminClient::connect(address.host, address.port);
  if (!client.ok()) {
    std::cerr << "holdfast: " << client.error().message << '\n';
    return 1;
  }
  int failures = 0;
  for (const auto& request : requests) {
    auto answer = client->call(request);
    if (!answer.ok()) {
      std::cerr << "holdfast: " << answer.error().message << '\n';
      return 1;
    }
    std::cout << answer->dump() << '\n';
    if (answer->contains("error") || (answer->contains("ok") && !(*answer)["ok"].get<bool>())) ++failures;
  }
  return failures == 0 ? 0 : 2;
}

}  // namespace

void add_admin_commands(CLI::App& app, int* exit_code) {
  auto o = std::make_shared<AdminOptions>();
  auto* admin = app.add_subcommand("admin", "Send one admin request (JSON) to a running server");
  admin->add_option("request", o->request, R"(e.g. '{"op":"get_account","account_id":1001}')")->required();
  add_admin_address_options(admin, o);
  admin->callback([o, exit_code] {
    const auto request = nlohmann::json::parse(o->request, nullptr, false);
    if (request.is_discarded() || !request.is_object()) {
      std::cerr << "holdfast: the request is not a JSON object\n";
      *exit_code = 2;
      return;
    }
    *exit_code = send_requests(*o, {request});
  });

  auto* portfolio = app.add_subcommand("portfolio", "Load a portfolio file into a running server");
  portfolio->add_option("file", o->portfolio, "Portfolio file (docs/PORTFOLIO.md)")->required();
  add_admin_address_options(portfolio, o);
  portfolio->callback([o, exit_code] {
    auto requests = gateway::read_portfolio(o->portfolio);
    if (!requests.ok()) {
      std::cerr << "holdfast: " << requests.error().field << ": " << requests.error().reason << '\n';
      *exit_code = 2;
      return;
    }
    *exit_code = send_requests(*o, *requests);
  });
}

}  // namespace holdfast::cli
