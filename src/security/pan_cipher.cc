#include "security/pan_cipher.h"

#include <algorithm>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

namespace holdfast::security {
namespace {

constexpr size_t kNonce = 12;
constexpr size_t kTag = 16;
constexpr std::string_view kAad = "holdfast-pan-v1";

struct Ctx {
  EVP_CIPHER_CTX* p = EVP_CIPHER_CTX_new();
  ~Ctx() { EVP_CIPHER_CTX_free(p); }
};

const unsigned char* aad() { return reinterpret_cast<const unsigned char*>(kAad.data()); }

}  // namespace

bool encrypt_pan(const KeyStore& keys, std::string_view pan, engine::EncryptedPan* out) {
  const KeyEntry* key = keys.active_pan_key();
  if (key == nullptr || pan.empty() || pan.size() > 19) return false;
  for (char c : pan) {
    if (c < '0' || c > '9') return false;
  }
  static_assert(kNonce + 19 + kTag <= sizeof(out->bytes));
  engine::EncryptedPan e;
  uint8_t* nonce = e.bytes.data();
  uint8_t* ct = nonce + kNonce;
  if (RAND_bytes(nonce, static_cast<int>(kNonce)) != 1) return false;
  Ctx ctx;
  int n = 0, m = 0;
  const bool ok =
      ctx.p != nullptr && EVP_EncryptInit_ex(ctx.p, EVP_aes_256_gcm(), nullptr, nullptr, nullptr) == 1 &&
      EVP_CIPHER_CTX_ctrl(ctx.p, EVP_CTRL_GCM_SET_IVLEN, static_cast<int>(kNonce), nullptr) == 1 &&
      EVP_EncryptInit_ex(ctx.p, nullptr, nullptr, key->key.span().data(), nonce) == 1 &&
      EVP_EncryptUpdate(ctx.p, nullptr, &n, aad(), static_cast<int>(kAad.size())) == 1 &&
      EVP_EncryptUpdate(ctx.p, ct, &n, reinterpret_cast<const unsigned char*>(pan.data()),
                        static_cast<int>(pan.size())) == 1 &&
      EVP_EncryptFinal_ex(ctx.p, ct + n, &m) == 1 &&
      EVP_CIPHER_CTX_ctrl(ctx.p, EVP_CTRL_GCM_GET_TAG, static_cast<int>(kTag), ct + n + m) == 1;
  if (!ok) return false;
  e.size = static_cast<uint8_t>(kNonce + static_cast<size_t>(n + m) + kTag);
  *out = e;
  return true;
}

std::optional<std::string> decrypt_pan(const KeyStore& keys, const uint8_t* data, size_t size) {
  if (size < kNonce + 1 + kTag || size > kNonce + 19 + kTag) return std::nullopt;
  const size_t ct_size = size - kNonce - kTag;
  const uint8_t* ct = data + kNonce;
  uint8_t tag[kTag];
  std::copy_n(ct + ct_size, kTag, tag);
  for (const KeyEntry* key : keys.pan_keys()) {
    Ctx ctx;
    unsigned char plain[19 + 16];
    int n = 0, m = 0;
    const bool ok =
        ctx.p != nullptr && EVP_DecryptInit_ex(ctx.p, EVP_aes_256_gcm(), nullptr, nullptr, nullptr) == 1 &&
        EVP_CIPHER_CTX_ctrl(ctx.p, EVP_CTRL_GCM_SET_IVLEN, static_cast<int>(kNonce), nullptr) == 1 &&
        EVP_DecryptInit_ex(ctx.p, nullptr, nullptr, key->key.span().data(), data) == 1 &&
        EVP_DecryptUpdate(ctx.p, nullptr, &n, aad(), static_cast<int>(kAad.size())) == 1 &&
        EVP_DecryptUpdate(ctx.p, plain, &n, ct, static_cast<int>(ct_size)) == 1 &&
        EVP_CIPHER_CTX_ctrl(ctx.p, EVP_CTRL_GCM_SET_TAG, static_cast<int>(kTag), tag) == 1 &&
        EVP_DecryptFinal_ex(ctx.p, plain + n, &m) == 1;
    if (ok) {
      std::string pan(reinterpret_cast<const char*>(plain), static_cast<size_t>(n + m));
      OPENSSL_cleanse(plain, sizeof plain);
      return pan;
    }
    OPENSSL_cleanse(plain, sizeof plain);
  }
  return std::nullopt;
}

PanEncryptFn pan_encryptor(const KeyRing* ring) {
  if (ring == nullptr) return {};
  return [ring](std::string_view pan, engine::EncryptedPan* out) {
    const std::shared_ptr<const KeyStore> keys = ring->current();
    return keys != nullptr && encrypt_pan(*keys, pan, out);
  };
}

}  // namespace holdfast::security
