#include "server/pan_key.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

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

std::string octal_mode(mode_t mode) {
  char text[8];
  std::snprintf(text, sizeof text, "%04o", static_cast<unsigned>(mode & 07777));
  return text;
}

Result<Key, PanKeyError> read_key(const std::string& path) {
  Fd f{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
  if (f.fd < 0) return PanKeyError{errno_text("cannot open PAN key file", path)};
  struct stat st {};
  if (::fstat(f.fd, &st) != 0) return PanKeyError{errno_text("cannot stat PAN key file", path)};
  if (!S_ISREG(st.st_mode)) return PanKeyError{"PAN key file " + path + " is not a regular file"};
  if ((st.st_mode & 077) != 0) {
    return PanKeyError{"PAN key file " + path + " has mode " + octal_mode(st.st_mode) +
                       ": group or others may use it, and whoever reads it can search every PAN hash; "
                       "make it owner-only (chmod 600 " +
                       path + ")"};
  }
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
  if (::write(f.fd, key.data(), key.size()) != static_cast<ssize_t>(key.size()) || ::fsync(f.fd) != 0) {
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

// True when `inner` is `outer` or lies below it (both made absolute and normal first; symbolic
// links of existing parts resolved).
bool is_within(const std::filesystem::path& inner, const std::filesystem::path& outer) {
  std::error_code ec;
  auto resolve = [&ec](const std::filesystem::path& p) {
    std::filesystem::path r = std::filesystem::weakly_canonical(std::filesystem::absolute(p, ec), ec);
    return r.has_filename() ? r : r.parent_path();
  };
  const std::filesystem::path in = resolve(inner), out = resolve(outer);
  auto i = in.begin();
  for (auto o = out.begin(); o != out.end(); ++o, ++i) {
    if (i == in.end() || *i != *o) return false;
  }
  return true;
}

}  // namespace

Result<std::string, PanKeyError> pan_key_path(const std::string& data_dir, const std::string& configured) {
  std::string path = configured;
  if (path.empty()) {
    std::error_code ec;
    std::filesystem::path dir = std::filesystem::absolute(data_dir, ec).lexically_normal();
    if (!dir.has_filename()) dir = dir.parent_path();
    path = dir.string() + ".pan.key";
  }
  if (is_within(path, data_dir)) {
    return PanKeyError{"PAN key file " + path + " is inside the data directory " + data_dir +
                       ": a copy of the directory would carry the key to its PAN hashes; move the key "
                       "out of it and name it with the pan_key_file setting"};
  }
  return path;
}

Result<Key, PanKeyError> load_or_create_pan_key(const std::string& path, bool create_if_missing) {
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0) return read_key(path);
  if (errno != ENOENT || !create_if_missing) {
    return PanKeyError{errno_text("cannot find PAN key file", path)};
  }
  return create_key(path);
}

}  // namespace holdfast::server
