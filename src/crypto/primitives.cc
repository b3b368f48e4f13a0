#include "crypto/primitives.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include <cstring>
#include <memory>

#include "base/assert.h"

namespace holdfast::crypto {
namespace {

struct CtxFree {
  void operator()(EVP_CIPHER_CTX* ctx) const { EVP_CIPHER_CTX_free(ctx); }
};

CryptoError primitive_failure(const char* what) {
  return CryptoError{CryptoErrc::kPrimitiveFailure, std::string("OpenSSL failure in ") + what};
}

// Runs one EVP cipher without padding over whole blocks.
CryptoResult<Bytes> run_cipher(const EVP_CIPHER* cipher, ByteSpan key, ByteSpan iv, ByteSpan data,
                               bool encrypt) {
  std::unique_ptr<EVP_CIPHER_CTX, CtxFree> ctx(EVP_CIPHER_CTX_new());
  if (!ctx) return primitive_failure("EVP_CIPHER_CTX_new");
  const unsigned char* iv_ptr = iv.empty() ? nullptr : iv.data();
  if (EVP_CipherInit_ex(ctx.get(), cipher, nullptr, key.data(), iv_ptr, encrypt ? 1 : 0) != 1) {
    return primitive_failure("EVP_CipherInit_ex");
  }
  EVP_CIPHER_CTX_set_padding(ctx.get(), 0);
  Bytes out(data.size() + static_cast<size_t>(EVP_CIPHER_block_size(cipher)));
  int written = 0;
  if (EVP_CipherUpdate(ctx.get(), out.data(), &written, data.data(), static_cast<int>(data.size())) != 1) {
    return primitive_failure("EVP_CipherUpdate");
  }
  int tail = 0;
  if (EVP_CipherFinal_ex(ctx.get(), out.data() + written, &tail) != 1) {
    return primitive_failure("EVP_CipherFinal_ex");
  }
  out.resize(static_cast<size_t>(written + tail));
  return out;
}

// Expands an 8/16/24-byte DES key to the 24 bytes K1 K2 K3 EVP_des_ede3 takes (8 bytes: K1 K1 K1,
// 16 bytes: K1 K2 K1). One fixed-size buffer: growing a vector by inserts made g++ 12 -O3 report a
// false -Wstringop-overflow.
CryptoResult<Bytes> expand_des_key(ByteSpan key) {
  if (key.size() != 8 && key.size() != 16 && key.size() != 24) {
    return invalid("DES key must be 8, 16 or 24 bytes");
  }
  Bytes k(24);
  for (size_t i = 0; i < k.size(); ++i) k[i] = key[i % key.size()];
  return k;
}

CryptoResult<Bytes> des_run(ByteSpan key, ByteSpan iv, ByteSpan data, bool encrypt, bool cbc) {
  if (data.size() % kDesBlock != 0) return invalid("DES data must be whole 8-byte blocks");
  if (cbc && iv.size() != kDesBlock) return invalid("DES CBC iv must be 8 bytes");
  auto k = expand_des_key(key);
  if (!k.ok()) return k.error();
  const EVP_CIPHER* cipher = cbc ? EVP_des_ede3_cbc() : EVP_des_ede3_ecb();
  auto out = run_cipher(cipher, *k, iv, data, encrypt);
  cleanse(*k);
  return out;
}

CryptoResult<Bytes> aes_run(ByteSpan key, ByteSpan data, bool encrypt) {
  if (data.size() % kAesBlock != 0) return invalid("AES data must be whole 16-byte blocks");
  const EVP_CIPHER* cipher = nullptr;
  switch (key.size()) {
    case 16: cipher = EVP_aes_128_ecb(); break;
    case 24: cipher = EVP_aes_192_ecb(); break;
    case 32: cipher = EVP_aes_256_ecb(); break;
    default: return invalid("AES key must be 16, 24 or 32 bytes");
  }
  return run_cipher(cipher, key, {}, data, encrypt);
}

CryptoResult<Bytes> sm4_run(ByteSpan key, ByteSpan iv, ByteSpan data, bool encrypt, bool cbc) {
  if (key.size() != 16) return invalid("SM4 key must be 16 bytes");
  if (data.size() % kSm4Block != 0) return invalid("SM4 data must be whole 16-byte blocks");
  if (cbc && iv.size() != kSm4Block) return invalid("SM4 CBC iv must be 16 bytes");
  return run_cipher(cbc ? EVP_sm4_cbc() : EVP_sm4_ecb(), key, iv, data, encrypt);
}

}  // namespace

CryptoResult<Bytes> des_ecb_encrypt(ByteSpan key, ByteSpan data) {
  return des_run(key, {}, data, true, false);
}
CryptoResult<Bytes> des_ecb_decrypt(ByteSpan key, ByteSpan data) {
  return des_run(key, {}, data, false, false);
}
CryptoResult<Bytes> des_cbc_encrypt(ByteSpan key, ByteSpan iv, ByteSpan data) {
  return des_run(key, iv, data, true, true);
}
CryptoResult<Bytes> aes_ecb_encrypt(ByteSpan key, ByteSpan data) { return aes_run(key, data, true); }
CryptoResult<Bytes> aes_ecb_decrypt(ByteSpan key, ByteSpan data) { return aes_run(key, data, false); }
CryptoResult<Bytes> sm4_ecb_encrypt(ByteSpan key, ByteSpan data) {
  return sm4_run(key, {}, data, true, false);
}
CryptoResult<Bytes> sm4_ecb_decrypt(ByteSpan key, ByteSpan data) {
  return sm4_run(key, {}, data, false, false);
}
CryptoResult<Bytes> sm4_cbc_encrypt(ByteSpan key, ByteSpan iv, ByteSpan data) {
  return sm4_run(key, iv, data, true, true);
}

CryptoResult<Bytes> sm4_ecb_encrypt_iterated(ByteSpan key, ByteSpan block, uint64_t iterations) {
  if (key.size() != 16) return invalid("SM4 key must be 16 bytes");
  if (block.size() != kSm4Block) return invalid("SM4 block must be 16 bytes");
  std::unique_ptr<EVP_CIPHER_CTX, CtxFree> ctx(EVP_CIPHER_CTX_new());
  if (!ctx || EVP_EncryptInit_ex(ctx.get(), EVP_sm4_ecb(), nullptr, key.data(), nullptr) != 1) {
    return primitive_failure("EVP_EncryptInit_ex");
  }
  EVP_CIPHER_CTX_set_padding(ctx.get(), 0);
  Bytes state(block.begin(), block.end());
  Bytes next(kSm4Block * 2);
  for (uint64_t i = 0; i < iterations; ++i) {
    int written = 0;
    if (EVP_EncryptUpdate(ctx.get(), next.data(), &written, state.data(), static_cast<int>(kSm4Block)) != 1 ||
        written != static_cast<int>(kSm4Block)) {
      return primitive_failure("EVP_EncryptUpdate");
    }
    std::memcpy(state.data(), next.data(), kSm4Block);
  }
  return state;
}

Bytes sha1(ByteSpan data) {
  Bytes out(SHA_DIGEST_LENGTH);
  SHA1(data.data(), data.size(), out.data());
  return out;
}

Bytes sha256(ByteSpan data) {
  Bytes out(SHA256_DIGEST_LENGTH);
  SHA256(data.data(), data.size(), out.data());
  return out;
}

CryptoResult<Bytes> hmac_sha256(ByteSpan key, ByteSpan data) {
  Bytes out(SHA256_DIGEST_LENGTH);
  unsigned int len = 0;
  if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), data.data(), data.size(), out.data(),
           &len) == nullptr) {
    return primitive_failure("HMAC");
  }
  out.resize(len);
  return out;
}

Bytes concat(ByteSpan a, ByteSpan b) {
  Bytes out(a.size() + b.size());
  if (!a.empty()) std::memcpy(out.data(), a.data(), a.size());
  if (!b.empty()) std::memcpy(out.data() + a.size(), b.data(), b.size());
  return out;
}

Bytes xor_bytes(ByteSpan a, ByteSpan b) {
  HF_REQUIRE(a.size() == b.size());
  Bytes out(a.size());
  for (size_t i = 0; i < a.size(); ++i) out[i] = static_cast<uint8_t>(a[i] ^ b[i]);
  return out;
}

bool equal_constant_time(ByteSpan a, ByteSpan b) {
  if (a.size() != b.size()) return false;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

void cleanse(Bytes& secret) {
  if (!secret.empty()) OPENSSL_cleanse(secret.data(), secret.size());
}

}  // namespace holdfast::crypto
