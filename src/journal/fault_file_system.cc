#include "journal/fault_file_system.h"

#include <utility>

#include "base/assert.h"

namespace holdfast::journal {
namespace {

JournalError injected(const std::string& what, const std::string& path) {
  return journal_error(JournalErrc::io, what + " " + path + ": Input/output error (injected)");
}

std::string parent_dir(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? std::string(".") : path.substr(0, slash);
}

class FaultWritableFile final : public WritableFile {
 public:
  FaultWritableFile(FaultInjectingFileSystem* fs, std::string path, std::unique_ptr<WritableFile> base)
      : fs_(fs), path_(std::move(path)), base_(std::move(base)) {}

  JournalResult<Ok> append(std::span<const uint8_t> data) override {
    const bool dead_already = fs_->power_cut();
    if (fs_->dead_at_this_operation() || fs_->take_write_fault()) {
      if (dead_already) return injected("write", path_);  // nothing reaches a dead machine's files
      const auto prefix = data.first(data.empty() ? 0 : fs_->random_below(data.size()));
      if (auto r = base_->append(prefix); !r) return r;
      fs_->note_appended(path_, prefix.size());
      return injected("write", path_);
    }
    if (auto r = base_->append(data); !r) return r;
    fs_->note_appended(path_, data.size());
    return Ok{};
  }

  JournalResult<Ok> sync() override {
    if (fs_->dead_at_this_operation() || fs_->take_sync_fault()) return injected("fdatasync", path_);
    if (auto r = base_->sync(); !r) return r;
    fs_->note_synced(path_);
    return Ok{};
  }

 private:
  FaultInjectingFileSystem* fs_;
  std::string path_;
  std::unique_ptr<WritableFile> base_;
};

}  // namespace

FaultInjectingFileSystem::FaultInjectingFileSystem(FileSystem* base, uint64_t seed)
    : base_(base), rng_(seed) {
  HF_REQUIRE(base != nullptr);
}

void FaultInjectingFileSystem::cut_power_after(uint64_t operations) {
  HF_REQUIRE(operations > 0);
  cut_at_ = operations_ + operations;
}

bool FaultInjectingFileSystem::dead_at_this_operation() {
  ++operations_;
  if (cut_at_ != 0 && operations_ >= cut_at_) power_cut_ = true;
  return power_cut_;
}

uint64_t FaultInjectingFileSystem::random_below(uint64_t bound) {
  HF_REQUIRE(bound > 0);
  return std::uniform_int_distribution<uint64_t>(0, bound - 1)(rng_);
}

JournalResult<std::unique_ptr<WritableFile>> FaultInjectingFileSystem::open_writable(const std::string& path,
                                                                                     OpenMode mode) {
  if (dead_at_this_operation()) return injected("open", path);
  const bool existed = base_->file_size(path).ok();
  auto file = base_->open_writable(path, mode);
  if (!file) return file.error();
  if (mode == OpenMode::create_truncate || !files_.contains(path)) {
    auto size = base_->file_size(path);
    if (!size) return size.error();
    files_[path] = FileState{*size, *size};  // whatever was there before counts as durable
  }
  if (!existed) created_not_dir_synced_.insert(path);
  return std::unique_ptr<WritableFile>(new FaultWritableFile(this, path, std::move(file.value())));
}

JournalResult<std::unique_ptr<ReadableFile>> FaultInjectingFileSystem::open_readable(
    const std::string& path) {
  return base_->open_readable(path);
}

JournalResult<uint64_t> FaultInjectingFileSystem::file_size(const std::string& path) {
  return base_->file_size(path);
}

JournalResult<std::vector<std::string>> FaultInjectingFileSystem::list(const std::string& dir) {
  return base_->list(dir);
}

JournalResult<Ok> FaultInjectingFileSystem::truncate(const std::string& path, uint64_t size) {
  if (dead_at_this_operation()) return injected("truncate", path);
  if (auto r = base_->truncate(path, size); !r) return r;
  if (auto it = files_.find(path); it != files_.end()) it->second = FileState{size, size};
  return Ok{};
}

JournalResult<Ok> FaultInjectingFileSystem::rename(const std::string& from, const std::string& to) {
  if (dead_at_this_operation() || std::exchange(fail_next_rename_, false)) return injected("rename", from);
  if (auto r = base_->rename(from, to); !r) return r;
  if (auto node = files_.extract(from)) {
    node.key() = to;
    files_.insert(std::move(node));
  }
  if (created_not_dir_synced_.erase(from) > 0) created_not_dir_synced_.insert(to);
  return Ok{};
}

JournalResult<Ok> FaultInjectingFileSystem::remove(const std::string& path) {
  if (dead_at_this_operation()) return injected("remove", path);
  if (auto r = base_->remove(path); !r) return r;
  files_.erase(path);
  created_not_dir_synced_.erase(path);
  return Ok{};
}

JournalResult<Ok> FaultInjectingFileSystem::sync_dir(const std::string& dir) {
  if (dead_at_this_operation() || std::exchange(fail_next_dir_sync_, false)) return injected("fsync", dir);
  if (auto r = base_->sync_dir(dir); !r) return r;
  std::erase_if(created_not_dir_synced_, [&](const std::string& path) { return parent_dir(path) == dir; });
  return Ok{};
}

JournalResult<Ok> FaultInjectingFileSystem::create_dir(const std::string& dir) {
  if (dead_at_this_operation()) return injected("mkdir", dir);
  return base_->create_dir(dir);
}

JournalResult<std::unique_ptr<FileLock>> FaultInjectingFileSystem::lock(const std::string& path) {
  return base_->lock(path);
}

JournalResult<Ok> FaultInjectingFileSystem::drop_unsynced_data() { return lose_unsynced(false); }
JournalResult<Ok> FaultInjectingFileSystem::tear_unsynced_data() { return lose_unsynced(true); }

JournalResult<Ok> FaultInjectingFileSystem::lose_unsynced(bool keep_random_prefix) {
  // The power comes back: later operations work again.
  power_cut_ = false;
  cut_at_ = 0;
  for (const std::string& path : created_not_dir_synced_) {
    if (auto r = base_->remove(path); !r) return r;
    files_.erase(path);
  }
  created_not_dir_synced_.clear();
  for (auto& [path, state] : files_) {
    HF_ASSERT(state.synced <= state.size);
    const uint64_t unsynced = state.size - state.synced;
    const uint64_t kept = keep_random_prefix && unsynced > 0 ? random_below(unsynced + 1) : 0;
    const uint64_t new_size = state.synced + kept;
    if (new_size != state.size) {
      if (auto r = base_->truncate(path, new_size); !r) return r;
    }
    state = FileState{new_size, new_size};
  }
  return Ok{};
}

}  // namespace holdfast::journal
