// EMV ICC master key and session key derivation (EMV 4.3 Book 2 A1.3, A1.4).
#include <algorithm>

#include "crypto/digits.h"
#include "crypto/emv.h"
#include "crypto/keys.h"
#include "crypto/primitives.h"

namespace holdfast::crypto {
namespace {

constexpr size_t kDoubleKey = 16;

CryptoResult<std::string> pan_psn_digits(std::string_view pan, std::string_view psn) {
  if (pan.empty() || pan.size() > 19 || !is_digits(pan)) return invalid("pan must be 1..19 digits");
  if (psn.empty()) psn = "00";
  if (psn.size() != 2 || !is_digits(psn)) return invalid("psn must be 2 digits");
  return std::string(pan) + std::string(psn);
}

// Option B for long PANs: SHA-1 over the BCD of PAN || PSN, decimalised to 16 digits.
CryptoResult<Bytes> option_b_block(std::string digits) {
  if (digits.size() % 2 != 0) digits.insert(digits.begin(), '0');
  auto bcd = pack_nibbles(digits);
  if (!bcd.ok()) return bcd;
  return pack_nibbles(decimalize(sha1(*bcd), 16));
}

// Encrypts y and NOT y under a TDES key and sets odd parity: the EMV MK shape.
CryptoResult<Bytes> encrypt_pair(ByteSpan key, ByteSpan y_left, ByteSpan y_right) {
  auto left = des_ecb_encrypt(key, y_left);
  if (!left.ok()) return left;
  auto right = des_ecb_encrypt(key, y_right);
  if (!right.ok()) return right;
  return with_odd_parity(concat(*left, *right));
}

}  // namespace

CryptoResult<Bytes> icc_derivation_data(std::string_view pan, std::string_view psn, MasterKeyOption option) {
  auto digits = pan_psn_digits(pan, psn);
  if (!digits.ok()) return digits.error();
  if (option == MasterKeyOption::kB && pan.size() > 16) return option_b_block(*digits);
  std::string y = *digits;
  if (y.size() < 16) y.insert(0, 16 - y.size(), '0');
  return pack_nibbles(y.substr(y.size() - 16));
}

CryptoResult<Bytes> derive_icc_master_key(ByteSpan issuer_master_key, std::string_view pan,
                                          std::string_view psn, MasterKeyOption option) {
  if (issuer_master_key.size() != kDoubleKey) return invalid("issuer_master_key must be 16 bytes");
  auto y = icc_derivation_data(pan, psn, option);
  if (!y.ok()) return y;
  const Bytes ones(8, 0xFF);
  return encrypt_pair(issuer_master_key, *y, xor_bytes(*y, ones));
}

CryptoResult<Bytes> derive_session_key_emv_csk(ByteSpan icc_master_key, ByteSpan r) {
  if (icc_master_key.size() != kDoubleKey) return invalid("icc_master_key must be 16 bytes");
  if (r.size() != 8) return invalid("r must be 8 bytes");
  Bytes r_left(r.begin(), r.end());
  Bytes r_right(r.begin(), r.end());
  r_left[2] = 0xF0;
  r_right[2] = 0x0F;
  return encrypt_pair(icc_master_key, r_left, r_right);
}

CryptoResult<Bytes> derive_session_key_visa_sm(ByteSpan icc_master_key, ByteSpan atc) {
  if (icc_master_key.size() != kDoubleKey) return invalid("icc_master_key must be 16 bytes");
  if (atc.size() != 2) return invalid("atc must be 2 bytes");
  Bytes mask(kDoubleKey, 0);
  mask[6] = atc[0];
  mask[7] = atc[1];
  mask[14] = static_cast<uint8_t>(~atc[0]);
  mask[15] = static_cast<uint8_t>(~atc[1]);
  return with_odd_parity(xor_bytes(icc_master_key, mask));
}

namespace {

// EMV2000 tree F(X, Y, j) = TDES(X)[YL XOR j] || TDES(X)[YR XOR j XOR 'F0'], j as 8 bytes.
CryptoResult<Bytes> tree_step(ByteSpan parent, ByteSpan grandparent, uint64_t j) {
  Bytes left(grandparent.begin(), grandparent.begin() + 8);
  Bytes right(grandparent.begin() + 8, grandparent.end());
  for (int i = 0; i < 8; ++i) {
    const auto byte = static_cast<uint8_t>(j >> (8 * (7 - i)));
    left[static_cast<size_t>(i)] ^= byte;
    right[static_cast<size_t>(i)] ^= byte;
  }
  right[7] ^= 0xF0;
  auto l = des_ecb_encrypt(parent, left);
  if (!l.ok()) return l;
  auto r = des_ecb_encrypt(parent, right);
  if (!r.ok()) return r;
  return concat(*l, *r);
}

}  // namespace

CryptoResult<Bytes> derive_session_key_emv2000_tree(ByteSpan icc_master_key, ByteSpan atc,
                                                    const Emv2000Tree& tree) {
  if (icc_master_key.size() != kDoubleKey) return invalid("icc_master_key must be 16 bytes");
  if (atc.size() != 2) return invalid("atc must be 2 bytes");
  if (tree.iv.size() != kDoubleKey) return invalid("iv must be 16 bytes");
  if (tree.height < 2 || tree.height > 16) return invalid("height must be 2..16");
  if (tree.branch_factor < 2 || tree.branch_factor > 256) return invalid("branch_factor must be 2..256");
  const uint64_t b = tree.branch_factor;
  const uint64_t counter = (static_cast<uint64_t>(atc[0]) << 8) | atc[1];
  std::vector<uint64_t> index(tree.height + 1);  // index[i] = ATC / b^(H-i), saturating
  uint64_t divisor = 1;
  for (uint32_t i = tree.height + 1; i-- > 0;) {
    index[i] = counter / divisor;
    divisor = std::min<uint64_t>(divisor * b, uint64_t{1} << 40);
  }
  if (index[0] != 0) return invalid("branch_factor^height must exceed the ATC");
  std::vector<Bytes> level{Bytes(tree.iv.begin(), tree.iv.end()),
                           Bytes(icc_master_key.begin(), icc_master_key.end())};
  for (uint32_t i = 1; i <= tree.height; ++i) {
    auto next = tree_step(level[i], level[i - 1], index[i] % b);
    if (!next.ok()) return next;
    level.push_back(std::move(*next));
  }
  // level[k] holds IK at tree level k-1; SK = IK_H XOR IK_(H-2).
  auto sk = with_odd_parity(xor_bytes(level[tree.height + 1], level[tree.height - 1]));
  for (Bytes& k : level) cleanse(k);
  return sk;
}

}  // namespace holdfast::crypto
