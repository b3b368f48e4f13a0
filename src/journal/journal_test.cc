// Stories about the journal on a real directory: writing, reopening, rotation, torn tails,
// corruption, sequence gaps and the directory lock.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>

#include "journal/format.h"
#include "journal/test_util.h"

namespace holdfast::journal {
namespace {

using testing::append_commands;
using testing::command;
using testing::expect_commands;
using testing::open_ok;
using testing::read_file;
using testing::replay_all;
using testing::TempDir;
using testing::write_file;

std::vector<std::string> segment_files(const std::string& dir) {
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    const std::string name = e.path().filename().string();
    if (parse_segment_file_name(name)) names.push_back(name);
  }
  std::sort(names.begin(), names.end());
  return names;
}

TEST(Journal, CommandsWrittenAndCommittedReplayInOrderAfterReopen) {
  TempDir dir;
  {
    auto j = open_ok(dir.path());
    EXPECT_EQ(j->next_sequence(), 1u);
    append_commands(j.get(), 1, 3);
    EXPECT_EQ(j->last_committed_sequence(), 3u);
    expect_commands(j.get(), 1, 3);
  }
  auto j = open_ok(dir.path());
  EXPECT_EQ(j->open_report().entries, 3u);
  EXPECT_EQ(j->open_report().torn_bytes_cut, 0u);
  EXPECT_EQ(j->next_sequence(), 4u);
  expect_commands(j.get(), 1, 3);
  append_commands(j.get(), 4, 5);
  expect_commands(j.get(), 1, 5);
}

TEST(Journal, GroupCommitWritesOneBatchPerCommitAndCountsIt) {
  TempDir dir;
  auto j = open_ok(dir.path());
  append_commands(j.get(), 1, 100);
  append_commands(j.get(), 101, 101);
  EXPECT_TRUE(j->commit().ok());  // nothing pending: a no-op, not a commit
  const JournalCounters& c = j->counters();
  EXPECT_EQ(c.commits, 2u);
  EXPECT_EQ(c.entries_committed, 101u);
  EXPECT_EQ(c.largest_batch_entries, 100u);
  EXPECT_EQ(c.bytes_written, 101 * (kEntryHeaderBytes + 32));
}

TEST(Journal, AppendedButUncommittedEntriesAreNotReplayedNorKept) {
  TempDir dir;
  {
    auto j = open_ok(dir.path());
    append_commands(j.get(), 1, 2);
    EXPECT_EQ(j->append(command(3)), 3u);
    EXPECT_EQ(j->pending_entries(), 1u);
    expect_commands(j.get(), 1, 2);
  }  // closed without commit: entry 3 was never acknowledged
  auto j = open_ok(dir.path());
  EXPECT_EQ(j->next_sequence(), 3u);
}

TEST(Journal, ManyEntriesRotateAcrossSegmentsAndReplayFromAnyPoint) {
  TempDir dir;
  JournalOptions o;
  o.segment_target_bytes = 4096;  // about 73 entries of 32 bytes per segment
  {
    auto j = open_ok(dir.path(), o);
    for (uint64_t batch = 0; batch < 100; ++batch) {
      append_commands(j.get(), batch * 10 + 1, batch * 10 + 10);
    }
  }
  const auto files = segment_files(dir.path());
  EXPECT_GT(files.size(), 10u);
  EXPECT_EQ(files.front(), segment_file_name(1));
  auto j = open_ok(dir.path(), o);
  EXPECT_EQ(j->open_report().segments, files.size());
  EXPECT_EQ(j->last_committed_sequence(), 1000u);
  expect_commands(j.get(), 1, 1000);
  for (uint64_t from : {1ull, 2ull, 73ull, 500ull, 999ull, 1000ull}) {
    expect_commands(j.get(), from, 1000);
  }
  EXPECT_TRUE(replay_all(j.get(), 1001).empty());
}

TEST(Journal, ReplayOutsideTheHeldRangeIsAnError) {
  TempDir dir;
  auto j = open_ok(dir.path());
  append_commands(j.get(), 1, 5);
  auto r = j->replay(7, [](uint64_t, std::span<const uint8_t>) {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, JournalErrc::out_of_range);
}

TEST(Journal, LargestPayloadIsAcceptedAndRoundTrips) {
  TempDir dir;
  auto j = open_ok(dir.path());
  append_commands(j.get(), 1, 3, kMaxPayloadBytes);
  auto reopened = (j.reset(), open_ok(dir.path()));
  expect_commands(reopened.get(), 1, 3, kMaxPayloadBytes);
}

TEST(JournalDeathTest, PayloadOverTheLimitIsAPreconditionFailure) {
  TempDir dir;
  auto j = open_ok(dir.path());
  const std::vector<uint8_t> too_big(kMaxPayloadBytes + 1);
  EXPECT_FALSE(j->can_append(too_big.size()));
  EXPECT_DEATH(j->append(too_big), "precondition");
}

// A crash while writing the last batch leaves a partial entry. Cut at every byte of the last
// entry: open must drop exactly that entry, say how many bytes it cut, and keep appending.
TEST(Journal, TornTailAtEveryByteOfTheLastEntryIsCutAndEarlierEntriesSurvive) {
  TempDir original;
  {
    auto j = open_ok(original.path());
    append_commands(j.get(), 1, 4);
  }
  const std::string name = segment_file_name(1);
  const std::vector<uint8_t> whole = read_file(original.file(name));
  const size_t entry_bytes = kEntryHeaderBytes + 32;
  const size_t last_start = whole.size() - entry_bytes;
  for (size_t cut = 0; cut < entry_bytes; ++cut) {
    SCOPED_TRACE("bytes of the last entry kept: " + std::to_string(cut));
    TempDir dir;
    write_file(dir.file(name), {whole.begin(), whole.begin() + static_cast<ptrdiff_t>(last_start + cut)});
    auto j = open_ok(dir.path());
    ASSERT_NE(j, nullptr);
    EXPECT_EQ(j->open_report().torn_bytes_cut, cut);
    EXPECT_EQ(j->last_committed_sequence(), 3u);
    EXPECT_EQ(std::filesystem::file_size(dir.file(name)), last_start);
    append_commands(j.get(), 4, 5);
    expect_commands(j.get(), 1, 5);
  }
}

TEST(Journal, BadChecksumInTheFinalEntryIsTreatedAsATornTail) {
  TempDir dir;
  {
    auto j = open_ok(dir.path());
    append_commands(j.get(), 1, 4);
  }
  const std::string path = dir.file(segment_file_name(1));
  std::vector<uint8_t> bytes = read_file(path);
  bytes.back() ^= 0x40;  // last payload byte of entry 4
  write_file(path, bytes);
  auto j = open_ok(dir.path());
  EXPECT_EQ(j->open_report().torn_bytes_cut, kEntryHeaderBytes + 32);
  EXPECT_NE(j->open_report().torn_reason.find("checksum mismatch"), std::string::npos);
  expect_commands(j.get(), 1, 3);
}

TEST(Journal, FlippedBitInTheMiddleStopsOpenNamingFileAndOffset) {
  TempDir dir;
  {
    auto j = open_ok(dir.path());
    append_commands(j.get(), 1, 10);
  }
  const std::string path = dir.file(segment_file_name(1));
  std::vector<uint8_t> bytes = read_file(path);
  const size_t entry_bytes = kEntryHeaderBytes + 32;
  const size_t fifth = 4 * entry_bytes;
  bytes[fifth + kEntryHeaderBytes + 7] ^= 0x01;  // one bit in entry 5's payload
  write_file(path, bytes);
  auto j = Journal::open(dir.path(), {});
  ASSERT_FALSE(j.ok());
  EXPECT_EQ(j.error().code, JournalErrc::corrupt_entry);
  EXPECT_NE(j.error().message.find(path), std::string::npos) << j.error().message;
  EXPECT_NE(j.error().message.find("offset " + std::to_string(fifth)), std::string::npos)
      << j.error().message;
  EXPECT_NE(j.error().message.find("checksum mismatch"), std::string::npos);
  EXPECT_EQ(read_file(path), bytes) << "a refused journal must not be modified";
}

TEST(Journal, CorruptLengthFieldWithValidEntriesAfterItIsNotMistakenForATornTail) {
  TempDir dir;
  {
    auto j = open_ok(dir.path());
    append_commands(j.get(), 1, 10);
  }
  const std::string path = dir.file(segment_file_name(1));
  std::vector<uint8_t> bytes = read_file(path);
  bytes[16 + 2 * (kEntryHeaderBytes + 32)] = 0xFF;  // entry 3's length low byte: now too long
  bytes[18 + 2 * (kEntryHeaderBytes + 32)] = 0x7F;
  write_file(path, bytes);
  auto j = Journal::open(dir.path(), {});
  ASSERT_FALSE(j.ok());
  EXPECT_EQ(j.error().code, JournalErrc::corrupt_entry);
  EXPECT_NE(j.error().message.find("valid entry follows"), std::string::npos) << j.error().message;
}

TEST(Journal, SequenceGapInsideASegmentIsAnError) {
  TempDir dir;
  std::vector<uint8_t> bytes;
  for (uint64_t seq : {1, 2, 4}) encode_entry(seq, command(seq), &bytes);
  write_file(dir.file(segment_file_name(1)), bytes);
  auto j = Journal::open(dir.path(), {});
  ASSERT_FALSE(j.ok());
  EXPECT_EQ(j.error().code, JournalErrc::sequence_gap);
  EXPECT_NE(j.error().message.find("sequence 4, expected 3"), std::string::npos) << j.error().message;
}

TEST(Journal, MissingMiddleSegmentIsASequenceGap) {
  TempDir dir;
  JournalOptions o;
  o.segment_target_bytes = 1;  // every commit starts a new segment
  {
    auto j = open_ok(dir.path(), o);
    for (uint64_t n = 1; n <= 3; ++n) append_commands(j.get(), n, n);
  }
  std::filesystem::remove(dir.file(segment_file_name(2)));
  auto j = Journal::open(dir.path(), o);
  ASSERT_FALSE(j.ok());
  EXPECT_EQ(j.error().code, JournalErrc::sequence_gap);
  EXPECT_NE(j.error().message.find(segment_file_name(3)), std::string::npos) << j.error().message;
}

TEST(Journal, TruncatedSegmentThatIsNotTheLastIsAnError) {
  TempDir dir;
  JournalOptions o;
  o.segment_target_bytes = 1;
  {
    auto j = open_ok(dir.path(), o);
    append_commands(j.get(), 1, 2);
    append_commands(j.get(), 3, 4);
  }
  const std::string first = dir.file(segment_file_name(1));
  std::filesystem::resize_file(first, std::filesystem::file_size(first) - 5);
  auto j = Journal::open(dir.path(), o);
  ASSERT_FALSE(j.ok());
  EXPECT_EQ(j.error().code, JournalErrc::truncated_segment);
  EXPECT_NE(j.error().message.find(first), std::string::npos) << j.error().message;
}

TEST(Journal, ASecondWriterOnTheSameDirectoryIsRefused) {
  TempDir dir;
  auto first = open_ok(dir.path());
  auto second = Journal::open(dir.path(), {});
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().code, JournalErrc::locked);
  EXPECT_NE(second.error().message.find("LOCK"), std::string::npos);
  first.reset();
  EXPECT_TRUE(Journal::open(dir.path(), {}).ok()) << "the lock is released on close";
}

TEST(Journal, ASecondProcessIsRefusedTheLock) {
  TempDir dir;
  auto holder = open_ok(dir.path());
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    auto j = Journal::open(dir.path(), {});
    ::_exit(!j.ok() && j.error().code == JournalErrc::locked ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "the child process should have seen 'locked'";
}

// A snapshot child (fork without exec) inherits every descriptor of the server for a moment,
// LOCK's included. When the server dies by SIGKILL in that moment the child lingers a little
// (it has not run yet, or is being torn down); a restart must not be refused because of it.
TEST(Journal, TheLockDiesWithItsProcessNotWithAForkedChild) {
  TempDir dir;
  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  const pid_t owner = ::fork();
  ASSERT_GE(owner, 0);
  if (owner == 0) {
    auto j = Journal::open(dir.path(), {});
    if (!j.ok()) ::_exit(1);
    const pid_t lingering = ::fork();  // keeps every inherited descriptor, as if not yet run
    if (lingering == 0) {
      ::pause();
      ::_exit(0);
    }
    if (::write(ready[1], &lingering, sizeof lingering) != sizeof lingering) ::_exit(1);
    ::pause();
    ::_exit(0);
  }
  pid_t lingering = -1;
  ASSERT_EQ(::read(ready[0], &lingering, sizeof lingering), static_cast<ssize_t>(sizeof lingering));
  ::kill(owner, SIGKILL);
  ASSERT_EQ(::waitpid(owner, nullptr, 0), owner);
  auto restarted = Journal::open(dir.path(), {});
  ::kill(lingering, SIGKILL);
  ::close(ready[0]);
  ::close(ready[1]);
  EXPECT_TRUE(restarted.ok()) << restarted.error().message;
}

}  // namespace
}  // namespace holdfast::journal
