// Snapshot files: write one atomically, read and verify one, list the ones in a directory.
// Format in format.h / FORMAT.md. The journal decides which snapshots to keep and load.
// Threading: stateless functions; callers serialise access to a directory.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "journal/error.h"
#include "journal/file_system.h"

namespace holdfast::journal {

// Writes <dir>/snapshot-<seq>.snap.tmp, fdatasyncs it, renames it to snapshot-<seq>.snap and
// fsyncs the directory. A crash at any point leaves either no new snapshot or a complete one
// (a left-over .tmp file is removed by the next Journal::open).
// REQUIRES: state.size() <= kMaxSnapshotBytes.
JournalResult<Ok> write_snapshot_file(FileSystem* fs, const std::string& dir, uint64_t last_applied_sequence,
                                      std::span<const uint8_t> state);

// Reads and verifies <path>: size, magic, version, checksum, and that the header's sequence
// matches `expected_sequence` (the number in the file name). Returns the state bytes.
JournalResult<std::vector<uint8_t>> read_snapshot_file(FileSystem* fs, const std::string& path,
                                                       uint64_t expected_sequence);

// Sequences of the snapshot files in `dir`, ascending (temp files are not snapshots).
JournalResult<std::vector<uint64_t>> list_snapshots(FileSystem* fs, const std::string& dir);

}  // namespace holdfast::journal
