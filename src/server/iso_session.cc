#include "server/iso_session.h"

#include "base/assert.h"
#include "iso8583/codec.h"

namespace holdfast::server {
namespace {

// Fields whose contents must never reach a log: PAN, track 2, track 3, track 1, PIN block,
// ICC data. A decode reason for them may quote a byte, so only its position is logged.
bool is_sensitive(int de) {
  return de == 2 || de == 35 || de == 36 || de == 45 || de == 52 || de == 55;
}

constexpr size_t kReadChunkBytes = 16 * 1024;

}  // namespace

IsoSession::IsoSession(asio::ip::tcp::socket socket, const SessionContext& context)
    : Session(std::move(socket), context),
      reader_(context.config->framing, context.config->max_frame_bytes) {}

std::span<uint8_t> IsoSession::read_area() { return reader_.write_area(kReadChunkBytes); }
void IsoSession::commit_read(size_t n) { reader_.commit_written(n); }

Session::Step IsoSession::handle_next() {
  const FrameReader::Next next = reader_.next();
  switch (next.status) {
    case FrameReader::Status::need_more:
      return Step::need_more;
    case FrameReader::Status::frame:
      ServerMetrics::bump(ctx_.metrics->messages_in);
      handle_message(next.message);
      return Step::handled;
    case FrameReader::Status::oversize:
      ServerMetrics::bump(ctx_.metrics->decode_errors);
      ctx_.log->warn("connection {}: frame length {} exceeds max_frame_bytes {}; closing",
                     peer_, next.declared_length, ctx_.config->max_frame_bytes);
      return Step::fatal;
    case FrameReader::Status::bad_header:
      ServerMetrics::bump(ctx_.metrics->decode_errors);
      ctx_.log->warn("connection {}: length header is not 4 ASCII digits; closing", peer_);
      return Step::fatal;
  }
  HF_UNREACHABLE();
}

void IsoSession::handle_message(std::span<const uint8_t> wire) {
  auto decoded = iso8583::decode(*ctx_.spec, wire);
  if (!decoded) {
    log_decode_error(decoded.error(), wire.size());
    return;
  }
  auto card_message = gateway::to_card_message(*decoded, *ctx_.pan_hasher);
  if (!card_message) {
    ServerMetrics::bump(ctx_.metrics->format_errors);
    // The translate reason names fields and rules, never values.
    ctx_.log->info("connection {}: MTI {} answered with 30: {}", peer_, decoded->mti(),
                   card_message.error().reason);
    iso8583::Message response;
    if (gateway::format_error_response(*ctx_.spec, *decoded, &response)) send_response(response, false);
    return;
  }
  EngineRequest request;
  request.kind = EngineRequest::Kind::card_message;
  request.body = *card_message;
  request.iso_request = std::move(*decoded);
  submit(std::move(request));
}

void IsoSession::log_decode_error(const iso8583::DecodeError& error, size_t wire_size) {
  ServerMetrics::bump(ctx_.metrics->decode_errors);
  if (is_sensitive(error.field)) {
    ctx_.log->warn("connection {}: {}-byte message does not decode with {}: field {} at offset {} "
                   "is malformed (content withheld)",
                   peer_, wire_size, ctx_.config->spec, error.field, error.offset);
    return;
  }
  ctx_.log->warn("connection {}: {}-byte message does not decode with {}: {}", peer_, wire_size,
                 ctx_.config->spec, iso8583::describe(error));
}

void IsoSession::deliver_iso(iso8583::Message request, const engine::Reply& reply) {
  auto self = std::static_pointer_cast<IsoSession>(shared_from_this());
  on_strand([self, request = std::move(request), reply](Session&) {
    iso8583::Message response;
    gateway::build_response(*self->ctx_.spec, request, reply, &response);
    self->send_response(response, true);
  });
}

void IsoSession::deliver_line(std::string) {
  HF_UNREACHABLE();  // the engine answers an ISO link with ISO messages only
}

void IsoSession::send_response(const iso8583::Message& response, bool from_engine) {
  std::vector<uint8_t>& out = outbox();
  const size_t start = out.size();
  const size_t header = begin_frame(ctx_.config->framing, &out);
  auto encoded = iso8583::encode_into(*ctx_.spec, response, out);
  if (!encoded || !end_frame(ctx_.config->framing, header, &out)) {
    // A response we built and cannot encode is our bug; the acquirer times out and reverses.
    out.resize(start);
    ctx_.log->error("connection {}: response MTI {} does not encode: {}", peer_, response.mti(),
                    encoded ? std::string("too long for the framing")
                            : iso8583::describe(encoded.error()));
    reply_dropped(from_engine);
    return;
  }
  reply_added(from_engine);
}

}  // namespace holdfast::server
