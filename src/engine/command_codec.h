// The journal's record of a command: a compact, versioned, little-endian encoding of a Command
// (engine/command.h). Decoding is strict: unknown version or tag, short or trailing bytes, and
// out-of-range enums are errors, never a crash (journal entries are checksummed, but a reader
// still does not trust them).
//
// Layout: u8 format version (1) | i64 time (us) | u8 body tag | body fields in declaration order.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/result.h"
#include "engine/command.h"

namespace holdfast::engine {

enum class CommandCodecErrc { bad_version, bad_tag, truncated, bad_value, trailing_bytes };
using CommandCodecError = Error<CommandCodecErrc>;

constexpr uint8_t kCommandFormatVersion = 3;  // 2: clearing, tokens, uplift requests; 3: DE 12 UTC offsets

// A field beyond its bound in limits.h, named as the admin JSON and the server configuration
// name it ("product.floor_limits", "engine.scheme_rules_file"), with the bound in the reason.
struct LimitViolation {
  std::string field;
  std::string reason;
};
// The first field of `body` beyond its bound, if any. Every edge that makes a command (admin
// JSON, server configuration, the engine loop before journaling) checks it: a command within
// the bounds always encodes to at most limits::kMaxCommandBytes and always decodes again.
std::optional<LimitViolation> find_limit_violation(const CommandBody& body);
std::optional<LimitViolation> find_limit_violation(const EngineConfig& config);

// Appends the encoding of `command` to `out`.
// REQUIRES: !find_limit_violation(command.body) (the edges refuse such commands).
void encode_command(const Command& command, std::vector<uint8_t>* out);
Result<Command, CommandCodecError> decode_command(std::span<const uint8_t> bytes);

}  // namespace holdfast::engine
