#include "journal/journal.h"

#include <algorithm>

#include "base/assert.h"
#include "journal/format.h"
#include "journal/segment_reader.h"

namespace holdfast::journal {
namespace {

std::string where(const SegmentReader& r, uint64_t offset) {
  return r.path() + " offset " + std::to_string(offset) + ": ";
}

}  // namespace

const char* to_string(JournalErrc code) noexcept {
  switch (code) {
    case JournalErrc::io: return "io";
    case JournalErrc::locked: return "locked";
    case JournalErrc::fail_stopped: return "fail_stopped";
    case JournalErrc::corrupt_entry: return "corrupt_entry";
    case JournalErrc::sequence_gap: return "sequence_gap";
    case JournalErrc::truncated_segment: return "truncated_segment";
    case JournalErrc::unsupported_version: return "unsupported_version";
    case JournalErrc::bad_file_name: return "bad_file_name";
    case JournalErrc::corrupt_snapshot: return "corrupt_snapshot";
    case JournalErrc::out_of_range: return "out_of_range";
  }
  return "unknown";
}

Journal::Journal(std::string dir, const JournalOptions& options, FileSystem* fs)
    : dir_(std::move(dir)), options_(options), fs_(fs) {}

Journal::~Journal() = default;

JournalResult<std::unique_ptr<Journal>> Journal::open(const std::string& dir, const JournalOptions& options) {
  HF_REQUIRE(options.segment_target_bytes > 0);
  HF_REQUIRE(options.snapshots_to_keep >= 1);
  HF_REQUIRE(options.max_batch_bytes >= kEntryHeaderBytes + kMaxPayloadBytes);
  FileSystem* fs = options.fs != nullptr ? options.fs : posix_file_system();
  std::unique_ptr<Journal> j(new Journal(dir, options, fs));
  if (auto r = j->take_lock(); !r) return r.error();
  if (auto r = j->recover(); !r) return r.error();
  return j;
}

JournalResult<Ok> Journal::take_lock() {
  if (auto r = fs_->create_dir(dir_); !r) return r.error();
  auto lock = fs_->lock(path_of(std::string(kLockFileName)));
  if (!lock) return lock.error();
  lock_ = std::move(lock.value());
  return Ok{};
}

JournalResult<Ok> Journal::recover() {
  auto names = fs_->list(dir_);
  if (!names) return names.error();
  if (auto r = remove_stale_temp_files(*names); !r) return r;
  for (const std::string& name : *names) {
    if (auto first = parse_segment_file_name(name)) segments_.push_back({*first, path_of(name)});
  }
  std::sort(segments_.begin(), segments_.end(),
            [](const Segment& a, const Segment& b) { return a.first_sequence < b.first_sequence; });
  uint64_t expected = segments_.empty() ? 1 : segments_.front().first_sequence;
  report_.first_sequence = segments_.empty() ? 0 : expected;
  for (size_t i = 0; i < segments_.size(); ++i) {
    if (auto r = verify_segment(i, &expected); !r) return r;
  }
  next_sequence_ = expected;
  committed_sequence_ = expected - 1;
  report_.segments = segments_.size();
  report_.entries = expected - (segments_.empty() ? 1 : segments_.front().first_sequence);
  report_.last_sequence = report_.entries == 0 ? 0 : committed_sequence_;
  if (report_.entries == 0) report_.first_sequence = 0;
  return open_active_segment();
}

JournalResult<Ok> Journal::remove_stale_temp_files(const std::vector<std::string>& names) {
  for (const std::string& name : names) {
    if (!name.ends_with(kSnapshotTempSuffix)) continue;
    if (auto r = fs_->remove(path_of(name)); !r) return r;
    ++report_.stale_temp_files_removed;
  }
  return Ok{};
}

// Verifies one segment: names agree, sequences continue, checksums hold. Damage at the end of
// the last segment with nothing valid after it is a torn tail and is cut; anything else stops.
JournalResult<Ok> Journal::verify_segment(size_t index, uint64_t* expected) {
  const Segment& segment = segments_[index];
  const bool last = index + 1 == segments_.size();
  auto opened = SegmentReader::open(fs_, segment.path);
  if (!opened) return opened.error();
  SegmentReader reader = std::move(opened.value());
  if (segment.first_sequence != *expected) {
    return journal_error(JournalErrc::sequence_gap, where(reader, 0) + "segment name says first sequence " +
                                                        std::to_string(segment.first_sequence) +
                                                        ", expected " + std::to_string(*expected));
  }
  EntryView entry;
  for (;;) {
    auto outcome = reader.next(&entry);
    if (!outcome) return outcome.error();
    if (*outcome == ReadOutcome::end) break;
    if (*outcome == ReadOutcome::damaged) {
      if (reader.damage() == Damage::checksummed_bad_version) {
        return journal_error(JournalErrc::unsupported_version,
                             where(reader, reader.offset()) + reader.damage_reason());
      }
      if (!last) {
        return journal_error(
            reader.damage() == Damage::incomplete ? JournalErrc::truncated_segment
                                                  : JournalErrc::corrupt_entry,
            where(reader, reader.offset()) + reader.damage_reason() + " in a segment that is not the last");
      }
      return cut_torn_tail(&reader);
    }
    if (entry.sequence != *expected) {
      return journal_error(JournalErrc::sequence_gap, where(reader, entry.offset) + "sequence " +
                                                          std::to_string(entry.sequence) + ", expected " +
                                                          std::to_string(*expected));
    }
    ++*expected;
  }
  if (!last && reader.file_size() == 0) {
    return journal_error(JournalErrc::truncated_segment,
                         where(reader, 0) + "empty segment that is not the last");
  }
  return Ok{};
}

JournalResult<Ok> Journal::cut_torn_tail(SegmentReader* reader) {
  const uint64_t offset = reader->offset();
  auto later = reader->find_valid_entry_after(offset);
  if (!later) return later.error();
  if (later->has_value()) {
    return journal_error(JournalErrc::corrupt_entry, where(*reader, offset) + reader->damage_reason() +
                                                         ", yet a valid entry follows at offset " +
                                                         std::to_string(**later) + " (not a torn tail)");
  }
  if (auto r = fs_->truncate(reader->path(), offset); !r) return r;
  report_.torn_bytes_cut = reader->file_size() - offset;
  report_.torn_reason = where(*reader, offset) + reader->damage_reason();
  return Ok{};
}

JournalResult<Ok> Journal::open_active_segment() {
  if (segments_.empty()) return Ok{};
  const std::string& path = segments_.back().path;
  auto size = fs_->file_size(path);
  if (!size) return size.error();
  auto file = fs_->open_writable(path, OpenMode::append_existing);
  if (!file) return file.error();
  active_ = std::move(file.value());
  active_bytes_ = *size;
  return Ok{};
}

uint64_t Journal::first_sequence() const {
  return segments_.empty() ? next_sequence_ : segments_.front().first_sequence;
}

bool Journal::can_append(size_t payload_bytes) const {
  return payload_bytes <= kMaxPayloadBytes &&
         batch_.size() + kEntryHeaderBytes + payload_bytes <= options_.max_batch_bytes;
}

uint64_t Journal::append(std::span<const uint8_t> payload) {
  HF_REQUIRE(!failed_);
  HF_REQUIRE(payload.size() <= kMaxPayloadBytes);
  HF_REQUIRE(can_append(payload.size()));
  const uint64_t sequence = next_sequence_;
  encode_entry(sequence, payload, &batch_);
  ++next_sequence_;
  ++pending_entries_;
  HF_ASSERT(next_sequence_ == committed_sequence_ + pending_entries_ + 1);
  return sequence;
}

JournalResult<Ok> Journal::commit() {
  if (failed_) {
    return journal_error(JournalErrc::fail_stopped,
                         "journal " + dir_ + " is fail-stopped after an earlier I/O error");
  }
  if (pending_entries_ == 0) return Ok{};
  if (active_ == nullptr || active_bytes_ >= options_.segment_target_bytes) {
    if (auto r = rotate(); !r) return fail_stop(r.error());
  }
  if (auto r = active_->append(batch_); !r) return fail_stop(r.error());
  if (auto r = active_->sync(); !r) return fail_stop(r.error());
  active_bytes_ += batch_.size();
  counters_.commits += 1;
  counters_.entries_committed += pending_entries_;
  counters_.bytes_written += batch_.size();
  counters_.largest_batch_entries = std::max<uint64_t>(counters_.largest_batch_entries, pending_entries_);
  committed_sequence_ = next_sequence_ - 1;
  batch_.clear();
  pending_entries_ = 0;
  return Ok{};
}

// Starts a new segment named after the first buffered sequence and makes its directory entry
// durable before any data goes in, so a synced entry can never sit in a file that vanishes.
JournalResult<Ok> Journal::rotate() {
  HF_REQUIRE(pending_entries_ > 0);
  const uint64_t first = committed_sequence_ + 1;
  const std::string path = path_of(segment_file_name(first));
  auto file = fs_->open_writable(path, OpenMode::create_truncate);
  if (!file) return file.error();
  if (auto r = fs_->sync_dir(dir_); !r) return r;
  active_ = std::move(file.value());
  active_bytes_ = 0;
  segments_.push_back({first, path});
  counters_.segments_created += 1;
  return Ok{};
}

JournalResult<Ok> Journal::fail_stop(JournalError error) {
  failed_ = true;
  active_.reset();
  batch_.clear();
  pending_entries_ = 0;
  error.message = "journal " + dir_ + " fail-stopped: " + error.message;
  return error;
}

JournalResult<Ok> Journal::replay(uint64_t from_sequence, const ReplayFn& fn) {
  HF_REQUIRE(from_sequence >= 1);
  if (from_sequence < first_sequence() || from_sequence > committed_sequence_ + 1) {
    return journal_error(JournalErrc::out_of_range,
                         "replay from " + std::to_string(from_sequence) + ": journal " + dir_ + " holds " +
                             std::to_string(first_sequence()) + ".." + std::to_string(committed_sequence_));
  }
  for (size_t i = 0; i < segments_.size(); ++i) {
    const bool later_segment_starts_at_or_before =
        i + 1 < segments_.size() && segments_[i + 1].first_sequence <= from_sequence;
    if (later_segment_starts_at_or_before) continue;
    if (auto r = replay_segment(i, from_sequence, fn); !r) return r;
  }
  return Ok{};
}

std::string Journal::segment_path_of(uint64_t sequence) const {
  if (sequence < first_sequence() || sequence > committed_sequence_) return "";
  std::string path;
  for (const Segment& s : segments_)
    if (s.first_sequence <= sequence) path = s.path;
  return path;
}

JournalResult<Ok> Journal::replay_segment(size_t index, uint64_t from_sequence, const ReplayFn& fn) {
  auto opened = SegmentReader::open(fs_, segments_[index].path);
  if (!opened) return opened.error();
  SegmentReader reader = std::move(opened.value());
  uint64_t expected = segments_[index].first_sequence;
  EntryView entry;
  while (expected <= committed_sequence_) {
    auto outcome = reader.next(&entry);
    if (!outcome) return outcome.error();
    if (*outcome == ReadOutcome::end) break;
    if (*outcome == ReadOutcome::damaged) {
      return journal_error(JournalErrc::corrupt_entry,
                           where(reader, reader.offset()) + reader.damage_reason() + " during replay");
    }
    if (entry.sequence != expected) {
      return journal_error(JournalErrc::sequence_gap, where(reader, entry.offset) + "sequence " +
                                                          std::to_string(entry.sequence) + ", expected " +
                                                          std::to_string(expected));
    }
    if (entry.sequence >= from_sequence) fn(entry.sequence, entry.payload);
    ++expected;
  }
  return Ok{};
}

}  // namespace holdfast::journal
