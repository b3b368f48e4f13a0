// The durable journal: the engine's input commands, in order, plus snapshots of its state.
// A reply may leave only after its command's entry is durable, i.e. after the commit() that
// covers its sequence returned Ok.
//
// Usage:
//   auto j = Journal::open(dir, {});              // verifies every entry, cuts a torn tail
//   auto snap = (*j)->load_latest_snapshot();      // newest valid snapshot, if any
//   (*j)->replay(from, apply);                     // re-apply entries after the snapshot
//   uint64_t seq = (*j)->append(payload);          // buffer (group commit) ...
//   (*j)->commit();                                // ... one write + one fdatasync per batch
//
// Invariants:
//   - Sequence numbers start at 1 and increase by exactly 1 across all segments.
//   - last_committed_sequence() entries are durable; nothing after it has been acknowledged.
//   - After a failed write or fsync the journal is fail-stopped: commit() returns
//     JournalErrc::fail_stopped and append() is a precondition failure. After a failed fsync the
//     kernel may have dropped the dirty pages and cleared the error, so neither retrying nor
//     carrying on can tell what is on disk; the only safe path is to restart and re-open, which
//     re-verifies the files.
//   - The directory is locked (a POSIX fcntl lock on LOCK, not inherited by forked children)
//     for the lifetime of the object.
// Threading: one thread owns a Journal (the engine's writer thread); no internal locking.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "journal/constants.h"
#include "journal/error.h"
#include "journal/file_system.h"

namespace holdfast::journal {

class SegmentReader;

struct JournalOptions {
  FileSystem* fs = nullptr;  // nullptr: posix_file_system()
  uint64_t segment_target_bytes = kDefaultSegmentTargetBytes;
  uint64_t max_batch_bytes = kDefaultMaxBatchBytes;
  uint32_t snapshots_to_keep = kDefaultSnapshotsToKeep;
  // After write_snapshot, delete segments whose every entry is <= the oldest kept snapshot.
  bool delete_covered_segments = false;
  // When the newest snapshot is corrupt: false (default) makes load_latest_snapshot an error
  // naming the file, so an operator looks before the node starts from older state; true falls
  // back to the next older valid one and lists the skipped files in Snapshot::skipped.
  bool snapshot_fallback = false;
};

// What open() found and did.
struct OpenReport {
  size_t segments = 0;
  uint64_t entries = 0;
  uint64_t first_sequence = 0;  // 0 when the journal holds no entries
  uint64_t last_sequence = 0;   // 0 when the journal holds no entries
  uint64_t torn_bytes_cut = 0;  // bytes removed from the end of the last segment
  std::string torn_reason;      // why the tail was judged torn; empty when nothing was cut
  size_t stale_temp_files_removed = 0;
};

// Cumulative since open(); for reporting batch sizes (entries / commits).
struct JournalCounters {
  uint64_t entries_committed = 0;
  uint64_t commits = 0;  // each is one write and one fdatasync
  uint64_t bytes_written = 0;
  uint64_t segments_created = 0;
  uint64_t largest_batch_entries = 0;
};

struct Snapshot {
  uint64_t last_applied_sequence = 0;
  std::vector<uint8_t> state;
  std::string path;
  std::vector<std::string> skipped;  // corrupt newer snapshots passed over (fallback only)
};

using ReplayFn = std::function<void(uint64_t sequence, std::span<const uint8_t> payload)>;

class Journal {
 public:
  // Opens (creating if needed) the journal in `dir`, takes the lock, removes stale snapshot
  // temp files, verifies every segment and truncates a torn tail of the last segment.
  // REQUIRES: options.segment_target_bytes > 0, options.snapshots_to_keep >= 1,
  //           options.max_batch_bytes >= one maximal entry.
  static JournalResult<std::unique_ptr<Journal>> open(const std::string& dir, const JournalOptions& options);
  ~Journal();
  Journal(const Journal&) = delete;
  Journal& operator=(const Journal&) = delete;

  // Buffers one entry and returns its sequence. Not durable until commit() returns Ok.
  // REQUIRES: !failed(); payload.size() <= kMaxPayloadBytes;
  //           can_append(payload.size()) (the batch stays under max_batch_bytes).
  uint64_t append(std::span<const uint8_t> payload);
  bool can_append(size_t payload_bytes) const;

  // Writes every buffered entry with one write and makes it durable with one fdatasync
  // (rotating to a new segment first if the active one reached segment_target_bytes).
  // Ok with nothing buffered is a no-op. On failure the journal is fail-stopped.
  JournalResult<Ok> commit();

  // Streams committed entries with sequence >= from_sequence, in order, re-verifying checksums.
  // out_of_range when from_sequence is before the first entry still held or after
  // last_committed_sequence() + 1.
  // REQUIRES: from_sequence >= 1.
  JournalResult<Ok> replay(uint64_t from_sequence, const ReplayFn& fn);

  // Atomically writes snapshot-<seq>.snap (temp file, fdatasync, rename, directory fsync), then
  // keeps the newest snapshots_to_keep and, if enabled, deletes covered segments.
  // REQUIRES: last_applied_sequence <= last_committed_sequence().
  JournalResult<Ok> write_snapshot(uint64_t last_applied_sequence, std::span<const uint8_t> state);

  // The newest valid snapshot, or nullopt when there is none (see snapshot_fallback).
  JournalResult<std::optional<Snapshot>> load_latest_snapshot();

  uint64_t last_committed_sequence() const { return committed_sequence_; }
  uint64_t next_sequence() const { return next_sequence_; }
  // First sequence still held in the segments (next_sequence() when there are none).
  uint64_t first_sequence() const;
  size_t pending_entries() const { return pending_entries_; }
  size_t pending_bytes() const { return batch_.size(); }
  bool failed() const { return failed_; }
  const OpenReport& open_report() const { return report_; }
  const JournalCounters& counters() const { return counters_; }
  const std::string& dir() const { return dir_; }
  // The segment file holding entry `sequence` ("" when no segment holds it): for errors about
  // an entry's payload, which the journal does not interpret.
  std::string segment_path_of(uint64_t sequence) const;

 private:
  struct Segment {
    uint64_t first_sequence;
    std::string path;
  };

  Journal(std::string dir, const JournalOptions& options, FileSystem* fs);
  JournalResult<Ok> take_lock();
  JournalResult<Ok> recover();
  JournalResult<Ok> remove_stale_temp_files(const std::vector<std::string>& names);
  JournalResult<Ok> verify_segment(size_t index, uint64_t* expected);
  JournalResult<Ok> cut_torn_tail(SegmentReader* reader);
  JournalResult<Ok> open_active_segment();
  JournalResult<Ok> rotate();
  JournalResult<Ok> fail_stop(JournalError error);
  JournalResult<Ok> replay_segment(size_t index, uint64_t from_sequence, const ReplayFn& fn);
  JournalResult<Ok> prune_snapshots();
  JournalResult<Ok> delete_covered_segments(uint64_t covered_through);
  std::string path_of(const std::string& name) const { return dir_ + "/" + name; }

  std::string dir_;
  JournalOptions options_;
  FileSystem* fs_;
  std::unique_ptr<FileLock> lock_;
  std::vector<Segment> segments_;  // ascending; the last one is the active segment
  std::unique_ptr<WritableFile> active_;
  uint64_t active_bytes_ = 0;
  std::vector<uint8_t> batch_;  // encoded entries awaiting commit()
  size_t pending_entries_ = 0;
  uint64_t next_sequence_ = 1;
  uint64_t committed_sequence_ = 0;
  bool failed_ = false;
  OpenReport report_;
  JournalCounters counters_;
};

}  // namespace holdfast::journal
