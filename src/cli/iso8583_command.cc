// holdfast iso8583 decode|encode: the codec on the command line.
#include <fstream>
#include <iostream>
#include <iterator>

#include "base/hex.h"
#include "cli/commands.h"
#include "iso8583/codec.h"
#include "iso8583/json.h"
#include "iso8583/spec.h"

namespace holdfast::cli {
namespace {

struct Iso8583Options {
  std::string spec = "iso87ascii";
  bool hex_given = false;  // --hex "" is an empty message, not a missing option
  std::string hex;
  std::string file;
};

const iso8583::MessageSpec* spec_or_complain(const std::string& name) {
  const auto* spec = iso8583::find_spec(name);
  if (spec == nullptr) {
    std::cerr << "holdfast: unknown spec '" << name << "'; known:";
    for (auto n : iso8583::spec_names()) std::cerr << ' ' << n;
    std::cerr << '\n';
  }
  return spec;
}

int decode_command(const Iso8583Options& o) {
  const auto* spec = spec_or_complain(o.spec);
  if (spec == nullptr) return 2;
  std::vector<uint8_t> bytes;
  if (o.hex_given) {
    auto parsed = from_hex(o.hex);
    if (!parsed) {
      std::cerr << "holdfast: --hex is not an even-length hex string\n";
      return 2;
    }
    bytes = std::move(*parsed);
  } else {
    std::ifstream in(o.file, std::ios::binary);
    if (!in) {
      std::cerr << "holdfast: cannot read " << o.file << '\n';
      return 1;
    }
    bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  auto message = iso8583::decode(*spec, bytes);
  if (!message.ok()) {
    std::cerr << "holdfast: " << iso8583::describe(message.error()) << '\n';
    return 2;
  }
  // Fields in data element order (the JSON object in to_json is sorted as text: "10" < "2").
  const nlohmann::json doc = iso8583::to_json(*spec, *message);
  nlohmann::ordered_json out;
  out["mti"] = doc["mti"];
  out["fields"] = nlohmann::ordered_json::object();
  for (auto [de, value] : message->fields()) {
    const std::string key = std::to_string(de);
    out["fields"][key] = doc["fields"][key].get<std::string>();
  }
  std::cout << out.dump() << '\n';
  return 0;
}

int encode_command(const Iso8583Options& o) {
  const auto* spec = spec_or_complain(o.spec);
  if (spec == nullptr) return 2;
  const std::string text((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
  const auto json = nlohmann::json::parse(text, nullptr, false);
  if (json.is_discarded()) {
    std::cerr << "holdfast: stdin is not JSON\n";
    return 2;
  }
  auto message = iso8583::from_json(*spec, json);
  if (!message.ok()) {
    std::cerr << "holdfast: " << message.error().reason << "\n";
    return 2;
  }
  auto bytes = iso8583::encode(*spec, *message);
  if (!bytes.ok()) {
    std::cerr << "holdfast: " << iso8583::describe(bytes.error()) << '\n';
    return 2;
  }
  std::cout << to_hex(*bytes) << '\n';
  return 0;
}

}  // namespace

void add_iso8583_commands(CLI::App& app, int* exit_code) {
  auto options = std::make_shared<Iso8583Options>();
  auto* iso = app.add_subcommand("iso8583", "Decode or encode ISO 8583 messages");
  iso->require_subcommand(1);
  auto* decode = iso->add_subcommand("decode", "Decode a message to JSON ({\"mti\":..,\"fields\":{..}})");
  decode->add_option("--spec", options->spec, "Message specification")->required();
  auto* hex = decode->add_option("--hex", options->hex, "The message as hex");
  decode->add_option("file", options->file, "A file holding the raw message bytes")->excludes(hex);
  decode->callback([options, hex, exit_code] {
    options->hex_given = hex->count() > 0;
    if (!options->hex_given && options->file.empty()) {
      std::cerr << "holdfast: give --hex HEX or a FILE\n";
      *exit_code = 2;
      return;
    }
    *exit_code = decode_command(*options);
  });
  auto* encode = iso->add_subcommand("encode", "Encode the JSON on stdin; prints upper-case hex");
  encode->add_option("--spec", options->spec, "Message specification")->required();
  encode->callback([options, exit_code] { *exit_code = encode_command(*options); });
}

}  // namespace holdfast::cli
