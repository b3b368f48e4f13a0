// Helpers shared by the journal tests: a temporary directory, payload builders, raw file access.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "journal/journal.h"

namespace holdfast::journal::testing {

// A fresh directory under TMPDIR, removed with everything in it at the end of the test.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "journal-test-XXXXXX").string();
    HF_ASSERT(::mkdtemp(pattern.data()) != nullptr);
    path_ = pattern;
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// Payload "command <n>" padded to `size` bytes with a pattern derived from n.
inline std::vector<uint8_t> command(uint64_t n, size_t size = 32) {
  std::vector<uint8_t> p(size);
  const std::string text = "command " + std::to_string(n);
  for (size_t i = 0; i < size; ++i) {
    p[i] = i < text.size() ? static_cast<uint8_t>(text[i]) : static_cast<uint8_t>(n * 31 + i);
  }
  return p;
}

inline std::vector<uint8_t> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

inline void write_file(const std::string& path, const std::vector<uint8_t>& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

inline std::unique_ptr<Journal> open_ok(const std::string& dir, const JournalOptions& o = {}) {
  auto j = Journal::open(dir, o);
  EXPECT_TRUE(j.ok()) << (j.ok() ? "" : j.error().message);
  return j.ok() ? std::move(j.value()) : nullptr;
}

// Appends commands first..last (inclusive) in one batch and commits.
inline void append_commands(Journal* j, uint64_t first, uint64_t last, size_t size = 32) {
  for (uint64_t n = first; n <= last; ++n) EXPECT_EQ(j->append(command(n, size)), n);
  auto r = j->commit();
  ASSERT_TRUE(r.ok()) << r.error().message;
}

// Every (sequence, payload) replayed from `from`.
inline std::vector<std::pair<uint64_t, std::vector<uint8_t>>> replay_all(Journal* j, uint64_t from = 1) {
  std::vector<std::pair<uint64_t, std::vector<uint8_t>>> out;
  auto r = j->replay(from, [&](uint64_t seq, std::span<const uint8_t> p) {
    out.emplace_back(seq, std::vector<uint8_t>(p.begin(), p.end()));
  });
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
  return out;
}

// Checks that the journal replays exactly commands first..last.
inline void expect_commands(Journal* j, uint64_t first, uint64_t last, size_t size = 32) {
  const auto entries = replay_all(j, first);
  ASSERT_EQ(entries.size(), last + 1 - first);
  for (uint64_t n = first; n <= last; ++n) {
    EXPECT_EQ(entries[n - first].first, n);
    EXPECT_EQ(entries[n - first].second, command(n, size)) << "sequence " << n;
  }
}

}  // namespace holdfast::journal::testing
