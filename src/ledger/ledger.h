// The ledger: double-entry books under every card account, and the holds that authorisations
// place on them.
//
// Each ledger account keeps four running sums, TigerBeetle style: debits and credits, each
// pending (held by an authorisation) and posted (cleared, force-posted). A movement always
// touches two accounts, one debit and one credit, by the same amount, so:
//   Invariant L1: sum(debits_pending) == sum(credits_pending) over all accounts.
//   Invariant L2: sum(debits_posted) == sum(credits_posted) over all accounts.
//   Invariant L3: every active hold's remaining amount is counted exactly once in its account's
//                 debits_pending (and its counterparty's credits_pending).
// books_balance() checks L1/L2 and is asserted by tests and the simulator after every step.
//
// Open-to-buy = credit limit + active uplift - posted balance - pending holds; the ledger
// supplies the last two, the engine adds the first two (they are card-account settings).
//
// All amounts are minor units, > 0, checked for overflow; a movement that would overflow is
// refused (returns false) and changes nothing. A caller that makes several movements for one
// decision asks has_room() for every account first, so that none of them can fail half way.
// Threading: owned by the engine thread; no locks.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <set>
#include <tuple>
#include <utility>
#include <vector>

#include "base/bytes.h"
#include "base/flat_hash_map.h"
#include "base/money.h"
#include "base/time.h"

namespace holdfast::ledger {

struct HoldId {
  uint64_t value = 0;
  friend auto operator<=>(const HoldId&, const HoldId&) = default;
};

enum class AccountKind : uint8_t {
  cardholder = 0,         // debit-normal: what the cardholder owes the issuer
  scheme_settlement,      // credit-normal: what the issuer owes the scheme for cleared spend
  chargeback_receivable,  // debit-normal: chargebacks filed, due back from acquirers
  issuer_loss,            // debit-normal (expense): chargebacks lost, compensation borne
  fee_income,             // credit-normal: cross-border fees charged to cardholders
  // Cardholder disputes (engine_disputes.cc).
  dispute_provisional,   // debit-normal: provisional credits given on open claims, not yet due from anyone
  goodwill_expense,      // debit-normal (expense): fee waivers granted as compensation
  reward_points,         // credit-normal, in points (currency 0): one per card account, points owed
  reward_points_issued,  // debit-normal, in points (currency 0): points given as compensation
};
constexpr int kAccountKindCount = 9;

struct LedgerAccount {
  AccountKind kind = AccountKind::cardholder;
  Currency currency;
  int64_t debits_pending = 0;
  int64_t debits_posted = 0;
  int64_t credits_pending = 0;
  int64_t credits_posted = 0;
  // Posted balance owed by a debit-normal account (can be negative: a credit balance).
  int64_t posted_balance() const noexcept { return debits_posted - credits_posted; }
};

enum class HoldEnd : uint8_t { reversed = 0, expired, posted };

struct Hold {
  HoldId id;
  uint64_t sequence = 0;  // placement order: ties in expiry time expire in this order
  uint32_t debit_account = 0;
  uint32_t credit_account = 0;
  int64_t amount_minor = 0;     // as authorised
  int64_t remaining_minor = 0;  // still held
  Timestamp placed_at;
  Timestamp expires_at;
};

class Ledger {
 public:
  Ledger() = default;
  void reserve(size_t accounts, size_t holds);

  // Opens a ledger account; returns its index.
  uint32_t open_account(AccountKind kind, Currency currency);
  size_t account_count() const { return accounts_.size(); }
  const LedgerAccount& account(uint32_t index) const;

  // Places a hold of `amount_minor` debiting `debit_account` (pending) and crediting
  // `credit_account` (pending). REQUIRES: amount_minor > 0, same currency on both accounts.
  // Returns the new hold's id, or nullopt on overflow.
  std::optional<HoldId> place_hold(uint32_t debit_account, uint32_t credit_account, int64_t amount_minor,
                                   Timestamp now, Timestamp expires_at);
  const Hold* find_hold(HoldId id) const;
  // Releases up to `amount_minor` of the hold (a partial or full reversal); the hold ends when
  // nothing remains. Returns the amount released (0 if the hold is unknown or already ended).
  int64_t release_hold(HoldId id, int64_t amount_minor);
  // Moves up to `amount_minor` of the hold from pending to posted (clearing); the rest stays held.
  // Returns the amount moved: 0 (changing nothing) when the posted sums cannot take it.
  int64_t post_from_hold(HoldId id, int64_t amount_minor);

  // A posted movement with no hold (force-post of an offline advice or a financial request).
  // Returns false (and changes nothing) on overflow. REQUIRES: amount_minor > 0.
  bool post(uint32_t debit_account, uint32_t credit_account, int64_t amount_minor);

  // Ends every hold whose expiry is at or before `now`, at most `max_holds` of them; appends
  // their (id, released amount) to `expired`. Returns how many ended.
  size_t expire_due(Timestamp now, size_t max_holds, std::vector<std::pair<HoldId, int64_t>>* expired);
  // Earliest expiry among active holds, if any.
  std::optional<Timestamp> next_expiry() const;
  size_t active_hold_count() const { return live_holds_; }

  // Whether `amount_minor` more fits in every one of the account's four sums.
  bool has_room(uint32_t account, Wide amount_minor) const;

  // Invariants L1 and L2.
  bool books_balance() const;

  void serialize(ByteWriter& out) const;
  bool deserialize(ByteReader& in);

 private:
  // Distinct hold durations get their own FIFO queue; beyond this many, the ordered set.
  static constexpr size_t kMaxExpiryQueues = 64;
  // Holds live in a slab whose slots are reused (LIFO) after their hold ends. A HoldId is the
  // hold's placement sequence number (64 bits, from 1: 0 means "no hold"), never reused, so an
  // id kept after its hold ended finds nothing, however often its slot has been reused since;
  // slot_of_ maps the live ids to their slots.
  struct Slot {
    Hold hold;
    bool live = false;
    bool irregular = false;  // indexed in irregular_ rather than a FIFO queue
  };
  // Holds placed with the same duration expire in placement order, so a FIFO queue per
  // duration is an exact expiry index with O(1) insertion; entries of holds that ended early
  // stay until they reach the front and are skipped then.
  struct ExpiryEntry {
    int64_t expires_at_us;
    uint64_t sequence;
    uint64_t hold_id;
  };
  struct ExpiryQueue {
    int64_t duration_us;
    std::deque<ExpiryEntry> entries;
  };

  bool apply_pending(const Hold& hold, int64_t amount_minor, int sign);
  void end_hold(Slot& slot);
  Slot* find_slot(HoldId id);
  const Slot* find_slot(HoldId id) const;
  void index_expiry(Slot& slot);
  bool pending_matches_holds() const;
  bool entry_is_live(const ExpiryEntry& e) const;
  // The live entry that expires first, or nullptr; drops stale queue fronts on the way.
  const ExpiryEntry* earliest_expiry() const;
  void pop_expiry(const ExpiryEntry* entry);

  std::vector<LedgerAccount> accounts_;
  // Hold ids are consecutive numbers the ledger makes, not chosen from outside: a plain mix.
  struct HoldIdHash {
    size_t operator()(uint64_t id) const noexcept {
      id ^= id >> 33;
      id *= 0xff51afd7ed558ccdull;
      return static_cast<size_t>(id ^ (id >> 33));
    }
  };
  std::vector<Slot> slots_;
  std::vector<uint32_t> free_slots_;                                       // LIFO: deterministic reuse
  FlatHashMap<uint64_t, uint32_t, HoldIdHash> slot_of_{UINT32_MAX, 1024};  // live hold id -> slot
  size_t live_holds_ = 0;
  uint64_t next_sequence_ = 1;
  mutable std::vector<ExpiryQueue> expiry_queues_;
  std::set<std::tuple<int64_t, uint64_t, uint64_t>> irregular_;  // (expires_at, sequence, id)
  mutable ExpiryEntry irregular_front_{};
};

}  // namespace holdfast::ledger
