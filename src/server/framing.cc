#include "server/framing.h"

#include <algorithm>
#include <cstring>

#include "base/assert.h"

namespace holdfast::server {

std::string_view framing_name(Framing f) noexcept {
  switch (f) {
    case Framing::len2: return "len2";
    case Framing::len4ascii: return "len4ascii";
  }
  return "?";
}

std::optional<Framing> parse_framing(std::string_view name) noexcept {
  if (name == "len2") return Framing::len2;
  if (name == "len4ascii") return Framing::len4ascii;
  return std::nullopt;
}

size_t header_size(Framing f) noexcept {
  switch (f) {
    case Framing::len2: return 2;
    case Framing::len4ascii: return 4;
  }
  return 0;
}

uint32_t max_length(Framing f) noexcept {
  switch (f) {
    case Framing::len2: return 65'535;
    case Framing::len4ascii: return 9'999;
  }
  return 0;
}

void append_frame(Framing f, std::span<const uint8_t> message, std::vector<uint8_t>* out) {
  HF_REQUIRE(message.size() <= max_length(f));
  const auto n = static_cast<uint32_t>(message.size());
  switch (f) {
    case Framing::len2:
      out->push_back(static_cast<uint8_t>(n >> 8));
      out->push_back(static_cast<uint8_t>(n & 0xFF));
      break;
    case Framing::len4ascii:
      for (uint32_t div = 1000; div > 0; div /= 10) {
        out->push_back(static_cast<uint8_t>('0' + (n / div) % 10));
      }
      break;
  }
  out->insert(out->end(), message.begin(), message.end());
}

size_t begin_frame(Framing f, std::vector<uint8_t>* out) {
  const size_t offset = out->size();
  out->resize(offset + header_size(f));
  return offset;
}

bool end_frame(Framing f, size_t header_offset, std::vector<uint8_t>* out) {
  const size_t header = header_size(f);
  HF_REQUIRE(out->size() >= header_offset + header);
  const size_t length = out->size() - header_offset - header;
  if (length > max_length(f)) {
    out->resize(header_offset);
    return false;
  }
  const auto n = static_cast<uint32_t>(length);
  uint8_t* h = out->data() + header_offset;
  if (f == Framing::len2) {
    h[0] = static_cast<uint8_t>(n >> 8);
    h[1] = static_cast<uint8_t>(n & 0xFF);
  } else {
    h[0] = static_cast<uint8_t>('0' + n / 1000 % 10);
    h[1] = static_cast<uint8_t>('0' + n / 100 % 10);
    h[2] = static_cast<uint8_t>('0' + n / 10 % 10);
    h[3] = static_cast<uint8_t>('0' + n % 10);
  }
  return true;
}

FrameReader::FrameReader(Framing framing, uint32_t max_frame_bytes)
    : framing_(framing), max_frame_bytes_(max_frame_bytes) {
  HF_REQUIRE(max_frame_bytes > 0);
}

FrameReader::Next FrameReader::next() {
  const size_t header = header_size(framing_);
  while (buffered() >= header) {
    const uint8_t* p = buffer_.data() + begin_;
    uint32_t length = 0;
    if (framing_ == Framing::len2) {
      length = static_cast<uint32_t>(p[0]) << 8 | p[1];
    } else {
      for (size_t i = 0; i < header; ++i) {
        if (p[i] < '0' || p[i] > '9') return {Status::bad_header, {}, 0};
        length = length * 10 + static_cast<uint32_t>(p[i] - '0');
      }
    }
    if (length > max_frame_bytes_) return {Status::oversize, {}, length};
    if (buffered() < header + length) break;
    begin_ += header + length;
    if (length == 0) continue;  // keep-alive
    return {Status::frame, std::span<const uint8_t>(p + header, length), length};
  }
  return {Status::need_more, {}, 0};
}

std::span<uint8_t> FrameReader::write_area(size_t min_free) {
  if (begin_ == end_) begin_ = end_ = 0;
  if (buffer_.size() - end_ < min_free) compact();
  if (buffer_.size() - end_ < min_free) buffer_.resize(end_ + min_free);
  return std::span<uint8_t>(buffer_.data() + end_, buffer_.size() - end_);
}

void FrameReader::commit_written(size_t n) {
  HF_REQUIRE(end_ + n <= buffer_.size());
  end_ += n;
}

// Moves the unconsumed bytes to the front so the buffer never grows past one frame plus one
// read, however long the connection lives.
void FrameReader::compact() {
  if (begin_ == 0) return;
  std::memmove(buffer_.data(), buffer_.data() + begin_, end_ - begin_);
  end_ -= begin_;
  begin_ = 0;
}

}  // namespace holdfast::server
