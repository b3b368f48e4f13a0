// How ISO 8583 messages are delimited on a TCP stream: a length header in front of each
// message. Pure functions and a small buffer; no sockets.
//   len2       2-byte big-endian binary length (the common host-to-host framing)
//   len4ascii  4 ASCII digits ("0123")
// The header counts the message bytes only, not itself.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

namespace holdfast::server {

enum class Framing : uint8_t { len2, len4ascii };

std::string_view framing_name(Framing f) noexcept;
std::optional<Framing> parse_framing(std::string_view name) noexcept;
size_t header_size(Framing f) noexcept;
// Largest message length the header can carry (65535 or 9999).
uint32_t max_length(Framing f) noexcept;

// Appends header + message to `out`. REQUIRES: message.size() <= max_length(f).
void append_frame(Framing f, std::span<const uint8_t> message, std::vector<uint8_t>* out);

// In-place framing, for encoding straight into an output buffer: begin_frame() reserves the
// header and returns its offset; end_frame() fills it in from the bytes appended since, or
// removes the partial frame and returns false when they are too long for the framing.
size_t begin_frame(Framing f, std::vector<uint8_t>* out);
bool end_frame(Framing f, size_t header_offset, std::vector<uint8_t>* out);

// Accumulates stream bytes and cuts them into messages.
// Invariant: buffered bytes never exceed header + max_frame_bytes + one read's worth.
class FrameReader {
 public:
  FrameReader(Framing framing, uint32_t max_frame_bytes);

  enum class Status { frame, need_more, oversize, bad_header };
  struct Next {
    Status status;
    std::span<const uint8_t> message;  // valid until the next call; only with Status::frame
    uint32_t declared_length = 0;      // with oversize
  };
  // The next complete message, if the buffer holds one. Zero-length frames are skipped (some
  // links send them as keep-alives).
  Next next();

  // Where to read into: at least `min_free` bytes at the end of the buffer.
  std::span<uint8_t> write_area(size_t min_free);
  void commit_written(size_t n);
  size_t buffered() const { return end_ - begin_; }

 private:
  void compact();

  Framing framing_;
  uint32_t max_frame_bytes_;
  std::vector<uint8_t> buffer_;
  size_t begin_ = 0;  // first unconsumed byte
  size_t end_ = 0;    // one past the last received byte
};

}  // namespace holdfast::server
