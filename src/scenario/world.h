// The world a scenario runs in: one engine, a clock, a timeline of actions, and the builders
// that turn "the fraudster taps a phone at a shop in New York" into engine commands.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "engine/engine.h"
#include "gateway/gateway.h"
#include "scenario/scenario.h"

namespace holdfast::scenario {

inline constexpr Currency kCny{156};
inline constexpr Currency kUsd{840};
inline constexpr uint16_t kChina = 156;
inline constexpr uint16_t kUsa = 840;
// CNY per USD used by the scripted acquirers (transaction amounts in USD, billing in CNY).
inline constexpr int64_t kCnyPerUsdTimes100 = 720;

// Where and how a purchase is made.
struct Purchase {
  std::string pan;        // the card's or the token's number
  int64_t cny_minor = 0;  // billing amount (the account's currency)
  uint16_t country = kUsa;
  uint16_t mcc = 5411;
  engine::Channel channel = engine::Channel::card_present;
  uint16_t pos_entry_mode = 71;  // 07 contactless chip, PIN not entered
  bool fraud = true;
};

class World {
 public:
  World(engine::EngineMode mode, Timestamp start);

  engine::Engine& engine() { return engine_; }
  ScenarioReport& report() { return report_; }
  Timestamp now() const { return now_; }

  // The timeline: actions run in time order (ties in the order they were scheduled).
  void at(Timestamp t, std::function<void()> action);
  // Runs every action, then pulses the timer until `end` so deadlines pass.
  void run_until(Timestamp end);

  // Applies one command now (after pulsing any timer that is due), checking the books.
  engine::Reply apply(engine::CommandBody body);

  // Portfolio.
  uint64_t add_range(const std::string& prefix, cards::Product product);
  uint64_t add_account(int64_t limit_minor);
  uint64_t add_card(uint64_t account_id, const std::string& pan);
  uint64_t add_token(uint64_t card_id, const std::string& token_pan);

  // Traffic. Each returns the engine's reply.
  engine::Reply authorize(const Purchase& p, const std::string& rrn);
  engine::Reply advice(const Purchase& p, const std::string& rrn, const std::array<char, 6>& approval_code);
  // A clearing record; `transaction_time` is when the purchase was made.
  engine::Reply present(const Purchase& p, Timestamp transaction_time,
                        const std::array<char, 6>& approval_code, const std::string& rrn);

  // The victim's account: its exposure beyond the limit is tracked after every command.
  void watch(uint64_t account_id) { watched_account_ = account_id; }
  // Counts a purchase the fraudster (or the cardholder) tried, and its result.
  void count_attempt(const Purchase& p, bool completed);
  // Fills the report's totals from the engine (call after run_until).
  void finish(uint64_t victim_account, uint64_t victim_card);

 private:
  struct Action {
    Timestamp at;
    uint64_t order = 0;
    std::function<void()> run;
  };
  void pulse_until(Timestamp t);
  engine::Reply apply_at(Timestamp t, engine::CommandBody body);

  engine::Engine engine_;
  gateway::PanHasher hasher_;
  Timestamp now_;
  std::vector<Action> timeline_;
  uint64_t scheduled_ = 0;
  uint32_t next_stan_ = 1;
  std::map<std::string, uint16_t> wallet_atc_;  // each token's application transaction counter
  uint64_t next_record_ = 1;
  std::vector<engine::Event> events_;
  ScenarioReport report_;
  std::vector<engine::Digest16> fraud_presentments_;
  uint64_t watched_account_ = 0;
};

}  // namespace holdfast::scenario
