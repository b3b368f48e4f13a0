// An ISO 8583 message as values: the MTI and up to 127 data elements (DE 2..128), in the
// canonical representation the codec produces and consumes:
//   n, an, ans, x+n  their characters ("000000010000", "C00000100");
//   BCD numerics     the digit string without the pad nibble;
//   z (track 2)      digits with '=' as the separator, whatever the wire uses;
//   b                the raw bytes (hex only at the JSON edge).
//
// Storage is one owned byte buffer plus a fixed slot table (offset, size) per DE, so setting a
// field costs no allocation once the buffer has grown; reset() keeps the capacity for reuse on
// the authorisation path. Replacing a field appends the new value (the old bytes stay until
// reset()).
//
// Invariants: DE 1 (bitmap) is never stored; present() bits and slots agree; views returned by
// get() and fields() stay valid until the next set()/reset() on this message.
// Threading: a Message is a value; no internal synchronisation.
#pragma once

#include <array>
#include <bit>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace holdfast::iso8583 {

constexpr int kMinField = 2;
constexpr int kMaxField = 128;

class Message {
 public:
  struct Field {
    int de;
    std::string_view value;
  };
  class FieldIterator;
  struct FieldRange;

  std::string_view mti() const { return mti_; }
  void set_mti(std::string_view mti) { mti_.assign(mti); }

  bool has(int de) const;
  // The field's value, or an empty view when absent (use has() to tell the two apart).
  std::string_view get(int de) const;
  // REQUIRES: 2 <= de <= 128. `value` may be a view into this message.
  void set(int de, std::string_view value);
  // Reserves `size` bytes for the value of `de` and returns them to be filled in place (the
  // decoder writes straight into the message). REQUIRES: 2 <= de <= 128.
  std::span<char> set_uninitialized(int de, size_t size);
  void clear(int de);
  // Forgets the MTI and every field; keeps the buffer's capacity.
  void reset();

  int field_count() const;
  // Present fields in DE order: for (auto [de, value] : msg.fields()).
  FieldRange fields() const;
  // The next present DE after `de`, or 0 when there is none.
  int next_field(int de) const;

  // Wire hint: the message arrived with bit 1 set and an all-zero secondary bitmap (the npm
  // iso_8583 habit). encode() then writes that empty secondary bitmap again, so re-encoding is
  // byte-exact. Not part of message equality.
  bool empty_secondary_bitmap() const { return empty_secondary_bitmap_; }
  void set_empty_secondary_bitmap(bool on) { empty_secondary_bitmap_ = on; }

  friend bool operator==(const Message& a, const Message& b);

 private:
  struct Slot {
    uint32_t offset = 0;
    uint32_t size = 0;
  };
  bool present_bit(int de) const { return (present_[word(de)] >> bit(de)) & 1U; }
  static size_t word(int de) { return static_cast<size_t>(de - 1) / 64; }
  static unsigned bit(int de) { return static_cast<unsigned>(de - 1) % 64; }

  std::string mti_;
  std::string data_;
  std::array<Slot, kMaxField + 1> slots_{};
  std::array<uint64_t, 2> present_{};
  bool empty_secondary_bitmap_ = false;
};

class Message::FieldIterator {
 public:
  FieldIterator(const Message* msg, int de) : msg_(msg), de_(de) {}
  Field operator*() const { return {de_, msg_->get(de_)}; }
  FieldIterator& operator++() {
    de_ = msg_->next_field(de_);
    return *this;
  }
  bool operator==(const FieldIterator& other) const { return de_ == other.de_; }

 private:
  const Message* msg_;
  int de_;
};

struct Message::FieldRange {
  const Message* msg;
  FieldIterator begin() const { return {msg, msg->next_field(1)}; }
  FieldIterator end() const { return {msg, 0}; }
};

inline Message::FieldRange Message::fields() const { return {this}; }

}  // namespace holdfast::iso8583
