#include "journal/snapshot_file.h"

#include <algorithm>

#include "base/assert.h"
#include "journal/constants.h"
#include "journal/format.h"

namespace holdfast::journal {
namespace {

JournalError corrupt(const std::string& path, std::string reason) {
  return journal_error(JournalErrc::corrupt_snapshot, path + ": " + std::move(reason));
}

}  // namespace

JournalResult<Ok> write_snapshot_file(FileSystem* fs, const std::string& dir, uint64_t last_applied_sequence,
                                      std::span<const uint8_t> state) {
  HF_REQUIRE(state.size() <= kMaxSnapshotBytes);
  const std::string final_path = dir + "/" + snapshot_file_name(last_applied_sequence);
  const std::string temp_path = final_path + std::string(kSnapshotTempSuffix);
  auto file = fs->open_writable(temp_path, OpenMode::create_truncate);
  if (!file) return file.error();
  const std::vector<uint8_t> header = encode_snapshot_header(last_applied_sequence, state);
  if (auto r = (*file)->append(header); !r) return r;
  if (auto r = (*file)->append(state); !r) return r;
  if (auto r = (*file)->sync(); !r) return r;
  file->reset();
  if (auto r = fs->rename(temp_path, final_path); !r) return r;
  return fs->sync_dir(dir);
}

JournalResult<std::vector<uint8_t>> read_snapshot_file(FileSystem* fs, const std::string& path,
                                                       uint64_t expected_sequence) {
  auto size = fs->file_size(path);
  if (!size) return size.error();
  if (*size < kSnapshotHeaderBytes) return corrupt(path, "shorter than a snapshot header");
  auto file = fs->open_readable(path);
  if (!file) return file.error();
  std::vector<uint8_t> header(kSnapshotHeaderBytes);
  if (auto got = (*file)->read_at(0, header); !got || *got != header.size()) {
    return got ? corrupt(path, "short read of header") : got.error();
  }
  const SnapshotHeader h = decode_snapshot_header(header);
  if (h.magic != kSnapshotMagic) return corrupt(path, "bad snapshot magic");
  if (h.state_length != *size - kSnapshotHeaderBytes || h.state_length > kMaxSnapshotBytes) {
    return corrupt(path, "state length " + std::to_string(h.state_length) + " disagrees with file size " +
                             std::to_string(*size));
  }
  std::vector<uint8_t> state(static_cast<size_t>(h.state_length));
  if (auto got = (*file)->read_at(kSnapshotHeaderBytes, state); !got || *got != state.size()) {
    return got ? corrupt(path, "short read of state") : got.error();
  }
  if (snapshot_crc(header, state) != h.crc) return corrupt(path, "checksum mismatch");
  if (h.version != kSnapshotVersion) {
    return journal_error(JournalErrc::unsupported_version,
                         path + ": unsupported snapshot version " + std::to_string(h.version));
  }
  if (h.last_applied_sequence != expected_sequence) {
    return corrupt(path, "header says sequence " + std::to_string(h.last_applied_sequence));
  }
  return state;
}

JournalResult<std::vector<uint64_t>> list_snapshots(FileSystem* fs, const std::string& dir) {
  auto names = fs->list(dir);
  if (!names) return names.error();
  std::vector<uint64_t> sequences;
  for (const std::string& name : *names) {
    if (auto seq = parse_snapshot_file_name(name)) sequences.push_back(*seq);
  }
  std::sort(sequences.begin(), sequences.end());
  return sequences;
}

}  // namespace holdfast::journal
