// The scheme dispute rules the engine files chargebacks under: from the configuration (journaled
// with it), else the copy of config/scheme-rules.json built into the binary.
//
// Parsing the rules is far slower than everything else an engine does when it is made or
// restored (fuzzing restores one per input, tests make thousands), so the last text parsed is
// remembered with its result and an engine copies the parsed book.
#include <mutex>

#include "base/assert.h"
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
  // The built-in rules are parsed once per process and never evicted.
  static const disputes::RulesBook embedded = [] {
    auto loaded = disputes::load_rules(kEmbeddedSchemeRules);
    HF_REQUIRE(loaded.ok());  // checked by the engine's tests; a bad build must not start
    return std::move(loaded).value();
  }();
  if (config_.scheme_rules_json.empty()) {
    rules_ = embedded;
    return true;
  }
  static ParsedRules cache;  // the last configured text and its result
  std::lock_guard lock(cache.mutex);
  if (cache.text.empty() || cache.text != config_.scheme_rules_json) {
    auto loaded = disputes::load_rules(config_.scheme_rules_json);
    cache.text = config_.scheme_rules_json;
    cache.ok = loaded.ok();
    cache.book = loaded.ok() ? std::move(loaded).value() : disputes::RulesBook{};
  }
  if (!cache.ok) return false;
  rules_ = cache.book;
  return true;
}

}  // namespace holdfast::engine
