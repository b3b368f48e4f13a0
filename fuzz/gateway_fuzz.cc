// libFuzzer target: arbitrary bytes through the server's inbound path short of the engine:
// decode (iso87binbitmap) -> to_card_message -> a response built from a reply -> encode.
// Translation must answer every decodable message with a command or a field-naming error, and
// every response holdfast builds must encode.
#include <cstddef>
#include <cstdint>
#include <span>

#include "base/assert.h"
#include "gateway/gateway.h"
#include "iso8583/codec.h"
#include "iso8583/spec.h"

using namespace holdfast;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const gateway::PanHasher hasher(std::array<uint8_t, 32>{1, 2, 3});
  static const iso8583::MessageSpec& spec = *iso8583::find_spec("iso87binbitmap");
  auto decoded = iso8583::decode(spec, std::span<const uint8_t>(data, size));
  if (!decoded.ok()) return 0;
  auto translated = gateway::to_card_message(*decoded, hasher);
  iso8583::Message response;
  if (translated.ok()) {
    engine::Reply reply;
    reply.outcome = engine::Outcome::approved;
    reply.response_code = {'0', '0'};
    reply.approval_code = {'1', '2', '3', '4', '5', '6'};
    reply.account_currency = Currency{156};
    reply.open_to_buy_minor = -123456;
    gateway::build_response(spec, *decoded, reply, &response);
  } else {
    HF_ASSERT(!translated.error().reason.empty());
    if (!gateway::format_error_response(spec, *decoded, &response)) return 0;
  }
  auto encoded = iso8583::encode(spec, response);
  HF_ASSERT(encoded.ok());
  return 0;
}
