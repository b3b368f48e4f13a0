// Stories about snapshots: atomic writes, retention, corrupt files, and replay after a snapshot.
#include <filesystem>

#include "journal/fault_file_system.h"
#include "journal/format.h"
#include "journal/test_util.h"

namespace holdfast::journal {
namespace {

using testing::append_commands;
using testing::expect_commands;
using testing::open_ok;
using testing::read_file;
using testing::TempDir;
using testing::write_file;

std::vector<uint8_t> state_of(const std::string& s) { return {s.begin(), s.end()}; }

std::optional<Snapshot> latest(Journal* j) {
  auto s = j->load_latest_snapshot();
  EXPECT_TRUE(s.ok()) << (s.ok() ? "" : s.error().message);
  return s.ok() ? std::move(s.value()) : std::nullopt;
}

TEST(Snapshots, AFreshJournalHasNone) {
  TempDir dir;
  auto j = open_ok(dir.path());
  EXPECT_FALSE(latest(j.get()).has_value());
}

TEST(Snapshots, EngineRestartsFromSnapshotAndReplaysOnlyWhatFollows) {
  TempDir dir;
  {
    auto j = open_ok(dir.path());
    append_commands(j.get(), 1, 100);
    ASSERT_TRUE(j->write_snapshot(60, state_of("balances after 60")).ok());
    append_commands(j.get(), 101, 120);
  }
  auto j = open_ok(dir.path());
  const auto snap = latest(j.get());
  ASSERT_TRUE(snap.has_value());
  EXPECT_EQ(snap->last_applied_sequence, 60u);
  EXPECT_EQ(snap->state, state_of("balances after 60"));
  expect_commands(j.get(), snap->last_applied_sequence + 1, 120);
}

TEST(Snapshots, CrashBeforeRenameLeavesThePreviousSnapshotValid) {
  TempDir dir;
  FaultInjectingFileSystem fs(posix_file_system(), 11);
  JournalOptions o;
  o.fs = &fs;
  {
    auto j = open_ok(dir.path(), o);
    append_commands(j.get(), 1, 10);
    ASSERT_TRUE(j->write_snapshot(5, state_of("state at 5")).ok());
    fs.fail_next_rename();  // the machine dies between fsync of the temp file and rename
    EXPECT_FALSE(j->write_snapshot(10, state_of("state at 10")).ok());
  }
  ASSERT_TRUE(fs.drop_unsynced_data().ok());
  auto j = open_ok(dir.path(), o);
  const auto snap = latest(j.get());
  ASSERT_TRUE(snap.has_value());
  EXPECT_EQ(snap->last_applied_sequence, 5u);
  EXPECT_EQ(snap->state, state_of("state at 5"));
}

TEST(Snapshots, LeftoverTempFileIsRemovedOnOpen) {
  TempDir dir;
  write_file(dir.file(snapshot_file_name(9) + ".tmp"), state_of("half written"));
  auto j = open_ok(dir.path());
  EXPECT_EQ(j->open_report().stale_temp_files_removed, 1u);
  EXPECT_FALSE(std::filesystem::exists(dir.file(snapshot_file_name(9) + ".tmp")));
  EXPECT_FALSE(latest(j.get()).has_value());
}

TEST(Snapshots, OnlyTheNewestAreKept) {
  TempDir dir;
  JournalOptions o;
  o.snapshots_to_keep = 2;
  auto j = open_ok(dir.path(), o);
  append_commands(j.get(), 1, 40);
  for (uint64_t seq : {10, 20, 30, 40}) {
    ASSERT_TRUE(j->write_snapshot(seq, state_of(std::string("s").append(std::to_string(seq)))).ok());
  }
  EXPECT_FALSE(std::filesystem::exists(dir.file(snapshot_file_name(10))));
  EXPECT_FALSE(std::filesystem::exists(dir.file(snapshot_file_name(20))));
  EXPECT_TRUE(std::filesystem::exists(dir.file(snapshot_file_name(30))));
  EXPECT_EQ(latest(j.get())->last_applied_sequence, 40u);
}

TEST(Snapshots, CorruptNewestSnapshotIsAnErrorNamingItUnlessFallbackIsAllowed) {
  TempDir dir;
  {
    auto j = open_ok(dir.path());
    append_commands(j.get(), 1, 20);
    ASSERT_TRUE(j->write_snapshot(10, state_of("state at 10")).ok());
    ASSERT_TRUE(j->write_snapshot(20, state_of("state at 20")).ok());
  }
  const std::string newest = dir.file(snapshot_file_name(20));
  std::vector<uint8_t> bytes = read_file(newest);
  bytes.back() ^= 0x10;
  write_file(newest, bytes);

  {
    auto strict = open_ok(dir.path());
    auto s = strict->load_latest_snapshot();
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.error().code, JournalErrc::corrupt_snapshot);
    EXPECT_NE(s.error().message.find(newest), std::string::npos) << s.error().message;
  }
  JournalOptions o;
  o.snapshot_fallback = true;
  auto lenient = open_ok(dir.path(), o);
  const auto snap = latest(lenient.get());
  ASSERT_TRUE(snap.has_value());
  EXPECT_EQ(snap->last_applied_sequence, 10u);
  ASSERT_EQ(snap->skipped.size(), 1u);
  EXPECT_EQ(snap->skipped[0], newest);
  expect_commands(lenient.get(), 11, 20);
}

TEST(Snapshots, TruncatedSnapshotIsCorrupt) {
  TempDir dir;
  auto j = open_ok(dir.path());
  append_commands(j.get(), 1, 3);
  ASSERT_TRUE(j->write_snapshot(3, std::vector<uint8_t>(1000, 0xAB)).ok());
  std::filesystem::resize_file(dir.file(snapshot_file_name(3)), 500);
  auto s = j->load_latest_snapshot();
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, JournalErrc::corrupt_snapshot);
}

TEST(Snapshots, SegmentsCoveredByTheOldestKeptSnapshotAreDeleted) {
  TempDir dir;
  JournalOptions o;
  o.segment_target_bytes = 1;  // one segment per commit: 1-10, 11-20, ... 51-60
  o.snapshots_to_keep = 2;
  o.delete_covered_segments = true;
  {
    auto j = open_ok(dir.path(), o);
    for (uint64_t b = 0; b < 6; ++b) append_commands(j.get(), b * 10 + 1, b * 10 + 10);
    ASSERT_TRUE(j->write_snapshot(25, state_of("at 25")).ok());
    ASSERT_TRUE(j->write_snapshot(45, state_of("at 45")).ok());
    // Oldest kept is 25: segments 1-10 and 11-20 are wholly covered; 21-30 is not.
    EXPECT_EQ(j->first_sequence(), 21u);
    ASSERT_TRUE(j->write_snapshot(60, state_of("at 60")).ok());
    // Oldest kept is now 45; the active segment 51-60 is never deleted.
    EXPECT_EQ(j->first_sequence(), 41u);
  }
  auto j = open_ok(dir.path(), o);
  EXPECT_EQ(j->first_sequence(), 41u);
  EXPECT_FALSE(std::filesystem::exists(dir.file(segment_file_name(31))));
  expect_commands(j.get(), 46, 60);
  auto r = j->replay(1, [](uint64_t, std::span<const uint8_t>) {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, JournalErrc::out_of_range);
  append_commands(j.get(), 61, 62);
  expect_commands(j.get(), 41, 62);
}

}  // namespace
}  // namespace holdfast::journal
