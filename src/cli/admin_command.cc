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
  std::string host = "127.0.0.1";
  uint16_t port = 8584;
  std::string request;
  std::string portfolio;
};

int send_requests(const AdminOptions& o, const std::vector<nlohmann::json>& requests) {
  auto client = client::AdminClient::connect(o.host, o.port);
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
  admin->add_option("--host", o->host, "Admin host");
  admin->add_option("--port", o->port, "Admin port");
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
  portfolio->add_option("--host", o->host, "Admin host");
  portfolio->add_option("--port", o->port, "Admin port");
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
