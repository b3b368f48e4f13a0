// Stories with injected faults: failed fsyncs and writes, and power losses that drop or tear
// whatever was not yet synced. Seeds are in the test names or traces so a failure reproduces.
#include "journal/fault_file_system.h"
#include "journal/format.h"
#include "journal/test_util.h"

namespace holdfast::journal {
namespace {

using testing::append_commands;
using testing::command;
using testing::expect_commands;
using testing::open_ok;
using testing::replay_all;
using testing::TempDir;

JournalOptions with_fs(FileSystem* fs) {
  JournalOptions o;
  o.fs = fs;
  return o;
}

TEST(JournalFaults, FailedFsyncIsReportedByCommitAndTheJournalStopsForGood) {
  TempDir dir;
  FaultInjectingFileSystem fs(posix_file_system(), 1);
  auto j = open_ok(dir.path(), with_fs(&fs));
  append_commands(j.get(), 1, 5);

  for (uint64_t n = 6; n <= 8; ++n) j->append(command(n));
  fs.fail_next_sync();
  auto r = j->commit();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, JournalErrc::io);
  EXPECT_NE(r.error().message.find("fdatasync"), std::string::npos) << r.error().message;
  EXPECT_TRUE(j->failed());
  EXPECT_EQ(j->last_committed_sequence(), 5u) << "6..8 were never acknowledged";

  // Retrying cannot help: the kernel may have dropped the dirty pages and cleared the error.
  auto again = j->commit();
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, JournalErrc::fail_stopped);
  EXPECT_DEATH(j->append(command(9)), "precondition");

  // The operator restarts after a power loss: what was acknowledged is all there.
  j.reset();
  ASSERT_TRUE(fs.drop_unsynced_data().ok());
  auto reopened = open_ok(dir.path(), with_fs(&fs));
  EXPECT_EQ(reopened->last_committed_sequence(), 5u);
  expect_commands(reopened.get(), 1, 5);
  append_commands(reopened.get(), 6, 7);
  expect_commands(reopened.get(), 1, 7);
}

TEST(JournalFaults, WriteFailingHalfwayStopsTheJournalAndReopenCutsThePartialBatch) {
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    TempDir dir;
    FaultInjectingFileSystem fs(posix_file_system(), seed);
    auto j = open_ok(dir.path(), with_fs(&fs));
    append_commands(j.get(), 1, 10);
    for (uint64_t n = 11; n <= 20; ++n) j->append(command(n));
    fs.fail_next_write();
    ASSERT_FALSE(j->commit().ok());
    EXPECT_TRUE(j->failed());
    j.reset();

    // The partial write reached the file (no crash); reopen sees whole entries of the failed
    // batch followed by a torn one, and keeps only the whole ones. None were acknowledged, but
    // keeping them is harmless: the engine will apply them as if they had been.
    auto reopened = open_ok(dir.path(), with_fs(&fs));
    const uint64_t last = reopened->last_committed_sequence();
    EXPECT_GE(last, 10u);
    EXPECT_LT(last, 20u);
    expect_commands(reopened.get(), 1, last);
    append_commands(reopened.get(), last + 1, last + 3);
    expect_commands(reopened.get(), 1, last + 3);
  }
}

TEST(JournalFaults, PowerLossTearingAnUnsyncedBatchKeepsEveryAcknowledgedEntry) {
  for (uint64_t seed = 1; seed <= 50; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    TempDir dir;
    FaultInjectingFileSystem fs(posix_file_system(), seed);
    JournalOptions o = with_fs(&fs);
    o.segment_target_bytes = 1024;
    auto j = open_ok(dir.path(), o);
    for (uint64_t b = 0; b < 6; ++b) append_commands(j.get(), b * 7 + 1, b * 7 + 7);
    for (uint64_t n = 43; n <= 60; ++n) j->append(command(n));
    fs.fail_next_sync();  // the batch is written but the machine dies before it is durable
    ASSERT_FALSE(j->commit().ok());
    j.reset();
    ASSERT_TRUE(fs.tear_unsynced_data().ok());

    auto reopened = open_ok(dir.path(), o);
    const uint64_t last = reopened->last_committed_sequence();
    EXPECT_GE(last, 42u) << "an acknowledged entry was lost";
    EXPECT_LE(last, 60u);
    expect_commands(reopened.get(), 1, last);
  }
}

TEST(JournalFaults, EntriesInAFreshlyRotatedSegmentSurvivePowerLoss) {
  TempDir dir;
  FaultInjectingFileSystem fs(posix_file_system(), 7);
  JournalOptions o = with_fs(&fs);
  o.segment_target_bytes = 1;  // each commit rotates: the new file's name must be durable too
  {
    auto j = open_ok(dir.path(), o);
    for (uint64_t n = 1; n <= 4; ++n) append_commands(j.get(), n, n);
  }
  ASSERT_TRUE(fs.drop_unsynced_data().ok());
  auto j = open_ok(dir.path(), o);
  EXPECT_EQ(j->open_report().segments, 4u);
  expect_commands(j.get(), 1, 4);
}

TEST(JournalFaults, FailedDirectoryFsyncWhenRotatingStopsTheJournal) {
  TempDir dir;
  FaultInjectingFileSystem fs(posix_file_system(), 3);
  JournalOptions o = with_fs(&fs);
  o.segment_target_bytes = 1;
  auto j = open_ok(dir.path(), o);
  append_commands(j.get(), 1, 1);
  j->append(command(2));
  fs.fail_next_dir_sync();
  auto r = j->commit();
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(j->failed());
  EXPECT_EQ(j->last_committed_sequence(), 1u);
}

// A power cut at every mutating operation in turn (creating, writing and syncing segments,
// rotating, writing, renaming and pruning snapshots), then the un-synced bytes dropped or torn:
// every acknowledged entry and the newest acknowledged snapshot are there after reopening.
TEST(JournalFaults, PowerCutAtEveryOperationKeepsWhatWasAcknowledged) {
  uint64_t cuts = 0;
  for (uint64_t cut = 1; cut <= 400; ++cut) {
    SCOPED_TRACE("power cut at operation " + std::to_string(cut));
    TempDir dir;
    FaultInjectingFileSystem fs(posix_file_system(), cut);
    JournalOptions o = with_fs(&fs);
    o.segment_target_bytes = 512;
    uint64_t acknowledged = 0, snapshot_acknowledged = 0;
    {
      auto j = open_ok(dir.path(), o);
      fs.cut_power_after(cut);
      for (uint64_t batch = 0; batch < 16; ++batch) {
        for (uint64_t n = 0; n < 3; ++n) j->append(command(acknowledged + n + 1));
        if (!j->commit().ok()) break;
        acknowledged += 3;
        if (batch % 4 == 3) {
          const std::vector<uint8_t> state(100, static_cast<uint8_t>(batch));
          if (!j->write_snapshot(acknowledged, state).ok()) break;
          snapshot_acknowledged = acknowledged;
        }
      }
    }
    if (!fs.power_cut()) break;  // the run finished before the cut point: every point was tried
    ++cuts;
    ASSERT_TRUE((cut % 2 == 0 ? fs.tear_unsynced_data() : fs.drop_unsynced_data()).ok());
    auto reopened = open_ok(dir.path(), o);
    ASSERT_NE(reopened, nullptr);
    const uint64_t last = reopened->last_committed_sequence();
    ASSERT_GE(last, acknowledged) << "an acknowledged entry was lost";
    ASSERT_LE(last, acknowledged + 3);
    expect_commands(reopened.get(), 1, last);
    auto snapshot = reopened->load_latest_snapshot();
    ASSERT_TRUE(snapshot.ok()) << snapshot.error().message;
    if (snapshot_acknowledged > 0) {
      ASSERT_TRUE(snapshot->has_value()) << "an acknowledged snapshot was lost";
      EXPECT_GE((*snapshot)->last_applied_sequence, snapshot_acknowledged);
    }
  }
  EXPECT_GT(cuts, 50u) << "the cut points did not cover the run";
}

}  // namespace
}  // namespace holdfast::journal
