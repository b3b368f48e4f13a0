// ISO 9564-1 PIN blocks.
//  - Formats 0, 1, 2, 3: 8-byte clear blocks. Control nibble, PIN length, PIN, fill to 16
//    nibbles. Formats 0 and 3 XOR the PIN field with 0000 || the 12 rightmost PAN digits
//    excluding the check digit. Fill: format 0 and 2 'F'; format 1 any hex; format 3 'A'-'F'.
//  - Format 4: 16-byte AES block. PIN field 4 || L || PIN || 'A' fill to 16 nibbles || 8 random
//    bytes; PAN field M || PAN || zeros (M = len(PAN) - 12, PANs under 12 digits are left-padded
//    to 12 with M = 0); result = AES(K, AES(K, PIN field) XOR PAN field).
// Decoding checks the control nibble, the PIN length (4..12), the digits and the fill, and
// rejects the block otherwise (kFormatMismatch). Translation decrypts under one zone key,
// decodes, re-encodes in the target format and encrypts under the other key; the clear PIN
// exists only inside translate_pin_block and is cleansed there.
// Thread-safe; randomness for fills is supplied by the caller so results are reproducible.
#pragma once

#include <string>
#include <string_view>

#include "crypto/crypto_error.h"

namespace holdfast::crypto {

enum class PinBlockFormat : uint8_t { kIso0 = 0, kIso1 = 1, kIso2 = 2, kIso3 = 3, kIso4 = 4 };

// "0".."4" -> format; anything else is an error naming the value.
CryptoResult<PinBlockFormat> parse_pin_block_format(std::string_view text);

// Clear 8-byte block for formats 0-3. `pan` is used by formats 0 and 3 only. `fill` is exactly
// 14 - len(pin) hex nibbles for formats 1 and 3 (format 3: A-F) and must be empty otherwise.
CryptoResult<Bytes> encode_pin_block(PinBlockFormat format, std::string_view pin, std::string_view pan,
                                     std::string_view fill);
// Inverse of encode_pin_block for formats 0-3.
CryptoResult<std::string> decode_pin_block(PinBlockFormat format, ByteSpan clear_block, std::string_view pan);

// Format 4. aes_key 16/24/32 bytes; random_fill 8 bytes; pan 1..19 digits.
CryptoResult<Bytes> encipher_pin_block_format4(ByteSpan aes_key, std::string_view pin, std::string_view pan,
                                               ByteSpan random_fill);
CryptoResult<std::string> decipher_pin_block_format4(ByteSpan aes_key, ByteSpan enciphered,
                                                     std::string_view pan);

// A PIN zone: the format blocks travel in and the key they are encrypted under
// (TDES key for formats 0-3, AES key for format 4).
struct PinZone {
  PinBlockFormat format;
  ByteSpan key;
};

// Re-encrypts a PIN block from one zone to another, changing format if asked.
// fill_entropy: 8 caller-supplied random bytes used for the target's fill (formats 1, 3, 4).
CryptoResult<Bytes> translate_pin_block(ByteSpan enciphered, const PinZone& from, const PinZone& to,
                                        std::string_view pan, ByteSpan fill_entropy);

}  // namespace holdfast::crypto
