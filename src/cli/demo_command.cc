// holdfast demo: the main job on embedded defaults. Starts the server on a local data
// directory, loads the demo portfolio through the admin port, drives a scripted round of
// ISO 8583 traffic over TCP (approvals, declines, a duplicate, a reversal, an offline advice
// past the limit, a malformed request) and prints what happened and why.
#include <filesystem>
#include <iostream>

#include <fmt/format.h>

#include "cli/commands.h"
#include "cli/embedded.h"
#include "client/client.h"
#include "gateway/admin_json.h"
#include "server/server.h"

namespace holdfast::cli {
namespace {

struct DemoOptions {
  std::string data_dir = "holdfast-data";
  bool keep = false;
};

struct Step {
  std::string story;
  iso8583::Message request;
};

// DE 7 / DE 11 unique per run, so a rerun on the same data directory is new traffic.
class MessageFactory {
 public:
  explicit MessageFactory(uint32_t first_stan) : stan_(first_stan) {}
  iso8583::Message make(const char* mti, const char* pan, int64_t amount_minor, const char* mcc = "5411",
                        const char* country = "156", const char* currency = "156") {
    iso8583::Message m;
    m.set_mti(mti);
    m.set(2, pan);
    m.set(3, "000000");
    m.set(4, fmt::format("{:012}", amount_minor));
    m.set(7, transmission_time());
    m.set(11, fmt::format("{:06}", next_stan()));
    m.set(18, mcc);
    m.set(19, country);
    m.set(22, "051");
    m.set(25, "00");
    m.set(32, "12345678");
    m.set(37, fmt::format("DEMO{:08}", stan_));
    m.set(41, "TERM0001");
    m.set(42, "MERCHANT0000001");
    m.set(49, currency);
    return m;
  }
  iso8583::Message sign_on() {
    iso8583::Message m;
    m.set_mti("0800");
    m.set(7, transmission_time());
    m.set(11, fmt::format("{:06}", next_stan()));
    m.set(70, "001");
    return m;
  }
  iso8583::Message reversal_of(const iso8583::Message& original) {
    iso8583::Message r = original;
    r.set_mti("0400");
    r.set(11, fmt::format("{:06}", next_stan()));
    r.set(90, fmt::format("{}{}{}{:011}{:011}", original.mti(), original.get(11), original.get(7),
                          12345678, 0));
    return r;
  }

 private:
  uint32_t next_stan() { return stan_ = stan_ % 999'999 + 1; }
  static std::string transmission_time() {
    const auto t = std::time(nullptr);
    std::tm utc{};
    gmtime_r(&t, &utc);
    return fmt::format("{:02}{:02}{:02}{:02}{:02}", utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec);
  }
  uint32_t stan_;
};

std::string meaning(std::string_view rc) {
  static const std::pair<const char*, const char*> kCodes[] = {
      {"00", "approved"}, {"05", "do not honour"}, {"12", "invalid transaction"}, {"13", "invalid amount"},
      {"14", "invalid card number"}, {"25", "unable to locate record"}, {"30", "format error"},
      {"41", "lost card"}, {"43", "stolen card"}, {"51", "insufficient funds"}, {"54", "expired card"},
      {"57", "not permitted to cardholder"}, {"61", "exceeds amount limit"}, {"62", "restricted card"},
      {"91", "issuer inoperative"}, {"94", "duplicate transmission"}, {"96", "system malfunction"}};
  for (const auto& [code, text] : kCodes)
    if (rc == code) return text;
  return "?";
}

std::string masked(std::string_view pan) {
  if (pan.size() < 12) return std::string(pan);
  return std::string(pan.substr(0, 6)) + std::string(pan.size() - 10, '*') + std::string(pan.substr(pan.size() - 4));
}

std::vector<Step> script(MessageFactory& f) {
  const char* world = "6225880000000019";     // account 1001, CNY 600.00 limit
  const char* lost = "6225880000000027";      // account 1002, reported lost below
  const char* traveller = "6225880000000035"; // account 1003
  const char* domestic = "6226000000000013";  // account 1004, no card-not-present
  std::vector<Step> steps;
  steps.push_back({"acquirer link signs on", f.sign_on()});
  auto groceries = f.make("0100", world, 25'000);
  steps.push_back({"CNY 250 at a supermarket", groceries});
  steps.push_back({"CNY 400 more: over the CNY 600 limit", f.make("0100", world, 40'000)});
  steps.push_back({"the supermarket's request again (duplicate)", groceries});
  steps.push_back({"the supermarket reverses its CNY 250", f.reversal_of(groceries)});
  auto offline = f.make("0220", world, 300'000, "5732", "840", "840");
  offline.set(6, "000000300000");  // billed CNY 3,000.00 for USD
  offline.set(51, "156");
  offline.set(22, "071");
  steps.push_back({"offline advice abroad, CNY 3,000 (past the limit)", offline});
  steps.push_back({"CNY 100 on the card reported lost", f.make("0100", lost, 10'000)});
  steps.push_back({"a card number holdfast never issued", f.make("0100", "6225889999999999", 10'000)});
  steps.push_back({"hotel pre-authorisation CNY 1,500 (30-day hold)", f.make("0100", traveller, 150'000, "7011")});
  auto online = f.make("0100", domestic, 5'000, "5999");
  online.set(22, "812");
  online.set(25, "59");
  steps.push_back({"e-commerce on a card-present-only product", online});
  auto malformed = f.make("0100", world, 1'000);
  malformed.clear(4);
  steps.push_back({"a request without an amount (DE 4)", malformed});
  return steps;
}

int run_demo(const DemoOptions& o) {
  std::error_code ec;
  if (!o.keep) std::filesystem::remove_all(o.data_dir, ec);
  server::ServerConfig config;
  config.iso_port = 0;  // any free port: the demo must not fight a running server
  config.admin_port = 0;
  config.stats_log_interval_s = 3600;
  server::Server srv(o.data_dir, config);
  if (auto started = srv.start(); !started.ok()) {
    std::cerr << "holdfast: " << started.error().message << '\n';
    return 1;
  }
  fmt::print("holdfast serving ISO 8583 on 127.0.0.1:{} (2-byte length header, iso87binbitmap), "
             "admin on 127.0.0.1:{}, data in {}\n\n", srv.iso_port(), srv.admin_port(), o.data_dir);

  auto admin = client::AdminClient::connect("127.0.0.1", srv.admin_port());
  auto portfolio = gateway::parse_portfolio(kDemoPortfolio);
  if (!admin.ok() || !portfolio.ok()) {
    std::cerr << "holdfast: cannot load the demo portfolio\n";
    return 1;
  }
  size_t loaded = 0;
  for (const auto& request : *portfolio) {
    auto answer = admin->call(request);
    if (answer.ok() && answer->value("ok", false)) ++loaded;
  }
  const bool reported = admin->call({{"op", "set_card_status"}, {"card_id", 5002}, {"status", "lost"}}).ok();
  if (!reported) std::cerr << "holdfast: could not report card 5002 lost\n";
  fmt::print("demo portfolio: {} of {} records loaded (2 card ranges, 4 accounts, 4 cards); card 5002 reported lost\n\n",
             loaded, portfolio->size());

  const auto* spec = iso8583::find_spec(config.spec);
  auto iso = client::IsoClient::connect("127.0.0.1", srv.iso_port(), config.framing, *spec);
  if (!iso.ok()) {
    std::cerr << "holdfast: " << iso.error().message << '\n';
    return 1;
  }
  MessageFactory factory(static_cast<uint32_t>(std::time(nullptr) % 900'000));
  fmt::print("{:<52} {:<5} {:<17} {:>12}  {:<5} {:<28} {:>14}\n", "story", "MTI", "card", "amount", "->", "response", "open-to-buy");
  for (const Step& step : script(factory)) {
    auto reply = iso->exchange(step.request);
    if (!reply.ok()) {
      std::cerr << "holdfast: " << reply.error().message << '\n';
      return 1;
    }
    const std::string rc(reply->has(39) ? reply->get(39) : "--");
    std::string otb = "";
    if (reply->has(54) && reply->get(54).size() >= 20) {
      const auto de54 = reply->get(54);
      otb = fmt::format("{}{}.{}", de54[7] == 'D' ? "-" : "", std::stoll(std::string(de54.substr(8, 10))),
                        de54.substr(18, 2));
    }
    const std::string amount = step.request.has(4) ? fmt::format("{:.2f}", std::stod(std::string(step.request.get(4))) / 100) : "-";
    fmt::print("{:<52} {:<5} {:<17} {:>12}  {:<5} {:<28} {:>14}\n", step.story, step.request.mti(),
               step.request.has(2) ? masked(step.request.get(2)) : "", amount,
               std::string(reply->mti()), rc + " " + meaning(rc) + (reply->has(38) ? " " + std::string(reply->get(38)) : ""), otb);
  }
  fmt::print("\naccounts after the traffic (CNY minor units):\n");
  for (int id : {1001, 1002, 1003, 1004}) {
    auto a = admin->call({{"op", "get_account"}, {"account_id", id}});
    if (a.ok()) fmt::print("  {}\n", a->dump());
  }
  auto stats = admin->call({{"op", "stats"}});
  if (stats.ok()) fmt::print("\nengine: {}\n", stats->dump());
  srv.stop();
  fmt::print("\nstopped cleanly; journal and snapshot are in {} (run again with --keep to continue on them)\n", o.data_dir);
  return 0;
}

}  // namespace

void add_demo_command(CLI::App& app, int* exit_code) {
  auto o = std::make_shared<DemoOptions>();
  auto* demo = app.add_subcommand("demo", "Run the server on a demo portfolio and drive ISO 8583 traffic through it");
  demo->add_option("--data", o->data_dir, "Data directory (removed first unless --keep)");
  demo->add_flag("--keep", o->keep, "Keep the data directory's earlier state");
  demo->callback([o, exit_code] { *exit_code = run_demo(*o); });
}

}  // namespace holdfast::cli
