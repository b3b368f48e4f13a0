// POSIX implementation of the FileSystem seam: open/write/pread/fdatasync/fcntl locks.
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <set>

#include "base/assert.h"
#include "journal/file_system.h"

namespace holdfast::journal {
namespace {

// Journal segments, snapshots and the lock file hold card data (PAN hashes, masked PANs, amounts):
// owner only, whatever the umask. Directories likewise.
constexpr mode_t kFileMode = 0600;
constexpr mode_t kDirMode = 0700;

JournalError posix_error(const char* what, const std::string& path, int err) {
  return journal_error(JournalErrc::io, std::string(what) + " " + path + ": " + std::strerror(err));
}

// Owns a file descriptor.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

class PosixWritableFile final : public WritableFile {
 public:
  PosixWritableFile(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}

  JournalResult<Ok> append(std::span<const uint8_t> data) override {
    while (!data.empty()) {
      const ssize_t n = ::write(fd_.get(), data.data(), data.size());
      if (n < 0) {
        if (errno == EINTR) continue;
        return posix_error("write", path_, errno);
      }
      data = data.subspan(static_cast<size_t>(n));
    }
    return Ok{};
  }

  JournalResult<Ok> sync() override {
    if (::fdatasync(fd_.get()) != 0) return posix_error("fdatasync", path_, errno);
    return Ok{};
  }

 private:
  Fd fd_;
  std::string path_;
};

class PosixReadableFile final : public ReadableFile {
 public:
  PosixReadableFile(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}

  JournalResult<size_t> read_at(uint64_t offset, std::span<uint8_t> out) override {
    size_t total = 0;
    while (total < out.size()) {
      const ssize_t n =
          ::pread(fd_.get(), out.data() + total, out.size() - total, static_cast<off_t>(offset + total));
      if (n < 0) {
        if (errno == EINTR) continue;
        return posix_error("pread", path_, errno);
      }
      if (n == 0) break;
      total += static_cast<size_t>(n);
    }
    return total;
  }

 private:
  Fd fd_;
  std::string path_;
};

// The lock is a POSIX record lock (fcntl F_SETLK), owned by the process: a child forked
// without exec (the server's snapshot child) does not inherit it, and it goes the moment the
// process dies. flock(2) and OFD locks belong to the open file description instead, which a
// forked child shares until it closes its copy: a server killed right after forking kept its
// lock through the child, and its restart was refused. POSIX locks do not conflict inside one
// process, and closing any descriptor of the file drops them, so the paths this process holds
// are also kept here and checked before the file is even opened.
std::mutex g_locked_mu;
std::set<std::string> g_locked_paths;

std::string lock_key(const std::string& path) {
  std::error_code ec;
  const auto canonical = std::filesystem::weakly_canonical(path, ec);
  return ec ? path : canonical.string();
}

class PosixFileLock final : public FileLock {
 public:
  PosixFileLock(int fd, std::string key) : fd_(fd), key_(std::move(key)) {}
  ~PosixFileLock() override {
    // Both under the mutex: a lock() in between would take a lock this close then drops.
    std::lock_guard<std::mutex> guard(g_locked_mu);
    ::close(fd_);
    g_locked_paths.erase(key_);
  }
  PosixFileLock(const PosixFileLock&) = delete;
  PosixFileLock& operator=(const PosixFileLock&) = delete;

 private:
  int fd_;
  std::string key_;
};

class PosixFileSystem final : public FileSystem {
 public:
  JournalResult<std::unique_ptr<WritableFile>> open_writable(const std::string& path,
                                                             OpenMode mode) override {
    int flags = O_WRONLY | O_APPEND | O_CLOEXEC;
    if (mode == OpenMode::create_truncate) flags |= O_CREAT | O_TRUNC;
    const int fd = ::open(path.c_str(), flags, kFileMode);
    if (fd < 0) return posix_error("open", path, errno);
    return std::unique_ptr<WritableFile>(new PosixWritableFile(fd, path));
  }

  JournalResult<std::unique_ptr<ReadableFile>> open_readable(const std::string& path) override {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return posix_error("open", path, errno);
    return std::unique_ptr<ReadableFile>(new PosixReadableFile(fd, path));
  }

  JournalResult<uint64_t> file_size(const std::string& path) override {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return posix_error("stat", path, errno);
    return static_cast<uint64_t>(st.st_size);
  }

  JournalResult<std::vector<std::string>> list(const std::string& dir) override {
    DIR* d = ::opendir(dir.c_str());
    if (d == nullptr) return posix_error("opendir", dir, errno);
    std::vector<std::string> names;
    while (const dirent* e = ::readdir(d)) {
      const std::string name = e->d_name;
      if (name != "." && name != "..") names.push_back(name);
    }
    ::closedir(d);
    return names;
  }

  JournalResult<Ok> truncate(const std::string& path, uint64_t size) override {
    const Fd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
    if (fd.get() < 0) return posix_error("open", path, errno);
    if (::ftruncate(fd.get(), static_cast<off_t>(size)) != 0) {
      return posix_error("ftruncate", path, errno);
    }
    if (::fsync(fd.get()) != 0) return posix_error("fsync", path, errno);
    return Ok{};
  }

  JournalResult<Ok> rename(const std::string& from, const std::string& to) override {
    if (::rename(from.c_str(), to.c_str()) != 0) return posix_error("rename", from, errno);
    return Ok{};
  }

  JournalResult<Ok> remove(const std::string& path) override {
    if (::unlink(path.c_str()) != 0) return posix_error("unlink", path, errno);
    return Ok{};
  }

  JournalResult<Ok> sync_dir(const std::string& dir) override {
    const Fd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (fd.get() < 0) return posix_error("open", dir, errno);
    if (::fsync(fd.get()) != 0) return posix_error("fsync", dir, errno);
    return Ok{};
  }

  JournalResult<Ok> create_dir(const std::string& dir) override {
    if (::mkdir(dir.c_str(), kDirMode) != 0 && errno != EEXIST) {
      return posix_error("mkdir", dir, errno);
    }
    return Ok{};
  }

  JournalResult<std::unique_ptr<FileLock>> lock(const std::string& path) override {
    const auto locked = [&] {
      return journal_error(JournalErrc::locked, "journal directory is locked by another writer: " + path);
    };
    const std::string key = lock_key(path);
    std::lock_guard<std::mutex> guard(g_locked_mu);
    if (g_locked_paths.contains(key)) return locked();
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, kFileMode);
    if (fd < 0) return posix_error("open", path, errno);
    struct flock whole {};
    whole.l_type = F_WRLCK;
    whole.l_whence = SEEK_SET;  // l_start 0, l_len 0: the whole file
    if (::fcntl(fd, F_SETLK, &whole) != 0) {
      const int err = errno;
      ::close(fd);
      if (err == EACCES || err == EAGAIN) return locked();
      return posix_error("fcntl(F_SETLK)", path, err);
    }
    g_locked_paths.insert(key);
    return std::unique_ptr<FileLock>(new PosixFileLock(fd, key));
  }
};

}  // namespace

FileSystem* posix_file_system() {
  static PosixFileSystem fs;
  return &fs;
}

}  // namespace holdfast::journal
