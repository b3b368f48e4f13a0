// libFuzzer target: arbitrary bytes as a journal entry (decode_command) and as a snapshot
// (Engine::deserialize). Neither may crash; a command that decodes is applied to a small
// engine, after which the books must still balance.
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "base/assert.h"
#include "engine/command_codec.h"
#include "engine/engine.h"

using namespace holdfast;
using namespace holdfast::engine;

namespace {

Engine& fuzz_engine() {
  static Engine* engine = [] {
    auto* e = new Engine(EngineConfig{});
    std::vector<Event> events;
    CreateCardRange range;
    range.range.prefix_low = 0;
    range.range.prefix_high = 99999999999;
    range.range.prefix_length = 11;
    e->apply(Command{Timestamp{1}, range}, &events);
    e->apply(Command{Timestamp{1}, OpenAccount{Currency{156}, 100'000, 1}}, &events);
    return e;
  }();
  return *engine;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::span<const uint8_t> input(data, size);
  auto command = decode_command(input);
  if (command.ok()) {
    std::vector<uint8_t> again;
    encode_command(*command, &again);
    HF_ASSERT(again.size() == size);
    std::vector<Event> events;
    Engine& engine = fuzz_engine();
    engine.apply(*command, &events);
    HF_ASSERT(engine.ledger().books_balance());
  }
  EngineConfig small;
  small.max_message_records = 1024;  // a small index to start with: one engine per input
  Engine restored{small};
  (void)restored.deserialize(input);
  return 0;
}
