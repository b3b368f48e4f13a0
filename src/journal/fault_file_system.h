// A FileSystem for tests that wraps a real one and injects the failures a journal must survive
// (LevelDB fault_injection_test style):
//   - a write that fails after writing a random prefix of its bytes (EIO mid-write);
//   - an fsync (file or directory) that fails;
//   - a crash right before a rename (the rename fails and nothing after it happens);
//   - a power loss: every file written through this object loses the bytes appended since its
//     last successful sync (drop_unsynced_data), or keeps a random prefix of them
//     (tear_unsynced_data); files created since their directory was last synced vanish;
//   - a power cut at a chosen point (cut_power_after): the n-th mutating operation from now
//     (create, append, sync, truncate, rename, remove, directory sync) and every one after it
//     fail as if the machine had died there (an append writes a random prefix first), until
//     drop_unsynced_data or tear_unsynced_data brings the power back.
// Randomness comes from the seed given at construction, so a failing test names its seed and
// reproduces exactly.
//
// Model limits: renames and removals are taken as durable at once (only creations are undone).
// Threading: one thread.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>

#include "journal/file_system.h"

namespace holdfast::journal {

class FaultInjectingFileSystem final : public FileSystem {
 public:
  // REQUIRES: base != nullptr; base outlives this object.
  FaultInjectingFileSystem(FileSystem* base, uint64_t seed);

  // The next append writes a random prefix (possibly empty, never all) and fails with EIO.
  void fail_next_write() { fail_next_write_ = true; }
  // The next WritableFile::sync fails with EIO; nothing becomes durable.
  void fail_next_sync() { fail_next_sync_ = true; }
  // The next sync_dir fails with EIO.
  void fail_next_dir_sync() { fail_next_dir_sync_ = true; }
  // The next rename fails as if the machine died just before it.
  void fail_next_rename() { fail_next_rename_ = true; }

  // The `operations`-th mutating operation from now (1 = the next one) and all after it fail.
  // REQUIRES: operations > 0.
  void cut_power_after(uint64_t operations);
  // Whether the cut point was reached (the machine is "dead").
  bool power_cut() const { return power_cut_; }
  // Mutating operations done so far (whatever their outcome): to pick cut points.
  uint64_t mutating_operations() const { return operations_; }

  // Power loss: cut every tracked file back to its last synced size and remove files whose
  // creation was never made durable by sync_dir. Call with no journal open on the files.
  JournalResult<Ok> drop_unsynced_data();
  // Power loss mid-write: like drop_unsynced_data, but each file keeps a random prefix of its
  // unsynced bytes (the last write torn at a random byte).
  JournalResult<Ok> tear_unsynced_data();

  // Bookkeeping used by the wrapped files.
  void note_appended(const std::string& path, uint64_t bytes) { files_[path].size += bytes; }
  void note_synced(const std::string& path) { files_[path].synced = files_[path].size; }
  bool take_write_fault() { return std::exchange(fail_next_write_, false); }
  bool take_sync_fault() { return std::exchange(fail_next_sync_, false); }
  // Counts one mutating operation; true when it must fail because the power is (now) cut.
  bool dead_at_this_operation();
  uint64_t random_below(uint64_t bound);  // REQUIRES: bound > 0

  JournalResult<std::unique_ptr<WritableFile>> open_writable(const std::string& path, OpenMode mode) override;
  JournalResult<std::unique_ptr<ReadableFile>> open_readable(const std::string& path) override;
  JournalResult<uint64_t> file_size(const std::string& path) override;
  JournalResult<std::vector<std::string>> list(const std::string& dir) override;
  JournalResult<Ok> truncate(const std::string& path, uint64_t size) override;
  JournalResult<Ok> rename(const std::string& from, const std::string& to) override;
  JournalResult<Ok> remove(const std::string& path) override;
  JournalResult<Ok> sync_dir(const std::string& dir) override;
  JournalResult<Ok> create_dir(const std::string& dir) override;
  JournalResult<std::unique_ptr<FileLock>> lock(const std::string& path) override;

 private:
  struct FileState {
    uint64_t size = 0;
    uint64_t synced = 0;
  };
  JournalResult<Ok> lose_unsynced(bool keep_random_prefix);

  FileSystem* base_;
  std::mt19937_64 rng_;
  std::map<std::string, FileState> files_;
  std::set<std::string> created_not_dir_synced_;
  bool fail_next_write_ = false;
  bool fail_next_sync_ = false;
  bool fail_next_dir_sync_ = false;
  bool fail_next_rename_ = false;
  uint64_t operations_ = 0;
  uint64_t cut_at_ = 0;  // 0: no cut planned
  bool power_cut_ = false;
};

}  // namespace holdfast::journal
