// FlatHashMap: open addressing with linear probing and backward-shift deletion, for the
// engine's hot lookups. One array, no per-entry allocation (growth doubles the array, rarely),
// no tombstones. Iteration order is not exposed: the engine's determinism never depends on it.
//
// REQUIRES: Value has a sentinel meaning "empty" that is never stored (passed to the
// constructor). Not thread-safe; owned by one thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "base/assert.h"

namespace holdfast {

template <typename Key, typename Value, typename Hash>
class FlatHashMap {
 public:
  explicit FlatHashMap(Value empty, size_t initial_capacity = 1024) : empty_(empty) {
    size_t capacity = 16;
    while (capacity < initial_capacity) capacity *= 2;
    slots_.assign(capacity, Slot{Key{}, empty_});
  }

  size_t size() const { return size_; }

  // The value stored for `key`, or nullptr.
  const Value* find(const Key& key) const {
    for (size_t i = home(key);; i = next(i)) {
      const Slot& s = slots_[i];
      if (s.value == empty_) return nullptr;
      if (s.key == key) return &s.value;
    }
  }

  // Inserts or overwrites. REQUIRES: value != the empty sentinel.
  void put(const Key& key, Value value) {
    HF_REQUIRE(!(value == empty_));
    if ((size_ + 1) * 2 > slots_.size()) grow();
    for (size_t i = home(key);; i = next(i)) {
      Slot& s = slots_[i];
      if (s.value == empty_) {
        s = Slot{key, value};
        ++size_;
        return;
      }
      if (s.key == key) {
        s.value = value;
        return;
      }
    }
  }

  // Removes `key` if present; returns whether it was.
  bool erase(const Key& key) {
    size_t i = home(key);
    for (;; i = next(i)) {
      if (slots_[i].value == empty_) return false;
      if (slots_[i].key == key) break;
    }
    // Backward shift: pull later members of the probe run into the hole so that lookups never
    // stop early at it.
    size_t hole = i;
    for (size_t j = next(i);; j = next(j)) {
      Slot& s = slots_[j];
      if (s.value == empty_) break;
      const size_t h = home(s.key);
      const bool between = hole <= j ? (hole < h && h <= j) : (hole < h || h <= j);
      if (between) continue;
      slots_[hole] = s;
      hole = j;
    }
    slots_[hole] = Slot{Key{}, empty_};
    --size_;
    return true;
  }

  void clear() {
    for (auto& s : slots_) s = Slot{Key{}, empty_};
    size_ = 0;
  }

 private:
  struct Slot {
    Key key;
    Value value;
  };
  size_t home(const Key& key) const { return Hash{}(key) & (slots_.size() - 1); }
  size_t next(size_t i) const { return (i + 1) & (slots_.size() - 1); }
  void grow() {
    std::vector<Slot> old(slots_.size() * 2, Slot{Key{}, empty_});
    old.swap(slots_);
    size_ = 0;
    for (const Slot& s : old)
      if (!(s.value == empty_)) put(s.key, s.value);
  }

  Value empty_;
  std::vector<Slot> slots_;
  size_t size_ = 0;
};

}  // namespace holdfast
