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
#include <map>
#include <optional>
#include <set>
#include <span>
#include <unordered_map>
#include <vector>

#include "base/chunked_ring.h"
#include "base/flat_hash_map.h"
#include "base/result.h"
#include "base/siphash.h"
#include "cards/cards.h"
#include "disputes/case.h"
#include "disputes/compensation.h"
#include "disputes/liability.h"
#include "disputes/rules.h"
#include "engine/command.h"
#include "engine/config.h"
#include "engine/outcome.h"
#include "ledger/ledger.h"

namespace holdfast::engine {

// A snapshot's bytes that do not make an engine state; the message names the part and offset.
enum class SnapshotErrc : uint8_t { malformed };
using SnapshotError = Error<SnapshotErrc>;

struct Reply {
  Outcome outcome = Outcome::admin_done;
  std::array<char, 2> response_code{'9', '6'};
  std::array<char, 6> approval_code{' ', ' ', ' ', ' ', ' ', ' '};
  Currency account_currency;
  int64_t open_to_buy_minor = 0;  // after this command (E1); 0 when no account is involved
  int64_t posted_balance_minor = 0;
  uint64_t entity_id = 0;   // admin: the id created or changed; card messages: the hold id
  bool duplicate = false;   // the stored reply to an earlier transmission (E3)
  bool over_limit = false;  // applied beyond open-to-buy (E4)
  // Dispute refusals (outcome.h says what it holds for each), and insufficient_funds abroad
  // after the uplift gate refused (the refusal's Outcome value; MessageRecord::cause keeps it).
  // Never part of a reply the engine remembers, so snapshots do not carry it.
  int64_t detail = 0;
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
  // Clearing and offline exposure.
  presentment_posted,    // a presentment posted (from its hold and/or directly)
  unauthorised_item,     // an offline advice or presentment with no authorisation behind it
  late_presentment,      // a presentment whose hold had expired
  fee_posted,            // cross-border fee on a foreign-currency presentment
  chargeback_raised,     // case_id: a chargeback filed, its recovery booked as a receivable
  chargeback_recovered,  // case_id: the receivable settled (case won)
  chargeback_lost,       // case_id: the receivable written off as issuer loss
  card_protected,        // burst protection blocked the card for online use
  token_suspended,
  cardholder_alerted,
  fraud_case_opened,  // case_id: the fraud case
  token_provisioned,
  token_status_changed,
  uplift_granted,
  uplift_refused,
  // Cardholder disputes.
  dispute_opened,         // case_id: a cardholder claim; amount: disputed
  dispute_step,           // case_id: the case moved or took evidence; amount: its state (disputes::CaseState)
  compensation_posted,    // case_id: a closed case settled with the cardholder; amount: entitlement
  reward_points_awarded,  // case_id; amount: points
};
const char* event_kind_name(EventKind k) noexcept;

struct Event {
  EventKind kind = EventKind::hold_placed;
  uint64_t card_id = 0;
  uint64_t account_id = 0;
  uint64_t hold_id = 0;
  int64_t amount_minor = 0;
  uint64_t case_id = 0;  // chargeback or fraud case, for the events that name one
};

struct EngineCounters {
  uint64_t commands = 0;
  uint64_t card_messages = 0;
  uint64_t approvals = 0;
  uint64_t declines = 0;
  uint64_t duplicates = 0;
  uint64_t advices_over_limit = 0;
  uint64_t holds_expired = 0;
  uint64_t presentments = 0;
  uint64_t unauthorised_items = 0;
  uint64_t chargebacks_raised = 0;
  uint64_t cards_protected = 0;
  // Message records examined while matching (a card's history walks); since start, not in
  // snapshots: a measure of work, not state.
  uint64_t presentment_match_steps = 0;
};

// What started a dispute case.
enum class CaseOrigin : uint8_t {
  no_authorisation = 0,  // an unauthorised offline item above the floor limit (or after a block)
  late_presentment,      // presented after its hold expired, leaving the account over its limit
  over_clearing,         // the part of a presentment above the authorised amount plus tolerance
  cardholder_claim,      // the cardholder disputes a transaction
};
constexpr int kCaseOriginCount = 4;
const char* case_origin_name(CaseOrigin o) noexcept;

// A dispute case (the disputes module's lifecycle) with what it charges back and where its
// money stands in the books.
struct DisputeRecord {
  disputes::Case dispute;
  CaseOrigin origin = CaseOrigin::no_authorisation;
  uint64_t presentment_sequence = 0;  // the clearing record it disputes (0 = none)
  Digest16 arn;
  std::array<char, 23> arn_text{};
  int64_t receivable_minor = 0;   // booked as due from the acquirer, not yet settled
  int64_t recovered_minor = 0;    // settled in the issuer's favour
  int64_t written_off_minor = 0;  // lost: borne by the issuer
  // The cardholder side (engine_disputes.cc). While a case is open the cardholder holds the
  // larger of the provisional credit and the chargeback; what the acquirer does not owe
  // (receivable) is the issuer's provisional credit, in the dispute_provisional account.
  int64_t provisional_minor = 0;        // outstanding in dispute_provisional for this case
  int64_t cardholder_credit_minor = 0;  // credited to the cardholder by claim steps (not raise_chargeback)
  disputes::LiabilityClaim liability_claim;               // the facts, the engine's included
  disputes::LiabilityAssessment liability;                // who bears what, and why (assessed at intake)
  bool compensated = false;                               // CloseCompensation applied
  int64_t entitlement_minor = 0;                          // what the cardholder was due in the end
  int64_t issuer_net_loss_minor = 0;                      // entitlement + fee waiver - recovery
  std::vector<disputes::CompensationEntry> compensation;  // as posted (engine_disputes.cc)
};

// The fraud case burst protection opens on a card.
struct FraudCase {
  uint64_t case_id = 0;
  uint64_t card_id = 0;
  Timestamp opened_at;
  uint32_t items = 0;        // unauthorised offline items counted into it so far: the burst
                             // that opened it (all its items in the window), then every later one
  int64_t amount_minor = 0;  // their total, account currency
};

// The key of the engine's message and clearing indexes (SipHash). Their keys come from the wire
// (DE 32/11/7) and from clearing files, so the server passes a secret seed drawn at start-up;
// tests and tools use this fixed one. The seed decides where entries sit in the tables and
// nothing else: replies, events and snapshots are the same under every seed (a test checks it),
// so it is not part of the state and a restart may draw another.
inline constexpr HashSeed kFixedIndexSeed{0x686f6c6466617374ull, 0x696e646578736565ull};

class Engine {
 public:
  explicit Engine(EngineConfig config, HashSeed index_seed = kFixedIndexSeed);
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
    uint64_t hold_id = 0;                  // the hold it placed, 0 if none
    int64_t transaction_amount_minor = 0;  // DE 4 as sent
    int64_t account_amount_minor = 0;      // what it held or posted, in account currency
    int64_t undone_minor = 0;              // how much reversals have given back so far
    bool posted = false;                   // it posted (financial) rather than held
    bool credit = false;                   // it was a refund (credit to the cardholder)
    bool voided = false;                   // a reversal arrived before it did
    // Clearing: what presentments have posted against it so far, and how to find it.
    bool offline = false;  // an advice: approved elsewhere, not by holdfast
    uint16_t mcc = 0;
    Channel channel = Channel::card_present;
    std::array<char, 12> retrieval_reference{};
    uint64_t chain_head = 0;    // incremental authorisations: the first one's sequence
    uint64_t chain_next = 0;    // ... and the next one in the chain (0 = last)
    int64_t cleared_minor = 0;  // account currency, posted by presentments
    uint16_t presentments = 0;
    // What lies behind the outcome, for operators (explain): the uplift gate's refusal behind an
    // insufficient_funds decline abroad; approved = nothing more to say.
    Outcome cause = Outcome::approved;
    bool engine_code = false;                 // reply.approval_code was issued by holdfast
    uint64_t previous_for_card = 0;           // the card's previous record (sequence + 1; 0 = none)
    uint64_t previous_approval_for_card = 0;  // ... previous money-moving approval (link_approval)
    Currency currency;                        // DE 49 of transaction_amount_minor
  };

  // One applied clearing record: for idempotency (its record id), presentment reversals and
  // representments (its ARN), and operators' questions.
  struct PresentmentRecord {
    uint64_t sequence = 0;
    Digest16 record_id;
    Digest16 arn;
    Timestamp at;
    PresentmentKind kind = PresentmentKind::first_presentment;
    Reply reply;
    uint64_t card_id = 0;
    uint64_t matched_sequence = 0;  // the authorisation's message record (0 = none)
    bool matched = false;
    int64_t posted_minor = 0;  // account currency, cardholder debit (fee excluded)
    int64_t fee_minor = 0;
    int64_t unauthorised_minor = 0;  // the part with no authorisation behind it
    uint64_t case_id = 0;            // the chargeback raised for it
    bool reversed = false;
  };

  // The remembered message of this kind with these keys (duplicate detection window), for
  // operators asking why a message was answered as it was; nullptr when not (or no longer) known.
  const MessageRecord* find_message(MessageKind kind, const MessageKey& key) const;

  // Clearing, tokens, cases: reads for operators, scenarios and tests.
  const PresentmentRecord* find_presentment(const Digest16& record_id) const;
  const cards::Token* find_token(cards::TokenId id) const;
  const cards::Token* find_token(const cards::PanHash& pan_hash) const;
  std::vector<const cards::Token*> tokens_of(cards::CardId card) const;
  const std::map<uint64_t, DisputeRecord>& disputes() const { return disputes_; }
  const std::map<uint64_t, FraudCase>& fraud_cases() const { return fraud_cases_; }
  const disputes::RulesBook& rules() const { return rules_; }
  // Reward points owed to a card account (its points ledger account; 0 when none given).
  int64_t reward_points(cards::AccountId account) const;
  // The floor limit (account currency) for an item on this card; what burst protection and the
  // no-authorisation chargeback compare with.
  int64_t floor_limit(const cards::Card& card, uint16_t mcc, uint16_t acquirer_country,
                      cards::UseChannel channel) const;

  // Reads for the CLI, tests and projections.
  const cards::Card* find_card(cards::CardId id) const;
  const cards::Card* find_card(const cards::PanHash& pan_hash) const;
  const cards::Account* find_account(cards::AccountId id) const;
  const cards::CardRange* find_card_range(cards::CardRangeId id) const;
  int64_t open_to_buy(const cards::Account& account) const;
  // E1 from the books whatever the mode: credit limit + active uplift - posted - pending holds
  // (in legacy mode open_to_buy() is what legacy authorisations see instead).
  int64_t books_open_to_buy(const cards::Account& account) const;
  int64_t posted_balance(const cards::Account& account) const;
  int64_t pending_holds(const cards::Account& account) const;
  // Balance of the issuer's internal account of this kind and currency (0 when never opened).
  int64_t internal_balance(ledger::AccountKind kind, Currency c) const;
  const ledger::Ledger& ledger() const { return ledger_; }
  const EngineConfig& config() const { return config_; }
  const EngineCounters& counters() const { return counters_; }
  Timestamp now() const { return now_; }
  // When a Tick next has work to do (a hold expiring, a message record to forget); nullopt
  // when nothing is pending. The server sends Ticks only when this is due.
  std::optional<Timestamp> next_timer_due() const;
  size_t message_record_count() const { return records_.size(); }
  // Presentments without holdfast's approval code walk the card's money-moving approvals (not
  // its declines), newest first, at most this many. An authorisation further back is not found:
  // the presentment is applied as unmatched (force-posted, and charged back where the rules say
  // there was no authorisation), exactly as if it had been pruned with the message records.
  static constexpr size_t kPresentmentLookback = 1024;
  // How many index slots a lookup of this message examines (1 = at its home slot): tests count
  // probes to show that keys chosen on the wire do not cluster.
  size_t message_index_probes(MessageKind kind, const MessageKey& key) const;

  // The whole state as deterministic bytes (snapshots; equal states give equal bytes), and back.
  void serialize(std::vector<uint8_t>* out) const;
  // Any bytes give either the state or an error naming the part and the offset where reading
  // stopped; never an abort. After an error the engine is unusable: discard it.
  Result<Ok, SnapshotError> deserialize(std::span<const uint8_t> in);

 private:
  struct RecordKey {
    uint8_t group = 0;  // 1 authorisation, 2 financial, 4 reversal (MTI class)
    MessageKey key;
    friend bool operator==(const RecordKey&, const RecordKey&) = default;
  };
  struct RecordKeyHash {
    HashSeed seed;
    size_t operator()(const RecordKey& k) const noexcept;
  };

  // Message pipelines (engine_card_messages.cc).
  Reply apply_card_message(const CardMessage& m, std::vector<Event>* events);
  Reply authorize(const CardMessage& m, std::vector<Event>* events);
  Reply apply_advice(const CardMessage& m, std::vector<Event>* events);
  Reply reverse(const CardMessage& m, std::vector<Event>* events);
  Reply network(const CardMessage& m, std::vector<Event>* events);
  Outcome check_card(const CardMessage& m, const cards::Card& card) const;
  // Card security results (m.security) and the rules on them; a token message (token != nullptr)
  // must also carry a verified cryptogram, and its ATC is the token's own.
  Outcome check_security(const CardMessage& m, cards::Card& card, cards::Token* token,
                         const cards::Product& product);
  Outcome check_controls(const CardMessage& m, const cards::Card& card, int64_t amount) const;
  bool amount_in_account_currency(const CardMessage& m, const cards::Account& account, int64_t* amount) const;
  Reply account_reply(Outcome outcome, const cards::Account* account) const;
  Timestamp hold_expiry(uint16_t mcc) const;
  std::array<char, 6> next_approval_code();
  void remember(const CardMessage& m, cards::Card* card, const Reply& reply, uint64_t hold_id,
                int64_t account_amount);
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
  bool load_rules();  // rules_ from config_.scheme_rules_json (or the embedded copy)

  // Clearing and offline exposure (engine_clearing.cc).
  // When a presentment's purchase was made, in UTC: DE 12 is the acceptor's local time, so it
  // stands for an interval (its country's UTC offsets, widened by local_time_margin_s);
  // `estimate` is its middle (the processing time when DE 12 is absent).
  struct MadeAt {
    Timestamp earliest;
    Timestamp latest;
    Timestamp estimate;
  };
  MadeAt made_at(const Presentment& p) const;
  // Since when the card is listed (burst protection, or the issuer set it blocked, lost or
  // stolen): the earliest of the two; 0 = not listed.
  static Timestamp listed_since(const cards::Card& card);
  // The engine's facts about a payment on `card` made no earlier than `paid_earliest`: the card's
  // status then (listed before it: blocked or reported lost), and whether the issuer had flagged
  // the card (its fraud case opened, or the card listed, before the payment).
  void add_card_facts(const cards::Card& card, Timestamp paid_earliest,
                      disputes::LiabilityClaim* claim) const;
  Reply apply_presentment(const Presentment& p, std::vector<Event>* events);
  Reply first_presentment(const Presentment& p, cards::Card& card, cards::Account& account,
                          std::vector<Event>* events);
  Reply reverse_presentment(const Presentment& p, std::vector<Event>* events);
  Reply record_representment(const Presentment& p, std::vector<Event>* events);
  MessageRecord* match_authorisation(const Presentment& p, const cards::Card& card);
  uint32_t tolerance_bp(const MessageRecord& auth, bool foreign_currency) const;
  // An unauthorised offline item on `card` (an advice, or the unauthorised part of a
  // presentment): counts it for burst protection and protects the card when the burst is
  // reached. Returns true when the card was protected now.
  bool note_offline_item(cards::Card& card, Timestamp transaction_time, int64_t amount,
                         std::vector<Event>* events);
  void protect_card(cards::Card& card, std::vector<Event>* events);
  // Files an issuer chargeback for `amount` and books its recovery as a receivable; returns the
  // case id (0 when the scheme has no rules for it).
  uint64_t raise_chargeback(CaseOrigin origin, const cards::Card& card, const cards::Account& account,
                            const PresentmentRecord& presentment, const MadeAt& made, int64_t amount,
                            std::vector<Event>* events);
  // The one way a dispute case changes: stores `next` as the case's new state, keeps the
  // deadline index, and books what the transition means for the receivable (won: recovered
  // from the acquirer; lost or expired: written off as issuer loss).
  void store_case(DisputeRecord& record, disputes::Case next, std::vector<Event>* events);
  void index_match_keys(MessageRecord& record);
  void join_chain(MessageRecord& record);
  // The authorisation holdfast approved that an advice completes (same card, its approval
  // code), or nullptr; and the completion itself.
  MessageRecord* completed_authorisation(const CardMessage& m, const cards::Card& card);
  bool find_case(uint64_t case_id, DisputeRecord** record, const cards::Account** account, Reply* unknown);
  MessageRecord* find_by_amount(const cards::Card& card, int64_t amount, Currency currency);
  Reply complete_authorisation(const CardMessage& m, MessageRecord& original, cards::Card& card,
                               cards::Token* token, cards::Account& account, int64_t amount,
                               std::vector<Event>* events);
  // The record `sequence_plus_one` names, if it is still kept, approved, not voided, and the
  // card's; nullptr otherwise.
  MessageRecord* record_at(uint64_t sequence_plus_one, const cards::Card& card);
  static bool blank_chars(const std::array<char, 12>& a);
  bool has_hold_rule(uint16_t mcc) const;
  static constexpr size_t kIncrementalLookback = 32;
  MessageRecord* find_in_card_history(const cards::Card& card, uint64_t from,
                                      uint64_t MessageRecord::*previous, const std::array<char, 6>* code,
                                      const std::array<char, 12>* rrn, size_t limit);
  // Links the record into its card's chain of money-moving approvals when it is one. Called
  // once the command that made the record is done (its fields are final), and again for every
  // record at start-up, so the chain after a restart is the chain before it.
  void link_approval(MessageRecord& record);
  // Returns the uplift gate's refusal when it refused one (approved otherwise: granted, or not asked).
  Outcome maybe_uplift_abroad(const CardMessage& m, const cards::Card& card, const cards::Token* token,
                              cards::Account& account, const cards::Product& product,
                              std::vector<Event>* events);

  void tick_cases(std::vector<Event>* events);
  void push_presentment(const PresentmentRecord& record);
  void prune_presentments();
  void legacy_refresh();
  void serialize_clearing(ByteWriter& w) const;
  bool deserialize_clearing(ByteReader& r, const char** part);
  bool read_state(ByteReader& r, const char** part);  // *part: what was being read
  bool read_accounts(ByteReader& r);
  bool read_cards(ByteReader& r);
  bool read_records(ByteReader& r);
  // Which card a PAN hash stands for, directly or through a token; `token` is set for tokens.
  cards::Card* card_or_token(const cards::PanHash& pan_hash, cards::Token** token);

  // Cardholder disputes (engine_disputes.cc).
  Reply open_dispute(const OpenDispute& c, std::vector<Event>* events);
  Reply dispute_action(const DisputeAction& c, std::vector<Event>* events);
  Reply close_compensation(const CloseCompensation& c, std::vector<Event>* events);
  PresentmentRecord* presentment_for_dispute(const OpenDispute& c);
  disputes::LiabilityClaim liability_facts(const DisputeRecord& record, disputes::LiabilityClaim claim) const;
  // Books a filed chargeback's recovery as a receivable (once per case) against what the
  // cardholder already holds: the provisional credit first, the rest credited to the cardholder.
  void book_claim_chargeback(DisputeRecord& record, const cards::Account& account,
                             std::vector<Event>* events);
  void post_provisional_credit(DisputeRecord& record, const cards::Account& account,
                               std::vector<Event>* events);
  uint32_t points_account(uint64_t account_id);
  // Whether the presentment a case disputes was reversed by the acquirer (while still kept).
  bool presentment_reversed(const DisputeRecord& record) const;

  // Tokens and uplifts (engine_uplift.cc).
  Reply provision_token(const ProvisionToken& c, std::vector<Event>* events);
  Reply set_token_status(const SetTokenStatus& c, std::vector<Event>* events);
  Reply request_uplift(const RequestUplift& c, std::vector<Event>* events);
  // The uplift gate: the first reason to refuse, or uplift_granted.
  Outcome uplift_gate(const cards::Card& card, const cards::Token* token, uint16_t country,
                      cards::UseChannel channel, bool fallback) const;
  // Grants an uplift to `multiplier_bp` of the credit limit (capped by the product) and
  // returns the uplift amount.
  int64_t grant_uplift(cards::Account& account, const cards::Product& product, uint32_t multiplier_bp,
                       const cards::Card& card, std::vector<Event>* events);

  cards::Card* card_by_pan(const cards::PanHash& pan_hash);
  int64_t open_to_buy_after(const cards::Account& account,
                            Wide used) const;  // limit + uplift - used, clamped
  cards::Account* account_by_id(uint64_t id);

  EngineConfig config_;
  Timestamp now_;
  EngineCounters counters_;
  ledger::Ledger ledger_;
  uint32_t settlement_account_for_currency(Currency c);
  // Room in the books, checked before a command changes anything, so that its postings cannot
  // fail half way (docs/ARCHITECTURE.md, "A command whose postings do not fit"): `amount` is at
  // least what the command can move through any one ledger sum. room_in: two ledger accounts;
  // room_for: the card account and every issuer account of its currency; room_for_points: the
  // points accounts of a card account.
  bool room_in(uint32_t a, uint32_t b, Wide amount) const;
  bool room_for(const cards::Account& account, Wide amount) const;
  bool room_for_points(uint64_t account_id, Wide points) const;
  // The issuer's own ledger account of this kind and currency (receivables, losses, fees).
  uint32_t internal_account(ledger::AccountKind kind, Currency c);
  std::map<uint32_t, uint32_t> internal_accounts_;  // kind << 16 | currency -> ledger index

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
  uint64_t records_dropped_ = 0;                                  // sequence number of records_.front()
  FlatHashMap<RecordKey, uint64_t, RecordKeyHash> record_index_;  // -> sequence
  uint64_t waiting_reversals_ = 0;  // records of reversals that came before their original
  std::vector<uint64_t> signed_on_acquirers_;

  // Clearing: presentments find their authorisation by the approval code holdfast issued (a
  // direct-mapped table: codes are issued in sequence, so the authorisation path only appends),
  // else by walking the card's own records (cards::Card::last_record) for the RRN or code.
  std::vector<uint64_t> approval_index_;  // approval code number -> record sequence + 1
  // Record ids and ARNs are digests of what a clearing file says: a file built to collide in the
  // low bits would cluster them without the seed.
  struct DigestHash {
    HashSeed seed;
    size_t operator()(const Digest16& d) const noexcept;
  };
  ChunkedRing<PresentmentRecord> presentments_;
  uint64_t presentments_dropped_ = 0;
  FlatHashMap<Digest16, uint64_t, DigestHash> presentment_index_;          // record id -> sequence
  std::unordered_map<Digest16, uint64_t, DigestHash> presentment_by_arn_;  // arn -> sequence

  // Tokens, dispute cases, fraud cases.
  std::unordered_map<uint64_t, cards::Token> tokens_;
  std::unordered_map<cards::PanHash, uint64_t, cards::PanHashHasher> token_by_pan_;
  uint64_t next_token_id_ = 1;
  disputes::RulesBook rules_;
  std::map<uint64_t, DisputeRecord> disputes_;
  std::set<std::pair<int64_t, uint64_t>> case_deadlines_;  // (deadline, case id) of open cases
  std::map<uint64_t, std::vector<uint64_t>> tokens_by_card_;
  std::map<uint64_t, FraudCase> fraud_cases_;
  std::map<uint64_t, uint32_t> points_accounts_;  // card account id -> its reward_points ledger account
  uint64_t next_case_id_ = 1;
  int64_t legacy_refreshed_day_ = INT64_MIN;  // legacy mode: the last daily refresh
};

}  // namespace holdfast::engine
