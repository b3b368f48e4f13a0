#include "crypto/pboc.h"

#include "crypto/mac.h"
#include "crypto/primitives.h"

namespace holdfast::crypto {
namespace {

// 00x6 || ATC and 00x6 || NOT ATC.
CryptoResult<std::pair<Bytes, Bytes>> atc_blocks(ByteSpan atc) {
  if (atc.size() != 2) return invalid("atc must be 2 bytes");
  Bytes left(8, 0);
  Bytes right(8, 0);
  left[6] = atc[0];
  left[7] = atc[1];
  right[6] = static_cast<uint8_t>(~atc[0]);
  right[7] = static_cast<uint8_t>(~atc[1]);
  return std::pair{std::move(left), std::move(right)};
}

}  // namespace

CryptoResult<Bytes> pboc_sm4_icc_master_key(ByteSpan issuer_master_key, std::string_view pan,
                                            std::string_view psn, MasterKeyOption option) {
  if (issuer_master_key.size() != 16) return invalid("issuer_master_key must be 16 bytes");
  auto y = icc_derivation_data(pan, psn, option);
  if (!y.ok()) return y;
  const Bytes ones(8, 0xFF);
  return sm4_ecb_encrypt(issuer_master_key, concat(*y, xor_bytes(*y, ones)));
}

CryptoResult<Bytes> pboc_sm4_session_key(ByteSpan icc_master_key, ByteSpan atc) {
  if (icc_master_key.size() != 16) return invalid("icc_master_key must be 16 bytes");
  auto blocks = atc_blocks(atc);
  if (!blocks.ok()) return blocks.error();
  return sm4_ecb_encrypt(icc_master_key, concat(blocks->first, blocks->second));
}

CryptoResult<Bytes> pboc_sm4_mac(ByteSpan session_key, ByteSpan data) {
  if (session_key.size() != 16) return invalid("session_key must be 16 bytes");
  return mac_sm4(session_key, data, MacPadding::kMethod2);
}

CryptoResult<Bytes> pboc_sm4_ac(ByteSpan session_key, ByteSpan data) {
  if (data.empty()) return invalid("data must not be empty");
  auto mac = pboc_sm4_mac(session_key, data);
  if (!mac.ok()) return mac;
  mac->resize(8);
  return mac;
}

CryptoResult<Bytes> pboc_tdes_session_key(ByteSpan icc_master_key, ByteSpan atc) {
  if (icc_master_key.size() != 16) return invalid("icc_master_key must be 16 bytes");
  auto blocks = atc_blocks(atc);
  if (!blocks.ok()) return blocks.error();
  return des_ecb_encrypt(icc_master_key, concat(blocks->first, blocks->second));
}

}  // namespace holdfast::crypto
