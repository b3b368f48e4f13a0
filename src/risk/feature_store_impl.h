// Private to src/risk: FeatureStore's state (pools sized once) shared by feature_store.cc and
// feature_codec.cc.
#pragma once

#include <vector>

#include "risk/risk.h"
#include "risk/state.h"

namespace holdfast::risk {

bool is_holder(EntityKind k) noexcept;

struct FeatureStore::Impl {
  explicit Impl(const FeatureStoreConfig& c);
  // Slot of id in kind's pool, adding it (first seen at us) when there is room; -1 when full.
  int64_t find_or_add(EntityKind k, uint64_t id, int64_t us) noexcept;
  UntrackedKinds observe(const Observation& obs) noexcept;
  UntrackedKinds observe(const TokenProvisioning& p) noexcept;
  void features(const Message& m, FeatureVector* out) const noexcept;

  FeatureStoreConfig config;
  std::vector<Pool> pools;  // by EntityKind
};

}  // namespace holdfast::risk
