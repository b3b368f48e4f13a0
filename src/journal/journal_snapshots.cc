// Journal's snapshot half: write, load, prune, and deletion of segments a snapshot covers.
#include "base/assert.h"
#include "journal/format.h"
#include "journal/journal.h"
#include "journal/snapshot_file.h"

namespace holdfast::journal {

JournalResult<Ok> Journal::write_snapshot(uint64_t last_applied_sequence, std::span<const uint8_t> state) {
  HF_REQUIRE(last_applied_sequence <= committed_sequence_);
  if (auto r = write_snapshot_file(fs_, dir_, last_applied_sequence, state); !r) return r;
  return prune_snapshots();
}

JournalResult<std::optional<Snapshot>> Journal::load_latest_snapshot() {
  auto sequences = list_snapshots(fs_, dir_);
  if (!sequences) return sequences.error();
  Snapshot snapshot;
  for (auto it = sequences->rbegin(); it != sequences->rend(); ++it) {
    const std::string path = path_of(snapshot_file_name(*it));
    auto state = read_snapshot_file(fs_, path, *it);
    if (state) {
      snapshot.last_applied_sequence = *it;
      snapshot.state = std::move(state.value());
      snapshot.path = path;
      return std::optional<Snapshot>(std::move(snapshot));
    }
    if (!options_.snapshot_fallback || state.error().code == JournalErrc::io) {
      return state.error();
    }
    snapshot.skipped.push_back(path);
  }
  if (!snapshot.skipped.empty()) {
    return journal_error(JournalErrc::corrupt_snapshot,
                         "no valid snapshot in " + dir_ + "; newest corrupt: " + snapshot.skipped.front());
  }
  return std::optional<Snapshot>();
}

// Keeps the newest snapshots_to_keep snapshots; optionally drops segments they cover.
JournalResult<Ok> Journal::prune_snapshots() {
  auto sequences = list_snapshots(fs_, dir_);
  if (!sequences) return sequences.error();
  HF_ASSERT(!sequences->empty());
  const size_t keep = options_.snapshots_to_keep;
  const size_t drop = sequences->size() > keep ? sequences->size() - keep : 0;
  for (size_t i = 0; i < drop; ++i) {
    if (auto r = fs_->remove(path_of(snapshot_file_name((*sequences)[i]))); !r) return r;
  }
  if (options_.delete_covered_segments) {
    if (auto r = delete_covered_segments((*sequences)[drop]); !r) return r;
  }
  return fs_->sync_dir(dir_);
}

// Deletes leading segments whose last entry is <= covered_through. The active (last) segment is
// never deleted, so the journal always knows its next sequence from a file.
JournalResult<Ok> Journal::delete_covered_segments(uint64_t covered_through) {
  size_t deletable = 0;
  while (deletable + 1 < segments_.size() && segments_[deletable + 1].first_sequence - 1 <= covered_through) {
    ++deletable;
  }
  for (size_t i = 0; i < deletable; ++i) {
    if (auto r = fs_->remove(segments_[i].path); !r) return r;
    // One directory fsync per removal: removals become durable oldest first, so a crash can
    // never leave a gap (an older segment back while a newer one is gone).
    if (auto r = fs_->sync_dir(dir_); !r) return r;
  }
  segments_.erase(segments_.begin(), segments_.begin() + static_cast<ptrdiff_t>(deletable));
  return Ok{};
}

}  // namespace holdfast::journal
