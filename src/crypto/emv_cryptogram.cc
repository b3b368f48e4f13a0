// EMV application cryptograms and ARPC (EMV 4.3 Book 2 A1.2, 8.2).
#include "crypto/emv.h"
#include "crypto/mac.h"
#include "crypto/primitives.h"

namespace holdfast::crypto {

CryptoResult<Bytes> generate_ac(ByteSpan key, ByteSpan data, AcPadding padding) {
  if (key.size() != 16) return invalid("session_key must be 16 bytes");
  if (data.empty()) return invalid("data must not be empty");
  const MacPadding p = padding == AcPadding::kMethod2 ? MacPadding::kMethod2 : MacPadding::kZeroIfNeeded;
  return mac_algorithm3(key, data, p);
}

CryptoResult<Bytes> arpc_method1(ByteSpan key, ByteSpan arqc, ByteSpan arc) {
  if (key.size() != 16) return invalid("key must be 16 bytes");
  if (arqc.size() != 8) return invalid("arqc must be 8 bytes");
  if (arc.size() != 2) return invalid("arc must be 2 bytes");
  Bytes mask(8, 0);
  mask[0] = arc[0];
  mask[1] = arc[1];
  return des_ecb_encrypt(key, xor_bytes(arqc, mask));
}

CryptoResult<Bytes> arpc_method2(ByteSpan key, ByteSpan arqc, ByteSpan csu, ByteSpan proprietary_auth_data) {
  if (key.size() != 16) return invalid("key must be 16 bytes");
  if (arqc.size() != 8) return invalid("arqc must be 8 bytes");
  if (csu.size() != 4) return invalid("csu must be 4 bytes");
  if (proprietary_auth_data.size() > 8) return invalid("proprietary_auth_data must be 0..8 bytes");
  Bytes data = concat(concat(arqc, csu), proprietary_auth_data);
  auto mac = mac_algorithm3(key, data, MacPadding::kMethod2);
  if (!mac.ok()) return mac;
  mac->resize(4);
  return mac;
}

}  // namespace holdfast::crypto
