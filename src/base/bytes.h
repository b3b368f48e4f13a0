// Little-endian binary writer/reader for holdfast's own formats (journal entries, snapshots,
// engine commands). The reader never reads past its end: every get reports failure instead,
// so a truncated or hostile record becomes an error, never a crash.
#pragma once

#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace holdfast {

class ByteWriter {
 public:
  explicit ByteWriter(std::vector<uint8_t>* out) : out_(out) {}
  void u8(uint8_t v) { out_->push_back(v); }
  void u16(uint16_t v) { put(&v, sizeof v); }
  void u32(uint32_t v) { put(&v, sizeof v); }
  void u64(uint64_t v) { put(&v, sizeof v); }
  void i64(int64_t v) { put(&v, sizeof v); }
  void boolean(bool v) { u8(v ? 1 : 0); }
  void bytes(std::span<const uint8_t> b) { put(b.data(), b.size()); }
  // Length-prefixed (u32) string.
  void str(std::string_view s) {
    u32(static_cast<uint32_t>(s.size()));
    put(s.data(), s.size());
  }
  size_t size() const { return out_->size(); }

 private:
  // Grow, then copy: a range insert at the end made g++ 12 -O3 report a false
  // -Wstringop-overflow wherever this was inlined into an encoder.
  void put(const void* p, size_t n) {
    if (n == 0) return;
    const size_t at = out_->size();
    out_->resize(at + n);
    std::memcpy(out_->data() + at, p, n);
  }
  std::vector<uint8_t>* out_;
};

class ByteReader {
 public:
  explicit ByteReader(std::span<const uint8_t> in) : in_(in) {}
  bool u8(uint8_t* v) { return get(v, sizeof *v); }
  bool u16(uint16_t* v) { return get(v, sizeof *v); }
  bool u32(uint32_t* v) { return get(v, sizeof *v); }
  bool u64(uint64_t* v) { return get(v, sizeof *v); }
  bool i64(int64_t* v) { return get(v, sizeof *v); }
  bool boolean(bool* v) {
    uint8_t b = 0;
    if (!u8(&b) || b > 1) return false;
    *v = b == 1;
    return true;
  }
  bool str(std::string* s, size_t max_size) {
    uint32_t n = 0;
    if (!u32(&n) || n > max_size || n > remaining()) return false;
    s->assign(reinterpret_cast<const char*>(in_.data() + pos_), n);
    pos_ += n;
    return true;
  }
  bool bytes(uint8_t* out, size_t n) { return get(out, n); }
  size_t remaining() const { return in_.size() - pos_; }
  size_t offset() const { return pos_; }
  bool at_end() const { return pos_ == in_.size(); }

 private:
  bool get(void* p, size_t n) {
    if (n > remaining()) return false;
    std::memcpy(p, in_.data() + pos_, n);
    pos_ += n;
    return true;
  }
  std::span<const uint8_t> in_;
  size_t pos_ = 0;
};

}  // namespace holdfast
