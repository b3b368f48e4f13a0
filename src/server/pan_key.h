// The PAN hashing key: 32 random bytes in a file (mode 0600) created at the first start of a data
// directory. The journal and snapshots hold keyed hashes of PANs, never PANs, so the key must
// stay the same for the life of the data directory: losing it makes every card unfindable.
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "base/result.h"

namespace holdfast::server {

struct PanKeyError {
  std::string message;
};

// Reads the key at `path`; when the file does not exist and `create_if_missing`, creates it
// with 32 bytes from OpenSSL RAND_bytes (O_EXCL, 0600, fsynced). A file of any other size is
// an error: a truncated key would silently hash every PAN differently.
Result<std::array<uint8_t, 32>, PanKeyError> load_or_create_pan_key(const std::string& path,
                                                                     bool create_if_missing);

}  // namespace holdfast::server
