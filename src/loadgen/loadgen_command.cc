// `holdfast loadgen`: options, the portfolio load, the run, and the report (text or JSON).
#include <iostream>

#include <fmt/format.h>

#include "client/client.h"
#include "loadgen/loadgen.h"

namespace holdfast::loadgen {
namespace {

double us(uint64_t ns) { return static_cast<double>(ns) / 1e3; }

struct CommandOptions {
  LoadgenOptions run;
  std::string admin;        // --admin HOST:PORT; empty = --host with port 8584
  uint16_t admin_port = 0;  // --admin-port, the old spelling (port only, host from --host)
  bool load = true;
  bool json = false;
  std::string mix;
  std::string framing = "len2";
};

// "reversal=0.05,advice=0.02"
bool parse_mix(const std::string& text, LoadgenOptions* o, std::string* why) {
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find(',', start);
    if (end == std::string::npos) end = text.size();
    const std::string item = text.substr(start, end - start);
    start = end + 1;
    const size_t eq = item.find('=');
    if (eq == std::string::npos) {
      *why = "mix item '" + item + "' is not name=fraction";
      return false;
    }
    const std::string name = item.substr(0, eq);
    double value = 0;
    try {
      value = std::stod(item.substr(eq + 1));
    } catch (const std::exception&) {
      *why = "mix item '" + item + "' has no number";
      return false;
    }
    if (name == "reversal" || name == "reversals") {
      o->reversal_fraction = value;
    } else if (name == "advice" || name == "advices") {
      o->advice_fraction = value;
    } else {
      *why = "unknown mix item '" + name + "' (reversal, advice)";
      return false;
    }
  }
  return true;
}

nlohmann::json server_stats(const std::string& host, uint16_t admin_port) {
  auto admin = client::AdminClient::connect(host, admin_port);
  if (!admin.ok()) return nullptr;
  auto stats = admin->call({{"op", "stats"}}, 10'000);
  if (!stats.ok()) return nullptr;
  return *stats;
}

int run_command(CommandOptions& c) {
  auto framing = server::parse_framing(c.framing);
  if (!framing) {
    std::cerr << "holdfast loadgen: framing must be len2 or len4ascii\n";
    return 2;
  }
  c.run.framing = *framing;
  if (std::string why; !c.mix.empty() && !parse_mix(c.mix, &c.run, &why)) {
    std::cerr << "holdfast loadgen: " << why << '\n';
    return 2;
  }
  auto address = resolve_loopback(c.run.host);
  if (!address.ok()) {
    std::cerr << "holdfast loadgen: " << address.error().message << '\n';
    return 2;
  }
  client::AdminAddress admin{c.run.host, c.admin_port != 0 ? c.admin_port : uint16_t{8584}};
  if (!c.admin.empty() && !client::parse_admin_address(c.admin, &admin)) {
    std::cerr << "holdfast loadgen: --admin must be HOST:PORT, got '" << c.admin << "'\n";
    return 2;
  }
  if (auto admin_loopback = resolve_loopback(admin.host); !admin_loopback.ok()) {
    std::cerr << "holdfast loadgen: --admin: " << admin_loopback.error().message << '\n';
    return 2;
  }
  nlohmann::json load_json = nullptr;
  if (c.load) {
    auto loaded = load_portfolio(admin.host, admin.port, c.run.portfolio);
    if (!loaded.ok()) {
      std::cerr << "holdfast loadgen: loading the portfolio: " << loaded.error().message << '\n';
      return loaded.error().code == LoadgenErrc::bad_options ? 2 : 1;
    }
    load_json = {{"requests", loaded->requests},
                 {"created", loaded->created},
                 {"already_present", loaded->already_present},
                 {"seconds", loaded->seconds}};
    if (!c.json)
      fmt::print(stderr, "portfolio: {} cards ({} records created, {} already present) in {:.2f} s\n",
                 c.run.portfolio.cards, loaded->created, loaded->already_present, loaded->seconds);
  }
  auto result = run(c.run);
  if (!result.ok()) {
    std::cerr << "holdfast loadgen: " << result.error().message << '\n';
    return result.error().code == LoadgenErrc::bad_options || result.error().code == LoadgenErrc::not_loopback
               ? 2
               : 1;
  }
  const nlohmann::json stats = server_stats(admin.host, admin.port);
  if (c.json) {
    nlohmann::json out = to_json(*result);
    out["options"] = {{"host", c.run.host},
                      {"port", c.run.port},
                      {"connections", c.run.connections},
                      {"threads", c.run.threads},
                      {"rate", c.run.rate},
                      {"in_flight", c.run.in_flight},
                      {"duration_s", c.run.duration_s},
                      {"warmup_s", c.run.warmup_s},
                      {"cards", c.run.portfolio.cards},
                      {"reversal_fraction", c.run.reversal_fraction},
                      {"advice_fraction", c.run.advice_fraction},
                      {"timeout_ms", c.run.timeout_ms}};
    if (!load_json.is_null()) out["portfolio_load"] = load_json;
    if (!stats.is_null()) out["server_stats"] = stats;
    std::cout << out.dump() << '\n';
  } else {
    std::cout << to_text(*result);
    if (!stats.is_null() && stats.contains("server"))
      std::cout << "server: " << stats["server"].dump() << '\n';
  }
  return 0;
}

}  // namespace

nlohmann::json to_json(const LoadgenResult& r) {
  nlohmann::json kinds = nlohmann::json::object();
  for (size_t k = 0; k < kKinds; ++k) {
    const auto& x = r.kinds[k];
    if (x.sent == 0 && x.answered == 0) continue;
    kinds[kind_name(static_cast<Kind>(k))] = {
        {"sent", x.sent}, {"answered", x.answered}, {"approved", x.approved}, {"declined", x.declined}};
  }
  nlohmann::json codes = nlohmann::json::object();
  for (size_t k = 0; k < r.response_codes.size(); ++k)
    if (r.response_codes[k] > 0) codes[fmt::format("{:02}", k)] = r.response_codes[k];
  const Histogram& h = r.latency;
  return {{"mode", r.mode},
          {"target_rate", r.target_rate},
          {"duration_s", r.duration_s},
          {"connections", r.connections},
          {"sent", r.sent},
          {"answered", r.answered},
          {"approved", r.approved},
          {"declined", r.declined},
          {"by_kind", kinds},
          {"response_codes", codes},
          {"achieved_send_rate", r.achieved_send_rate},
          {"throughput", r.throughput},
          {"latency_us",
           {{"p50", us(h.percentile(0.50))},
            {"p90", us(h.percentile(0.90))},
            {"p99", us(h.percentile(0.99))},
            {"p99_9", us(h.percentile(0.999))},
            {"max", us(h.max())},
            {"mean", h.mean() / 1e3},
            {"min", us(h.min())},
            {"count", h.count()}}},
          {"errors",
           {{"timeouts", r.timeouts},
            {"late_replies", r.late_replies},
            {"unanswered", r.unanswered},
            {"not_sent", r.not_sent},
            {"unmatched", r.unmatched},
            {"decode_errors", r.decode_errors},
            {"connection_errors", r.connection_errors}}},
          {"warmup_sent", r.warmup_sent},
          {"max_send_lag_us", r.max_send_lag_us}};
}

std::string to_text(const LoadgenResult& r) {
  const Histogram& h = r.latency;
  std::string out;
  if (r.mode == "open")
    out += fmt::format("open loop at {:.0f}/s over {} connections for {:.1f} s\n", r.target_rate,
                       r.connections, r.duration_s);
  else
    out += fmt::format("closed loop (max throughput) over {} connections for {:.1f} s\n", r.connections,
                       r.duration_s);
  out += fmt::format("sent {}  answered {}  approved {}  declined {}\n", r.sent, r.answered, r.approved,
                     r.declined);
  for (size_t k = 0; k < kKinds; ++k) {
    const auto& x = r.kinds[k];
    if (x.sent == 0) continue;
    out += fmt::format("  {:<14} sent {}  answered {}  approved {}  declined {}\n",
                       kind_name(static_cast<Kind>(k)), x.sent, x.answered, x.approved, x.declined);
  }
  out +=
      fmt::format("achieved send rate {:.0f}/s  throughput {:.0f}/s\n", r.achieved_send_rate, r.throughput);
  out +=
      fmt::format("latency us: p50 {:.1f}  p90 {:.1f}  p99 {:.1f}  p99.9 {:.1f}  max {:.1f}  (mean {:.1f})\n",
                  us(h.percentile(0.5)), us(h.percentile(0.9)), us(h.percentile(0.99)),
                  us(h.percentile(0.999)), us(h.max()), h.mean() / 1e3);
  out += fmt::format(
      "errors: timeouts {}  late {}  unanswered {}  not sent {}  unmatched {}  decode {}  connection {}\n",
      r.timeouts, r.late_replies, r.unanswered, r.not_sent, r.unmatched, r.decode_errors,
      r.connection_errors);
  if (r.mode == "open") out += fmt::format("worst send lag behind schedule: {:.1f} us\n", r.max_send_lag_us);
  return out;
}

void add_loadgen_command(CLI::App& app, int* exit_code) {
  auto c = std::make_shared<CommandOptions>();
  auto* cmd = app.add_subcommand("loadgen",
                                 "Drive ISO 8583 load at a holdfast server on loopback and report latency");
  cmd->add_option("--host", c->run.host, "Server host (loopback only)")->capture_default_str();
  cmd->add_option("--port", c->run.port, "ISO 8583 port")->capture_default_str();
  auto* admin = cmd->add_option("--admin", c->admin,
                                "The server's admin port, HOST:PORT (portfolio load, server stats; "
                                "default: --host, port 8584)");
  // The old spelling (port only), kept so scripts keep working; not listed in --help.
  admin->excludes(cmd->add_option("--admin-port", c->admin_port)->group(""));
  cmd->add_option("--cards", c->run.portfolio.cards, "Cards in the generated portfolio (one account each)")
      ->capture_default_str();
  cmd->add_flag(
      "--no-load", [c](int64_t) { c->load = false; }, "Do not load the portfolio (already loaded)");
  cmd->add_option("--rate", c->run.rate, "Open loop: requests per second, all connections together")
      ->capture_default_str();
  cmd->add_option("--duration-s", c->run.duration_s, "Measured seconds (after the warm-up)")
      ->capture_default_str();
  cmd->add_option("--warmup-s", c->run.warmup_s, "Warm-up seconds (sent, not measured)")
      ->capture_default_str();
  cmd->add_option("--connections", c->run.connections, "TCP connections")->capture_default_str();
  cmd->add_option("--threads", c->run.threads, "Load generator threads")->capture_default_str();
  cmd->add_flag("--max", c->run.max_throughput,
                "Closed loop: keep --in-flight requests outstanding per connection");
  cmd->add_option("--in-flight", c->run.in_flight, "Closed loop: requests outstanding per connection")
      ->capture_default_str();
  cmd->add_option("--mix", c->mix,
                  "Fractions of other messages, e.g. reversal=0.05,advice=0.02 (rest: 0100)");
  cmd->add_option("--timeout-ms", c->run.timeout_ms, "A request unanswered this long is a timeout")
      ->capture_default_str();
  cmd->add_option("--drain-s", c->run.drain_s, "After the last send, wait this long for replies")
      ->capture_default_str();
  cmd->add_option("--min-sleep-us", c->run.min_sleep_us, "Open loop: least sleep between wake-ups")
      ->capture_default_str();
  cmd->add_option("--seed", c->run.seed, "Random seed (cards, amounts, mix)")->capture_default_str();
  cmd->add_option("--framing", c->framing, "len2 or len4ascii")->capture_default_str();
  cmd->add_option("--spec", c->run.spec, "ISO 8583 spec")->capture_default_str();
  cmd->add_flag("--json", c->json, "Print the result as one JSON object");
  cmd->callback([c, exit_code] { *exit_code = run_command(*c); });
}

}  // namespace holdfast::loadgen
