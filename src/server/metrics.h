// Server counters: cheap relaxed atomics bumped by the I/O and engine threads, read for the
// periodic log line and {"op":"stats"}. Monotonic since start; a reader may see them mid-update,
// which is fine for operating figures.
#pragma once

#include <atomic>
#include <cstdint>

#include <nlohmann/json.hpp>

namespace holdfast::server {

struct ServerMetrics {
  std::atomic<uint64_t> connections_accepted{0};
  std::atomic<uint64_t> messages_in{0};    // ISO 8583 frames and admin lines received
  std::atomic<uint64_t> replies_out{0};    // ISO 8583 responses and admin lines written
  std::atomic<uint64_t> decode_errors{0};  // frames that did not decode (answered with 30 if they could be)
  std::atomic<uint64_t> format_errors{0};  // responses with 30 (format error) actually sent
  std::atomic<uint64_t> backpressure_pauses{0};  // reads paused because the queue was full
  std::atomic<uint64_t> batches{0};              // journal commits by the engine thread
  std::atomic<uint64_t> entries_committed{0};
  std::atomic<uint64_t> snapshots{0};  // written (by a child or inline)
  std::atomic<uint64_t> snapshot_failures{0};
  std::atomic<uint64_t> snapshot_fork_us_max{0};  // longest fork(): the engine thread's pause
  std::atomic<uint64_t> ticks{0};                 // timer pulses journaled (only when one was due)
  std::atomic<uint64_t> queue_depth_max{0};

  static void bump(std::atomic<uint64_t>& c, uint64_t n = 1) { c.fetch_add(n, std::memory_order_relaxed); }

  nlohmann::json to_json() const {
    auto get = [](const std::atomic<uint64_t>& c) { return c.load(std::memory_order_relaxed); };
    const uint64_t batches_now = get(batches);
    const uint64_t entries_now = get(entries_committed);
    return {
        {"connections_accepted", get(connections_accepted)},
        {"messages_in", get(messages_in)},
        {"replies_out", get(replies_out)},
        {"decode_errors", get(decode_errors)},
        {"format_errors", get(format_errors)},
        {"backpressure_pauses", get(backpressure_pauses)},
        {"batches", batches_now},
        {"entries_committed", entries_now},
        {"entries_per_commit",
         batches_now == 0 ? 0.0 : static_cast<double>(entries_now) / static_cast<double>(batches_now)},
        {"snapshots", get(snapshots)},
        {"snapshot_failures", get(snapshot_failures)},
        {"snapshot_fork_us_max", get(snapshot_fork_us_max)},
        {"ticks", get(ticks)},
        {"queue_depth_max", get(queue_depth_max)},
    };
  }
};

}  // namespace holdfast::server
