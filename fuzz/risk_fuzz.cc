// Fuzzes src/risk's three readers of outside bytes. The first byte picks one:
//   0: rule text -> RuleSet::compile; a rule set that compiles is evaluated on a zero vector
//      and on one of the input's bytes (the stack machine must stay in bounds)
//   1: feature-store snapshot -> deserialize; what is accepted must serialize to the same bytes
//   2: rule set version -> decode_rule_set_version; what is accepted must encode the same
// Every input must give a value or an error, never a crash or a sanitizer report.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string_view>

#include "risk/risk.h"

using namespace holdfast::risk;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::span<const uint8_t> body(data + 1, size - 1);
  switch (data[0] % 3) {
    case 0: {
      auto rules =
          RuleSet::compile(std::string_view(reinterpret_cast<const char*>(body.data()), body.size()));
      if (!rules) return 0;
      FeatureVector fv;
      (void)rules->evaluate(fv);
      for (size_t i = 0; i < fv.values.size(); ++i) fv.values[i] = body.empty() ? 1 : body[i % body.size()];
      (void)rules->evaluate(fv);
      return 0;
    }
    case 1: {
      FeatureStoreConfig c;
      c.capacity.fill(8);
      FeatureStore store(c);
      if (!store.deserialize(body).ok()) return 0;
      const auto again = store.serialize();
      if (again.size() != body.size() || !std::equal(again.begin(), again.end(), body.begin())) std::abort();
      return 0;
    }
    default: {
      auto v = decode_rule_set_version(body);
      if (!v.ok()) return 0;
      const auto again = encode_rule_set_version(*v);
      if (again.size() != body.size() || !std::equal(again.begin(), again.end(), body.begin())) std::abort();
      return 0;
    }
  }
}
