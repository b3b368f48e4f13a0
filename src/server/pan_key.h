// The PAN hashing key: 32 random bytes in a file (mode 0600) created at the first start of a data
// directory. The journal and snapshots hold keyed hashes of PANs, never PANs, so the key must
// stay the same for the life of the data directory: losing it makes every card unfindable.
//
// The key lives outside the data directory (beside it by default, `<data dir>.pan.key`): a copy
// of the directory without the key leaves an HMAC nobody can search, where a copy with it left
// about 10^5 guesses per PAN (first six and last four are stored beside the hash, Luhn does the
// rest). A key file inside the data directory, or one that group or others may read or write,
// is refused with a message saying what to do.
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "base/result.h"

namespace holdfast::server {

struct PanKeyError {
  std::string message;
};

// Where the key of `data_dir` lives: `configured` when set (the `pan_key_file` setting), else
// `<data dir>.pan.key` beside the directory. An error when that path is inside the data
// directory.
Result<std::string, PanKeyError> pan_key_path(const std::string& data_dir, const std::string& configured);

// Reads the key at `path`; when the file does not exist and `create_if_missing`, creates it
// with 32 bytes from OpenSSL RAND_bytes (O_EXCL, 0600, fsynced). A file of any other size is
// an error: a truncated key would silently hash every PAN differently. So is a file that is not
// a regular file, or whose mode lets group or others read or write it.
Result<std::array<uint8_t, 32>, PanKeyError> load_or_create_pan_key(const std::string& path,
                                                                    bool create_if_missing);

}  // namespace holdfast::server
