// Issuer keys at rest and in memory (PCI DSS minded).
//
// A key store is a JSON file (format in README.md) of keys, each wrapped under the master key
// (an AES-256 key-encryption key, KEK) with AES key wrap with padding (RFC 5649, OpenSSL
// EVP_aes_256_wrap_pad). The wrapped plaintext is one type byte followed by the key, so a
// wrapped blob moved to another entry's type does not unwrap. Each entry carries its key check
// value (KCV), which is re-computed and compared when the store is loaded.
//
// Keys are versioned per scope: a card range (PAN prefix; "" = every card) for cvk, pvk,
// imk_ac and pan keys, an acquirer id (DE 32) for zpk keys. One version per scope is active
// (used to create: PAN encryption); verification tries the active version first and then the
// older ones, so a rotation (add a version, make it active) never fails a card in flight.
//
// Secrets: the KEK lives only while a store is loaded or saved; clear keys live in Secret
// buffers that are cleansed when freed. No error message, exception text or log line made here
// contains key material (KCVs, ids, types and versions only).
// Threading: a loaded KeyStore is immutable and may be shared between threads; KeyRing
// (reloadable) hands out snapshots safely from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "crypto/crypto_error.h"
#include "crypto/pin_block.h"

namespace holdfast::security {

// Bytes that are cleansed (OPENSSL_cleanse) when destroyed or overwritten.
class Secret {
 public:
  Secret() = default;
  explicit Secret(crypto::Bytes bytes) : bytes_(std::move(bytes)) {}
  Secret(const Secret& other) : bytes_(other.bytes_) {}
  Secret(Secret&& other) noexcept : bytes_(std::move(other.bytes_)) {}
  Secret& operator=(Secret other) noexcept;
  ~Secret();
  crypto::ByteSpan span() const { return bytes_; }
  size_t size() const { return bytes_.size(); }
  bool empty() const { return bytes_.empty(); }

 private:
  crypto::Bytes bytes_;
};

struct KeyError {
  std::string message;  // never contains key material
};

enum class KeyType : uint8_t {
  cvk = 1,       // CVK pair A||B (16 bytes): CVV1, CVV2, iCVV
  pvk = 2,       // PVK pair A||B (16 bytes) + PVKI: Visa PVV
  imk_ac = 3,    // issuer master key for application cryptograms (16 bytes TDES, or SM4)
  zpk = 4,       // zone PIN key of one acquirer: TDES 16/24 bytes (ISO 0/1/3) or AES (ISO 4)
  pan = 5,       // AES-256 key encrypting PANs at rest (AES-256-GCM)
  imk_dcvv = 6,  // issuer master key for Visa dCVV (16 bytes TDES; card key: option A/B, PSN 00)
  imk_cvc3 = 7,  // issuer master key for Mastercard CVC3 (16 bytes TDES; card key with the PSN)
};
const char* key_type_name(KeyType t) noexcept;
std::optional<KeyType> parse_key_type(std::string_view name) noexcept;

// How a pvk verifies PINs by IBM 3624 offset (products with PinVerification::ibm3624_offset):
// the validation data is the PAN's digits from `validation_data_start` (0-based), at most
// `validation_data_length` of them, right-padded with `pad_char` to 16; the natural PIN's digits
// come through `decimalization_table`. Defaults: the common 0123456789012345 table, the PAN from
// its first digit, 'F' padding.
struct Ibm3624Settings {
  std::string decimalization_table = "0123456789012345";
  uint8_t validation_data_start = 0;
  uint8_t validation_data_length = 16;  // 1..16
  char pad_char = 'F';                  // one hex character
  friend bool operator==(const Ibm3624Settings&, const Ibm3624Settings&) = default;
};

struct KeyEntry {
  std::string id;  // "<type>/<scope>/v<version>", e.g. "cvk/622588/v2"
  KeyType type = KeyType::cvk;
  std::string scope;  // PAN prefix digits (cvk, pvk, imk_ac, pan; "" = all) or acquirer id (zpk)
  uint32_t version = 1;
  bool active = false;
  std::string kcv;          // 6 hex characters (TDES KCV for DES keys, AES KCV for AES keys)
  std::string pvki;         // pvk: the one-digit PIN verification key index
  Ibm3624Settings ibm3624;  // pvk: IBM 3624 offset verification settings
  crypto::PinBlockFormat pin_block_format = crypto::PinBlockFormat::kIso0;  // zpk
  std::string created;                                                      // ISO 8601 UTC, informational
  Secret key;           // clear key (in memory only; empty in a listing read without the KEK)
  std::string wrapped;  // hex of the RFC 5649 wrap, as stored
};

// The master key (KEK): 64 hex characters in a file (whitespace ignored) or, when `path` is
// empty, in the environment variable HOLDFAST_MASTER_KEY.
struct MasterKeySource {
  std::string path;
  std::string env_var = "HOLDFAST_MASTER_KEY";
};
Result<Secret, KeyError> load_master_key(const MasterKeySource& source);
// Writes a fresh random KEK as hex to `path` (created exclusively, mode 0600, fsynced).
Result<Ok, KeyError> create_master_key_file(const std::string& path);

// RFC 5649 with the type byte in front of the key (see above).
Result<crypto::Bytes, KeyError> wrap_key(const Secret& kek, KeyType type, crypto::ByteSpan key);
Result<Secret, KeyError> unwrap_key(const Secret& kek, KeyType type, crypto::ByteSpan wrapped);
// The KCV a key store shows for a key of this type (6 upper-case hex characters).
Result<std::string, KeyError> key_check_value(KeyType type, crypto::ByteSpan key);

class KeyStore {
 public:
  // An empty store bound to a KEK (its KCV is recorded in the file).
  static Result<KeyStore, KeyError> create(const Secret& kek);
  // Reads and unwraps every key; any bad entry (unknown type, failed unwrap, KCV mismatch,
  // two active versions of a scope) fails the whole load.
  static Result<KeyStore, KeyError> load(const std::string& path, const Secret& kek);
  static Result<KeyStore, KeyError> parse(std::string_view json_text, const Secret& kek);
  // The entries' metadata only (no KEK needed, no clear keys): for `holdfast keys list`.
  static Result<std::vector<KeyEntry>, KeyError> list(const std::string& path);

  // Adds `key` as the next version of (type, scope), active when `activate` (the previous
  // active version stays, inactive, for verification). Returns the new entry's id.
  struct AddOptions {
    KeyType type = KeyType::cvk;
    std::string scope;
    std::string pvki = "1";
    Ibm3624Settings ibm3624;  // pvk
    crypto::PinBlockFormat pin_block_format = crypto::PinBlockFormat::kIso0;
    bool activate = true;
  };
  Result<std::string, KeyError> add(const Secret& kek, const AddOptions& options, crypto::ByteSpan key);
  // Makes the entry with `id` the active version of its scope.
  Result<Ok, KeyError> activate(const std::string& id);
  // Writes the store (wrapped keys only) atomically: temp file, fsync, rename.
  Result<Ok, KeyError> save(const std::string& path) const;
  std::string to_json() const;

  const std::vector<KeyEntry>& entries() const { return entries_; }

  // Keys of `type` for the card with `pan`: the entries of the longest scope that prefixes the
  // PAN, active version first, then older versions newest first. Empty when none.
  std::vector<const KeyEntry*> for_card(KeyType type, std::string_view pan) const;
  // Zone PIN keys of the acquirer (DE 32 digits; leading zeros ignored), active first.
  std::vector<const KeyEntry*> for_acquirer(std::string_view acquirer_id) const;
  // The active PAN key (scope ""), or nullptr.
  const KeyEntry* active_pan_key() const;
  // Every PAN key, active first (decryption tries them in turn).
  std::vector<const KeyEntry*> pan_keys() const;

 private:
  std::string kek_kcv_;
  std::vector<KeyEntry> entries_;
};

// The running server's keys: loaded at start, reloaded on request (admin op "reload_keys")
// without stopping anything. A reload that fails keeps the keys in force.
class KeyRing {
 public:
  KeyRing(std::string store_path, MasterKeySource master);
  // Loads (or reloads) the store; returns the number of keys now in force.
  Result<size_t, KeyError> reload();
  // The keys in force; never null after a successful reload (an empty store before).
  std::shared_ptr<const KeyStore> current() const { return current_.load(); }

 private:
  std::string store_path_;
  MasterKeySource master_;
  std::atomic<std::shared_ptr<const KeyStore>> current_;
};

// Process hardening for a process that holds clear keys: no core dumps (RLIMIT_CORE 0).
void disable_core_dumps();

}  // namespace holdfast::security
