// An acquirer link: length-framed ISO 8583 messages in, responses out, many requests in flight.
//   decode error       -> logged (field number, offset, reason; never field contents of the
//                         sensitive elements), counted, no answer, the link keeps going
//   translate error    -> response code 30 built here on the I/O thread (nothing to journal)
//   card message, 0800 -> the engine queue; the response is built here when the reply returns
// A bad length header ends the connection: the stream cannot be resynchronised after it.
//
// Hot path, per message: decode_into a Message taken from this connection's free list,
// translate, queue; the engine thread hands the reply back through a small locked inbox, and
// one strand hop per burst builds every response into one reused Message and encodes them all
// into the outbox, which leaves in one write. In steady state nothing here allocates.
//
// Decode and translate errors are logged per connection: the first kLoggedErrors of each
// kind in full, then one summary line per kErrorSummaryInterval with the count suppressed (a
// broken peer cannot flood the log).
// Threading: as Session; inbox_ is shared with the engine thread under inbox_mu_.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <vector>

#include "iso8583/codec.h"
#include "server/framing.h"
#include "server/session.h"

namespace holdfast::server {

class IsoSession final : public Session {
 public:
  IsoSession(asio::ip::tcp::socket socket, const SessionContext& context);

  ~IsoSession() override;

  void deliver_iso(std::unique_ptr<iso8583::Message> request, const engine::Reply& reply) override;
  void deliver_line(std::string line) override;

 protected:
  Step handle_next() override;
  std::span<uint8_t> read_area() override;
  void commit_read(size_t n) override;

 private:
  // Per-connection log limiter: full lines for the first few, then periodic summaries.
  struct ErrorLog {
    uint64_t seen = 0;
    uint64_t suppressed = 0;
    std::chrono::steady_clock::time_point last_summary{};
    // True when this error should be logged in full; otherwise it was counted.
    bool admit();
  };
  struct Answered {
    std::unique_ptr<iso8583::Message> request;
    engine::Reply reply;
  };

  void handle_message(std::span<const uint8_t> wire);
  void log_decode_error(const iso8583::DecodeError& error, size_t wire_size);
  void answer_format_error(const iso8583::Message& request);
  void log_suppressed(ErrorLog& log, const char* what, std::string_view last);
  void drain_replies();
  // Builds the response to `request` from the engine's reply and appends it to the outbox.
  void respond(const iso8583::Message& request, const engine::Reply& reply);
  // Returns whether the response encoded and was queued.
  bool send_response(const iso8583::Message& response, bool from_engine, bool flush = true);
  std::unique_ptr<iso8583::Message> take_message();
  void recycle(std::unique_ptr<iso8583::Message> message);

  FrameReader reader_;
  iso8583::Message response_;  // reused for every response
  std::vector<std::unique_ptr<iso8583::Message>> free_messages_;
  std::vector<Answered> draining_;  // strand only; swapped with inbox_
  ErrorLog decode_log_;
  ErrorLog format_log_;

  std::mutex inbox_mu_;
  std::vector<Answered> inbox_;  // replies from the engine thread not yet taken
  bool drain_posted_ = false;    // a drain_replies() is on its way to the strand
};

}  // namespace holdfast::server
