// libFuzzer target: arbitrary bytes through decode() under every built-in spec. Decoding must
// never crash or read out of bounds (ASan/UBSan watch that); when it succeeds, the message must
// re-encode, and the re-encoded bytes must decode to the same message.
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "base/assert.h"
#include "iso8583/codec.h"
#include "iso8583/spec.h"

using namespace holdfast::iso8583;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::span<const uint8_t> input(data, size);
  for (std::string_view name : spec_names()) {
    const MessageSpec& spec = *find_spec(name);
    holdfast::Result<Message, DecodeError> decoded = decode(spec, input);
    if (!decoded.ok()) {
      HF_ASSERT(decoded.error().offset <= size);
      Message partial;  // what the server answers a malformed frame from: must never crash
      (void)salvage(spec, input, partial);
      continue;
    }
    holdfast::Result<std::vector<uint8_t>, EncodeError> encoded = encode(spec, *decoded);
    HF_ASSERT(encoded.ok());
    holdfast::Result<Message, DecodeError> again = decode(spec, *encoded);
    HF_ASSERT(again.ok());
    HF_ASSERT(*again == *decoded);
  }
  return 0;
}
