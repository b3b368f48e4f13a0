// The scheme dispute rules the engine files chargebacks under: from the configuration (journaled
// with it), else the copy of config/scheme-rules.json built into the binary.
#include "engine/engine.h"
#include "engine/scheme_rules.h"

namespace holdfast::engine {

bool Engine::load_rules() {
  const std::string_view text =
      config_.scheme_rules_json.empty() ? std::string_view(kEmbeddedSchemeRules) : config_.scheme_rules_json;
  auto loaded = disputes::load_rules(text);
  if (!loaded.ok()) return false;
  rules_ = std::move(loaded).value();
  return true;
}

}  // namespace holdfast::engine
