#include "scenario/world.h"

#include <algorithm>
#include <cstring>

#include <openssl/evp.h>

#include "base/assert.h"

namespace holdfast::scenario {
namespace {

// The scenario's PAN hashing key: fixed, so reports are reproducible. Not a secret: scenario
// cards are made up.
std::array<uint8_t, 32> scenario_pan_key() {
  std::array<uint8_t, 32> key{};
  for (size_t i = 0; i < key.size(); ++i) key[i] = static_cast<uint8_t>(0x5C ^ i);
  return key;
}

engine::Digest16 digest_of(const std::string& text) {
  std::array<uint8_t, EVP_MAX_MD_SIZE> md{};
  unsigned int size = 0;
  HF_ASSERT(EVP_Digest(text.data(), text.size(), md.data(), &size, EVP_sha256(), nullptr) == 1);
  engine::Digest16 d;
  std::memcpy(d.bytes.data(), md.data(), d.bytes.size());
  return d;
}

template <size_t N>
std::array<char, N> fixed(const std::string& s) {
  std::array<char, N> out{};
  std::memcpy(out.data(), s.data(), std::min(N, s.size()));
  return out;
}

uint64_t prefix_of(const std::string& pan, uint8_t length) {
  uint64_t v = 0;
  for (size_t i = 0; i < length && i < pan.size(); ++i) v = v * 10 + static_cast<uint64_t>(pan[i] - '0');
  return v;
}

// MMDDhhmmss of a time, as DE 7 carries it.
uint64_t transmission_time(Timestamp t) {
  const int64_t s = t.seconds();
  const CivilDate date = civil_from_days(s / kSecondsPerDay);
  const int64_t sod = s % kSecondsPerDay;
  return static_cast<uint64_t>(date.month) * 100'000'000ull + static_cast<uint64_t>(date.day) * 1'000'000ull +
         static_cast<uint64_t>(sod / 3600) * 10'000ull + static_cast<uint64_t>(sod / 60 % 60) * 100ull +
         static_cast<uint64_t>(sod % 60);
}

}  // namespace

World::World(engine::EngineMode mode, Timestamp start)
    : engine_([mode] {
        engine::EngineConfig config;
        config.mode = mode;
        return config;
      }()),
      hasher_(scenario_pan_key()),
      now_(start) {
  report_.mode = mode;
}

void World::at(Timestamp t, std::function<void()> action) {
  timeline_.push_back(Action{t, scheduled_++, std::move(action)});
}

void World::pulse_until(Timestamp t) {
  // Every moment the engine has something due (a hold expiring, a deadline passing) gets its
  // pulse at that moment, as the server's timer would give it.
  for (;;) {
    const std::optional<Timestamp> due = engine_.next_timer_due();
    if (!due || *due > t) break;
    const Timestamp pulse = std::max(*due, now_);
    now_ = pulse;
    events_.clear();
    engine_.apply(engine::Command{pulse, engine::Tick{}}, &events_);
    report_.books_balanced = report_.books_balanced && engine_.ledger().books_balance();
    if (engine_.next_timer_due() == due) break;  // nothing moved: avoid spinning
  }
  now_ = std::max(now_, t);
}

void World::run_until(Timestamp end) {
  // Actions may schedule more actions: always take the earliest left.
  while (!timeline_.empty()) {
    auto next = std::min_element(timeline_.begin(), timeline_.end(), [](const Action& a, const Action& b) {
      return a.at < b.at || (a.at == b.at && a.order < b.order);
    });
    Action action = std::move(*next);
    timeline_.erase(next);
    pulse_until(action.at);
    action.run();
  }
  pulse_until(end);
}

engine::Reply World::apply(engine::CommandBody body) { return apply_at(now_, std::move(body)); }

engine::Reply World::apply_at(Timestamp t, engine::CommandBody body) {
  pulse_until(t);
  events_.clear();
  const engine::Reply reply = engine_.apply(engine::Command{now_, std::move(body)}, &events_);
  report_.books_balanced = report_.books_balanced && engine_.ledger().books_balance();
  for (const engine::Event& e : events_) {
    if (e.kind == engine::EventKind::uplift_granted) ++report_.uplifts_granted;
    if (e.kind == engine::EventKind::uplift_refused) ++report_.uplifts_refused;
    if (e.kind == engine::EventKind::token_suspended) ++report_.tokens_suspended;
    if (e.kind == engine::EventKind::card_protected && !report_.card_blocked_at)
      report_.card_blocked_at = now_;
  }
  if (watched_account_ != 0) {
    const cards::Account* a = engine_.find_account(cards::AccountId{watched_account_});
    if (a != nullptr) {
      const int64_t used = engine_.posted_balance(*a) + engine_.pending_holds(*a);
      report_.max_over_limit_minor = std::max(report_.max_over_limit_minor, used - a->credit_limit_minor);
    }
  }
  return reply;
}

uint64_t World::add_range(const std::string& prefix, cards::Product product) {
  engine::CreateCardRange c;
  c.range.prefix_length = static_cast<uint8_t>(prefix.size());
  c.range.prefix_low = prefix_of(prefix, c.range.prefix_length);
  c.range.prefix_high = c.range.prefix_low;
  c.range.product = std::move(product);
  const engine::Reply r = apply(c);
  HF_REQUIRE(r.outcome == engine::Outcome::admin_done);
  return r.entity_id;
}

uint64_t World::add_account(int64_t limit_minor) {
  const engine::Reply r = apply(engine::OpenAccount{kCny, limit_minor, 0});
  HF_REQUIRE(r.outcome == engine::Outcome::admin_done);
  return r.entity_id;
}

uint64_t World::add_card(uint64_t account_id, const std::string& pan) {
  engine::IssueCard c;
  c.account_id = account_id;
  c.pan_hash = hasher_.hash(pan);
  c.masked_pan = gateway::mask_pan(pan);
  c.prefix_length = 11;
  c.prefix = prefix_of(pan, 11);
  c.expiry_yymm = 2912;
  const engine::Reply r = apply(c);
  HF_REQUIRE(r.outcome == engine::Outcome::admin_done);
  return r.entity_id;
}

uint64_t World::add_token(uint64_t card_id, const std::string& token_pan) {
  engine::ProvisionToken c;
  c.card_id = card_id;
  c.pan_hash = hasher_.hash(token_pan);
  c.masked_pan = gateway::mask_pan(token_pan);
  c.wallet = 1;
  const engine::Reply r = apply(c);
  HF_REQUIRE(r.outcome == engine::Outcome::admin_done);
  return r.entity_id;
}

namespace {
engine::CardMessage message_for(const Purchase& p, const gateway::PanHasher& hasher, Timestamp now,
                                uint32_t stan, const std::string& rrn) {
  engine::CardMessage m;
  m.key = engine::MessageKey{12345, stan, transmission_time(now)};
  m.pan_hash = hasher.hash(p.pan);
  m.masked_pan = gateway::mask_pan(p.pan);
  m.has_pan = true;
  const bool foreign = p.country != kChina;
  m.amount_minor = foreign ? p.cny_minor * 100 / kCnyPerUsdTimes100 : p.cny_minor;
  m.currency = foreign ? kUsd : kCny;
  m.billing_amount_minor = p.cny_minor;
  m.billing_currency = kCny;
  m.mcc = p.mcc;
  m.acquirer_country = p.country;
  m.pos_entry_mode = p.pos_entry_mode;
  m.channel = p.channel;
  m.retrieval_reference = fixed<12>(rrn);
  return m;
}
}  // namespace

engine::Reply World::authorize(const Purchase& p, const std::string& rrn) {
  engine::CardMessage m = message_for(p, hasher_, now_, next_stan_++, rrn);
  m.kind = engine::MessageKind::authorization_request;
  m.mti = 100;
  // A wallet (even one a fraudster provisioned) signs each payment with a cryptogram the
  // security stage verifies: the token's counter moves on with every one.
  if (engine_.find_token(m.pan_hash) != nullptr) {
    m.security.cryptogram = engine::CheckResult::match;
    m.security.has_atc = true;
    m.security.atc = ++wallet_atc_[p.pan];
  }
  return apply(m);
}

engine::Reply World::advice(const Purchase& p, const std::string& rrn,
                            const std::array<char, 6>& approval_code) {
  engine::CardMessage m = message_for(p, hasher_, now_, next_stan_++, rrn);
  m.kind = engine::MessageKind::authorization_advice;
  m.mti = 120;
  m.advice_response_code = {'0', '0'};
  m.advice_approval_code = approval_code;
  return apply(m);
}

engine::Reply World::present(const Purchase& p, Timestamp transaction_time,
                             const std::array<char, 6>& approval_code, const std::string& rrn) {
  const uint64_t n = next_record_++;
  engine::Presentment c;
  c.kind = engine::PresentmentKind::first_presentment;
  c.record_id = digest_of("scenario:" + std::to_string(n));
  std::string arn = std::to_string(n);
  arn.insert(0, 23 - arn.size(), '0');  // 23 digits, as ARNs are, starting with 7
  arn[0] = '7';
  c.arn = digest_of(arn);
  c.arn_text = fixed<23>(arn);
  c.pan_hash = hasher_.hash(p.pan);
  c.masked_pan = gateway::mask_pan(p.pan);
  const bool foreign = p.country != kChina;
  c.amount_minor = foreign ? p.cny_minor * 100 / kCnyPerUsdTimes100 : p.cny_minor;
  c.currency = foreign ? kUsd : kCny;
  c.billing_amount_minor = p.cny_minor;
  c.billing_currency = kCny;
  c.approval_code = approval_code;
  c.retrieval_reference = fixed<12>(rrn);
  c.mcc = p.mcc;
  c.acquirer_country = p.country;
  c.channel = p.channel == engine::Channel::card_not_present ? cards::UseChannel::card_not_present
                                                             : cards::UseChannel::card_present;
  c.transaction_time = transaction_time;
  const engine::Reply reply = apply(c);
  ++report_.presentments;
  if (p.fraud) fraud_presentments_.push_back(c.record_id);
  return reply;
}

void World::count_attempt(const Purchase& p, bool completed) {
  if (p.fraud) {
    ++report_.fraud_attempts;
    if (completed) ++report_.fraud_completed;
  } else {
    ++report_.legitimate_attempts;
    if (!completed) ++report_.legitimate_declined;
  }
}

void World::finish(uint64_t victim_account, uint64_t victim_card) {
  const cards::Account* account = engine_.find_account(cards::AccountId{victim_account});
  HF_REQUIRE(account != nullptr);
  report_.currency = account->currency;
  report_.credit_limit_minor = account->credit_limit_minor;
  for (const engine::Digest16& id : fraud_presentments_) {
    const auto* p = engine_.find_presentment(id);
    if (p == nullptr) continue;
    report_.gross_fraud_minor += p->posted_minor;
    if (p->unauthorised_minor > 0) ++report_.unauthorised_items;
  }
  for (const auto& [id, d] : engine_.disputes()) {
    if (d.dispute.card_id != victim_card) continue;
    ++report_.chargebacks_raised;
    report_.recovered_minor += d.recovered_minor + d.receivable_minor;
  }
  report_.issuer_loss_minor = report_.gross_fraud_minor - report_.recovered_minor;
}

}  // namespace holdfast::scenario
