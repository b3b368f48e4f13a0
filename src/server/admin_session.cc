#include "server/admin_session.h"

#include <algorithm>
#include <cstring>

#include <nlohmann/json.hpp>

#include "base/assert.h"
#include "gateway/admin_json.h"
#include "security/pan_cipher.h"

namespace holdfast::server {
namespace {

constexpr size_t kReadChunkBytes = 16 * 1024;

nlohmann::json error_json(std::string_view reason, std::string_view field = {}) {
  nlohmann::json e{{"error", reason}};
  if (!field.empty()) e["field"] = field;
  return e;
}

}  // namespace

AdminSession::AdminSession(asio::ip::tcp::socket socket, const SessionContext& context)
    : Session(std::move(socket), context) {}

std::span<uint8_t> AdminSession::read_area() {
  if (begin_ == end_) begin_ = end_ = 0;
  if (buffer_.size() - end_ < kReadChunkBytes && begin_ > 0) {
    std::memmove(buffer_.data(), buffer_.data() + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
  }
  if (buffer_.size() - end_ < kReadChunkBytes) buffer_.resize(end_ + kReadChunkBytes);
  return std::span<uint8_t>(buffer_.data() + end_, buffer_.size() - end_);
}

void AdminSession::commit_read(size_t n) {
  HF_REQUIRE(end_ + n <= buffer_.size());
  end_ += n;
}

Session::Step AdminSession::handle_next() {
  const uint8_t* first = buffer_.data() + begin_;
  const uint8_t* last = buffer_.data() + end_;
  const uint8_t* newline = std::find(first, last, static_cast<uint8_t>('\n'));
  if (newline == last) {
    if (end_ - begin_ <= ctx_.config->max_admin_line_bytes) return Step::need_more;
    ctx_.log->warn("admin connection {}: line longer than {} bytes; closing", peer_,
                   ctx_.config->max_admin_line_bytes);
    return Step::fatal;
  }
  std::string_view line(reinterpret_cast<const char*>(first), static_cast<size_t>(newline - first));
  begin_ += line.size() + 1;
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  if (line.find_first_not_of(" \t") == std::string_view::npos) return Step::handled;
  ServerMetrics::bump(ctx_.metrics->messages_in);
  handle_line(line);
  return Step::handled;
}

void AdminSession::handle_line(std::string_view line) {
  nlohmann::json request = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (request.is_discarded()) {
    ServerMetrics::bump(ctx_.metrics->format_errors);
    send_error(error_json("malformed JSON"));
    return;
  }
  if (!request.is_object() || !request.contains("op") || !request["op"].is_string()) {
    ServerMetrics::bump(ctx_.metrics->format_errors);
    send_error(error_json("a request is a JSON object with a string \"op\"", "op"));
    return;
  }
  EngineRequest queued;
  // `audit` is the server's own query (stats + the full ledger check), answered by the engine
  // loop; the gateway does not know it.
  if (gateway::is_admin_query(request) || request["op"] == "audit") {
    queued.kind = EngineRequest::Kind::admin_query;
    queued.query = std::move(request);
    submit(std::move(queued));
    return;
  }
  // Logged by op only: an issue_card request carries a clear PAN.
  auto command = gateway::parse_admin_command(request, *ctx_.pan_hasher, security::pan_encryptor(ctx_.keys));
  if (!command) {
    ServerMetrics::bump(ctx_.metrics->format_errors);
    send_error(error_json(command.error().reason, command.error().field));
    return;
  }
  queued.kind = EngineRequest::Kind::admin_command;
  queued.body = std::move(*command);
  submit(std::move(queued));
}

// Through the queue, not written at once: admin answers keep request order (a client loading a
// portfolio matches answers to lines by position).
void AdminSession::send_error(nlohmann::json error) {
  EngineRequest echo;
  echo.kind = EngineRequest::Kind::admin_echo;
  echo.query = std::move(error);
  submit(std::move(echo));
}

void AdminSession::deliver_iso(std::unique_ptr<iso8583::Message>, const engine::Reply&) {
  HF_UNREACHABLE();  // admin requests are answered with JSON lines only
}

void AdminSession::deliver_line(std::string line) {
  auto self = std::static_pointer_cast<AdminSession>(shared_from_this());
  on_strand([self, line = std::move(line)](Session&) { self->send_line(line, true); });
}

void AdminSession::send_line(std::string_view line, bool from_engine) {
  std::vector<uint8_t>& out = outbox();
  out.insert(out.end(), line.begin(), line.end());
  out.push_back('\n');
  reply_added(from_engine);
}

}  // namespace holdfast::server
