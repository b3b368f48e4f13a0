#include "server/engine_queue.h"

#include <algorithm>

#include "base/assert.h"

namespace holdfast::server {

EngineQueue::EngineQueue(size_t capacity) : capacity_(capacity), ring_(capacity) { HF_REQUIRE(capacity > 0); }

EngineQueue::Push EngineQueue::push(EngineRequest& request, std::function<void()> on_space) {
  for (;;) {
    const Push p = try_push(request);
    if (p != Push::full) return p;
    if (notify_when_space(std::move(on_space))) return Push::full;
  }
}

EngineQueue::Push EngineQueue::try_push(EngineRequest& request) {
  bool was_empty = false;
  {
    std::lock_guard lock(mu_);
    if (closed_) return Push::closed;
    if (count_ == capacity_) return Push::full;
    ring_[(head_ + count_) % capacity_] = std::move(request);
    was_empty = count_ == 0;
    ++count_;
    max_depth_ = std::max(max_depth_, count_);
    HF_ASSERT(count_ <= capacity_);
  }
  // Only the push that makes the queue non-empty can find the consumer waiting (it waits only
  // on an empty queue), so the others skip the futex call.
  if (was_empty) not_empty_.notify_one();
  return Push::queued;
}

bool EngineQueue::notify_when_space(std::function<void()> on_space) {
  std::lock_guard lock(mu_);
  if (closed_ || count_ < capacity_) return false;
  waiters_.push_back(std::move(on_space));
  return true;
}

bool EngineQueue::pop_batch(std::vector<EngineRequest>* out, size_t max,
                            std::chrono::steady_clock::time_point deadline) {
  HF_REQUIRE(max > 0);
  out->clear();
  std::vector<std::function<void()>> wake;
  bool open = true;
  {
    std::unique_lock lock(mu_);
    not_empty_.wait_until(lock, deadline, [&] { return count_ > 0 || closed_; });
    const size_t n = std::min(max, count_);
    for (size_t i = 0; i < n; ++i) {
      // Moving out leaves the slot's sink and message pointers null: no reference is kept
      // until the slot is overwritten.
      out->push_back(std::move(ring_[head_]));
      head_ = (head_ + 1) % capacity_;
    }
    count_ -= n;
    if (n > 0) wake = take_waiters_if_room();
    open = !(closed_ && count_ == 0 && n == 0);
  }
  // Outside the lock: the callbacks post to connection executors, which may push again.
  for (auto& w : wake) w();
  return open;
}

void EngineQueue::close() {
  std::vector<std::function<void()>> wake;
  {
    std::lock_guard lock(mu_);
    closed_ = true;
    wake.swap(waiters_);
  }
  not_empty_.notify_all();
  for (auto& w : wake) w();
}

std::vector<std::function<void()>> EngineQueue::take_waiters_if_room() {
  std::vector<std::function<void()>> wake;
  if (count_ < capacity_) wake.swap(waiters_);
  return wake;
}

size_t EngineQueue::size() const {
  std::lock_guard lock(mu_);
  return count_;
}

size_t EngineQueue::max_depth() const {
  std::lock_guard lock(mu_);
  return max_depth_;
}

}  // namespace holdfast::server
