#include "iso8583/json.h"

#include <charconv>

#include "base/hex.h"

namespace holdfast::iso8583 {
namespace {

std::span<const uint8_t> as_bytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

// A field key is a DE number 2..128 written in decimal without sign or leading zeros.
int parse_field_number(std::string_view key) {
  int de = 0;
  const auto [end, ec] = std::from_chars(key.data(), key.data() + key.size(), de);
  const bool whole = ec == std::errc() && end == key.data() + key.size();
  if (!whole || key.empty() || key[0] == '0' || de < kMinField || de > kMaxField) return -1;
  return de;
}

Result<Ok, JsonError> set_field(const MessageSpec& spec, int de, const nlohmann::json& value, Message& msg) {
  if (!value.is_string()) return JsonError{de, "field " + std::to_string(de) + ": not a string"};
  const std::string& text = value.get_ref<const std::string&>();
  if (spec.field(de).type == FieldType::kB) {
    std::optional<std::vector<uint8_t>> bytes = from_hex(text);
    if (!bytes) return JsonError{de, "field " + std::to_string(de) + ": not hex"};
    msg.set(de, std::string_view(reinterpret_cast<const char*>(bytes->data()), bytes->size()));
  } else {
    msg.set(de, text);
  }
  std::string reason = check_field_value(spec, de, msg.get(de));
  if (!reason.empty()) return JsonError{de, "field " + std::to_string(de) + ": " + reason};
  return Ok{};
}

}  // namespace

nlohmann::json to_json(const MessageSpec& spec, const Message& msg) {
  nlohmann::json fields = nlohmann::json::object();
  for (auto [de, value] : msg.fields()) {
    const bool binary = spec.field(de).type == FieldType::kB;
    fields[std::to_string(de)] = binary ? to_hex(as_bytes(value)) : std::string(value);
  }
  return nlohmann::json{{"mti", std::string(msg.mti())}, {"fields", std::move(fields)}};
}

Result<Message, JsonError> from_json(const MessageSpec& spec, const nlohmann::json& doc) {
  if (!doc.is_object()) return JsonError{0, "message is not a JSON object"};
  const auto mti = doc.find("mti");
  if (mti == doc.end() || !mti->is_string()) return JsonError{0, "mti: missing or not a string"};
  Message msg;
  msg.set_mti(mti->get_ref<const std::string&>());
  if (msg.mti().size() != 4 || msg.mti().find_first_not_of("0123456789") != std::string::npos) {
    return JsonError{0, "mti: \"" + std::string(msg.mti()) + "\" is not four digits"};
  }
  const auto fields = doc.find("fields");
  if (fields == doc.end()) return msg;
  if (!fields->is_object()) return JsonError{0, "fields: not an object"};
  for (const auto& [key, value] : fields->items()) {
    const int de = parse_field_number(key);
    if (de < 0) return JsonError{0, "fields: \"" + key + "\" is not a data element 2..128"};
    if (auto r = set_field(spec, de, value, msg); !r.ok()) return r.error();
  }
  return msg;
}

}  // namespace holdfast::iso8583
