// ByteSource: a span or a file, read forwards in bounded chunks.
#include <algorithm>
#include <cstring>

#include "base/assert.h"
#include "clearing/internal.h"

namespace holdfast::clearing {

ByteSource::ByteSource(const std::string& path) : is_file_(true) {
  file_.open(path, std::ios::binary);
  open_failed_ = !file_.is_open();
}

bool ByteSource::fill() {
  HF_ASSERT(pos_ == window_.size());
  if (!is_file_ || open_failed_ || io_error_ || !file_.good()) return false;
  chunk_.resize(internal::kFileChunkBytes);
  file_.read(reinterpret_cast<char*>(chunk_.data()), static_cast<std::streamsize>(chunk_.size()));
  const auto got = static_cast<size_t>(file_.gcount());
  if (file_.bad()) io_error_ = true;
  base_ += window_.size();
  window_ = std::span<const uint8_t>(chunk_.data(), got);
  pos_ = 0;
  return got > 0;
}

size_t ByteSource::read(uint8_t* out, size_t n) {
  size_t done = 0;
  while (done < n) {
    if (pos_ == window_.size() && !fill()) break;
    const size_t take = std::min(n - done, window_.size() - pos_);
    std::memcpy(out + done, window_.data() + pos_, take);
    pos_ += take;
    done += take;
  }
  return done;
}

std::span<const uint8_t> ByteSource::peek(size_t n) {
  if (pos_ == window_.size()) fill();
  return window_.subspan(pos_, std::min(n, window_.size() - pos_));
}

bool ByteSource::read_line(std::string* line, size_t max, bool* too_long, bool* terminated) {
  line->clear();
  *too_long = false;
  *terminated = false;
  bool any = false;
  while (true) {
    if (pos_ == window_.size() && !fill()) return any;
    any = true;
    const uint8_t* begin = window_.data() + pos_;
    const size_t avail = window_.size() - pos_;
    const auto* nl = static_cast<const uint8_t*>(std::memchr(begin, '\n', avail));
    const size_t take = nl ? static_cast<size_t>(nl - begin) : avail;
    const size_t room = max > line->size() ? max - line->size() : 0;
    if (take > room) *too_long = true;
    line->append(reinterpret_cast<const char*>(begin), std::min(take, room));
    pos_ += take;
    if (nl) {
      ++pos_;  // the '\n'
      *terminated = true;
      return true;
    }
  }
}

}  // namespace holdfast::clearing
