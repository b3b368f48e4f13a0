// The journal's record of a command: a compact, versioned, little-endian encoding of a Command
// (engine/command.h). Decoding is strict: unknown version or tag, short or trailing bytes, and
// out-of-range enums are errors, never a crash (journal entries are checksummed, but a reader
// still does not trust them).
//
// Layout: u8 format version (1) | i64 time (us) | u8 body tag | body fields in declaration order.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "base/result.h"
#include "engine/command.h"

namespace holdfast::engine {

enum class CommandCodecErrc { bad_version, bad_tag, truncated, bad_value, trailing_bytes };
using CommandCodecError = Error<CommandCodecErrc>;

constexpr uint8_t kCommandFormatVersion = 3;  // 2: clearing, tokens, uplift requests; 3: DE 12 UTC offsets

// Appends the encoding of `command` to `out`.
void encode_command(const Command& command, std::vector<uint8_t>* out);
Result<Command, CommandCodecError> decode_command(std::span<const uint8_t> bytes);

}  // namespace holdfast::engine
