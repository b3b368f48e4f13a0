// PANs at rest: AES-256-GCM under the key store's active pan key.
//   EncryptedPan = 12-byte random nonce || ciphertext (the PAN's ASCII digits) || 16-byte tag,
//   with the additional authenticated data "holdfast-pan-v1".
// Decryption tries every pan key, active first (the GCM tag tells which key fits), so a
// rotated pan key keeps decrypting what older versions encrypted.
// Threading: pure functions over an immutable KeyStore.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "engine/command.h"
#include "security/key_store.h"

namespace holdfast::security {

// False when the store has no active pan key, the PAN is not 1-19 digits, or OpenSSL fails.
bool encrypt_pan(const KeyStore& keys, std::string_view pan, engine::EncryptedPan* out);
// The clear PAN, or nullopt when no pan key authenticates the ciphertext.
std::optional<std::string> decrypt_pan(const KeyStore& keys, const uint8_t* data, size_t size);

// For gateway::parse_admin_command: encrypts under the keys `ring` has in force at each call
// (so a reload_keys rotation applies to the next issue_card). Empty when `ring` is null.
using PanEncryptFn = std::function<bool(std::string_view pan, engine::EncryptedPan* out)>;
PanEncryptFn pan_encryptor(const KeyRing* ring);

}  // namespace holdfast::security
