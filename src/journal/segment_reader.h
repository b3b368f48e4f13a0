// Reads the entries of one segment file in order, verifying each entry's magic, length bound and
// checksum. It does not judge sequence numbers or decide what damage means: Journal::open decides
// whether damage is a torn tail (last segment, nothing valid after it) or corruption.
//
// Invariants: offset() is always the start of the next entry to read, or of the damaged entry
// once next() has returned ReadOutcome::damaged (the reader then stays there).
// Memory: one read window of kReadWindowBytes, whatever the segment size.
// Threading: one thread.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "journal/error.h"
#include "journal/file_system.h"

namespace holdfast::journal {

enum class ReadOutcome { entry, end, damaged };

// What is wrong with the entry at offset(). Only `checksummed_bad_version` is certainly not a
// torn write: the bytes are intact, this code just cannot read them.
enum class Damage { none, incomplete, bad_header, bad_checksum, checksummed_bad_version };

struct EntryView {
  uint64_t offset = 0;
  uint64_t sequence = 0;
  std::span<const uint8_t> payload;  // valid until the next call to next()
};

class SegmentReader {
 public:
  // REQUIRES: file != nullptr; file_size is the file's size in bytes.
  SegmentReader(std::string path, std::unique_ptr<ReadableFile> file, uint64_t file_size);

  static JournalResult<SegmentReader> open(FileSystem* fs, const std::string& path);

  // Reads the next entry into *out. Returns entry, end (clean end of file) or damaged
  // (see damage() and damage_reason()); an I/O failure is an error.
  JournalResult<ReadOutcome> next(EntryView* out);

  // Looks for any entry with a plausible header and a valid checksum starting after `offset`.
  // Returns its offset, or nullopt when none exists. Used to tell a torn tail from corruption.
  JournalResult<std::optional<uint64_t>> find_valid_entry_after(uint64_t offset);

  uint64_t offset() const { return offset_; }
  uint64_t file_size() const { return size_; }
  const std::string& path() const { return path_; }
  Damage damage() const { return damage_; }
  const std::string& damage_reason() const { return damage_reason_; }

 private:
  // Returns up to n bytes at `at` (fewer only at end of file), refilling the window if needed.
  JournalResult<std::span<const uint8_t>> bytes_at(uint64_t at, size_t n);
  ReadOutcome mark_damaged(Damage d, std::string reason);
  JournalResult<bool> valid_entry_at(uint64_t at);

  std::string path_;
  std::unique_ptr<ReadableFile> file_;
  uint64_t size_ = 0;
  uint64_t offset_ = 0;
  std::vector<uint8_t> window_;
  uint64_t window_offset_ = 0;
  size_t window_length_ = 0;
  Damage damage_ = Damage::none;
  std::string damage_reason_;
};

}  // namespace holdfast::journal
