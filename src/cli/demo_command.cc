// holdfast demo: the main job on embedded defaults. Creates a master key and a card security
// key store beside the data directory, starts the server on them, loads the demo portfolio
// through the admin port (its cards issued with PVVs), drives a scripted round of ISO 8583
// traffic over TCP (approvals, declines, a duplicate, a reversal, an offline advice past the
// limit, a malformed request, then CVV2, PIN and ARQC values that verify and some that do not)
// and prints what happened and why.
#include <openssl/rand.h>

#include <filesystem>
#include <iostream>
#include <optional>

#include <fmt/format.h>

#include "cli/commands.h"
#include "cli/embedded.h"
#include "client/client.h"
#include "crypto/cvv.h"
#include "crypto/digits.h"
#include "crypto/emv.h"
#include "crypto/pin_block.h"
#include "crypto/pin_verify.h"
#include "crypto/primitives.h"
#include "gateway/admin_json.h"
#include "security/key_store.h"
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
    r.set(90,
          fmt::format("{}{}{}{:011}{:011}", original.mti(), original.get(11), original.get(7), 12345678, 0));
    return r;
  }

 private:
  uint32_t next_stan() { return stan_ = stan_ % 999'999 + 1; }
  static std::string transmission_time() {
    const auto t = std::time(nullptr);
    std::tm utc{};
    gmtime_r(&t, &utc);
    return fmt::format("{:02}{:02}{:02}{:02}{:02}", utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min,
                       utc.tm_sec);
  }
  uint32_t stan_;
};

std::string meaning(std::string_view rc) {
  static const std::pair<const char*, const char*> kCodes[] = {{"00", "approved"},
                                                               {"05", "do not honour"},
                                                               {"12", "invalid transaction"},
                                                               {"13", "invalid amount"},
                                                               {"14", "invalid card number"},
                                                               {"25", "unable to locate record"},
                                                               {"30", "format error"},
                                                               {"41", "lost card"},
                                                               {"43", "stolen card"},
                                                               {"51", "insufficient funds"},
                                                               {"54", "expired card"},
                                                               {"55", "incorrect PIN"},
                                                               {"57", "not permitted to cardholder"},
                                                               {"61", "exceeds amount limit"},
                                                               {"62", "restricted card"},
                                                               {"75", "PIN tries exceeded"},
                                                               {"91", "issuer inoperative"},
                                                               {"94", "duplicate transmission"},
                                                               {"96", "system malfunction"}};
  for (const auto& [code, text] : kCodes)
    if (rc == code) return text;
  return "?";
}

std::string masked(std::string_view pan) {
  if (pan.size() < 12) return std::string(pan);
  return std::string(pan.substr(0, 6)) + std::string(pan.size() - 10, '*') +
         std::string(pan.substr(pan.size() - 4));
}

std::vector<Step> script(MessageFactory& f) {
  const char* world = "6225880000000019";      // account 1001, CNY 600.00 limit
  const char* lost = "6225880000000027";       // account 1002, reported lost below
  const char* traveller = "6225880000000035";  // account 1003
  const char* domestic = "6226000000000013";   // account 1004, no card-not-present
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
  steps.push_back(
      {"hotel pre-authorisation CNY 1,500 (30-day hold)", f.make("0100", traveller, 150'000, "7011")});
  auto online = f.make("0100", domestic, 5'000, "5999");
  online.set(22, "812");
  online.set(25, "59");
  steps.push_back({"e-commerce on a card-present-only product", online});
  auto malformed = f.make("0100", world, 1'000);
  malformed.clear(4);
  steps.push_back({"a request without an amount (DE 4)", malformed});
  return steps;
}

// Card security for the demo: a master key file and a key store in <data>/keys, with keys for
// the demo's card ranges (prefix 622) and its acquirer (DE 32 12345678). Created fresh unless
// --keep finds them. The demo, playing card and terminal, reads the clear keys back from the
// store to compute the values it sends.
constexpr const char* kDemoAcquirer = "12345678";
constexpr const char* kDemoPin = "2580";  // every demo card's PIN

struct DemoKeys {
  std::string master_key_file, key_store_file;
  std::optional<security::KeyStore> store;
  crypto::ByteSpan key(security::KeyType type, std::string_view pan) const {
    const auto keys =
        type == security::KeyType::zpk ? store->for_acquirer(kDemoAcquirer) : store->for_card(type, pan);
    return keys.empty() ? crypto::ByteSpan{} : keys.front()->key.span();
  }
};

std::optional<DemoKeys> demo_keys(const std::string& dir, bool keep) {
  DemoKeys k{dir + "/master.key", dir + "/keystore.json", std::nullopt};
  std::error_code ec;
  const bool reuse = keep && std::filesystem::exists(k.key_store_file, ec);
  if (!reuse) {
    std::filesystem::remove_all(dir, ec);
    std::filesystem::create_directories(dir, ec);
    std::filesystem::permissions(dir, std::filesystem::perms::owner_all, ec);
    if (auto made = security::create_master_key_file(k.master_key_file); !made) {
      std::cerr << "holdfast: " << made.error().message << '\n';
      return std::nullopt;
    }
  }
  auto kek = security::load_master_key({k.master_key_file, ""});
  if (!kek) {
    std::cerr << "holdfast: " << kek.error().message << '\n';
    return std::nullopt;
  }
  if (!reuse) {
    auto store = security::KeyStore::create(*kek);
    if (!store) return std::nullopt;
    const std::pair<security::KeyType, std::string> wanted[] = {{security::KeyType::cvk, "622"},
                                                                {security::KeyType::pvk, "622"},
                                                                {security::KeyType::imk_ac, "622"},
                                                                {security::KeyType::zpk, kDemoAcquirer},
                                                                {security::KeyType::pan, ""}};
    for (const auto& [type, scope] : wanted) {
      crypto::Bytes key(type == security::KeyType::pan ? 32 : 16);
      if (RAND_bytes(key.data(), static_cast<int>(key.size())) != 1) return std::nullopt;
      security::KeyStore::AddOptions add;
      add.type = type;
      add.scope = scope;
      auto added = store->add(*kek, add, key);
      crypto::cleanse(key);
      if (!added) {
        std::cerr << "holdfast: " << added.error().message << '\n';
        return std::nullopt;
      }
    }
    if (auto saved = store->save(k.key_store_file); !saved) {
      std::cerr << "holdfast: " << saved.error().message << '\n';
      return std::nullopt;
    }
  }
  auto loaded = security::KeyStore::load(k.key_store_file, *kek);
  if (!loaded) {
    std::cerr << "holdfast: " << loaded.error().message << '\n';
    return std::nullopt;
  }
  k.store.emplace(std::move(*loaded));
  return k;
}

// issue_card requests get the card's PVV for the demo PIN, PSN 01 and a chip service code.
void add_card_security(const DemoKeys& keys, nlohmann::json* request) {
  if (request->value("op", "") != "issue_card") return;
  const std::string pan = request->value("pan", "");
  const crypto::ByteSpan pvk = keys.key(security::KeyType::pvk, pan);
  if (pvk.size() != 16) return;
  auto pvv = crypto::compute_pvv({pan, kDemoPin, "1"}, pvk.first(8), pvk.last(8));
  if (!pvv) return;
  (*request)["pvv"] = *pvv;
  (*request)["pan_sequence_number"] = "01";
  (*request)["service_code"] = "201";
}

std::string wrong_digits(std::string v) {
  v[0] = v[0] == '9' ? '0' : static_cast<char>(v[0] + 1);
  return v;
}

std::string bytes_text(const crypto::Bytes& b) { return std::string(b.begin(), b.end()); }

// DE 52: the PIN in an ISO 9564 format 0 block under the acquirer's zone PIN key.
std::string pin_block(const DemoKeys& keys, const std::string& pin, const std::string& pan) {
  auto clear = crypto::encode_pin_block(crypto::PinBlockFormat::kIso0, pin, pan, "");
  if (!clear) return {};
  auto enciphered = crypto::des_ecb_encrypt(keys.key(security::KeyType::zpk, pan), *clear);
  crypto::cleanse(*clear);
  return enciphered ? bytes_text(*enciphered) : std::string();
}

// DE 55 of a Visa CVN 18 chip card (PSN 01) for `atc`, its ARQC made with the card's key.
std::string chip_data(const DemoKeys& keys, const std::string& pan, uint16_t atc, int64_t amount_minor) {
  const std::string atc_hex = fmt::format("{:04X}", atc);
  const std::string terminal = fmt::format("{:012}", amount_minor) + "000000000000" + "0156" + "0000000000" +
                               "0156" + "250101" + "00" + "5EED1234" + "1800" + atc_hex;
  const std::string iad = "06011203A00000";
  auto mk = crypto::derive_icc_master_key(keys.key(security::KeyType::imk_ac, pan), pan, "01",
                                          crypto::MasterKeyOption::kA);
  if (!mk) return {};
  crypto::Bytes r(8, 0);
  r[0] = static_cast<uint8_t>(atc >> 8);
  r[1] = static_cast<uint8_t>(atc & 0xFF);
  auto sk = crypto::derive_session_key_emv_csk(*mk, r);
  crypto::cleanse(*mk);
  if (!sk) return {};
  auto ac =
      crypto::generate_ac(*sk, crypto::concat(*crypto::pack_nibbles(terminal), *crypto::pack_nibbles(iad)),
                          crypto::AcPadding::kMethod2);
  crypto::cleanse(*sk);
  if (!ac) return {};
  auto tlv = [](const std::string& tag, const std::string& hex) {
    return tag + fmt::format("{:02X}", hex.size() / 2) + hex;
  };
  const std::string t = tlv("9F26", crypto::unpack_nibbles(*ac)) + tlv("9F27", "80") + tlv("9F10", iad) +
                        tlv("9F36", atc_hex) + tlv("9F02", terminal.substr(0, 12)) +
                        tlv("9F03", terminal.substr(12, 12)) + tlv("9F1A", terminal.substr(24, 4)) +
                        tlv("95", terminal.substr(28, 10)) + tlv("5F2A", terminal.substr(38, 4)) +
                        tlv("9A", terminal.substr(42, 6)) + tlv("9C", terminal.substr(48, 2)) +
                        tlv("9F37", terminal.substr(50, 8)) + tlv("82", terminal.substr(58, 4));
  return bytes_text(*crypto::pack_nibbles(t));
}

// Card security stories on the traveller's card (World credit, CNY 20,000): CVV2 in DE 48
// SE 92, PINs in DE 52, an ARQC in DE 55 (with `atc` one past the card's last).
std::vector<Step> security_script(MessageFactory& f, const DemoKeys& keys, uint16_t atc) {
  const std::string card = "6225880000000035";  // card 5003, expiry 2906
  const crypto::ByteSpan cvk = keys.key(security::KeyType::cvk, card);
  std::vector<Step> steps;
  if (cvk.size() != 16) return steps;  // a kept store without the demo's keys
  const std::string cvv2 =
      *crypto::compute_cvv({card, "2906", crypto::kCvv2ServiceCode}, cvk.first(8), cvk.last(8));
  auto online = [&](const std::string& cvv) {
    auto m = f.make("0100", card.c_str(), 12'000, "5999");
    m.set(22, "812");
    m.set(25, "59");
    m.set(48, "R9203" + cvv);
    return m;
  };
  steps.push_back({"e-commerce CNY 120 with the card's CVV2", online(cvv2)});
  steps.push_back({"e-commerce CNY 120 with a wrong CVV2", online(wrong_digits(cvv2))});
  auto with_pin = [&](const std::string& pin) {
    auto m = f.make("0100", card.c_str(), 8'000);
    m.set(52, pin_block(keys, pin, card));
    return m;
  };
  steps.push_back({"chip CNY 80 with the right PIN", with_pin(kDemoPin)});
  steps.push_back({"chip CNY 80 with a wrong PIN", with_pin(wrong_digits(kDemoPin))});
  auto chip = f.make("0100", card.c_str(), 6'600);
  chip.set(55, chip_data(keys, card, atc, 6'600));
  steps.push_back({"chip CNY 66 with a valid ARQC (Visa CVN 18)", chip});
  auto replay = f.make("0100", card.c_str(), 6'600);  // a new message (STAN) with the same chip data
  replay.set(55, chip.get(55));
  steps.push_back({"the same chip data again (replayed ATC)", replay});
  return steps;
}

int run_demo(const DemoOptions& o) {
  std::error_code ec;
  if (!o.keep) std::filesystem::remove_all(o.data_dir, ec);
  // The keys live beside the data directory, never in it: a copy of the directory must not carry
  // the master key (nor the PAN key, <data>.pan.key by default).
  const std::optional<DemoKeys> keys = demo_keys(o.data_dir + ".keys", o.keep);
  if (!keys) {
    std::cerr << "holdfast: cannot set up the demo's card security keys\n";
    return 1;
  }
  server::ServerConfig config;
  config.iso_port = 0;  // any free port: the demo must not fight a running server
  config.admin_port = 0;
  config.stats_log_interval_s = 3600;
  config.key_store_file = keys->key_store_file;
  config.master_key_file = keys->master_key_file;
  server::Server srv(o.data_dir, config);
  if (auto started = srv.start(); !started.ok()) {
    std::cerr << "holdfast: " << started.error().message << '\n';
    return 1;
  }
  fmt::print(
      "holdfast serving ISO 8583 on 127.0.0.1:{} (2-byte length header, iso87binbitmap), "
      "admin on 127.0.0.1:{}, data in {}\n\n",
      srv.iso_port(), srv.admin_port(), o.data_dir);

  auto admin = client::AdminClient::connect("127.0.0.1", srv.admin_port());
  auto portfolio = gateway::parse_portfolio(kDemoPortfolio);
  if (!admin.ok() || !portfolio.ok()) {
    std::cerr << "holdfast: cannot load the demo portfolio\n";
    return 1;
  }
  size_t loaded = 0;
  for (auto request : *portfolio) {
    add_card_security(*keys, &request);
    auto answer = admin->call(request);
    if (answer.ok() && answer->value("ok", false)) ++loaded;
  }
  const bool reported = admin->call({{"op", "set_card_status"}, {"card_id", 5002}, {"status", "lost"}}).ok();
  if (!reported) std::cerr << "holdfast: could not report card 5002 lost\n";
  fmt::print(
      "demo portfolio: {} of {} records loaded (2 card ranges, 4 accounts, 4 cards with PVVs for PIN {}); "
      "card 5002 reported lost\n",
      loaded, portfolio->size(), kDemoPin);
  fmt::print(
      "card security: master key and key store in {}.keys ({} keys: cvk, pvk, imk_ac for 622*, zpk for "
      "acquirer {}, pan)\n\n",
      o.data_dir, keys->store->entries().size(), kDemoAcquirer);
  uint16_t next_atc = 1;
  if (auto card = admin->call({{"op", "get_card"}, {"card_id", 5003}});
      card.ok() && card->contains("last_atc") && (*card)["last_atc"].is_number()) {
    next_atc = static_cast<uint16_t>((*card)["last_atc"].get<int>() + 1);
  }

  const auto* spec = iso8583::find_spec(config.spec);
  auto iso = client::IsoClient::connect("127.0.0.1", srv.iso_port(), config.framing, *spec);
  if (!iso.ok()) {
    std::cerr << "holdfast: " << iso.error().message << '\n';
    return 1;
  }
  MessageFactory factory(static_cast<uint32_t>(std::time(nullptr) % 900'000));
  fmt::print("{:<52} {:<5} {:<17} {:>12}  {:<5} {:<28} {:>14}\n", "story", "MTI", "card", "amount", "->",
             "response", "open-to-buy");
  std::vector<Step> steps = script(factory);
  for (Step& step : security_script(factory, *keys, next_atc)) steps.push_back(std::move(step));
  for (const Step& step : steps) {
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
    const std::string amount =
        step.request.has(4) ? fmt::format("{:.2f}", std::stod(std::string(step.request.get(4))) / 100) : "-";
    const std::string arpc = reply->has(55) ? " +ARPC" : "";
    fmt::print("{:<52} {:<5} {:<17} {:>12}  {:<5} {:<28} {:>14}\n", step.story, step.request.mti(),
               step.request.has(2) ? masked(step.request.get(2)) : "", amount, std::string(reply->mti()),
               rc + " " + meaning(rc) + (reply->has(38) ? " " + std::string(reply->get(38)) : "") + arpc,
               otb);
  }
  fmt::print("\naccounts after the traffic (CNY minor units):\n");
  for (int id : {1001, 1002, 1003, 1004}) {
    auto a = admin->call({{"op", "get_account"}, {"account_id", id}});
    if (a.ok()) fmt::print("  {}\n", a->dump());
  }
  auto stats = admin->call({{"op", "stats"}});
  if (stats.ok()) fmt::print("\nengine: {}\n", stats->dump());
  srv.stop();
  fmt::print(
      "\nstopped cleanly; journal and snapshot are in {}, the card security keys in {}.keys and "
      "the PAN key in {}.pan.key (run again with --keep to continue on them)\n",
      o.data_dir, o.data_dir, o.data_dir);
  return 0;
}

}  // namespace

void add_demo_command(CLI::App& app, int* exit_code) {
  auto o = std::make_shared<DemoOptions>();
  auto* demo =
      app.add_subcommand("demo", "Run the server on a demo portfolio and drive ISO 8583 traffic through it");
  demo->add_option("--data", o->data_dir, "Data directory (removed first unless --keep)");
  demo->add_flag("--keep", o->keep, "Keep the data directory's earlier state");
  demo->callback([o, exit_code] { *exit_code = run_demo(*o); });
}

}  // namespace holdfast::cli
