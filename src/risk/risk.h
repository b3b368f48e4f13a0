// risk: streaming features and a small rule language for the authorisation path (issue 9).
//
// The one header the engine includes. Three parts:
//   - FeatureStore: per card, token, account, merchant, terminal and device, fixed-size state
//     updated by observe() and read by features() into a fixed FeatureVector. Pools are sized
//     by FeatureStoreConfig at construction; observe() and features() never allocate.
//   - RuleSet: rules compiled once from text (docs/rules.md) into a flat bytecode;
//     evaluate() runs it over a FeatureVector without allocating.
//   - RuleSetVersion: a rule set's source, version and state (draft / shadow / active) as data,
//     with the codec and the checks a journaled command will call.
//
// Determinism: time is an input (Message::time, microseconds UTC); no clock, no I/O, no
// randomness. The same observations in the same order give the same state, features and
// decisions, and serialize() gives the same bytes.
// Threading: none; one FeatureStore belongs to one thread (the engine's single writer).
// Order per decision: features(msg) (history before this message), evaluate, then
// observe({msg, outcome}) with the engine's final outcome.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "base/time.h"

namespace holdfast::risk {

// ---------------------------------------------------------------------------------------------
// Errors (operating errors: malformed snapshot bytes, rule text). Text names offset or line:col.
enum class RiskErrc : uint8_t {
  truncated,
  bad_magic,
  bad_version,
  bad_value,
  capacity,
  checksum,
  trailing_bytes,
  syntax,
};
using RiskError = Error<RiskErrc>;

// ---------------------------------------------------------------------------------------------
// Identities: the engine maps its own ids to these. 0 means "absent" (e.g. no token).
enum class EntityKind : uint8_t { card = 0, token, account, merchant, terminal, device };
constexpr int kEntityKindCount = 6;
const char* entity_kind_name(EntityKind k) noexcept;

struct EntityIds {
  uint64_t card = 0;
  uint64_t token = 0;
  uint64_t account = 0;
  uint64_t merchant = 0;
  uint64_t terminal = 0;
  uint64_t device = 0;
  uint64_t get(EntityKind k) const noexcept;
};

// The message fields risk reads, in its own terms (the engine translates; values are part of
// the feature vector so rules can name them).
enum class Channel : uint8_t { card_present = 0, card_not_present };
enum class EntryMode : uint8_t {
  unknown = 0,
  manual,
  magstripe,
  chip,
  contactless_chip,
  contactless_magstripe,
  ecommerce,
  fallback,
  credential_on_file,
};
// Same order as engine::CheckResult.
enum class Check : uint8_t { not_present = 0, not_checked, match, mismatch, malformed };

struct Message {
  Timestamp time;
  EntityIds ids;
  int64_t amount_minor = 0;  // in the card's billing currency (the engine converts)
  uint16_t mcc = 0;
  uint16_t country = 0;       // acquirer country, ISO 3166-1 numeric
  uint16_t home_country = 0;  // the cardholder's country; cross_border = country != home_country
  Channel channel = Channel::card_present;
  EntryMode entry_mode = EntryMode::unknown;
  bool advice = false;     // approved elsewhere (stand-in, offline): cannot be refused
  bool chip_card = false;  // the card has a chip (service code 2xx/6xx)
  Check cvv2 = Check::not_present;
  Check pin = Check::not_present;
  Check cryptogram = Check::not_present;
};

// What the engine finally answered (recorded after the decision).
enum class Outcome : uint8_t {
  approved = 0,
  declined,             // any refusal other than the one below
  declined_over_limit,  // over the open-to-buy, the uplift was refused
};
struct Observation {
  Message message;
  Outcome outcome = Outcome::approved;
};

// A wallet token provisioned for a card: token age and provisioning context.
struct TokenProvisioning {
  Timestamp time;
  uint64_t token = 0;
  uint64_t card = 0;
  uint64_t device = 0;
  uint16_t country = 0;       // where the wallet asked from
  uint16_t home_country = 0;  // the cardholder's
  uint8_t wallet_score = 0;   // the wallet's device/account risk, 0 (good) .. 9 (bad); clamped
  bool stepped_up = false;    // the issuer asked for a one-time passcode and it was entered
};

// ---------------------------------------------------------------------------------------------
// Features: the named slots of a FeatureVector. Message fields first, then one block per entity
// kind (same layout for each), then the extra block for card and token ("holders"), then token
// provisioning. Units are in the names: _10m.._30d windows, _days, _hours, _pct (percent).
// docs/rules.md lists each with its meaning.
// The formatter does not keep X-macro lists stable: they are laid out by hand.
// clang-format off
#define HF_RISK_ENTITY_FEATURES(X, P, C)                                                         \
  X(P##_attempts_10m) X(P##_attempts_1h) X(P##_attempts_24h) X(P##_attempts_7d) X(P##_attempts_30d) \
  X(P##_amount_10m) X(P##_amount_1h) X(P##_amount_24h) X(P##_amount_7d) X(P##_amount_30d)         \
  X(P##_declines_1h) X(P##_declines_24h) X(P##_distinct_##C##_1h) X(P##_distinct_##C##_24h)      \
  X(P##_dormancy_days) X(P##_age_days) X(P##_known)

#define HF_RISK_HOLDER_FEATURES(X, P)                                                              \
  X(P##_distinct_countries_24h) X(P##_distinct_countries_30d) X(P##_distinct_mccs_24h)           \
  X(P##_new_merchant) X(P##_new_country) X(P##_new_device)                                       \
  X(P##_cnp_share_pct) X(P##_cross_border_share_pct) X(P##_history_count)                        \
  X(P##_cvv2_fail_streak) X(P##_pin_fail_streak) X(P##_cryptogram_fail_streak)                   \
  X(P##_over_limit_24h) X(P##_amount_max) X(P##_amount_vs_max_pct) X(P##_amount_vs_mean_pct)

#define HF_RISK_FEATURES(X)                                                                        \
  X(amount) X(mcc) X(country) X(cross_border) X(channel) X(entry_mode) X(is_token) X(is_advice)  \
  X(chip_card) X(chip_card_stripe_read) X(cvv2) X(pin) X(cryptogram)                            \
  X(card) X(token) X(account) X(merchant) X(terminal) X(device)                                  \
  HF_RISK_ENTITY_FEATURES(X, card, merchants) HF_RISK_ENTITY_FEATURES(X, token, merchants)       \
  HF_RISK_ENTITY_FEATURES(X, account, cards) HF_RISK_ENTITY_FEATURES(X, merchant, cards)         \
  HF_RISK_ENTITY_FEATURES(X, terminal, cards) HF_RISK_ENTITY_FEATURES(X, device, cards)          \
  HF_RISK_HOLDER_FEATURES(X, card) HF_RISK_HOLDER_FEATURES(X, token)                             \
  X(token_age_hours) X(token_provisioned_abroad) X(token_wallet_score)          \
  X(token_provisioning_stepped_up)
// clang-format on

enum class Feature : uint16_t {
#define HF_RISK_X(name) name,
  HF_RISK_FEATURES(HF_RISK_X)
#undef HF_RISK_X
};
constexpr int kFeatureCount = 0
#define HF_RISK_X(name) +1
    HF_RISK_FEATURES(HF_RISK_X)
#undef HF_RISK_X
    ;
const char* feature_name(Feature f) noexcept;
// The feature with that name, or -1.
int find_feature(std::string_view name) noexcept;

struct FeatureVector {
  std::array<int64_t, kFeatureCount> values{};
  int64_t operator[](Feature f) const noexcept { return values[static_cast<size_t>(f)]; }
  int64_t& operator[](Feature f) noexcept { return values[static_cast<size_t>(f)]; }
};

// ---------------------------------------------------------------------------------------------
// Feature store. Capacities are fixed at construction (memory per entity: src/risk/README.md).
// An entity met when its pool is full is not tracked: its features read as unknown (zero) and
// observe() says so in its result, so the engine can count it (size the pools from the
// portfolio instead).
struct FeatureStoreConfig {
  std::array<uint32_t, kEntityKindCount> capacity{1024, 1024, 1024, 1024, 1024, 1024};
};
constexpr uint32_t kMaxEntityCapacity = 1u << 26;  // a bound for validation, not a target

// Bit i set: an entity of kind i was not tracked because its pool was full.
using UntrackedKinds = uint8_t;

class FeatureStore {
 public:
  // REQUIRES: every capacity in 1..kMaxEntityCapacity. Allocates every pool now.
  explicit FeatureStore(const FeatureStoreConfig& config);
  ~FeatureStore();
  FeatureStore(FeatureStore&&) noexcept;
  FeatureStore& operator=(FeatureStore&&) noexcept;

  // Fills *out from history before msg (msg's own fields included). No allocation.
  void features(const Message& msg, FeatureVector* out) const noexcept;
  // Records a decided message. No allocation.
  UntrackedKinds observe(const Observation& obs) noexcept;
  // Records a provisioned token. No allocation.
  UntrackedKinds observe(const TokenProvisioning& p) noexcept;

  const FeatureStoreConfig& config() const noexcept;
  uint32_t size(EntityKind k) const noexcept;

  // Snapshot: little-endian, versioned, CRC32C at the end. deserialize checks magic, version,
  // the store's capacities, ids (non-zero, unique), and the checksum; errors name the offset.
  std::vector<uint8_t> serialize() const;
  [[nodiscard]] Result<Ok, RiskError> deserialize(std::span<const uint8_t> bytes);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Bytes of state per tracked entity of each kind (what README.md documents).
size_t state_bytes_per_entity(EntityKind k) noexcept;

// ---------------------------------------------------------------------------------------------
// Rules (docs/rules.md). Verdicts by precedence, highest first: approve (an allow rule) beats
// decline beats step_up beats approve_and_alert. Effects are collected from every rule that hit
// unless an approve rule hit.
enum class Verdict : uint8_t { none = 0, approve_and_alert, step_up, decline, approve };
const char* verdict_name(Verdict v) noexcept;
enum Effect : uint8_t { kSuspendToken = 1, kListCard = 2, kOpenCase = 4, kAlert = 8 };

constexpr size_t kMaxRules = 256;
constexpr size_t kMaxRuleSourceBytes = 1 << 20;
constexpr size_t kMaxRuleErrors = 50;
constexpr uint16_t kNoRule = 0xFFFF;

struct RuleError {
  int line = 0;    // 1-based
  int column = 0;  // 1-based, in bytes
  std::string message;
};

struct RuleHits {
  std::array<uint64_t, kMaxRules / 64> bits{};
  bool test(size_t i) const noexcept { return (bits[i / 64] >> (i % 64)) & 1u; }
  void set(size_t i) noexcept { bits[i / 64] |= uint64_t{1} << (i % 64); }
  size_t count() const noexcept;
};

struct Decision {
  Verdict verdict = Verdict::none;
  std::array<char, 2> response_code{'0', '0'};  // for decline and step_up
  uint16_t deciding_rule = kNoRule;             // the rule whose verdict won
  uint8_t effects = 0;                          // Effect bits
  RuleHits hits;                                // every rule that matched
};

struct RuleInfo {
  std::string name;
  int line = 0;
  Verdict verdict = Verdict::none;
  std::array<char, 2> response_code{'0', '0'};
  std::string reason;
  uint8_t effects = 0;
};

class RuleSet {
 public:
  // Parses and compiles; on failure every error found (up to kMaxRuleErrors), in order.
  static Result<RuleSet, std::vector<RuleError>> compile(std::string_view source);

  // Runs every rule over the features. No allocation.
  Decision evaluate(const FeatureVector& fv) const noexcept;

  size_t rule_count() const noexcept { return rules_.size(); }
  const RuleInfo& rule(size_t i) const { return rules_.at(i); }
  // The rule with that name, or kNoRule.
  uint16_t find_rule(std::string_view name) const noexcept;

  // The flat form: a stack machine per rule over int64 values (rules_eval.cc).
  struct Instr {
    uint8_t op;
    uint16_t a;
    int64_t k;
  };
  struct Compiled {
    uint32_t code_begin = 0;
    uint32_t code_end = 0;
  };

 private:
  friend class RuleCompiler;  // rules_compile.cc fills the flat form below
  std::vector<RuleInfo> rules_;
  std::vector<Compiled> compiled_;
  std::vector<Instr> code_;
  std::vector<int64_t> list_values_;                  // each list sorted, back to back
  std::vector<std::pair<uint32_t, uint32_t>> lists_;  // (begin, end) in list_values_
};

// ---------------------------------------------------------------------------------------------
// Rule set versions as data. The engine's journaled command (a later task) carries one of these;
// it validates with decode_rule_set_version (which also compiles the source) before journaling.
enum class RuleSetState : uint8_t { draft = 0, shadow, active };
const char* rule_set_state_name(RuleSetState s) noexcept;

struct RuleSetVersion {
  uint32_t version = 0;  // > 0
  RuleSetState state = RuleSetState::draft;
  std::string source;  // the rule text, compiled on load
};

std::vector<uint8_t> encode_rule_set_version(const RuleSetVersion& v);
[[nodiscard]] Result<RuleSetVersion, RiskError> decode_rule_set_version(std::span<const uint8_t> bytes);
// Allowed: draft -> shadow, shadow -> active, shadow -> draft, active -> shadow (roll back).
[[nodiscard]] Result<Ok, RiskError> check_state_change(RuleSetState from, RuleSetState to);

}  // namespace holdfast::risk
