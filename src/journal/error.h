// Errors of the journal module. An operating failure (I/O, corrupt bytes, a held lock) is a
// JournalError value; a broken precondition is an HF_REQUIRE abort. Messages name the file, the
// byte offset and the reason, because an operator reads them when a journal refuses to open.
// Threading: plain values, safe to copy between threads.
#pragma once

#include <string>

#include "base/result.h"

namespace holdfast::journal {

// Ordered roughly by how early in open() or commit() each can arise.
enum class JournalErrc {
  io,                   // a system call failed (message carries errno text and path)
  locked,               // another process (or Journal object) holds the directory lock
  fail_stopped,         // an earlier write or fsync failed; the journal refuses more work
  corrupt_entry,        // bad magic/length/checksum where it cannot be a torn tail
  sequence_gap,         // an entry's sequence is not the previous one plus 1
  truncated_segment,    // a segment other than the last ends inside an entry
  unsupported_version,  // a checksummed entry or snapshot of a version this code cannot read
  bad_file_name,        // a segment's name disagrees with its first entry
  corrupt_snapshot,     // snapshot header or checksum invalid
  out_of_range,         // replay asked for sequences the journal no longer / not yet holds
};

using JournalError = Error<JournalErrc>;

template <typename T>
using JournalResult = Result<T, JournalError>;

inline JournalError journal_error(JournalErrc code, std::string message) {
  return JournalError{code, std::move(message)};
}

const char* to_string(JournalErrc code) noexcept;

}  // namespace holdfast::journal
