// FlatHashMap: open addressing with linear probing and backward-shift deletion, for the
// engine's hot lookups. One array, no per-entry allocation (growth doubles the array, rarely),
// no tombstones. Iteration order is not exposed: the engine's determinism never depends on it.
//
// Linear probing degrades to a scan when many keys share a home slot, so a table whose keys
// come from outside (the wire, a file) must use a keyed Hash (base/siphash.h) with a secret
// seed: the Hash is an object, constructed with its seed, not a stateless type.
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
  explicit FlatHashMap(Value empty, size_t initial_capacity = 1024, Hash hash = Hash{})
      : hash_(hash), empty_(empty) {
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

  // How many slots find(key) examines: 1 when the key (or an empty slot) is at its home.
  // Tests count probes to show keys do not cluster.
  size_t probes(const Key& key) const {
    size_t n = 1;
    for (size_t i = home(key);; i = next(i), ++n) {
      const Slot& s = slots_[i];
      if (s.value == empty_ || s.key == key) return n;
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
  size_t home(const Key& key) const { return hash_(key) & (slots_.size() - 1); }
  size_t next(size_t i) const { return (i + 1) & (slots_.size() - 1); }
  void grow() {
    std::vector<Slot> old(slots_.size() * 2, Slot{Key{}, empty_});
    old.swap(slots_);
    size_ = 0;
    for (const Slot& s : old)
      if (!(s.value == empty_)) put(s.key, s.value);
  }

  Hash hash_;
  Value empty_;
  std::vector<Slot> slots_;
  size_t size_ = 0;
};

}  // namespace holdfast
