// JSON view of a message for the CLI and logs:
//   {"mti":"0100","fields":{"2":"4242424242424242","52":"0001020304050607"}}
// Binary fields are upper-case hex; every other field is its characters (codec canonical form:
// BCD digits without pad, track 2 with '='). from_json() is the reverse and checks each value
// against the spec as encode() would, naming the field in its error.
// Threading: pure functions.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "base/result.h"
#include "iso8583/codec.h"
#include "iso8583/message.h"
#include "iso8583/spec.h"

namespace holdfast::iso8583 {

struct JsonError {
  int field;  // 0 = MTI or the document's shape
  std::string reason;
};

nlohmann::json to_json(const MessageSpec& spec, const Message& msg);
[[nodiscard]] Result<Message, JsonError> from_json(const MessageSpec& spec, const nlohmann::json& doc);

// describe(const DecodeError&) lives in codec.h and is available through this header.

}  // namespace holdfast::iso8583
