// PBOC 3.0 / UnionPay (JR/T 0025) issuer cryptography with the SM4 block cipher. There are no
// public test vectors for the SM4 cryptogram; what is implemented, and from which published
// descriptions, is set out in README.md ("PBOC"). In short:
//  - ICC MK  = SM4(IMK, Y || (Y XOR FF..FF)), Y = EMV option A/B 8-byte block (one SM4 block).
//  - SK      = SM4(MK, 00x6 || ATC || 00x6 || (ATC XOR FFFF)).
//  - AC/MAC  = SM4 CBC-MAC, zero IV, ISO 9797-1 padding method 2 to 16 bytes; AC = leftmost 8
//    bytes, script MAC = leftmost 4 (the latter checked against a published worked example).
// The TDES PBOC session key (TDES(MK, 00x6||ATC) || TDES(MK, 00x6||NOT ATC)) is here too; its
// ARQC is checked in tests against a published worked example. Thread-safe.
#pragma once

#include <string_view>

#include "crypto/crypto_error.h"
#include "crypto/emv.h"

namespace holdfast::crypto {

CryptoResult<Bytes> pboc_sm4_icc_master_key(ByteSpan issuer_master_key, std::string_view pan,
                                            std::string_view psn, MasterKeyOption option);
// atc: 2 bytes.
CryptoResult<Bytes> pboc_sm4_session_key(ByteSpan icc_master_key, ByteSpan atc);
// 8-byte application cryptogram.
CryptoResult<Bytes> pboc_sm4_ac(ByteSpan session_key, ByteSpan data);
// Full 16-byte SM4 CBC-MAC with padding method 2 (truncate as the message requires).
CryptoResult<Bytes> pboc_sm4_mac(ByteSpan session_key, ByteSpan data);

// PBOC TDES session key: halves are TDES(MK, 00x6 || ATC) and TDES(MK, 00x6 || NOT ATC).
CryptoResult<Bytes> pboc_tdes_session_key(ByteSpan icc_master_key, ByteSpan atc);

}  // namespace holdfast::crypto
