#include "server/pan_key.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <openssl/rand.h>

namespace holdfast::server {
namespace {

using Key = std::array<uint8_t, 32>;

std::string errno_text(const std::string& what, const std::string& path) {
  return what + " " + path + ": " + std::strerror(errno);
}

// Closes the descriptor on every path out of a function.
struct Fd {
  int fd;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

Result<Key, PanKeyError> read_key(const std::string& path) {
  Fd f{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
  if (f.fd < 0) return PanKeyError{errno_text("cannot open PAN key file", path)};
  Key key{};
  uint8_t extra = 0;
  const ssize_t n = ::read(f.fd, key.data(), key.size());
  if (n != static_cast<ssize_t>(key.size()) || ::read(f.fd, &extra, 1) != 0) {
    return PanKeyError{"PAN key file " + path + " must hold exactly 32 bytes"};
  }
  return key;
}

Result<Key, PanKeyError> create_key(const std::string& path) {
  Key key{};
  if (RAND_bytes(key.data(), static_cast<int>(key.size())) != 1) {
    return PanKeyError{"RAND_bytes failed while creating PAN key " + path};
  }
  Fd f{::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)};
  if (f.fd < 0) return PanKeyError{errno_text("cannot create PAN key file", path)};
  if (::write(f.fd, key.data(), key.size()) != static_cast<ssize_t>(key.size()) ||
      ::fsync(f.fd) != 0) {
    const PanKeyError e{errno_text("cannot write PAN key file", path)};
    ::unlink(path.c_str());  // a short key file would be worse than none
    return e;
  }
  // The key's directory entry must be durable before any journal entry hashed under it is.
  const std::string dir = path.find('/') == std::string::npos ? "." : path.substr(0, path.rfind('/') + 1);
  Fd d{::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)};
  if (d.fd < 0 || ::fsync(d.fd) != 0) return PanKeyError{errno_text("cannot sync directory of", path)};
  return key;
}

}  // namespace

Result<Key, PanKeyError> load_or_create_pan_key(const std::string& path, bool create_if_missing) {
  struct stat st{};
  if (::stat(path.c_str(), &st) == 0) return read_key(path);
  if (errno != ENOENT || !create_if_missing) {
    return PanKeyError{errno_text("cannot find PAN key file", path)};
  }
  return create_key(path);
}

}  // namespace holdfast::server
