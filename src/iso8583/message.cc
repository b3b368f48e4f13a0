#include "iso8583/message.h"

#include "base/assert.h"

namespace holdfast::iso8583 {

bool Message::has(int de) const { return de >= kMinField && de <= kMaxField && present_bit(de); }

std::string_view Message::get(int de) const {
  if (!has(de)) return {};
  const Slot& slot = slots_[static_cast<size_t>(de)];
  return std::string_view(data_).substr(slot.offset, slot.size);
}

std::span<char> Message::set_uninitialized(int de, size_t size) {
  HF_REQUIRE(de >= kMinField && de <= kMaxField);
  HF_REQUIRE(data_.size() + size <= UINT32_MAX);
  const size_t offset = data_.size();
  data_.resize(offset + size);
  slots_[static_cast<size_t>(de)] = {static_cast<uint32_t>(offset), static_cast<uint32_t>(size)};
  present_[word(de)] |= uint64_t{1} << bit(de);
  return {data_.data() + offset, size};
}

void Message::set(int de, std::string_view value) {
  HF_REQUIRE(de >= kMinField && de <= kMaxField);
  const char* begin = data_.data();
  const bool aliases = value.data() >= begin && value.data() < begin + data_.size();
  if (aliases) {
    // The value lives in our own buffer, which may move when it grows: copy by offset.
    const size_t from = static_cast<size_t>(value.data() - begin);
    std::span<char> out = set_uninitialized(de, value.size());
    data_.copy(out.data(), out.size(), from);
    return;
  }
  std::span<char> out = set_uninitialized(de, value.size());
  value.copy(out.data(), out.size());
}

void Message::clear(int de) {
  if (!has(de)) return;
  present_[word(de)] &= ~(uint64_t{1} << bit(de));
  slots_[static_cast<size_t>(de)] = {};
}

void Message::reset() {
  mti_.clear();
  data_.clear();
  present_ = {};
  empty_secondary_bitmap_ = false;
}

int Message::field_count() const { return std::popcount(present_[0]) + std::popcount(present_[1]); }

int Message::next_field(int de) const {
  for (int from = de + 1; from <= kMaxField;) {
    const uint64_t rest = present_[word(from)] >> bit(from);
    if (rest != 0) return from + std::countr_zero(rest);
    from = (from <= 64) ? 65 : kMaxField + 1;
  }
  return 0;
}

bool operator==(const Message& a, const Message& b) {
  if (a.mti_ != b.mti_ || a.present_ != b.present_) return false;
  for (int de = a.next_field(1); de != 0; de = a.next_field(de)) {
    if (a.get(de) != b.get(de)) return false;
  }
  return true;
}

}  // namespace holdfast::iso8583
