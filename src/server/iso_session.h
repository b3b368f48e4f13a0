// An acquirer link: length-framed ISO 8583 messages in, responses out, many requests in flight.
//   decode error       -> logged (field number, offset, reason; never field contents of the
//                         sensitive elements), counted, no answer, the link keeps going
//   translate error    -> response code 30 built here on the I/O thread (nothing to journal)
//   card message, 0800 -> the engine queue; the response is built here when the reply returns
// A bad length header ends the connection: the stream cannot be resynchronised after it.
// Threading: as Session.
#pragma once

#include <memory>

#include "iso8583/codec.h"
#include "server/framing.h"
#include "server/session.h"

namespace holdfast::server {

class IsoSession final : public Session {
 public:
  IsoSession(asio::ip::tcp::socket socket, const SessionContext& context);

  void deliver_iso(iso8583::Message request, const engine::Reply& reply) override;
  void deliver_line(std::string line) override;

 protected:
  Step handle_next() override;
  std::span<uint8_t> read_area() override;
  void commit_read(size_t n) override;

 private:
  void handle_message(std::span<const uint8_t> wire);
  void log_decode_error(const iso8583::DecodeError& error, size_t wire_size);
  void send_response(const iso8583::Message& response, bool from_engine);

  FrameReader reader_;
};

}  // namespace holdfast::server
