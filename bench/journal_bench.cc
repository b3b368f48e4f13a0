// Journal group-commit throughput: append N entries of 100 bytes, then one commit (one write,
// one real fdatasync), into a fresh temp directory. items/s counts entries, so the batch-size
// arguments show how much group commit buys over committing each entry on its own.
// Links: holdfast_journal (and holdfast_base through it), benchmark::benchmark_main.
#include <benchmark/benchmark.h>
#include <stdlib.h>

#include <filesystem>
#include <string>
#include <vector>

#include "journal/journal.h"

namespace holdfast::journal {
namespace {

constexpr size_t kPayloadBytes = 100;

std::string make_temp_dir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "journal-bench-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) std::abort();
  return pattern;
}

void BM_AppendCommit(benchmark::State& state) {
  const auto batch = static_cast<size_t>(state.range(0));
  const std::string dir = make_temp_dir();
  auto opened = Journal::open(dir, {});
  if (!opened) {
    state.SkipWithError(opened.error().message.c_str());
    return;
  }
  Journal& journal = *opened.value();
  const std::vector<uint8_t> payload(kPayloadBytes, 0x42);
  for (auto _ : state) {
    for (size_t i = 0; i < batch; ++i) journal.append(payload);
    if (auto r = journal.commit(); !r) {
      state.SkipWithError(r.error().message.c_str());
      break;
    }
  }
  const JournalCounters& c = journal.counters();
  state.SetItemsProcessed(static_cast<int64_t>(c.entries_committed));
  state.SetBytesProcessed(static_cast<int64_t>(c.bytes_written));
  state.counters["entries_per_fsync"] =
      c.commits == 0 ? 0.0 : static_cast<double>(c.entries_committed) / static_cast<double>(c.commits);
  opened.value().reset();
  std::filesystem::remove_all(dir);
}

BENCHMARK(BM_AppendCommit)->Arg(1)->Arg(16)->Arg(128)->Arg(1024)->UseRealTime();

}  // namespace
}  // namespace holdfast::journal
