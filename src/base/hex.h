// Hex encoding of bytes: upper-case out, either case in, strict about everything else.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace holdfast {

std::string to_hex(std::span<const uint8_t> bytes);
// Returns nullopt on odd length or a non-hex character.
std::optional<std::vector<uint8_t>> from_hex(std::string_view hex);
// Value of one hex digit, or -1.
int hex_digit_value(char c) noexcept;

}  // namespace holdfast
