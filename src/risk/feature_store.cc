// FeatureStore: observe() and features() over fixed pools (state.h). Nothing here allocates
// after the constructor.
#include <algorithm>
#include <bit>

#include "base/assert.h"
#include "base/money.h"
#include "risk/feature_store_impl.h"

namespace holdfast::risk {
namespace {

constexpr int64_t kSecondUs = 1'000'000;
constexpr int64_t kHourUs = 3'600 * kSecondUs;
constexpr int64_t kDayUs = 24 * kHourUs;
constexpr int64_t kMaxHistoryAmount = 1'000'000'000'000'000;  // 10^15 minor units: clamp, never overflow

uint64_t mix64(uint64_t x) noexcept {  // splitmix64 finaliser
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}
uint32_t hash32(uint64_t value, uint64_t tag) noexcept {
  const auto h = static_cast<uint32_t>(mix64(value ^ (tag << 56)) >> 32);
  return h == 0 ? 1 : h;
}

int64_t sat_add(int64_t a, int64_t b) noexcept {
  int64_t out = 0;
  if (__builtin_add_overflow(a, b, &out)) return b > 0 ? INT64_MAX : INT64_MIN;
  return out;
}
uint32_t to_seconds32(int64_t us) noexcept {
  return static_cast<uint32_t>(std::clamp<int64_t>(us / kSecondUs, 0, UINT32_MAX));
}
int64_t bucket_of(int64_t us, int w) noexcept {
  const int64_t span = kWindowSeconds[w] * kSecondUs / kBuckets;
  return std::max<int64_t>(us, 0) / span;
}
size_t ring(int64_t bucket) noexcept { return static_cast<size_t>(bucket % kBuckets); }

// ---- windows -------------------------------------------------------------------------------
void windows_add(Windows& w, int64_t us, int64_t amount, bool declined) noexcept {
  for (int i = 0; i < kWindowCount; ++i) {
    const int64_t b = bucket_of(us, i);
    if (b > w.head[i]) {
      for (int64_t c = std::max(w.head[i] + 1, b - kBuckets + 1); c <= b; ++c) {
        w.attempts[i][ring(c)] = 0, w.declines[i][ring(c)] = 0, w.amount[i][ring(c)] = 0;
      }
      w.head[i] = b;
    } else if (b <= w.head[i] - kBuckets) {
      continue;  // older than the window: nothing to count it in
    }
    auto& att = w.attempts[i][ring(b)];
    auto& dec = w.declines[i][ring(b)];
    if (att < UINT16_MAX) ++att;
    if (declined && dec < UINT16_MAX) ++dec;
    w.amount[i][ring(b)] = sat_add(w.amount[i][ring(b)], std::max<int64_t>(amount, 0));
  }
}

struct WindowSums {
  int64_t attempts = 0, declines = 0, amount = 0;
};
WindowSums windows_read(const Windows& w, int i, int64_t now_us) noexcept {
  WindowSums s;
  const int64_t now_b = bucket_of(now_us, i);
  for (int d = 0; d < kBuckets; ++d) {
    const int64_t b = w.head[i] - d;
    if (b > now_b || b <= now_b - kBuckets || b < 0) continue;
    s.attempts += w.attempts[i][ring(b)];
    s.declines += w.declines[i][ring(b)];
    s.amount = sat_add(s.amount, w.amount[i][ring(b)]);
  }
  return s;
}

// ---- recent sets and bloom -----------------------------------------------------------------
void recent_add(RecentSet& r, uint32_t value, int64_t us) noexcept {
  const uint32_t s = to_seconds32(us);
  int oldest = 0;
  for (int i = 0; i < kRecent; ++i) {
    if (r.value[i] == value) {
      r.seen_s[i] = std::max(r.seen_s[i], s);
      return;
    }
    if (r.value[i] == 0 || (r.value[oldest] != 0 && r.seen_s[i] < r.seen_s[oldest])) oldest = i;
  }
  r.value[oldest] = value;
  r.seen_s[oldest] = s;
}
int64_t recent_count(const RecentSet& r, int64_t now_us, int64_t window_s) noexcept {
  const int64_t now_s = now_us / kSecondUs;
  int64_t n = 0;
  for (int i = 0; i < kRecent; ++i) {
    const int64_t seen = r.seen_s[i];
    if (r.value[i] != 0 && seen > now_s - window_s && seen <= now_s) ++n;
  }
  return n;
}

enum BloomTag : uint64_t { kTagMerchant = 1, kTagCountry = 2, kTagDevice = 3, kTagMcc = 4, kTagCard = 5 };
void bloom_add(HolderState& h, uint64_t value, uint64_t tag) noexcept {
  const uint64_t x = mix64(value ^ (tag << 56));
  for (int k = 0; k < 2; ++k) {
    const uint64_t bit = (x >> (k * 32)) & (kBloomWords * 64 - 1);
    h.seen_bloom[bit / 64] |= uint64_t{1} << (bit % 64);
  }
}
bool bloom_has(const HolderState& h, uint64_t value, uint64_t tag) noexcept {
  const uint64_t x = mix64(value ^ (tag << 56));
  for (int k = 0; k < 2; ++k) {
    const uint64_t bit = (x >> (k * 32)) & (kBloomWords * 64 - 1);
    if (!((h.seen_bloom[bit / 64] >> (bit % 64)) & 1u)) return false;
  }
  return true;
}

uint8_t next_streak(uint8_t streak, Check c) noexcept {
  if (c == Check::match) return 0;
  if (c == Check::mismatch && streak < UINT8_MAX) return static_cast<uint8_t>(streak + 1);
  return streak;
}

int64_t percent_of(int64_t part, int64_t whole) noexcept {
  if (whole <= 0 || part <= 0) return 0;
  const Wide p = static_cast<Wide>(part) * 100 / whole;
  return p > INT64_MAX ? INT64_MAX : static_cast<int64_t>(p);
}

uint64_t counterparty_of(EntityKind k, const EntityIds& ids) noexcept {
  return (k == EntityKind::card || k == EntityKind::token) ? ids.merchant : ids.card;
}

}  // namespace

// ---- pools -----------------------------------------------------------------------------------
IdIndex::IdIndex(uint32_t capacity) {
  size_t n = 16;
  while (n < size_t{capacity} * 2) n *= 2;
  keys_.assign(n, 0);
  slots_.assign(n, 0);
  mask_ = n - 1;
}
size_t IdIndex::home(uint64_t id) const noexcept { return static_cast<size_t>(mix64(id)) & mask_; }
int64_t IdIndex::find(uint64_t id) const noexcept {
  if (id == 0) return -1;
  for (size_t i = home(id);; i = (i + 1) & mask_) {
    if (keys_[i] == id) return slots_[i];
    if (keys_[i] == 0) return -1;
  }
}
void IdIndex::insert(uint64_t id, uint32_t slot) noexcept {
  HF_REQUIRE(id != 0);
  size_t i = home(id);
  while (keys_[i] != 0) {
    HF_REQUIRE(keys_[i] != id);
    i = (i + 1) & mask_;
  }
  keys_[i] = id;
  slots_[i] = slot;
}

Pool::Pool(uint32_t cap, bool with_holders) : capacity(cap), index(cap) {
  entities.reserve(cap);
  if (with_holders) holders.reserve(cap);
}

bool is_holder(EntityKind k) noexcept { return k == EntityKind::card || k == EntityKind::token; }

FeatureStore::Impl::Impl(const FeatureStoreConfig& c) : config(c) {
  for (int k = 0; k < kEntityKindCount; ++k) {
    HF_REQUIRE(c.capacity[k] >= 1 && c.capacity[k] <= kMaxEntityCapacity);
    pools.emplace_back(c.capacity[k], is_holder(static_cast<EntityKind>(k)));
  }
}

int64_t FeatureStore::Impl::find_or_add(EntityKind k, uint64_t id, int64_t us) noexcept {
  Pool& p = pools[static_cast<size_t>(k)];
  const int64_t slot = p.index.find(id);
  if (slot >= 0 || id == 0) return slot;
  if (p.entities.size() >= p.capacity) return -1;
  const auto s = static_cast<uint32_t>(p.entities.size());
  p.entities.push_back(EntityState{});  // capacity reserved: no allocation
  p.entities.back().id = id;
  p.entities.back().first_seen_us = us;
  p.entities.back().last_seen_us = us;
  if (is_holder(k)) p.holders.push_back(HolderState{});
  p.index.insert(id, s);
  return s;
}

// ---- observe ---------------------------------------------------------------------------------
namespace {

void update_holder(HolderState& h, const Observation& obs) noexcept {
  const Message& m = obs.message;
  recent_add(h.countries, hash32(m.country, kTagCountry), m.time.us);
  recent_add(h.mccs, hash32(m.mcc, kTagMcc), m.time.us);
  bloom_add(h, m.ids.merchant, kTagMerchant);
  bloom_add(h, m.country, kTagCountry);
  if (m.ids.device != 0) bloom_add(h, m.ids.device, kTagDevice);
  h.cnp_bits = (h.cnp_bits << 1) | (m.channel == Channel::card_not_present ? 1u : 0u);
  h.cross_border_bits = (h.cross_border_bits << 1) | (m.country != m.home_country ? 1u : 0u);
  if (h.history_count < UINT8_MAX) ++h.history_count;
  h.cvv2_streak = next_streak(h.cvv2_streak, m.cvv2);
  h.pin_streak = next_streak(h.pin_streak, m.pin);
  h.cryptogram_streak = next_streak(h.cryptogram_streak, m.cryptogram);
  if (obs.outcome == Outcome::declined_over_limit) {
    auto oldest = std::min_element(h.over_limit_us.begin(), h.over_limit_us.end());
    *oldest = m.time.us;
  }
  if (obs.outcome == Outcome::approved) {
    const int64_t a = std::clamp<int64_t>(m.amount_minor, 0, kMaxHistoryAmount);
    h.amount_mean = h.approved_count == 0 ? a : h.amount_mean + (a - h.amount_mean) / 8;
    h.amount_max = std::max(h.amount_max, a);
    if (h.approved_count < UINT32_MAX) ++h.approved_count;
  }
}

}  // namespace

UntrackedKinds FeatureStore::Impl::observe(const Observation& obs) noexcept {
  const Message& m = obs.message;
  const bool declined = obs.outcome != Outcome::approved;
  UntrackedKinds untracked = 0;
  for (int k = 0; k < kEntityKindCount; ++k) {
    const auto kind = static_cast<EntityKind>(k);
    const uint64_t id = m.ids.get(kind);
    if (id == 0) continue;
    const int64_t slot = find_or_add(kind, id, m.time.us);
    if (slot < 0) {
      untracked |= static_cast<UntrackedKinds>(1u << k);
      continue;
    }
    Pool& p = pools[static_cast<size_t>(k)];
    EntityState& e = p.entities[static_cast<size_t>(slot)];
    e.last_seen_us = std::max(e.last_seen_us, m.time.us);
    windows_add(e.windows, m.time.us, m.amount_minor, declined);
    const uint64_t cp = counterparty_of(kind, m.ids);
    if (cp != 0) recent_add(e.counterparties, hash32(cp, kTagCard), m.time.us);
    if (is_holder(kind)) update_holder(p.holders[static_cast<size_t>(slot)], obs);
  }
  return untracked;
}

UntrackedKinds FeatureStore::Impl::observe(const TokenProvisioning& tp) noexcept {
  UntrackedKinds untracked = 0;
  const int64_t token = find_or_add(EntityKind::token, tp.token, tp.time.us);
  if (token < 0) {
    untracked |= 1u << static_cast<int>(EntityKind::token);
  } else {
    Pool& p = pools[static_cast<size_t>(EntityKind::token)];
    p.entities[static_cast<size_t>(token)].last_seen_us = tp.time.us;
    HolderState& h = p.holders[static_cast<size_t>(token)];
    h.provisioned_us = tp.time.us;
    h.provisioning_country = tp.country;
    h.provisioning_home = tp.home_country;
    h.wallet_score = std::min<uint8_t>(tp.wallet_score, 9);
    h.stepped_up = tp.stepped_up ? 1 : 0;
    h.provisioned = 1;
    if (tp.device != 0) bloom_add(h, tp.device, kTagDevice);
  }
  // The card's wallet device is the issuer's own decision: not a "new device" for the card.
  const int64_t card = pools[0].index.find(tp.card);
  if (card >= 0 && tp.device != 0)
    bloom_add(pools[0].holders[static_cast<size_t>(card)], tp.device, kTagDevice);
  return untracked;
}

// ---- features --------------------------------------------------------------------------------
namespace {

constexpr std::array<Feature, kEntityKindCount> kEntityBlock{
    Feature::card_attempts_10m,     Feature::token_attempts_10m,    Feature::account_attempts_10m,
    Feature::merchant_attempts_10m, Feature::terminal_attempts_10m, Feature::device_attempts_10m};
constexpr std::array<Feature, 2> kHolderBlock{Feature::card_distinct_countries_24h,
                                              Feature::token_distinct_countries_24h};

// Offsets inside a block follow HF_RISK_ENTITY_FEATURES / HF_RISK_HOLDER_FEATURES.
constexpr int offset(Feature f, Feature base) { return static_cast<int>(f) - static_cast<int>(base); }
static_assert(offset(Feature::card_declines_1h, Feature::card_attempts_10m) == 10);
static_assert(offset(Feature::card_known, Feature::card_attempts_10m) == 16);
static_assert(offset(Feature::token_attempts_10m, Feature::card_attempts_10m) == 17);
static_assert(offset(Feature::device_known, Feature::device_attempts_10m) == 16);
static_assert(offset(Feature::card_amount_vs_mean_pct, Feature::card_distinct_countries_24h) == 15);
static_assert(offset(Feature::token_amount_vs_mean_pct, Feature::token_distinct_countries_24h) == 15);
static_assert(offset(Feature::device, Feature::card) == kEntityKindCount - 1);
void fill_entity(const EntityState& e, int64_t now_us, int64_t* out) noexcept {
  for (int i = 0; i < kWindowCount; ++i) {
    const WindowSums s = windows_read(e.windows, i, now_us);
    out[i] = s.attempts;
    out[kWindowCount + i] = s.amount;
    if (i == 1) out[10] = s.declines;
    if (i == 2) out[11] = s.declines;
  }
  out[12] = recent_count(e.counterparties, now_us, 3'600);
  out[13] = recent_count(e.counterparties, now_us, 86'400);
  out[14] = std::max<int64_t>(now_us - e.last_seen_us, 0) / kDayUs;
  out[15] = std::max<int64_t>(now_us - e.first_seen_us, 0) / kDayUs;
  out[16] = 1;
}

int64_t share_pct(uint32_t bits, uint8_t history) noexcept {
  const int n = std::min<int>(history, 32);
  if (n == 0) return 0;
  const uint32_t mask = n == 32 ? UINT32_MAX : (1u << n) - 1;
  return std::popcount(bits & mask) * 100 / n;
}

void fill_holder(const HolderState& h, const Message& m, int64_t* out) noexcept {
  const int64_t now = m.time.us;
  out[0] = recent_count(h.countries, now, 86'400);
  out[1] = recent_count(h.countries, now, 30 * 86'400);
  out[2] = recent_count(h.mccs, now, 86'400);
  if (h.history_count > 0) {  // first-seen flags only against a history
    out[3] = bloom_has(h, m.ids.merchant, kTagMerchant) ? 0 : 1;
    out[4] = bloom_has(h, m.country, kTagCountry) ? 0 : 1;
    out[5] = m.ids.device != 0 && !bloom_has(h, m.ids.device, kTagDevice) ? 1 : 0;
  }
  out[6] = share_pct(h.cnp_bits, h.history_count);
  out[7] = share_pct(h.cross_border_bits, h.history_count);
  out[8] = h.history_count;
  out[9] = h.cvv2_streak, out[10] = h.pin_streak, out[11] = h.cryptogram_streak;
  int64_t over = 0;
  for (int64_t t : h.over_limit_us) over += (t != 0 && t > now - kDayUs && t <= now) ? 1 : 0;
  out[12] = over;
  out[13] = h.amount_max;
  out[14] = percent_of(m.amount_minor, h.amount_max);
  out[15] = percent_of(m.amount_minor, h.amount_mean);
}

void fill_token_provisioning(const HolderState& h, int64_t now_us, FeatureVector* out) noexcept {
  if (!h.provisioned) return;
  const int64_t age = std::max<int64_t>(now_us - h.provisioned_us, 0);
  (*out)[Feature::token_age_hours] = age / kHourUs;
  (*out)[Feature::token_provisioned_abroad] = h.provisioning_country != h.provisioning_home ? 1 : 0;
  (*out)[Feature::token_wallet_score] = h.wallet_score;
  (*out)[Feature::token_provisioning_stepped_up] = h.stepped_up;
}

void fill_message(const Message& m, FeatureVector* out) noexcept {
  auto& v = *out;
  v[Feature::amount] = m.amount_minor;
  v[Feature::mcc] = m.mcc;
  v[Feature::country] = m.country;
  v[Feature::cross_border] = m.country != m.home_country ? 1 : 0;
  v[Feature::channel] = static_cast<int64_t>(m.channel);
  v[Feature::entry_mode] = static_cast<int64_t>(m.entry_mode);
  v[Feature::is_token] = m.ids.token != 0 ? 1 : 0;
  v[Feature::is_advice] = m.advice ? 1 : 0;
  v[Feature::chip_card] = m.chip_card ? 1 : 0;
  v[Feature::chip_card_stripe_read] =
      m.chip_card && (m.entry_mode == EntryMode::magstripe || m.entry_mode == EntryMode::fallback) ? 1 : 0;
  v[Feature::cvv2] = static_cast<int64_t>(m.cvv2);
  v[Feature::pin] = static_cast<int64_t>(m.pin);
  v[Feature::cryptogram] = static_cast<int64_t>(m.cryptogram);
  for (int k = 0; k < kEntityKindCount; ++k)  // ids, for lists: the same bits as int64
    v.values[static_cast<size_t>(Feature::card) + k] =
        static_cast<int64_t>(m.ids.get(static_cast<EntityKind>(k)));
}

}  // namespace

void FeatureStore::Impl::features(const Message& m, FeatureVector* out) const noexcept {
  out->values.fill(0);
  fill_message(m, out);
  for (int k = 0; k < kEntityKindCount; ++k) {
    const auto kind = static_cast<EntityKind>(k);
    const Pool& p = pools[static_cast<size_t>(k)];
    const int64_t slot = p.index.find(m.ids.get(kind));
    if (slot < 0) continue;
    fill_entity(p.entities[static_cast<size_t>(slot)], m.time.us,
                &out->values[static_cast<size_t>(kEntityBlock[static_cast<size_t>(k)])]);
    if (!is_holder(kind)) continue;
    const HolderState& h = p.holders[static_cast<size_t>(slot)];
    fill_holder(h, m, &out->values[static_cast<size_t>(kHolderBlock[static_cast<size_t>(k)])]);
    if (kind == EntityKind::token) fill_token_provisioning(h, m.time.us, out);
  }
}

// ---- public face -------------------------------------------------------------------------------
FeatureStore::FeatureStore(const FeatureStoreConfig& config) : impl_(std::make_unique<Impl>(config)) {}
FeatureStore::~FeatureStore() = default;
FeatureStore::FeatureStore(FeatureStore&&) noexcept = default;
FeatureStore& FeatureStore::operator=(FeatureStore&&) noexcept = default;

void FeatureStore::features(const Message& msg, FeatureVector* out) const noexcept {
  impl_->features(msg, out);
}
UntrackedKinds FeatureStore::observe(const Observation& obs) noexcept { return impl_->observe(obs); }
UntrackedKinds FeatureStore::observe(const TokenProvisioning& p) noexcept { return impl_->observe(p); }
const FeatureStoreConfig& FeatureStore::config() const noexcept { return impl_->config; }
uint32_t FeatureStore::size(EntityKind k) const noexcept {
  return static_cast<uint32_t>(impl_->pools[static_cast<size_t>(k)].entities.size());
}

size_t state_bytes_per_entity(EntityKind k) noexcept {
  // State plus the index's share (two slots of id and slot number per entity).
  const size_t index = 2 * (sizeof(uint64_t) + sizeof(uint32_t));
  return sizeof(EntityState) + (is_holder(k) ? sizeof(HolderState) : 0) + index;
}

uint64_t EntityIds::get(EntityKind k) const noexcept {
  switch (k) {
    case EntityKind::card: return card;
    case EntityKind::token: return token;
    case EntityKind::account: return account;
    case EntityKind::merchant: return merchant;
    case EntityKind::terminal: return terminal;
    case EntityKind::device: return device;
  }
  return 0;
}

const char* entity_kind_name(EntityKind k) noexcept {
  switch (k) {
    case EntityKind::card: return "card";
    case EntityKind::token: return "token";
    case EntityKind::account: return "account";
    case EntityKind::merchant: return "merchant";
    case EntityKind::terminal: return "terminal";
    case EntityKind::device: return "device";
  }
  return "?";
}

namespace {
constexpr std::array<const char*, kFeatureCount> kFeatureNames{
#define HF_RISK_X(name) #name,
    HF_RISK_FEATURES(HF_RISK_X)
#undef HF_RISK_X
};
}  // namespace

const char* feature_name(Feature f) noexcept {
  const auto i = static_cast<size_t>(f);
  return i < kFeatureNames.size() ? kFeatureNames[i] : "?";
}
int find_feature(std::string_view name) noexcept {
  for (size_t i = 0; i < kFeatureNames.size(); ++i)
    if (name == kFeatureNames[i]) return static_cast<int>(i);
  return -1;
}

}  // namespace holdfast::risk
