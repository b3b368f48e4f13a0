// ChunkedRing<T>: a FIFO with random access, stored in fixed-size chunks that are recycled when
// the front is popped. A long-running queue whose size is steady therefore stops allocating
// after warm-up (std::deque frees and reallocates its blocks as the front moves).
// REQUIRES: T is default-constructible and copy-assignable. Not thread-safe.
#pragma once

#include <cstddef>
#include <deque>
#include <memory>
#include <vector>

#include "base/assert.h"

namespace holdfast {

template <typename T, size_t kChunk = 4096>
class ChunkedRing {
 public:
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

  T& operator[](size_t i) {
    HF_REQUIRE(i < size_);
    const size_t at = head_ + i;
    return (*chunks_[at / kChunk])[at % kChunk];
  }
  const T& operator[](size_t i) const { return const_cast<ChunkedRing*>(this)->operator[](i); }
  T& front() { return (*this)[0]; }
  T& back() { return (*this)[size_ - 1]; }
  const T& front() const { return (*this)[0]; }
  const T& back() const { return (*this)[size_ - 1]; }

  void push_back(const T& value) {
    const size_t at = head_ + size_;
    if (at / kChunk == chunks_.size()) chunks_.push_back(take_chunk());
    (*chunks_[at / kChunk])[at % kChunk] = value;
    ++size_;
  }

  void pop_front() {
    HF_REQUIRE(size_ > 0);
    ++head_;
    --size_;
    if (head_ == kChunk) {
      spare_.push_back(std::move(chunks_.front()));
      chunks_.pop_front();
      head_ = 0;
    }
    if (size_ == 0) clear();
  }

  void clear() {
    while (!chunks_.empty()) {
      spare_.push_back(std::move(chunks_.front()));
      chunks_.pop_front();
    }
    head_ = 0;
    size_ = 0;
  }

 private:
  using Chunk = std::vector<T>;
  std::unique_ptr<Chunk> take_chunk() {
    if (spare_.empty()) return std::make_unique<Chunk>(kChunk);
    auto chunk = std::move(spare_.back());
    spare_.pop_back();
    return chunk;
  }

  std::deque<std::unique_ptr<Chunk>> chunks_;
  std::vector<std::unique_ptr<Chunk>> spare_;
  size_t head_ = 0;  // index of the front element within chunks_.front()
  size_t size_ = 0;
};

}  // namespace holdfast
