// The seam between the journal and the operating system (LevelDB Env style). The journal does
// all file work through a FileSystem so tests can substitute FaultInjectingFileSystem and make
// writes fail, fsyncs fail, or a simulated power loss drop or tear unsynced data.
//
// Paths are plain strings; the journal joins directory and file name with '/'.
// Durability contract of the POSIX implementation:
//   WritableFile::sync() is fdatasync(2): the file's data and the size needed to read it back.
//   sync_dir() is fsync(2) on the directory: creations, renames and removals in it are durable.
//   truncate() makes the new size durable before it returns.
// Threading: a FileSystem may be shared; each file object is used by one thread at a time.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "journal/error.h"

namespace holdfast::journal {

// A file opened for appending. Bytes reach the file in append() order.
class WritableFile {
 public:
  virtual ~WritableFile() = default;
  // Writes all of `data` at the end of the file (looping over partial writes).
  virtual JournalResult<Ok> append(std::span<const uint8_t> data) = 0;
  // Makes every appended byte durable (fdatasync).
  virtual JournalResult<Ok> sync() = 0;
};

// A file opened for positional reads.
class ReadableFile {
 public:
  virtual ~ReadableFile() = default;
  // Reads up to out.size() bytes at `offset`; returns how many were read (0 at end of file).
  virtual JournalResult<size_t> read_at(uint64_t offset, std::span<uint8_t> out) = 0;
};

// Held while the object lives; released on destruction.
class FileLock {
 public:
  virtual ~FileLock() = default;
};

enum class OpenMode {
  append_existing,  // open an existing file, writes go to its end
  create_truncate,  // create or empty the file
};

class FileSystem {
 public:
  virtual ~FileSystem() = default;
  virtual JournalResult<std::unique_ptr<WritableFile>> open_writable(const std::string& path,
                                                                     OpenMode mode) = 0;
  virtual JournalResult<std::unique_ptr<ReadableFile>> open_readable(const std::string& path) = 0;
  virtual JournalResult<uint64_t> file_size(const std::string& path) = 0;
  // Names (not paths) of the entries of `dir`, without "." and "..", in no particular order.
  virtual JournalResult<std::vector<std::string>> list(const std::string& dir) = 0;
  // Cuts the file to `size` bytes and makes that durable.
  virtual JournalResult<Ok> truncate(const std::string& path, uint64_t size) = 0;
  virtual JournalResult<Ok> rename(const std::string& from, const std::string& to) = 0;
  virtual JournalResult<Ok> remove(const std::string& path) = 0;
  virtual JournalResult<Ok> sync_dir(const std::string& dir) = 0;
  // Creates the directory if it does not exist (one level).
  virtual JournalResult<Ok> create_dir(const std::string& dir) = 0;
  // Takes an exclusive, non-blocking lock on `path` (created if missing); JournalErrc::locked
  // when someone else holds it.
  virtual JournalResult<std::unique_ptr<FileLock>> lock(const std::string& path) = 0;
};

// The process-wide POSIX implementation. Never null; lives for the whole program.
FileSystem* posix_file_system();

}  // namespace holdfast::journal
