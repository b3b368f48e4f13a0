// `holdfast keys`: the card security key store (src/security/README.md).
//   keys master-key --out FILE                       a new random AES-256 master key (0600)
//   keys init     --store FILE                       an empty store bound to the master key
//   keys generate --store FILE --type T --scope S [--pvki D] [--format F] [--inactive]
//   keys import   --store FILE --type T --scope S ...  the clear key as hex on stdin
//   keys rotate   --store FILE --type T --scope S    a new random version, made active
//   keys activate --store FILE --id ID
//   keys list     --store FILE                       ids, types, scopes, versions, KCVs
// The master key comes from --master-key FILE or HOLDFAST_MASTER_KEY. No command prints a key.
#include <iostream>
#include <string>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "cli/commands.h"
#include "crypto/digits.h"
#include "security/key_store.h"

namespace holdfast::cli {
namespace {

struct KeysOptions {
  std::string store;
  std::string master_key;
  std::string out;
  std::string type;
  std::string scope;
  std::string pvki = "1";
  std::string format = "0";
  std::string id;
  bool inactive = false;
};

int fail(const std::string& message) {
  std::cerr << "holdfast keys: " << message << "\n";
  return 1;
}

size_t default_size(security::KeyType t, crypto::PinBlockFormat f) {
  if (t == security::KeyType::pan) return 32;
  if (t == security::KeyType::zpk && f == crypto::PinBlockFormat::kIso4) return 32;
  return 16;
}

int add_key(const KeysOptions& o, bool from_stdin) {
  auto kek = security::load_master_key(security::MasterKeySource{o.master_key});
  if (!kek) return fail(kek.error().message);
  auto store = security::KeyStore::load(o.store, *kek);
  if (!store) return fail(store.error().message);
  security::KeyStore::AddOptions a;
  const auto type = security::parse_key_type(o.type);
  if (!type) return fail("--type must be cvk, pvk, imk_ac, zpk or pan");
  a.type = *type;
  a.scope = o.scope;
  a.pvki = o.pvki;
  auto format = crypto::parse_pin_block_format(o.format);
  if (!format) return fail("--format must be 0, 1, 3 or 4");
  a.pin_block_format = *format;
  a.activate = !o.inactive;
  crypto::Bytes key;
  if (from_stdin) {
    std::string hex;
    std::getline(std::cin, hex);
    while (!hex.empty() && (hex.back() == '\r' || hex.back() == ' ')) hex.pop_back();
    auto packed = crypto::pack_nibbles(hex);
    OPENSSL_cleanse(hex.data(), hex.size());
    if (!packed) return fail("the key on stdin must be hex");
    key = std::move(*packed);
  } else {
    key.resize(default_size(a.type, a.pin_block_format));
    if (RAND_bytes(key.data(), static_cast<int>(key.size())) != 1) return fail("RAND_bytes failed");
  }
  const security::Secret secret(std::move(key));
  auto id = store->add(*kek, a, secret.span());
  if (!id) return fail(id.error().message);
  if (auto saved = store->save(o.store); !saved) return fail(saved.error().message);
  for (const auto& e : store->entries()) {
    if (e.id == *id) std::cout << e.id << " kcv " << e.kcv << (e.active ? " active" : "") << "\n";
  }
  return 0;
}

int list_keys(const KeysOptions& o) {
  auto entries = security::KeyStore::list(o.store);
  if (!entries) return fail(entries.error().message);
  for (const auto& e : *entries) {
    std::cout << e.id << "  type " << security::key_type_name(e.type) << "  scope "
              << (e.scope.empty() ? "*" : e.scope) << "  v" << e.version << "  kcv " << e.kcv
              << (e.active ? "  active" : "");
    if (e.type == security::KeyType::pvk) std::cout << "  pvki " << e.pvki;
    if (e.type == security::KeyType::zpk) std::cout << "  format " << static_cast<int>(e.pin_block_format);
    std::cout << "\n";
  }
  return 0;
}

}  // namespace

void add_keys_command(CLI::App& app, int* exit_code) {
  auto* keys = app.add_subcommand("keys", "Card security keys: master key, key store, rotation");
  keys->require_subcommand(1);
  auto o = std::make_shared<KeysOptions>();
  auto with_store = [&](CLI::App* c) {
    c->add_option("--store", o->store, "Key store file (JSON)")->required();
    c->add_option("--master-key", o->master_key, "Master key file (default: HOLDFAST_MASTER_KEY)");
  };
  auto with_key = [&](CLI::App* c) {
    with_store(c);
    c->add_option("--type", o->type, "cvk, pvk, imk_ac, zpk or pan")->required();
    c->add_option("--scope", o->scope,
                  "PAN prefix (cvk, pvk, imk_ac; empty = all cards) or acquirer id (zpk)");
    c->add_option("--pvki", o->pvki, "PVK index (pvk)");
    c->add_option("--format", o->format, "PIN block format (zpk): 0, 1, 3 or 4");
    c->add_flag("--inactive", o->inactive, "Add the version without making it active");
  };
  auto* master = keys->add_subcommand("master-key", "Write a new random master key file (mode 0600)");
  master->add_option("--out", o->out, "File to create (never overwritten)")->required();
  master->callback([o, exit_code] {
    auto r = security::create_master_key_file(o->out);
    *exit_code = r ? 0 : fail(r.error().message);
  });
  auto* init = keys->add_subcommand("init", "Create an empty key store bound to the master key");
  with_store(init);
  init->callback([o, exit_code] {
    auto kek = security::load_master_key(security::MasterKeySource{o->master_key});
    if (!kek) {
      *exit_code = fail(kek.error().message);
      return;
    }
    auto store = security::KeyStore::create(*kek);
    auto saved = store ? store->save(o->store) : Result<Ok, security::KeyError>(store.error());
    *exit_code = saved ? 0 : fail(saved.error().message);
  });
  auto* generate = keys->add_subcommand("generate", "Add a random key as the next version of its scope");
  with_key(generate);
  generate->callback([o, exit_code] { *exit_code = add_key(*o, false); });
  auto* import = keys->add_subcommand("import", "Add a key given as hex on stdin");
  with_key(import);
  import->callback([o, exit_code] { *exit_code = add_key(*o, true);
});
auto* rotate = keys->add_subcommand("rotate", "Add a random new version and make it active");
with_key(rotate);
rotate->callback([o, exit_code] {
  KeysOptions active = *o;
  active.inactive = false;
  *exit_code = add_key(active, false);
});
auto* activate = keys->add_subcommand("activate", "Make a version the active one of its scope");
with_store(activate);
activate->add_option("--id", o->id, "Key id, e.g. cvk/622588/v1")->required();
activate->callback([o, exit_code] {
  auto kek = security::load_master_key(security::MasterKeySource{o->master_key});
  if (!kek) {
    *exit_code = fail(kek.error().message);
    return;
  }
  auto store = security::KeyStore::load(o->store, *kek);
  if (!store) {
    *exit_code = fail(store.error().message);
    return;
  }
  auto r = store->activate(o->id);
  if (r) r = store->save(o->store);
  *exit_code = r ? 0 : fail(r.error().message);
});
auto* list =
    keys->add_subcommand("list", "List ids, types, scopes, versions and KCVs (no master key needed)");
list->add_option("--store", o->store, "Key store file (JSON)")->required();
list->callback([o, exit_code] { *exit_code = list_keys(*o); });
}  // namespace holdfast::cli

}  // namespace holdfast::cli
