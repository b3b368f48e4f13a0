// SipHash-2-4 (Aumasson and Bernstein, 2012): a keyed hash for tables whose keys come from the
// wire. Without the secret key an attacker cannot choose keys that collide, so open addressing
// keeps its short probe runs under hash flooding. Not a MAC here: only table placement uses it.
//
// The key (HashSeed) changes where entries sit in a table, never what a lookup finds: state
// that is serialised or compared must not depend on table order (the engine's does not).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace holdfast {

struct HashSeed {
  uint64_t k0 = 0;
  uint64_t k1 = 0;
};

namespace siphash_detail {
inline uint64_t rotl(uint64_t x, int b) { return (x << b) | (x >> (64 - b)); }
struct State {
  uint64_t v0, v1, v2, v3;
  void round() {
    v0 += v1;
    v1 = rotl(v1, 13);
    v1 ^= v0;
    v0 = rotl(v0, 32);
    v2 += v3;
    v3 = rotl(v3, 16);
    v3 ^= v2;
    v0 += v3;
    v3 = rotl(v3, 21);
    v3 ^= v0;
    v2 += v1;
    v1 = rotl(v1, 17);
    v1 ^= v2;
    v2 = rotl(v2, 32);
  }
  void compress(uint64_t m) {
    v3 ^= m;
    round();
    round();
    v0 ^= m;
  }
};
inline uint64_t load_le64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = v << 8 | p[i];
  return v;
}
}  // namespace siphash_detail

// SipHash-2-4 of `len` bytes at `data` under `seed` (k0, k1 = the key's two little-endian halves).
inline uint64_t siphash24(const HashSeed& seed, const void* data, size_t len) {
  using siphash_detail::load_le64;
  siphash_detail::State s{seed.k0 ^ 0x736f6d6570736575ull, seed.k1 ^ 0x646f72616e646f6dull,
                          seed.k0 ^ 0x6c7967656e657261ull, seed.k1 ^ 0x7465646279746573ull};
  const auto* in = static_cast<const uint8_t*>(data);
  const size_t full = len - len % 8;
  for (size_t i = 0; i < full; i += 8) s.compress(load_le64(in + i));
  uint64_t last = static_cast<uint64_t>(len & 0xFF) << 56;
  for (size_t i = 0; i < len % 8; ++i) last |= static_cast<uint64_t>(in[full + i]) << (8 * i);
  s.compress(last);
  s.v2 ^= 0xFF;
  for (int i = 0; i < 4; ++i) s.round();
  return s.v0 ^ s.v1 ^ s.v2 ^ s.v3;
}

// The same over 64-bit words (each taken as its 8 little-endian bytes).
template <size_t N>
uint64_t siphash24_words(const HashSeed& seed, const uint64_t (&words)[N]) {
  uint8_t bytes[N * 8];
  for (size_t w = 0; w < N; ++w)
    for (size_t i = 0; i < 8; ++i) bytes[w * 8 + i] = static_cast<uint8_t>(words[w] >> (8 * i));
  return siphash24(seed, bytes, sizeof bytes);
}

}  // namespace holdfast
