#include "server/session.h"

#include "base/assert.h"

namespace holdfast::server {
namespace {

std::string peer_name(const asio::ip::tcp::socket& socket) {
  std::error_code ec;
  const auto endpoint = socket.remote_endpoint(ec);
  if (ec) return "?";
  return endpoint.address().to_string() + ":" + std::to_string(endpoint.port());
}

}  // namespace

Session::Session(asio::ip::tcp::socket socket, const SessionContext& context)
    : ctx_(context), peer_(peer_name(socket)), socket_(std::move(socket)) {
  ctx_.tracker->session_opened();
}

Session::~Session() {
  if (!input_finished_) ctx_.tracker->input_finished();
  ctx_.tracker->session_closed();
}

void Session::start() {
  std::error_code ignored;
  socket_.set_option(asio::ip::tcp::no_delay(true), ignored);  // replies are small and urgent
  on_strand([](Session& s) { s.pump(); });
}

void Session::stop_input() {
  on_strand([](Session& s) {
    s.input_closed_ = true;
    std::error_code ignored;
    // Completes a pending read with end-of-stream; buffered requests are still answered.
    if (s.reading_) s.socket_.shutdown(asio::ip::tcp::socket::shutdown_receive, ignored);
    s.pump();
  });
}

void Session::close_now() {
  on_strand([](Session& s) {
    s.input_closed_ = true;
    s.held_.reset();
    s.dead_ = true;
    std::error_code ignored;
    s.socket_.close(ignored);
    s.finish_input();
  });
}

// Handles buffered requests until the buffer is empty or a pause applies, then reads more.
void Session::pump() {
  if (held_ && !retry_held()) return;
  while (!dead_) {
    if (in_flight_ >= ctx_.config->max_in_flight_per_connection) return;  // on_write resumes
    const Step step = handle_next();
    if (step == Step::need_more) break;
    if (step == Step::fatal) {
      input_closed_ = true;
      break;
    }
    if (held_) return;  // the queue's wake-up resumes
  }
  if (dead_ || input_closed_) {
    finish_input();
    return;
  }
  start_read();
}

// Offers the held request again; true when it is gone (queued or dropped at shutdown).
bool Session::retry_held() {
  HF_ASSERT(held_.has_value());
  for (;;) {
    switch (ctx_.queue->try_push(*held_)) {
      case EngineQueue::Push::queued:
        held_.reset();
        ++in_flight_;
        return true;
      case EngineQueue::Push::full: break;
      case EngineQueue::Push::closed:
        // The server is stopping and the engine has finished: the request was never
        // journaled, so dropping it unanswered is the same as a lost connection to the client.
        held_.reset();
        input_closed_ = true;
        return true;
    }
    // Full: leave a wake-up (built only now, off the common path); retry if room appeared.
    std::weak_ptr<Session> weak = shared_from_this();
    auto wake = [weak] {
      if (auto self = weak.lock()) self->on_strand([](Session& s) { s.pump(); });
    };
    if (ctx_.queue->notify_when_space(std::move(wake))) return false;
  }
}

void Session::submit(EngineRequest request) {
  HF_REQUIRE(!held_.has_value());
  request.sink = shared_from_this();
  held_.emplace(std::move(request));
  if (!retry_held()) ServerMetrics::bump(ctx_.metrics->backpressure_pauses);
}

void Session::start_read() {
  if (reading_) return;
  reading_ = true;
  const std::span<uint8_t> area = read_area();
  socket_.async_read_some(
      asio::buffer(area.data(), area.size()),
      [self = shared_from_this()](const std::error_code& ec, size_t n) { self->on_read(ec, n); });
}

void Session::on_read(const std::error_code& ec, size_t n) {
  reading_ = false;
  if (ec) {
    if (ec != asio::error::eof && ec != asio::error::operation_aborted) {
      ctx_.log->info("connection {}: read ended: {}", peer_, ec.message());
    }
    input_closed_ = true;
  } else {
    commit_read(n);
  }
  pump();
}

void Session::reply_added(bool from_engine, bool flush) {
  if (!from_engine) ++in_flight_;  // answered here: in flight until written
  ++outbox_replies_;
  if (dead_) {  // nobody to write to: forget it, and what is still queued with it
    in_flight_ -= outbox_replies_;
    outbox_replies_ = 0;
    outbox_.clear();
    return;
  }
  if (flush) start_write();
}

void Session::flush_replies() { start_write(); }

void Session::reply_dropped(bool from_engine) {
  if (!from_engine) return;
  HF_ASSERT(in_flight_ > 0);
  --in_flight_;
  pump();
}

void Session::start_write() {
  if (writing_ || dead_ || outbox_.empty()) return;
  writing_ = true;
  writing_buffer_.swap(outbox_);
  outbox_.clear();
  const size_t replies = outbox_replies_;
  outbox_replies_ = 0;
  asio::async_write(socket_, asio::buffer(writing_buffer_),
                    [self = shared_from_this(), replies](const std::error_code& ec, size_t) {
                      self->on_write(ec, replies);
                    });
}

void Session::on_write(const std::error_code& ec, size_t replies) {
  writing_ = false;
  HF_ASSERT(in_flight_ >= replies);
  in_flight_ -= replies;
  if (ec) {
    ctx_.log->info("connection {}: write failed: {}", peer_, ec.message());
    dead_ = true;
    std::error_code ignored;
    socket_.close(ignored);
  } else {
    ServerMetrics::bump(ctx_.metrics->replies_out, replies);
  }
  start_write();
  pump();  // resumes a read paused by the in-flight bound; closes when all is done
}

void Session::finish_input() {
  if (held_) return;  // still owed to the queue
  if (!input_finished_) {
    input_finished_ = true;
    ctx_.tracker->input_finished();
  }
  maybe_close();
}

// Closes once the client has stopped sending and every reply it is owed has been written.
void Session::maybe_close() {
  if (dead_) return;
  if (in_flight_ > 0 || writing_ || reading_) return;
  dead_ = true;
  std::error_code ignored;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
}

}  // namespace holdfast::server
