// The scheme dispute rules the engine files chargebacks under: from the configuration (journaled
// with it), else the copy of config/scheme-rules.json built into the binary.
//
// Parsing the rules is far slower than everything else an engine does when it is made or
// restored (fuzzing restores one per input, tests make thousands), so the last text parsed is
// remembered with its result and an engine copies the parsed book.
#include <mutex>

#include "engine/engine.h"
#include "engine/scheme_rules.h"

namespace holdfast::engine {
namespace {

struct ParsedRules {
  std::mutex mutex;
  std::string text;
  bool ok = false;
  disputes::RulesBook book;
};

}  // namespace

bool Engine::load_rules() {
  static ParsedRules cache;
  const std::string_view text =
      config_.scheme_rules_json.empty() ? std::string_view(kEmbeddedSchemeRules) : config_.scheme_rules_json;
  std::lock_guard lock(cache.mutex);
  if (cache.text.empty() || cache.text != text) {
    auto loaded = disputes::load_rules(text);
    cache.text = std::string(text);
    cache.ok = loaded.ok();
    cache.book = loaded.ok() ? std::move(loaded).value() : disputes::RulesBook{};
  }
  if (!cache.ok) return false;
  rules_ = cache.book;
  return true;
}

}  // namespace holdfast::engine
