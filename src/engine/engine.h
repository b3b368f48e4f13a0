// The engine: holdfast's single-writer, deterministic state machine.
//
//   Reply apply(const Command&, std::vector<Event>*)
//
// applies one journaled command at the time it carries and returns the reply for the sender
// plus the events it caused. Inside: no clock reads, no I/O, no randomness, no locks, no
// exceptions. The same commands from the same state give the same replies and the same state,
// byte for byte (serialize()), which is what makes journal replay, backtests and simulation
// trustworthy.
//
// Invariants (numbered as in docs/ARCHITECTURE.md):
//   E1 Open-to-buy = credit limit + active uplift - posted balance - pending holds, after every
//      command; there is no batch refresh.
//   E2 The books balance after every command (ledger invariants L1-L3).
//   E3 A duplicate transmission gets the original reply again and changes nothing.
//   E4 An advice is applied, never refused, even past open-to-buy (and flagged).
//   E5 A hold is released at most once: a reversal, an expiry and a clearing share its
//      remaining amount, which never goes below zero.
// Threading: one thread owns an Engine. Not copyable (it is large).
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <span>
#include <unordered_map>
#include <vector>

#include "base/chunked_ring.h"
#include "base/flat_hash_map.h"
#include "cards/cards.h"
#include "engine/command.h"
#include "engine/config.h"
#include "engine/outcome.h"
#include "ledger/ledger.h"

namespace holdfast::engine {

struct Reply {
  Outcome outcome = Outcome::admin_done;
  std::array<char, 2> response_code{'9', '6'};
  std::array<char, 6> approval_code{' ', ' ', ' ', ' ', ' ', ' '};
  Currency account_currency;
  int64_t open_to_buy_minor = 0;    // after this command (E1); 0 when no account is involved
  int64_t posted_balance_minor = 0;
  uint64_t entity_id = 0;  // admin: the id created or changed; card messages: the hold id
  bool duplicate = false;  // the stored reply to an earlier transmission (E3)
  bool over_limit = false; // applied beyond open-to-buy (E4)
};

enum class EventKind : uint8_t {
  hold_placed = 0,
  hold_released,      // by a reversal
  hold_expired,       // by a timer pulse
  posted,             // a debit posted to the cardholder account
  credited,           // a credit (refund, reversal of a posted amount)
  advice_over_limit,  // an advice pushed the account past open-to-buy
  card_status_changed,
  account_changed,
  card_range_created,
  account_opened,
  card_issued,
  link_signed_on,
  link_signed_off,
};
const char* event_kind_name(EventKind k) noexcept;

struct Event {
  EventKind kind = EventKind::hold_placed;
  uint64_t card_id = 0;
  uint64_t account_id = 0;
  uint64_t hold_id = 0;
  int64_t amount_minor = 0;
};

struct EngineCounters {
  uint64_t commands = 0;
  uint64_t card_messages = 0;
  uint64_t approvals = 0;
  uint64_t declines = 0;
  uint64_t duplicates = 0;
  uint64_t advices_over_limit = 0;
  uint64_t holds_expired = 0;
};

class Engine {
 public:
  explicit Engine(EngineConfig config);
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Applies one command. `events` is appended to (the caller clears and reuses it).
  // REQUIRES: command.time is not earlier than the previous command's time minus the clock
  // tolerance; time never moves the state backwards (the engine uses max(time, last time)).
  Reply apply(const Command& command, std::vector<Event>* events);

  // One remembered card message: enough to answer a duplicate with the same reply and to let a
  // reversal find and undo what its original did.
  struct MessageRecord {
    uint64_t sequence = 0;
    uint8_t group = 0;
    MessageKind kind = MessageKind::authorization_request;
    MessageKey key;
    cards::PanHash pan_hash;
    Timestamp at;
    Reply reply;
    uint64_t card_id = 0;
    uint64_t hold_id = 0;            // the hold it placed, 0 if none
    int64_t transaction_amount_minor = 0;  // DE 4 as sent
    int64_t account_amount_minor = 0;      // what it held or posted, in account currency
    int64_t undone_minor = 0;              // how much reversals have given back so far
    bool posted = false;                   // it posted (financial) rather than held
    bool credit = false;                   // it was a refund (credit to the cardholder)
    bool voided = false;                   // a reversal arrived before it did
  };

  // The remembered message of this kind with these keys (duplicate detection window), for
  // operators asking why a message was answered as it was; nullptr when not (or no longer) known.
  const MessageRecord* find_message(MessageKind kind, const MessageKey& key) const;

  // Reads for the CLI, tests and projections.
  const cards::Card* find_card(cards::CardId id) const;
  const cards::Card* find_card(const cards::PanHash& pan_hash) const;
  const cards::Account* find_account(cards::AccountId id) const;
  const cards::CardRange* find_card_range(cards::CardRangeId id) const;
  int64_t open_to_buy(const cards::Account& account) const;
  int64_t posted_balance(const cards::Account& account) const;
  int64_t pending_holds(const cards::Account& account) const;
  const ledger::Ledger& ledger() const { return ledger_; }
  const EngineConfig& config() const { return config_; }
  const EngineCounters& counters() const { return counters_; }
  Timestamp now() const { return now_; }
  // When a Tick next has work to do (a hold expiring, a message record to forget); nullopt
  // when nothing is pending. The server sends Ticks only when this is due.
  std::optional<Timestamp> next_timer_due() const;
  size_t message_record_count() const { return records_.size(); }

  // The whole state as deterministic bytes (snapshots; equal states give equal bytes), and back.
  void serialize(std::vector<uint8_t>* out) const;
  // Returns false (and leaves the engine unusable) on malformed bytes.
  bool deserialize(std::span<const uint8_t> in);

 private:
  struct RecordKey {
    uint8_t group = 0;  // 1 authorisation, 2 financial, 4 reversal (MTI class)
    MessageKey key;
    friend bool operator==(const RecordKey&, const RecordKey&) = default;
  };
  struct RecordKeyHash {
    size_t operator()(const RecordKey& k) const noexcept;
  };

  // Message pipelines (engine_card_messages.cc).
  Reply apply_card_message(const CardMessage& m, std::vector<Event>* events);
  Reply authorize(const CardMessage& m, std::vector<Event>* events);
  Reply apply_advice(const CardMessage& m, std::vector<Event>* events);
  Reply reverse(const CardMessage& m, std::vector<Event>* events);
  Reply network(const CardMessage& m, std::vector<Event>* events);
  Outcome check_card(const CardMessage& m, const cards::Card& card) const;
  Outcome check_security(const CardMessage& m, cards::Card& card, const cards::Product& product);
  Outcome check_controls(const CardMessage& m, const cards::Card& card, int64_t amount) const;
  bool amount_in_account_currency(const CardMessage& m, const cards::Account& account,
                                  int64_t* amount) const;
  Reply account_reply(Outcome outcome, const cards::Account* account) const;
  Timestamp hold_expiry(uint16_t mcc) const;
  std::array<char, 6> next_approval_code();
  void remember(const CardMessage& m, const cards::Card* card, const Reply& reply,
                uint64_t hold_id, int64_t account_amount);
  void push_record(const MessageRecord& record);
  MessageRecord* find_record(uint8_t group, const MessageKey& key);
  void undo(MessageRecord& original, int64_t release_minor, std::vector<Event>* events);

  // Administrative commands and the timer (engine_admin.cc).
  Reply create_card_range(const CreateCardRange& c, std::vector<Event>* events);
  Reply open_account(const OpenAccount& c, std::vector<Event>* events);
  Reply issue_card(const IssueCard& c, std::vector<Event>* events);
  Reply set_card_status(const SetCardStatus& c, std::vector<Event>* events);
  Reply set_credit_limit(const SetCreditLimit& c, std::vector<Event>* events);
  Reply set_uplift(const SetUplift& c, std::vector<Event>* events);
  Reply reset_pin_tries(const ResetPinTries& c, std::vector<Event>* events);
  Reply configure(const Configure& c, std::vector<Event>* events);
  Reply tick(std::vector<Event>* events);
  void prune_records();

  cards::Card* card_by_pan(const cards::PanHash& pan_hash);
  cards::Account* account_by_id(uint64_t id);

  EngineConfig config_;
  Timestamp now_;
  EngineCounters counters_;
  ledger::Ledger ledger_;
  uint32_t settlement_account_for_currency(Currency c);

  std::vector<cards::CardRange> card_ranges_;
  std::unordered_map<uint64_t, cards::Account> accounts_;
  std::unordered_map<uint64_t, cards::Card> cards_;
  std::unordered_map<cards::PanHash, uint64_t, cards::PanHashHasher> card_by_pan_;
  std::unordered_map<uint16_t, uint32_t> settlement_accounts_;  // currency -> ledger index
  uint64_t next_account_id_ = 1;
  uint64_t next_card_id_ = 1;
  uint64_t approvals_issued_ = 0;

  // Recent card messages, oldest first, for duplicates and reversal matching.
  ChunkedRing<MessageRecord> records_;
  uint64_t records_dropped_ = 0;  // sequence number of records_.front()
  FlatHashMap<RecordKey, uint64_t, RecordKeyHash> record_index_{UINT64_MAX, 1 << 16};  // -> sequence
  uint64_t waiting_reversals_ = 0;  // records of reversals that came before their original
  std::vector<uint64_t> signed_on_acquirers_;
};

}  // namespace holdfast::engine
