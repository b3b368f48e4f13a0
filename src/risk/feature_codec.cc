// FeatureStore snapshot bytes. Layout (little-endian, version 1):
//   u32 magic "HFRF", u16 version,
//   per entity kind in EntityKind order: u32 count, then count entries, each the fields of
//   visit_entity (state.h) and, for card and token, of visit_holder,
//   u32 CRC32C of everything before it.
// Every byte is validated on the way in (checksum, counts against this store's capacities, ids
// non-zero and unique, flags 0/1); the store is replaced only when the whole snapshot is good.
#include <cstring>
#include <string>
#include <type_traits>

#include "base/bytes.h"
#include "base/crc32c.h"
#include "risk/feature_store_impl.h"

namespace holdfast::risk {
namespace {

constexpr uint32_t kMagic = 0x46524648;  // "HFRF"
constexpr uint16_t kVersion = 1;

RiskError at(RiskErrc code, size_t offset, const std::string& what) {
  return RiskError{code, "feature snapshot: offset " + std::to_string(offset) + ": " + what};
}

struct FieldWriter {
  ByteWriter* w;
  template <typename T>
  void operator()(const T& x) const {
    static_assert(std::is_integral_v<T>);
    uint8_t b[sizeof(T)];
    std::memcpy(b, &x, sizeof(T));
    w->bytes(std::span<const uint8_t>(b, sizeof(T)));
  }
};

struct FieldReader {
  ByteReader* r;
  bool* ok;
  template <typename T>
  void operator()(T& x) const {
    static_assert(std::is_integral_v<T>);
    if (*ok) *ok = r->bytes(reinterpret_cast<uint8_t*>(&x), sizeof(T));
  }
};

bool holder_flags_valid(const HolderState& h) {
  return h.provisioned <= 1 && h.stepped_up <= 1 && h.wallet_score <= 9;
}

// Reads one entity of kind k into the pool; the error names the entry's offset.
Result<Ok, RiskError> read_entity(ByteReader& r, EntityKind k, uint32_t i, Pool& pool) {
  const size_t start = r.offset();
  const std::string what = std::string(entity_kind_name(k)) + " entry " + std::to_string(i);
  bool ok = true;
  EntityState e;
  visit_entity(e, FieldReader{&r, &ok});
  HolderState h;
  if (is_holder(k)) visit_holder(h, FieldReader{&r, &ok});
  if (!ok) return at(RiskErrc::truncated, start, what + ": truncated");
  if (e.id == 0) return at(RiskErrc::bad_value, start, what + ": id 0");
  if (pool.index.find(e.id) >= 0)
    return at(RiskErrc::bad_value, start, what + ": duplicate id " + std::to_string(e.id));
  if (is_holder(k) && !holder_flags_valid(h))
    return at(RiskErrc::bad_value, start, what + ": flag out of range");
  pool.index.insert(e.id, static_cast<uint32_t>(pool.entities.size()));
  pool.entities.push_back(e);
  if (is_holder(k)) pool.holders.push_back(h);
  return Ok{};
}

Result<Ok, RiskError> read_pool(ByteReader& r, EntityKind k, Pool& pool) {
  const size_t start = r.offset();
  uint32_t count = 0;
  if (!r.u32(&count))
    return at(RiskErrc::truncated, start, std::string(entity_kind_name(k)) + " count: truncated");
  if (count > pool.capacity)
    return at(RiskErrc::capacity, start,
              std::to_string(count) + " " + entity_kind_name(k) + " entries, capacity " +
                  std::to_string(pool.capacity));
  for (uint32_t i = 0; i < count; ++i) {
    auto one = read_entity(r, k, i, pool);
    if (!one) return one.error();
  }
  return Ok{};
}

}  // namespace

std::vector<uint8_t> FeatureStore::serialize() const {
  std::vector<uint8_t> out;
  ByteWriter w(&out);
  w.u32(kMagic);
  w.u16(kVersion);
  for (int k = 0; k < kEntityKindCount; ++k) {
    const Pool& p = impl_->pools[static_cast<size_t>(k)];
    w.u32(static_cast<uint32_t>(p.entities.size()));
    for (size_t i = 0; i < p.entities.size(); ++i) {
      visit_entity(p.entities[i], FieldWriter{&w});
      if (is_holder(static_cast<EntityKind>(k))) visit_holder(p.holders[i], FieldWriter{&w});
    }
  }
  w.u32(crc32c(out));
  return out;
}

Result<Ok, RiskError> FeatureStore::deserialize(std::span<const uint8_t> bytes) {
  if (bytes.size() < 10) return at(RiskErrc::truncated, bytes.size(), "shorter than header and checksum");
  const size_t body = bytes.size() - 4;
  uint32_t stored = 0;
  std::memcpy(&stored, bytes.data() + body, 4);
  if (stored != crc32c(bytes.first(body))) return at(RiskErrc::checksum, body, "checksum mismatch");
  ByteReader r(bytes.first(body));
  uint32_t magic = 0;
  uint16_t version = 0;
  if (!r.u32(&magic) || magic != kMagic) return at(RiskErrc::bad_magic, 0, "not a feature snapshot");
  if (!r.u16(&version) || version != kVersion)
    return at(RiskErrc::bad_version, 4, "version " + std::to_string(version) + ", expected 1");
  auto fresh = std::make_unique<Impl>(impl_->config);
  for (int k = 0; k < kEntityKindCount; ++k) {
    auto pool = read_pool(r, static_cast<EntityKind>(k), fresh->pools[static_cast<size_t>(k)]);
    if (!pool) return pool.error();
  }
  if (!r.at_end())
    return at(RiskErrc::trailing_bytes, r.offset(),
              std::to_string(r.remaining()) + " bytes after the last entry");
  impl_ = std::move(fresh);
  return Ok{};
}

}  // namespace holdfast::risk
