// The bounded queue between the I/O threads (many producers) and the engine thread (one
// consumer). Bounded so that a burst or a slow disk turns into backpressure on the sockets, not
// into unbounded memory: a producer that finds the queue full leaves a wake-up callback and
// stops reading its connection; the consumer calls the callbacks once it has made room.
//
// Invariants: size() <= capacity(); every callback left by a refused push is called exactly
// once (after room was made, or at close()).
// Threading: any thread may push; one thread pops. Callbacks run on the popping (or closing)
// thread and must only post work elsewhere (asio::post), never block.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/command.h"
#include "engine/engine.h"
#include "iso8583/message.h"

namespace holdfast::server {

// Where the engine thread sends an answer: a connection, which moves it to its own executor.
class ReplySink {
 public:
  virtual ~ReplySink() = default;
  // A card message was applied: build and send the ISO 8583 response. Called on the engine
  // thread for every reply; implementations collect replies and hop to their own executor
  // once per burst, not once per reply. `request` goes back to the connection for reuse.
  virtual void deliver_iso(std::unique_ptr<iso8583::Message> request, const engine::Reply& reply) = 0;
  // An admin request was answered: send one JSON line.
  virtual void deliver_line(std::string line) = 0;
};

struct EngineRequest {
  enum class Kind : uint8_t {
    card_message,   // journaled; answered with an ISO 8583 response
    admin_command,  // journaled; answered with admin_reply_json
    admin_query,    // not journaled; answered from state at its place in the queue
    admin_echo,     // not journaled; `query` is the answer (an admin error), sent in order
  };
  Kind kind = Kind::card_message;
  engine::CommandBody body;
  // card_message: what the response echoes. A pointer so that moving a request through the
  // queue moves 8 bytes, and the connection can reuse the message's buffer for the next one.
  std::unique_ptr<iso8583::Message> iso_request;
  nlohmann::json query;  // admin_query: the request; admin_echo: the answer
  std::shared_ptr<ReplySink> sink;
};

// One JSON line (without the newline). Invalid UTF-8 from a client, echoed in an error, is
// replaced rather than thrown on.
inline std::string dump_line(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

class EngineQueue {
 public:
  explicit EngineQueue(size_t capacity);

  enum class Push { queued, full, closed };
  // Queues `request` (moved from only when queued). When full, `on_space` is kept and called
  // once there is room (or at close); the caller retries then.
  Push push(EngineRequest& request, std::function<void()> on_space);
  // The same in two steps, so that the common case builds no callback: try_push never keeps
  // anything; after `full`, notify_when_space keeps `on_space` and returns true when the
  // queue is still full, or returns false (keeping nothing) when there is room again or the
  // queue closed, and the caller retries at once.
  Push try_push(EngineRequest& request);
  bool notify_when_space(std::function<void()> on_space);

  // Moves up to `max` requests into `out` (cleared first), waiting until at least one is there,
  // `deadline` passes, or the queue is closed. Returns false when closed and empty.
  bool pop_batch(std::vector<EngineRequest>* out, size_t max, std::chrono::steady_clock::time_point deadline);

  // Refuses further pushes and wakes everyone; requests already queued can still be popped.
  void close();

  size_t capacity() const { return capacity_; }
  size_t size() const;
  size_t max_depth() const;

 private:
  std::vector<std::function<void()>> take_waiters_if_room();

  const size_t capacity_;
  mutable std::mutex mu_;
  std::condition_variable not_empty_;
  std::vector<EngineRequest> ring_;  // fixed size capacity_
  size_t head_ = 0;
  size_t count_ = 0;
  size_t max_depth_ = 0;
  bool closed_ = false;
  std::vector<std::function<void()>> waiters_;
};

}  // namespace holdfast::server
