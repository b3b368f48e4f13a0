#include "security/key_store.h"

#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <map>
#include <sstream>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <nlohmann/json.hpp>

#include "crypto/digits.h"
#include "crypto/keys.h"

namespace holdfast::security {
namespace {

using nlohmann::json;
constexpr const char* kFormat = "holdfast-keystore";
constexpr int kFormatVersion = 1;

struct Fd {
  int fd;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

std::string errno_text(const std::string& what, const std::string& path) {
  return what + " " + path + ": " + std::strerror(errno);
}

std::string now_utc() {
  const std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string strip_leading_zeros(std::string_view digits) {
  const size_t first = digits.find_first_not_of('0');
  return first == std::string_view::npos ? std::string("0") : std::string(digits.substr(first));
}

bool all_digits(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// Valid clear-key sizes per type.
bool key_size_ok(KeyType type, size_t n, crypto::PinBlockFormat format) {
  switch (type) {
    case KeyType::cvk:
    case KeyType::pvk:
    case KeyType::imk_ac:
    case KeyType::imk_dcvv:
    case KeyType::imk_cvc3: return n == 16;
    case KeyType::zpk:
      return format == crypto::PinBlockFormat::kIso4 ? (n == 16 || n == 24 || n == 32) : (n == 16 || n == 24);
    case KeyType::pan: return n == 32;
  }
  return false;
}

bool is_aes(KeyType type, crypto::PinBlockFormat format) {
  return type == KeyType::pan || (type == KeyType::zpk && format == crypto::PinBlockFormat::kIso4);
}

Result<std::string, KeyError> kcv_for(KeyType type, crypto::PinBlockFormat format, crypto::ByteSpan key) {
  auto kcv = is_aes(type, format) ? crypto::kcv_aes(key, 3) : crypto::kcv_des(key, 3);
  if (!kcv) return KeyError{"cannot compute a key check value (wrong key length)"};
  return crypto::unpack_nibbles(*kcv);
}

std::string kek_kcv(const Secret& kek) {
  auto kcv = crypto::kcv_aes(kek.span(), 3);
  return kcv ? crypto::unpack_nibbles(*kcv) : std::string();
}

struct Fail {
  std::string message;
};

std::string str(const json& e, const char* name, bool required = true) {
  auto it = e.find(name);
  if (it == e.end()) {
    if (required) throw Fail{std::string("missing \"") + name + "\""};
    return {};
  }
  if (!it->is_string()) throw Fail{std::string("\"") + name + "\" must be a string"};
  return it->get<std::string>();
}

// Empty when the settings are usable, else what is wrong (no key material in it).
std::string ibm3624_problem(const Ibm3624Settings& s) {
  if (s.decimalization_table.size() != 16 || !all_digits(s.decimalization_table))
    return "decimalization_table must be 16 digits";
  if (s.validation_data_start > 18) return "validation_data_start must be 0..18";
  if (s.validation_data_length < 1 || s.validation_data_length > 16)
    return "validation_data_length must be 1..16";
  if (!std::isxdigit(static_cast<unsigned char>(s.pad_char))) return "pad_char must be one hex character";
  return {};
}

uint8_t small_number(const json& e, const char* name, uint8_t fallback) {
  auto it = e.find(name);
  if (it == e.end()) return fallback;
  if (!it->is_number_unsigned() || it->get<uint64_t>() > 255)
    throw Fail{std::string("\"") + name + "\" must be a small non-negative integer"};
  return static_cast<uint8_t>(it->get<uint64_t>());
}

// Reads an entry's metadata (not the key).
KeyEntry entry_metadata(const json& e) {
  if (!e.is_object()) throw Fail{"a key entry must be an object"};
  KeyEntry k;
  k.id = str(e, "id");
  const auto type = parse_key_type(str(e, "type"));
  if (!type) throw Fail{"key " + k.id + ": unknown type"};
  k.type = *type;
  k.scope = str(e, "scope", false);
  if (!all_digits(k.scope)) throw Fail{"key " + k.id + ": scope must be digits"};
  auto v = e.find("version");
  if (v == e.end() || !v->is_number_unsigned() || v->get<uint64_t>() == 0 || v->get<uint64_t>() > 1'000'000) {
    throw Fail{"key " + k.id + ": version must be a positive integer"};
  }
  k.version = static_cast<uint32_t>(v->get<uint64_t>());
  auto a = e.find("active");
  if (a == e.end() || !a->is_boolean()) throw Fail{"key " + k.id + ": active must be true or false"};
  k.active = a->get<bool>();
  k.kcv = str(e, "kcv");
  k.wrapped = str(e, "wrapped");
  k.created = str(e, "created", false);
  if (k.type == KeyType::pvk) {
    k.pvki = str(e, "pvki");
    if (k.pvki.size() != 1 || !all_digits(k.pvki)) throw Fail{"key " + k.id + ": pvki must be one digit"};
    Ibm3624Settings& ibm = k.ibm3624;
    const std::string table = str(e, "decimalization_table", false);
    if (!table.empty()) ibm.decimalization_table = table;
    ibm.validation_data_start = small_number(e, "validation_data_start", ibm.validation_data_start);
    ibm.validation_data_length = small_number(e, "validation_data_length", ibm.validation_data_length);
    const std::string pad = str(e, "pad_char", false);
    if (pad.size() > 1) throw Fail{"key " + k.id + ": pad_char must be one hex character"};
    if (pad.size() == 1) ibm.pad_char = pad[0];
    if (const std::string why = ibm3624_problem(ibm); !why.empty()) throw Fail{"key " + k.id + ": " + why};
  }
  if (k.type == KeyType::zpk) {
    const std::string f = str(e, "pin_block_format", false);
    auto format = crypto::parse_pin_block_format(f.empty() ? "0" : f);
    if (!format || *format == crypto::PinBlockFormat::kIso2) {
      throw Fail{"key " + k.id + ": pin_block_format must be 0, 1, 3 or 4"};
    }
    k.pin_block_format = *format;
  }
  return k;
}

std::string make_id(KeyType type, const std::string& scope, uint32_t version) {
  return std::string(key_type_name(type)) + "/" + (scope.empty() ? "*" : scope) + "/v" +
         std::to_string(version);
}

// Active first, then newest first.
void order(std::vector<const KeyEntry*>& keys) {
  std::sort(keys.begin(), keys.end(), [](const KeyEntry* a, const KeyEntry* b) {
    if (a->active != b->active) return a->active;
    return a->version > b->version;
  });
}

Result<std::string, KeyError> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return KeyError{"cannot read key store " + path};
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

Secret& Secret::operator=(Secret other) noexcept {
  if (!bytes_.empty()) OPENSSL_cleanse(bytes_.data(), bytes_.size());
  bytes_ = std::move(other.bytes_);
  return *this;
}

Secret::~Secret() {
  if (!bytes_.empty()) OPENSSL_cleanse(bytes_.data(), bytes_.size());
}

const char* key_type_name(KeyType t) noexcept {
  switch (t) {
    case KeyType::cvk: return "cvk";
    case KeyType::pvk: return "pvk";
    case KeyType::imk_ac: return "imk_ac";
    case KeyType::imk_dcvv: return "imk_dcvv";
    case KeyType::imk_cvc3: return "imk_cvc3";
    case KeyType::zpk: return "zpk";
    case KeyType::pan: return "pan";
  }
  return "?";
}

std::optional<KeyType> parse_key_type(std::string_view name) noexcept {
  for (KeyType t : {KeyType::cvk, KeyType::pvk, KeyType::imk_ac, KeyType::zpk, KeyType::pan,
                    KeyType::imk_dcvv, KeyType::imk_cvc3}) {
    if (name == key_type_name(t)) return t;
  }
  return std::nullopt;
}

Result<Secret, KeyError> load_master_key(const MasterKeySource& source) {
  std::string text;
  if (!source.path.empty()) {
    std::ifstream in(source.path, std::ios::binary);
    if (!in) return KeyError{"cannot read master key file " + source.path};
    std::ostringstream s;
    s << in.rdbuf();
    text = s.str();
  } else {
    const char* v = std::getenv(source.env_var.c_str());
    if (v == nullptr) {
      return KeyError{"no master key: set " + source.env_var + " or configure master_key_file"};
    }
    text = v;
  }
  std::string hex;
  for (char c : text) {
    if (c != ' ' && c != '\n' && c != '\r' && c != '\t') hex.push_back(c);
  }
  OPENSSL_cleanse(text.data(), text.size());
  const std::string where = source.path.empty() ? source.env_var : "master key file " + source.path;
  if (hex.size() != 64 || !crypto::is_hex_digits(hex)) {
    OPENSSL_cleanse(hex.data(), hex.size());
    return KeyError{where + " must hold 64 hex characters (an AES-256 key)"};
  }
  auto bytes = crypto::pack_nibbles(hex);
  OPENSSL_cleanse(hex.data(), hex.size());
  if (!bytes) return KeyError{where + " is not hex"};
  return Secret(std::move(*bytes));
}

Result<Ok, KeyError> create_master_key_file(const std::string& path) {
  crypto::Bytes key(32);
  if (RAND_bytes(key.data(), static_cast<int>(key.size())) != 1) return KeyError{"RAND_bytes failed"};
  const Secret secret(std::move(key));
  std::string hex = crypto::unpack_nibbles(secret.span()) + "\n";
  Fd f{::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)};
  if (f.fd < 0) {
    OPENSSL_cleanse(hex.data(), hex.size());
    return KeyError{errno_text("cannot create master key file", path)};
  }
  const bool ok =
      ::write(f.fd, hex.data(), hex.size()) == static_cast<ssize_t>(hex.size()) && ::fsync(f.fd) == 0;
  OPENSSL_cleanse(hex.data(), hex.size());
  if (!ok) {
    ::unlink(path.c_str());
    return KeyError{errno_text("cannot write master key file", path)};
  }
  return Ok{};
}

Result<crypto::Bytes, KeyError> wrap_key(const Secret& kek, KeyType type, crypto::ByteSpan key) {
  if (kek.size() != 32) return KeyError{"the master key must be 32 bytes"};
  crypto::Bytes plain;
  plain.reserve(key.size() + 1);
  plain.push_back(static_cast<uint8_t>(type));
  plain.insert(plain.end(), key.begin(), key.end());
  const Secret plain_secret(std::move(plain));
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  if (ctx == nullptr) return KeyError{"key wrap: out of memory"};
  EVP_CIPHER_CTX_set_flags(ctx, EVP_CIPHER_CTX_FLAG_WRAP_ALLOW);
  crypto::Bytes out(plain_secret.size() + 16);
  int n = 0, m = 0;
  const bool ok = EVP_EncryptInit_ex(ctx, EVP_aes_256_wrap_pad(), nullptr, kek.span().data(), nullptr) == 1 &&
                  EVP_EncryptUpdate(ctx, out.data(), &n, plain_secret.span().data(),
                                    static_cast<int>(plain_secret.size())) == 1 &&
                  EVP_EncryptFinal_ex(ctx, out.data() + n, &m) == 1;
  EVP_CIPHER_CTX_free(ctx);
  if (!ok) return KeyError{"key wrap failed"};
  out.resize(static_cast<size_t>(n + m));
  return out;
}

Result<Secret, KeyError> unwrap_key(const Secret& kek, KeyType type, crypto::ByteSpan wrapped) {
  if (kek.size() != 32) return KeyError{"the master key must be 32 bytes"};
  if (wrapped.size() < 16 || wrapped.size() % 8 != 0) return KeyError{"wrapped key has a bad length"};
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  if (ctx == nullptr) return KeyError{"key unwrap: out of memory"};
  EVP_CIPHER_CTX_set_flags(ctx, EVP_CIPHER_CTX_FLAG_WRAP_ALLOW);
  crypto::Bytes out(wrapped.size() + 16);
  int n = 0, m = 0;
  const bool ok =
      EVP_DecryptInit_ex(ctx, EVP_aes_256_wrap_pad(), nullptr, kek.span().data(), nullptr) == 1 &&
      EVP_DecryptUpdate(ctx, out.data(), &n, wrapped.data(), static_cast<int>(wrapped.size())) == 1 &&
      EVP_DecryptFinal_ex(ctx, out.data() + n, &m) == 1;
  EVP_CIPHER_CTX_free(ctx);
  Secret plain(std::move(out));
  if (!ok || n + m < 2) return KeyError{"key unwrap failed (wrong master key or damaged entry)"};
  const crypto::ByteSpan p = plain.span().first(static_cast<size_t>(n + m));
  if (p[0] != static_cast<uint8_t>(type)) return KeyError{"wrapped key is not of the entry's type"};
  return Secret(crypto::Bytes(p.begin() + 1, p.end()));
}

Result<std::string, KeyError> key_check_value(KeyType type, crypto::ByteSpan key) {
  const auto format = type == KeyType::zpk && key.size() == 32 ? crypto::PinBlockFormat::kIso4
                                                               : crypto::PinBlockFormat::kIso0;
  return kcv_for(type, format, key);
}

Result<KeyStore, KeyError> KeyStore::create(const Secret& kek) {
  if (kek.size() != 32) return KeyError{"the master key must be 32 bytes"};
  KeyStore s;
  s.kek_kcv_ = kek_kcv(kek);
  return s;
}

Result<KeyStore, KeyError> KeyStore::load(const std::string& path, const Secret& kek) {
  auto text = read_file(path);
  if (!text) return text.error();
  auto store = parse(*text, kek);
  if (!store) return KeyError{path + ": " + store.error().message};
  return store;
}

Result<KeyStore, KeyError> KeyStore::parse(std::string_view json_text, const Secret& kek) {
  const json root = json::parse(json_text, nullptr, false);
  if (root.is_discarded() || !root.is_object()) return KeyError{"key store is not a JSON object"};
  if (kek.size() != 32) return KeyError{"the master key must be 32 bytes"};
  KeyStore s;
  try {
    if (str(root, "format") != kFormat || !root.contains("version") || root["version"] != kFormatVersion) {
      throw Fail{std::string("not a ") + kFormat + " version 1 file"};
    }
    s.kek_kcv_ = str(root, "master_key_kcv");
    if (s.kek_kcv_ != kek_kcv(kek)) {
      throw Fail{"the master key does not match this key store (store KEK KCV " + s.kek_kcv_ +
                 ", given KEK KCV " + kek_kcv(kek) + ")"};
    }
    if (!root.contains("keys") || !root["keys"].is_array()) throw Fail{"\"keys\" must be an array"};
    std::map<std::pair<int, std::string>, int> active_per_scope;
    std::map<std::string, int> ids;
    for (const json& e : root["keys"]) {
      KeyEntry k = entry_metadata(e);
      if (++ids[k.id] > 1) throw Fail{"key id " + k.id + " appears twice"};
      auto wrapped = crypto::pack_nibbles(k.wrapped);
      if (!wrapped) throw Fail{"key " + k.id + ": wrapped must be hex"};
      auto key = unwrap_key(kek, k.type, *wrapped);
      if (!key) throw Fail{"key " + k.id + ": " + key.error().message};
      if (!key_size_ok(k.type, key->size(), k.pin_block_format)) {
        throw Fail{"key " + k.id + ": wrong key length for its type"};
      }
      auto kcv = kcv_for(k.type, k.pin_block_format, key->span());
      if (!kcv || *kcv != k.kcv) throw Fail{"key " + k.id + ": key check value does not match"};
      k.key = std::move(*key);
      if (k.active && ++active_per_scope[{static_cast<int>(k.type), k.scope}] > 1) {
        throw Fail{"key " + k.id + ": two active versions of " + key_type_name(k.type) + " scope \"" +
                   k.scope + "\""};
      }
      s.entries_.push_back(std::move(k));
    }
  } catch (const Fail& f) {
    return KeyError{f.message};
  }
  return s;
}

Result<std::vector<KeyEntry>, KeyError> KeyStore::list(const std::string& path) {
  auto text = read_file(path);
  if (!text) return text.error();
  const json root = json::parse(*text, nullptr, false);
  if (root.is_discarded() || !root.is_object() || !root.contains("keys") || !root["keys"].is_array()) {
    return KeyError{path + ": not a key store"};
  }
  std::vector<KeyEntry> out;
  try {
    for (const json& e : root["keys"]) out.push_back(entry_metadata(e));
  } catch (const Fail& f) {
    return KeyError{path + ": " + f.message};
  }
  return out;
}

Result<std::string, KeyError> KeyStore::add(const Secret& kek, const AddOptions& o, crypto::ByteSpan key) {
  if (kek_kcv(kek) != kek_kcv_) return KeyError{"the master key does not match this key store"};
  if (!all_digits(o.scope) || o.scope.size() > 19) return KeyError{"scope must be up to 19 digits"};
  if (o.type == KeyType::pan && !o.scope.empty()) return KeyError{"a pan key has the scope \"\" (all cards)"};
  if (o.type == KeyType::zpk && o.scope.empty()) return KeyError{"a zpk needs an acquirer id as its scope"};
  if (o.type == KeyType::pvk && (o.pvki.size() != 1 || !all_digits(o.pvki))) {
    return KeyError{"pvki must be one digit"};
  }
  if (o.type == KeyType::pvk) {
    if (const std::string why = ibm3624_problem(o.ibm3624); !why.empty()) return KeyError{why};
  }
  if (o.type == KeyType::zpk && o.pin_block_format == crypto::PinBlockFormat::kIso2) {
    return KeyError{"pin_block_format must be 0, 1, 3 or 4"};
  }
  if (!key_size_ok(o.type, key.size(), o.pin_block_format)) {
    return KeyError{std::string("wrong key length for a ") + key_type_name(o.type) + " key"};
  }
  KeyEntry k;
  k.type = o.type;
  k.scope = o.type == KeyType::zpk ? strip_leading_zeros(o.scope) : o.scope;
  for (const KeyEntry& e : entries_) {
    if (e.type == k.type && e.scope == k.scope) k.version = std::max(k.version, e.version + 1);
  }
  k.id = make_id(k.type, k.scope, k.version);
  k.active = o.activate;
  k.pvki = o.type == KeyType::pvk ? o.pvki : "";
  if (o.type == KeyType::pvk) k.ibm3624 = o.ibm3624;
  k.pin_block_format = o.pin_block_format;
  k.created = now_utc();
  auto kcv = kcv_for(k.type, k.pin_block_format, key);
  if (!kcv) return kcv.error();
  k.kcv = *kcv;
  auto wrapped = wrap_key(kek, k.type, key);
  if (!wrapped) return wrapped.error();
  k.wrapped = crypto::unpack_nibbles(*wrapped);
  k.key = Secret(crypto::Bytes(key.begin(), key.end()));
  if (k.active) {
    for (KeyEntry& e : entries_) {
      if (e.type == k.type && e.scope == k.scope) e.active = false;
    }
  }
  entries_.push_back(std::move(k));
  return entries_.back().id;
}

Result<Ok, KeyError> KeyStore::activate(const std::string& id) {
  auto it = std::find_if(entries_.begin(), entries_.end(), [&](const KeyEntry& e) { return e.id == id; });
  if (it == entries_.end()) return KeyError{"no key with id " + id};
  for (KeyEntry& e : entries_) {
    if (e.type == it->type && e.scope == it->scope) e.active = false;
  }
  it->active = true;
  return Ok{};
}

std::string KeyStore::to_json() const {
  json keys = json::array();
  for (const KeyEntry& k : entries_) {
    json e{{"id", k.id},           {"type", key_type_name(k.type)},
           {"scope", k.scope},     {"version", k.version},
           {"active", k.active},   {"kcv", k.kcv},
           {"created", k.created}, {"wrapped", k.wrapped}};
    if (k.type == KeyType::pvk) {
      e["pvki"] = k.pvki;
      const Ibm3624Settings defaults;
      if (k.ibm3624 != defaults) {
        e["decimalization_table"] = k.ibm3624.decimalization_table;
        e["validation_data_start"] = k.ibm3624.validation_data_start;
        e["validation_data_length"] = k.ibm3624.validation_data_length;
        e["pad_char"] = std::string(1, k.ibm3624.pad_char);
      }
    }
    if (k.type == KeyType::zpk) e["pin_block_format"] = std::to_string(static_cast<int>(k.pin_block_format));
    keys.push_back(std::move(e));
  }
  json root{{"format", kFormat},
            {"version", kFormatVersion},
            {"master_key_kcv", kek_kcv_},
            {"keys", std::move(keys)}};
  return root.dump(2) + "\n";
}

Result<Ok, KeyError> KeyStore::save(const std::string& path) const {
  const std::string text = to_json();
  const std::string tmp = path + ".tmp";
  {
    Fd f{::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)};
    if (f.fd < 0) return KeyError{errno_text("cannot create", tmp)};
    if (::write(f.fd, text.data(), text.size()) != static_cast<ssize_t>(text.size()) || ::fsync(f.fd) != 0) {
      return KeyError{errno_text("cannot write", tmp)};
    }
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) return KeyError{errno_text("cannot replace", path)};
  const std::string dir = path.find('/') == std::string::npos ? "." : path.substr(0, path.rfind('/') + 1);
  Fd d{::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)};
  if (d.fd >= 0) (void)::fsync(d.fd);
  return Ok{};
}

std::vector<const KeyEntry*> KeyStore::for_card(KeyType type, std::string_view pan) const {
  size_t best = 0;
  bool found = false;
  for (const KeyEntry& e : entries_) {
    if (e.type != type || e.scope.size() > pan.size() || pan.substr(0, e.scope.size()) != e.scope) continue;
    if (!found || e.scope.size() > best) best = e.scope.size();
    found = true;
  }
  std::vector<const KeyEntry*> out;
  if (!found) return out;
  for (const KeyEntry& e : entries_) {
    if (e.type == type && e.scope.size() == best && pan.substr(0, best) == e.scope) out.push_back(&e);
  }
  order(out);
  return out;
}

std::vector<const KeyEntry*> KeyStore::for_acquirer(std::string_view acquirer_id) const {
  std::vector<const KeyEntry*> out;
  if (acquirer_id.empty() || !all_digits(acquirer_id)) return out;
  const std::string id = strip_leading_zeros(acquirer_id);
  for (const KeyEntry& e : entries_) {
    if (e.type == KeyType::zpk && e.scope == id) out.push_back(&e);
  }
  order(out);
  return out;
}

const KeyEntry* KeyStore::active_pan_key() const {
  for (const KeyEntry& e : entries_) {
    if (e.type == KeyType::pan && e.active) return &e;
  }
  return nullptr;
}

std::vector<const KeyEntry*> KeyStore::pan_keys() const {
  std::vector<const KeyEntry*> out;
  for (const KeyEntry& e : entries_) {
    if (e.type == KeyType::pan) out.push_back(&e);
  }
  order(out);
  return out;
}

KeyRing::KeyRing(std::string store_path, MasterKeySource master)
    : store_path_(std::move(store_path)), master_(std::move(master)) {}

Result<size_t, KeyError> KeyRing::reload() {
  auto kek = load_master_key(master_);
  if (!kek) return kek.error();
  auto store = KeyStore::load(store_path_, *kek);
  if (!store) return store.error();
  const size_t n = store->entries().size();
  current_.store(std::make_shared<const KeyStore>(std::move(*store)));
  return n;
}

void disable_core_dumps() {
  const rlimit none{0, 0};
  (void)::setrlimit(RLIMIT_CORE, &none);
}

}  // namespace holdfast::security
