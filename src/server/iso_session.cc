#include "server/iso_session.h"

#include <spdlog/fmt/fmt.h>

#include "base/assert.h"
#include "iso8583/codec.h"

namespace holdfast::server {
namespace {

// Fields whose contents must never reach a log: PAN, track 2, track 3, track 1, PIN block,
// ICC data. A decode reason for them may quote a byte, so only its position is logged.
bool is_sensitive(int de) { return de == 2 || de == 35 || de == 36 || de == 45 || de == 52 || de == 55; }

constexpr size_t kReadChunkBytes = 16 * 1024;
// Messages kept for reuse per connection (each is ~1.1 KiB plus its buffer).
constexpr size_t kMaxFreeMessages = 1024;
// Error log limiter: this many in full per connection, then one summary per interval.
constexpr uint64_t kLoggedErrors = 10;
constexpr auto kErrorSummaryInterval = std::chrono::seconds(10);

}  // namespace

IsoSession::IsoSession(asio::ip::tcp::socket socket, const SessionContext& context)
    : Session(std::move(socket), context),
      reader_(context.config->framing, context.config->max_frame_bytes) {}

IsoSession::~IsoSession() {
  if (decode_log_.suppressed > 0) log_suppressed(decode_log_, "decode errors", "");
  if (format_log_.suppressed > 0) log_suppressed(format_log_, "format errors", "");
}

bool IsoSession::ErrorLog::admit() {
  if (++seen <= kLoggedErrors) {
    if (seen == kLoggedErrors) last_summary = std::chrono::steady_clock::now();
    return true;
  }
  ++suppressed;
  return false;
}

// One line for the errors not logged since the last summary; `last` describes the newest.
void IsoSession::log_suppressed(ErrorLog& log, const char* what, std::string_view last) {
  log.last_summary = std::chrono::steady_clock::now();
  ctx_.log->warn("connection {}: {} more {} not logged individually ({} in all){}{}", peer_, log.suppressed,
                 what, log.seen, last.empty() ? "" : "; latest: ", last);
  log.suppressed = 0;
}

std::span<uint8_t> IsoSession::read_area() { return reader_.write_area(kReadChunkBytes); }
void IsoSession::commit_read(size_t n) { reader_.commit_written(n); }

Session::Step IsoSession::handle_next() {
  const FrameReader::Next next = reader_.next();
  switch (next.status) {
    case FrameReader::Status::need_more: return Step::need_more;
    case FrameReader::Status::frame:
      ServerMetrics::bump(ctx_.metrics->messages_in);
      handle_message(next.message);
      return Step::handled;
    case FrameReader::Status::oversize:
      ServerMetrics::bump(ctx_.metrics->decode_errors);
      ctx_.log->warn("connection {}: frame length {} exceeds max_frame_bytes {}; closing", peer_,
                     next.declared_length, ctx_.config->max_frame_bytes);
      return Step::fatal;
    case FrameReader::Status::bad_header:
      ServerMetrics::bump(ctx_.metrics->decode_errors);
      ctx_.log->warn("connection {}: length header is not 4 ASCII digits; closing", peer_);
      return Step::fatal;
  }
  HF_UNREACHABLE();
}

std::unique_ptr<iso8583::Message> IsoSession::take_message() {
  if (free_messages_.empty()) return std::make_unique<iso8583::Message>();
  std::unique_ptr<iso8583::Message> m = std::move(free_messages_.back());
  free_messages_.pop_back();
  return m;
}

void IsoSession::recycle(std::unique_ptr<iso8583::Message> message) {
  if (message && free_messages_.size() < kMaxFreeMessages) {
    free_messages_.push_back(std::move(message));
  }
}

void IsoSession::handle_message(std::span<const uint8_t> wire) {
  std::unique_ptr<iso8583::Message> message = take_message();
  if (auto decoded = iso8583::decode_into(*ctx_.spec, wire, *message); !decoded) {
    log_decode_error(decoded.error(), wire.size());
    // A request whose MTI and STAN can still be located is answered with 30 (format error),
    // echoing only the fields that are valid, instead of leaving the acquirer to time out.
    if (iso8583::salvage(*ctx_.spec, wire, *message) && message->has(11)) answer_format_error(*message);
    recycle(std::move(message));
    return;
  }
  auto card_message = gateway::to_card_message(*message, *ctx_.pan_hasher);
  if (!card_message) {
    // The translate reason names fields and rules, never values.
    if (format_log_.admit()) {
      ctx_.log->info("connection {}: MTI {} answered with 30: {}", peer_, message->mti(),
                     card_message.error().reason);
    } else if (std::chrono::steady_clock::now() - format_log_.last_summary >= kErrorSummaryInterval) {
      log_suppressed(format_log_, "format errors (answered with 30)", card_message.error().reason);
    }
    answer_format_error(*message);
    recycle(std::move(message));
    return;
  }
  EngineRequest request;
  request.kind = EngineRequest::Kind::card_message;
  request.body = *card_message;
  request.iso_request = std::move(message);
  submit(std::move(request));
}

// Counts only the answers actually queued for the acquirer.
void IsoSession::answer_format_error(const iso8583::Message& request) {
  if (!gateway::format_error_response(*ctx_.spec, request, &response_)) return;
  if (send_response(response_, /*from_engine=*/false)) ServerMetrics::bump(ctx_.metrics->format_errors);
}

void IsoSession::log_decode_error(const iso8583::DecodeError& error, size_t wire_size) {
  ServerMetrics::bump(ctx_.metrics->decode_errors);
  const bool full = decode_log_.admit();
  if (!full && std::chrono::steady_clock::now() - decode_log_.last_summary < kErrorSummaryInterval) {
    return;
  }
  std::string what;
  if (is_sensitive(error.field)) {
    what = fmt::format(
        "{}-byte message does not decode with {}: field {} at offset {} is "
        "malformed (content withheld)",
        wire_size, ctx_.config->spec, error.field, error.offset);
  } else {
    what = fmt::format("{}-byte message does not decode with {}: {}", wire_size, ctx_.config->spec,
                       iso8583::describe(error));
  }
  if (full) {
    ctx_.log->warn("connection {}: {}", peer_, what);
  } else {
    log_suppressed(decode_log_, "decode errors", what);
  }
}

// Engine thread: one lock per reply, one strand hop per burst.
void IsoSession::deliver_iso(std::unique_ptr<iso8583::Message> request, const engine::Reply& reply) {
  bool post = false;
  {
    std::lock_guard lock(inbox_mu_);
    inbox_.push_back(Answered{std::move(request), reply});
    post = !drain_posted_;
    drain_posted_ = true;
  }
  if (post) on_strand([](Session& s) { static_cast<IsoSession&>(s).drain_replies(); });
}

void IsoSession::drain_replies() {
  {
    std::lock_guard lock(inbox_mu_);
    draining_.swap(inbox_);
    drain_posted_ = false;
  }
  for (Answered& a : draining_) {
    respond(*a.request, a.reply);
    recycle(std::move(a.request));
  }
  draining_.clear();
  flush_replies();
}

void IsoSession::respond(const iso8583::Message& request, const engine::Reply& reply) {
  gateway::build_response(*ctx_.spec, request, reply, &response_);
  if (ctx_.security != nullptr) ctx_.security->add_arpc(request, reply.response_code, &response_);
  send_response(response_, /*from_engine=*/true, /*flush=*/false);
}

void IsoSession::deliver_line(std::string) {
  HF_UNREACHABLE();  // the engine answers an ISO link with ISO messages only
}

bool IsoSession::send_response(const iso8583::Message& response, bool from_engine, bool flush) {
  std::vector<uint8_t>& out = outbox();
  const size_t start = out.size();
  const size_t header = begin_frame(ctx_.config->framing, &out);
  auto encoded = iso8583::encode_into(*ctx_.spec, response, out);
  if (!encoded || !end_frame(ctx_.config->framing, header, &out)) {
    // A response we built and cannot encode is our bug; the acquirer times out and reverses.
    out.resize(start);
    ctx_.log->error("connection {}: response MTI {} does not encode: {}", peer_, response.mti(),
                    encoded ? std::string("too long for the framing") : iso8583::describe(encoded.error()));
    reply_dropped(from_engine);
    return false;
  }
  reply_added(from_engine, flush);
  return true;
}

}  // namespace holdfast::server
