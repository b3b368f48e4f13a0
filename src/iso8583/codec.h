// ISO 8583 wire codec: interprets a MessageSpec (spec.h) to turn bytes into a Message
// (message.h) and back. This is the only place that knows about the wire.
//
// decode() is strict, the issuer-safe choice: truncation, bad length digits, a length over the
// field's maximum, a non-digit in n, a byte outside printable ASCII in an/ans, a non-hex bitmap
// character, bit 65, a field the spec does not define, a non-zero BCD pad nibble and trailing
// bytes after the last field are all errors. It never reads outside the input, whatever the
// bytes. encode() validates the same rules, so decode(encode(m)) == m for every message
// encode() accepts, and encode(decode(b)) == b for every b decode() accepts (up to the letter
// case of hex digits: lower-case hex is accepted, upper-case is written).
//
// Threading: stateless functions; specs are immutable, messages are caller-owned.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "iso8583/message.h"
#include "iso8583/spec.h"

namespace holdfast::iso8583 {

// Ordered roughly by where in the message the check happens.
enum class DecodeErrc : uint8_t {
  kTruncated,        // fewer bytes left than the MTI, bitmap, prefix or value needs
  kBadMti,           // MTI not four digits
  kBadBitmap,        // non-hex character in an ASCII bitmap
  kTertiaryBitmap,   // bit 65 set
  kUndefinedField,   // bitmap names a DE the spec does not define
  kBadLengthPrefix,  // length prefix is not digits
  kTooLong,          // length over the field's maximum
  kBadCharacter,     // content does not fit the field type (n, an/ans, z, x+n, hex)
  kBadPadding,       // BCD pad nibble is not 0
  kTrailingBytes,    // bytes left after the last field
};

struct DecodeError {
  DecodeErrc code;
  int field;      // 0 = MTI, 1 = bitmap, else the DE
  size_t offset;  // byte offset in the input where the problem was found
  std::string reason;
};

enum class EncodeErrc : uint8_t {
  kBadMti,
  kUndefinedField,
  kBadLength,     // fixed field of the wrong size, variable field over its maximum
  kBadCharacter,  // content does not fit the field type
};

struct EncodeError {
  EncodeErrc code;
  int field;  // 0 = MTI
  std::string reason;
};

[[nodiscard]] Result<Message, DecodeError> decode(const MessageSpec& spec, std::span<const uint8_t> wire);
// Hot-path form: decodes into `out`, reusing its buffer. On error `out` holds what was read
// so far, the failing field included: use salvage() to answer a malformed message.
[[nodiscard]] Result<Ok, DecodeError> decode_into(const MessageSpec& spec, std::span<const uint8_t> wire,
                                                  Message& out);

// For a message decode() refused: reads into `out` the MTI and every field that can still be
// located and is valid on its own, so that a server can answer with response code 30 (format
// error) echoing only fields that encode. A fixed-length field is located by its spec length
// whatever its content (and kept only if that content is valid); a variable-length field needs
// a valid length prefix within its maximum. Reading stops at the first field that cannot be
// located (bad or too long prefix, a field the spec does not define, truncation: a field the
// bitmap announces that is not there), keeping what came before. Returns false when the MTI
// itself is not readable (then `out` is empty).
bool salvage(const MessageSpec& spec, std::span<const uint8_t> wire, Message& out);

[[nodiscard]] Result<std::vector<uint8_t>, EncodeError> encode(const MessageSpec& spec, const Message& msg);
// Appends the encoded message to `out` (no reallocation when its capacity suffices). On
// error `out` is restored to its original size.
[[nodiscard]] Result<Ok, EncodeError> encode_into(const MessageSpec& spec, const Message& msg,
                                                  std::vector<uint8_t>& out);

// Checks one value against its field definition, as encode() does. Empty string = fine,
// otherwise the reason ("length 5, fixed length is 6").
std::string check_field_value(const MessageSpec& spec, int de, std::string_view value);

// "field 35 at offset 57: length 38 exceeds maximum 37", "MTI at offset 0: ...",
// "bitmap at offset 4: ...".
std::string describe(const DecodeError& error);
std::string describe(const EncodeError& error);

}  // namespace holdfast::iso8583
