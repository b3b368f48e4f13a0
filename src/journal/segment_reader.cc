#include "journal/segment_reader.h"

#include <algorithm>
#include <cstring>

#include "base/assert.h"
#include "journal/constants.h"
#include "journal/format.h"

namespace holdfast::journal {

static_assert(kReadWindowBytes >= kEntryHeaderBytes + kMaxPayloadBytes,
              "the read window must hold a whole entry");

SegmentReader::SegmentReader(std::string path, std::unique_ptr<ReadableFile> file, uint64_t file_size)
    : path_(std::move(path)), file_(std::move(file)), size_(file_size) {
  HF_REQUIRE(file_ != nullptr);
}

JournalResult<SegmentReader> SegmentReader::open(FileSystem* fs, const std::string& path) {
  auto size = fs->file_size(path);
  if (!size) return size.error();
  auto file = fs->open_readable(path);
  if (!file) return file.error();
  return SegmentReader(path, std::move(file.value()), *size);
}

JournalResult<std::span<const uint8_t>> SegmentReader::bytes_at(uint64_t at, size_t n) {
  HF_REQUIRE(n <= kReadWindowBytes);
  const bool inside = at >= window_offset_ && at + n <= window_offset_ + window_length_;
  if (!inside) {
    window_.resize(kReadWindowBytes);
    const uint64_t left = at < size_ ? size_ - at : 0;
    const size_t want = static_cast<size_t>(std::min<uint64_t>(left, kReadWindowBytes));
    auto got = file_->read_at(at, std::span<uint8_t>(window_.data(), want));
    if (!got) return got.error();
    window_offset_ = at;
    window_length_ = *got;
  }
  const size_t start = static_cast<size_t>(at - window_offset_);
  const size_t avail = window_length_ > start ? window_length_ - start : 0;
  return std::span<const uint8_t>(window_.data() + start, std::min(n, avail));
}

ReadOutcome SegmentReader::mark_damaged(Damage d, std::string reason) {
  damage_ = d;
  damage_reason_ = std::move(reason);
  return ReadOutcome::damaged;
}

JournalResult<ReadOutcome> SegmentReader::next(EntryView* out) {
  if (damage_ != Damage::none) return ReadOutcome::damaged;
  if (offset_ == size_) return ReadOutcome::end;
  auto header_bytes = bytes_at(offset_, kEntryHeaderBytes);
  if (!header_bytes) return header_bytes.error();
  if (header_bytes->size() < kEntryHeaderBytes) {
    return mark_damaged(Damage::incomplete,
                        "incomplete entry header (" + std::to_string(size_ - offset_) + " bytes left)");
  }
  const EntryHeader h = decode_entry_header(*header_bytes);
  if (h.magic != kEntryMagic) return mark_damaged(Damage::bad_header, "bad entry magic");
  if (!entry_header_plausible(h)) {
    return mark_damaged(Damage::bad_header,
                        "payload length " + std::to_string(h.payload_length) + " over limit");
  }
  const size_t entry_bytes = kEntryHeaderBytes + h.payload_length;
  auto entry = bytes_at(offset_, entry_bytes);
  if (!entry) return entry.error();
  if (entry->size() < entry_bytes) {
    return mark_damaged(Damage::incomplete, "entry ends past end of file");
  }
  const auto payload = entry->subspan(kEntryHeaderBytes);
  if (entry_crc(entry->first(kEntryHeaderBytes), payload) != h.crc) {
    return mark_damaged(Damage::bad_checksum, "checksum mismatch");
  }
  if (h.version != kEntryVersion) {
    return mark_damaged(Damage::checksummed_bad_version,
                        "unsupported entry version " + std::to_string(h.version));
  }
  *out = EntryView{offset_, h.sequence, payload};
  offset_ += entry_bytes;
  return ReadOutcome::entry;
}

// Rare path (only after damage in the last segment): plain reads, no window reuse.
JournalResult<bool> SegmentReader::valid_entry_at(uint64_t at) {
  std::vector<uint8_t> header(kEntryHeaderBytes);
  auto got = file_->read_at(at, header);
  if (!got) return got.error();
  if (*got < kEntryHeaderBytes) return false;
  const EntryHeader h = decode_entry_header(header);
  if (!entry_header_plausible(h)) return false;
  std::vector<uint8_t> payload(h.payload_length);
  auto got_payload = file_->read_at(at + kEntryHeaderBytes, payload);
  if (!got_payload) return got_payload.error();
  if (*got_payload < payload.size()) return false;
  return entry_crc(header, payload) == h.crc;
}

JournalResult<std::optional<uint64_t>> SegmentReader::find_valid_entry_after(uint64_t offset) {
  uint8_t magic[sizeof kEntryMagic];
  std::memcpy(magic, &kEntryMagic, sizeof magic);
  std::vector<uint8_t> chunk(kReadWindowBytes);
  for (uint64_t base = offset + 1; base + kEntryHeaderBytes <= size_;) {
    auto got = file_->read_at(base, chunk);
    if (!got) return got.error();
    const auto data = std::span<const uint8_t>(chunk.data(), *got);
    for (size_t i = 0; i + sizeof magic <= data.size(); ++i) {
      if (std::memcmp(data.data() + i, magic, sizeof magic) != 0) continue;
      auto valid = valid_entry_at(base + i);
      if (!valid) return valid.error();
      if (*valid) return std::optional<uint64_t>(base + i);
    }
    if (data.size() < sizeof magic) break;
    base += data.size() - (sizeof magic - 1);  // overlap so a magic across chunks is seen
  }
  return std::optional<uint64_t>();
}

}  // namespace holdfast::journal
