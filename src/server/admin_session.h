// The admin port: one JSON object per line in, one JSON object per line out, in order.
//   queries (get_account, get_card, stats) -> engine queue, answered from state, not journaled
//   mutating ops                           -> engine queue, journaled and applied like card
//                                             messages; answered with admin_reply_json
//   malformed JSON or a bad request        -> {"error":...}, passed through the queue (not
//                                             journaled) so answers keep request order; the
//                                             connection continues
// A line longer than max_admin_line_bytes ends the connection (it cannot be skipped safely
// without reading it all).
// Threading: as Session.
#pragma once

#include <nlohmann/json.hpp>

#include "server/session.h"

namespace holdfast::server {

class AdminSession final : public Session {
 public:
  AdminSession(asio::ip::tcp::socket socket, const SessionContext& context);

  void deliver_iso(std::unique_ptr<iso8583::Message> request, const engine::Reply& reply) override;
  void deliver_line(std::string line) override;

 protected:
  Step handle_next() override;
  std::span<uint8_t> read_area() override;
  void commit_read(size_t n) override;

 private:
  void handle_line(std::string_view line);
  void send_line(std::string_view line, bool from_engine);
  void send_error(nlohmann::json error);

  std::vector<uint8_t> buffer_;
  size_t begin_ = 0;  // first unconsumed byte
  size_t end_ = 0;    // one past the last received byte
};

}  // namespace holdfast::server
