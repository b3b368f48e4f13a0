// Error vocabulary of the crypto module. Every public function that can be handed malformed
// input (wrong key length, non-digit PIN, bad PIN block control nibble) returns a CryptoResult;
// the message names the offending field and never contains key or PIN material.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "base/result.h"

namespace holdfast::crypto {

enum class CryptoErrc {
  kInvalidArgument,   // a length, digit string or parameter is outside its contract
  kFormatMismatch,    // a decoded PIN block does not follow its format's rules
  kUnsupported,       // a recognised but unimplemented variant (e.g. an unknown IAD layout)
  kPrimitiveFailure,  // OpenSSL reported an error
};

using CryptoError = Error<CryptoErrc>;
template <typename T>
using CryptoResult = Result<T, CryptoError>;

using Bytes = std::vector<uint8_t>;
using ByteSpan = std::span<const uint8_t>;

inline CryptoError invalid(std::string message) {
  return CryptoError{CryptoErrc::kInvalidArgument, std::move(message)};
}

}  // namespace holdfast::crypto
