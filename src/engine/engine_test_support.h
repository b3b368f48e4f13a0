// Test helpers: a small portfolio and message builders, so engine tests read as stories.
#pragma once

#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "engine/engine.h"

namespace holdfast::engine::testing {

constexpr Currency kCny{156};
constexpr Currency kUsd{840};
// 2026-11-29 12:00:00 UTC
constexpr Timestamp kStart = Timestamp::from_seconds(1'795'953'600);

inline cards::PanHash pan_hash_of(uint64_t n) {
  cards::PanHash h;
  std::memcpy(h.bytes.data(), &n, sizeof n);
  h.bytes[15] = 0xA5;
  return h;
}

// A clearing record id or ARN, distinct for each n.
inline Digest16 digest(uint64_t n) {
  Digest16 d;
  std::memcpy(d.bytes.data(), &n, sizeof n);
  d.bytes[15] = 0x5A;
  return d;
}

// The n-th clearing record of a story: a CNY purchase at a domestic grocer (MCC 5411) on the card
// `pan`, naming no authorisation. Stories set what they need on top (time, channel, country).
inline Presentment unmatched_presentment(uint64_t n, uint64_t pan, int64_t amount) {
  Presentment p;
  p.record_id = digest(n);
  p.arn = digest(1'000'000 + n);
  p.pan_hash = pan_hash_of(pan);
  p.amount_minor = amount;
  p.currency = kCny;
  p.mcc = 5411;
  p.acquirer_country = 156;
  return p;
}

class Story {
 public:
  explicit Story(EngineConfig config = {}) : engine(std::move(config)) {}

  Engine engine;
  Timestamp now = kStart;
  std::vector<Event> events;
  uint32_t next_stan = 1;
  // Called after every command (tests assert invariants there); empty = nothing.
  std::function<void(const Engine&)> after_each;

  Reply run(CommandBody body) {
    events.clear();
    const Reply reply = engine.apply(Command{now, std::move(body)}, &events);
    if (after_each) after_each(engine);
    return reply;
  }
  void advance_days(int64_t days) { now.us += days * kSecondsPerDay * kMicrosPerSecond; }
  void advance_seconds(int64_t s) { now.us += s * kMicrosPerSecond; }

  uint64_t range(cards::Product product = {}) {
    CreateCardRange c;
    c.range.prefix_low = 622588;
    c.range.prefix_high = 622588;
    c.range.prefix_length = 6;
    c.range.product = std::move(product);
    return run(c).entity_id;
  }
  uint64_t account(int64_t limit_minor, Currency currency = kCny) {
    OpenAccount c;
    c.currency = currency;
    c.credit_limit_minor = limit_minor;
    return run(c).entity_id;
  }
  uint64_t card(uint64_t account_id, uint64_t pan_number, uint16_t expiry = 2812) {
    IssueCard c;
    c.account_id = account_id;
    c.pan_hash = pan_hash_of(pan_number);
    std::memcpy(c.masked_pan.first6.data(), "622588", 6);
    std::memcpy(c.masked_pan.last4.data(), "0001", 4);
    c.masked_pan.length = 16;
    c.prefix = 62258800000;
    c.prefix_length = 11;
    c.expiry_yymm = expiry;
    return run(c).entity_id;
  }

  CardMessage message(MessageKind kind, uint64_t pan_number, int64_t amount_minor) {
    CardMessage m;
    m.kind = kind;
    m.mti = kind == MessageKind::authorization_request ? 100 : 0;
    m.key = MessageKey{12345678, next_stan++, 1129120000 + next_stan};
    m.has_pan = true;
    m.pan_hash = pan_hash_of(pan_number);
    m.amount_minor = amount_minor;
    m.currency = kCny;
    m.mcc = 5411;
    m.acquirer_country = 156;
    return m;
  }
  CardMessage authorization(uint64_t pan, int64_t amount) {
    return message(MessageKind::authorization_request, pan, amount);
  }
  CardMessage reversal_of(const CardMessage& original, bool with_de90 = true) {
    CardMessage r = original;
    r.kind = MessageKind::reversal_request;
    r.mti = 400;
    if (with_de90) {
      r.key = MessageKey{original.key.acquirer_id, next_stan++, original.key.transmission_time + 5};
      r.has_original = true;
      r.original_mti = original.kind == MessageKind::financial_request ? 200 : 100;
      r.original_key = original.key;
    }
    return r;
  }
  int64_t open_to_buy(uint64_t account_id) {
    return engine.open_to_buy(*engine.find_account(cards::AccountId{account_id}));
  }
  int64_t pending(uint64_t account_id) {
    return engine.pending_holds(*engine.find_account(cards::AccountId{account_id}));
  }
  int64_t posted(uint64_t account_id) {
    return engine.posted_balance(*engine.find_account(cards::AccountId{account_id}));
  }
  std::string code(const Reply& r) { return std::string(r.response_code.data(), 2); }
};

}  // namespace holdfast::engine::testing
