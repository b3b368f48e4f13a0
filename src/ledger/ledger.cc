#include "ledger/ledger.h"

#include <algorithm>

#include "base/assert.h"

namespace holdfast::ledger {

void Ledger::reserve(size_t accounts, size_t holds) {
  accounts_.reserve(accounts);
  slots_.reserve(holds);
}

uint32_t Ledger::open_account(AccountKind kind, Currency currency) {
  HF_REQUIRE(accounts_.size() < UINT32_MAX);
  LedgerAccount a;
  a.kind = kind;
  a.currency = currency;
  accounts_.push_back(a);
  return static_cast<uint32_t>(accounts_.size() - 1);
}

const LedgerAccount& Ledger::account(uint32_t index) const {
  HF_REQUIRE(index < accounts_.size());
  return accounts_[index];
}

// Adds (sign = +1) or removes (sign = -1) `amount_minor` of pending on both sides of a hold.
bool Ledger::apply_pending(const Hold& hold, int64_t amount_minor, int sign) {
  LedgerAccount& debit = accounts_[hold.debit_account];
  LedgerAccount& credit = accounts_[hold.credit_account];
  const int64_t delta = sign * amount_minor;
  int64_t new_debit = 0;
  int64_t new_credit = 0;
  if (add_overflows(debit.debits_pending, delta, &new_debit)) return false;
  if (add_overflows(credit.credits_pending, delta, &new_credit)) return false;
  HF_ASSERT(new_debit >= 0 && new_credit >= 0);
  debit.debits_pending = new_debit;
  credit.credits_pending = new_credit;
  return true;
}

std::optional<HoldId> Ledger::place_hold(uint32_t debit_account, uint32_t credit_account,
                                         int64_t amount_minor, Timestamp now, Timestamp expires_at) {
  HF_REQUIRE(amount_minor > 0);
  HF_REQUIRE(debit_account < accounts_.size() && credit_account < accounts_.size());
  HF_REQUIRE(debit_account != credit_account);
  HF_REQUIRE(accounts_[debit_account].currency == accounts_[credit_account].currency);
  Hold hold;
  hold.debit_account = debit_account;
  hold.credit_account = credit_account;
  hold.amount_minor = amount_minor;
  hold.remaining_minor = amount_minor;
  hold.placed_at = now;
  hold.expires_at = expires_at;
  if (!apply_pending(hold, amount_minor, +1)) return std::nullopt;
  uint32_t slot_index = 0;
  if (!free_slots_.empty()) {
    slot_index = free_slots_.back();
    free_slots_.pop_back();
  } else {
    HF_REQUIRE(slots_.size() < UINT32_MAX);
    slot_index = static_cast<uint32_t>(slots_.size());
    slots_.emplace_back();
  }
  Slot& slot = slots_[slot_index];
  HF_ASSERT(!slot.live);
  hold.sequence = next_sequence_++;
  hold.id = HoldId{hold.sequence};
  slot_of_.put(hold.id.value, slot_index);
  slot.hold = hold;
  slot.live = true;
  ++live_holds_;
  index_expiry(slot);
  return hold.id;
}

Ledger::Slot* Ledger::find_slot(HoldId id) {
  const uint32_t* index = slot_of_.find(id.value);
  if (index == nullptr) return nullptr;
  Slot& slot = slots_[*index];
  HF_ASSERT(slot.live && slot.hold.id == id);
  return &slot;
}

const Ledger::Slot* Ledger::find_slot(HoldId id) const { return const_cast<Ledger*>(this)->find_slot(id); }

const Hold* Ledger::find_hold(HoldId id) const {
  const Slot* slot = find_slot(id);
  return slot == nullptr ? nullptr : &slot->hold;
}

void Ledger::index_expiry(Slot& slot) {
  const Hold& h = slot.hold;
  const int64_t duration = h.expires_at.us - h.placed_at.us;
  const ExpiryEntry entry{h.expires_at.us, h.sequence, h.id.value};
  for (auto& queue : expiry_queues_) {
    if (queue.duration_us != duration) continue;
    if (queue.entries.empty() || queue.entries.back().expires_at_us <= entry.expires_at_us) {
      queue.entries.push_back(entry);
      return;
    }
    break;  // out of order (a clock step back): the ordered set takes it
  }
  const bool has_queue = std::any_of(expiry_queues_.begin(), expiry_queues_.end(),
                                     [&](const ExpiryQueue& q) { return q.duration_us == duration; });
  if (!has_queue && expiry_queues_.size() < kMaxExpiryQueues) {
    expiry_queues_.push_back(ExpiryQueue{duration, {entry}});
    return;
  }
  slot.irregular = true;
  irregular_.emplace(entry.expires_at_us, entry.sequence, entry.hold_id);
}

void Ledger::end_hold(Slot& slot) {
  HF_ASSERT(slot.live && slot.hold.remaining_minor == 0);
  if (slot.irregular) irregular_.erase({slot.hold.expires_at.us, slot.hold.sequence, slot.hold.id.value});
  const uint32_t* index = slot_of_.find(slot.hold.id.value);
  HF_ASSERT(index != nullptr && &slots_[*index] == &slot);
  free_slots_.push_back(*index);
  slot_of_.erase(slot.hold.id.value);
  slot.live = false;
  slot.irregular = false;
  --live_holds_;
}

int64_t Ledger::release_hold(HoldId id, int64_t amount_minor) {
  HF_REQUIRE(amount_minor >= 0);
  Slot* slot = find_slot(id);
  if (slot == nullptr) return 0;
  Hold& hold = slot->hold;
  const int64_t released = std::min(amount_minor, hold.remaining_minor);
  if (released == 0) return 0;
  HF_ASSERT(apply_pending(hold, released, -1));
  hold.remaining_minor -= released;
  if (hold.remaining_minor == 0) end_hold(*slot);
  return released;
}

int64_t Ledger::post_from_hold(HoldId id, int64_t amount_minor) {
  HF_REQUIRE(amount_minor >= 0);
  Slot* slot = find_slot(id);
  if (slot == nullptr) return 0;
  Hold& hold = slot->hold;
  const int64_t moved = std::min(amount_minor, hold.remaining_minor);
  if (moved == 0) return 0;
  const uint32_t debit = hold.debit_account;
  const uint32_t credit = hold.credit_account;
  int64_t unused = 0;
  if (add_overflows(accounts_[debit].debits_posted, moved, &unused) ||
      add_overflows(accounts_[credit].credits_posted, moved, &unused))
    return 0;                                 // checked first: pending and posted move together or not at all
  HF_ASSERT(apply_pending(hold, moved, -1));  // pending only shrinks here
  hold.remaining_minor -= moved;
  if (hold.remaining_minor == 0) end_hold(*slot);
  HF_ASSERT(post(debit, credit, moved));  // checked above
  return moved;
}

bool Ledger::post(uint32_t debit_account, uint32_t credit_account, int64_t amount_minor) {
  HF_REQUIRE(amount_minor > 0);
  HF_REQUIRE(debit_account < accounts_.size() && credit_account < accounts_.size());
  HF_REQUIRE(debit_account != credit_account);
  LedgerAccount& debit = accounts_[debit_account];
  LedgerAccount& credit = accounts_[credit_account];
  HF_REQUIRE(debit.currency == credit.currency);
  int64_t new_debit = 0;
  int64_t new_credit = 0;
  if (add_overflows(debit.debits_posted, amount_minor, &new_debit)) return false;
  if (add_overflows(credit.credits_posted, amount_minor, &new_credit)) return false;
  debit.debits_posted = new_debit;
  credit.credits_posted = new_credit;
  return true;
}

bool Ledger::has_room(uint32_t account, Wide amount_minor) const {
  HF_REQUIRE(account < accounts_.size() && amount_minor >= 0);
  const LedgerAccount& a = accounts_[account];
  const Wide limit = static_cast<Wide>(INT64_MAX) - amount_minor;
  return a.debits_pending <= limit && a.debits_posted <= limit && a.credits_pending <= limit &&
         a.credits_posted <= limit;
}

bool Ledger::entry_is_live(const ExpiryEntry& e) const {
  const Slot* slot = find_slot(HoldId{e.hold_id});
  return slot != nullptr && slot->hold.sequence == e.sequence;
}

// Expiry order is (expires_at, sequence) across all queues and the ordered set.
const Ledger::ExpiryEntry* Ledger::earliest_expiry() const {
  const ExpiryEntry* best = nullptr;
  auto earlier = [](const ExpiryEntry& a, const ExpiryEntry& b) {
    return a.expires_at_us != b.expires_at_us ? a.expires_at_us < b.expires_at_us : a.sequence < b.sequence;
  };
  for (auto& queue : expiry_queues_) {
    while (!queue.entries.empty() && !entry_is_live(queue.entries.front())) queue.entries.pop_front();
    if (!queue.entries.empty() && (best == nullptr || earlier(queue.entries.front(), *best)))
      best = &queue.entries.front();
  }
  if (!irregular_.empty()) {
    const auto& [expires, sequence, id] = *irregular_.begin();
    irregular_front_ = ExpiryEntry{expires, sequence, id};
    if (best == nullptr || earlier(irregular_front_, *best)) best = &irregular_front_;
  }
  return best;
}

void Ledger::pop_expiry(const ExpiryEntry* entry) {
  if (entry == &irregular_front_) return;  // end_hold erases it from the set
  for (auto& queue : expiry_queues_) {
    if (!queue.entries.empty() && &queue.entries.front() == entry) {
      queue.entries.pop_front();
      return;
    }
  }
  HF_UNREACHABLE();
}

size_t Ledger::expire_due(Timestamp now, size_t max_holds, std::vector<std::pair<HoldId, int64_t>>* expired) {
  size_t ended = 0;
  while (ended < max_holds) {
    const ExpiryEntry* entry = earliest_expiry();
    if (entry == nullptr || entry->expires_at_us > now.us) break;
    const HoldId id{entry->hold_id};
    pop_expiry(entry);
    const int64_t remaining = find_slot(id)->hold.remaining_minor;
    HF_ASSERT(release_hold(id, remaining) == remaining);
    expired->emplace_back(id, remaining);
    ++ended;
  }
  return ended;
}

std::optional<Timestamp> Ledger::next_expiry() const {
  const ExpiryEntry* entry = earliest_expiry();
  if (entry == nullptr) return std::nullopt;
  return Timestamp{entry->expires_at_us};
}

bool Ledger::books_balance() const {
  Wide debits_pending = 0, credits_pending = 0, debits_posted = 0, credits_posted = 0;
  for (const auto& a : accounts_) {
    debits_pending += a.debits_pending;
    credits_pending += a.credits_pending;
    debits_posted += a.debits_posted;
    credits_posted += a.credits_posted;
  }
  Wide held = 0;
  for (const auto& slot : slots_)
    if (slot.live) held += slot.hold.remaining_minor;
  return debits_pending == credits_pending && debits_posted == credits_posted && held == debits_pending;
}

void Ledger::serialize(ByteWriter& out) const {
  out.u64(accounts_.size());
  for (const auto& a : accounts_) {
    out.u8(static_cast<uint8_t>(a.kind));
    out.u16(a.currency.code);
    out.i64(a.debits_pending);
    out.i64(a.debits_posted);
    out.i64(a.credits_pending);
    out.i64(a.credits_posted);
  }
  // The slab as it is (free slots in reuse order, the next sequence number), so that a restored
  // ledger places holds exactly where and with the ids the uninterrupted run would have; the
  // id -> slot map and the expiry index are rebuilt from the live holds.
  out.u64(slots_.size());
  for (const Slot& slot : slots_) {
    out.boolean(slot.live);
    if (!slot.live) continue;
    const Hold& h = slot.hold;
    out.u64(h.id.value);
    out.u64(h.sequence);
    out.u32(h.debit_account);
    out.u32(h.credit_account);
    out.i64(h.amount_minor);
    out.i64(h.remaining_minor);
    out.i64(h.placed_at.us);
    out.i64(h.expires_at.us);
  }
  out.u64(free_slots_.size());
  for (uint32_t index : free_slots_) out.u32(index);
  out.u64(next_sequence_);
}

bool Ledger::deserialize(ByteReader& in) {
  uint64_t count = 0;
  if (!in.u64(&count) || count > in.remaining()) return false;
  accounts_.clear();
  accounts_.reserve(count);
  for (uint64_t i = 0; i < count; ++i) {
    LedgerAccount a;
    uint8_t kind = 0;
    if (!in.u8(&kind) || kind >= kAccountKindCount || !in.u16(&a.currency.code) ||
        !in.i64(&a.debits_pending) || !in.i64(&a.debits_posted) || !in.i64(&a.credits_pending) ||
        !in.i64(&a.credits_posted))
      return false;
    a.kind = static_cast<AccountKind>(kind);
    accounts_.push_back(a);
  }
  if (!in.u64(&count) || count > in.remaining()) return false;
  slots_.assign(count, Slot{});
  slot_of_.clear();
  free_slots_.clear();
  expiry_queues_.clear();
  irregular_.clear();
  live_holds_ = 0;
  std::vector<uint32_t> live;
  for (uint64_t i = 0; i < count; ++i) {
    Slot& slot = slots_[i];
    if (!in.boolean(&slot.live)) return false;
    if (!slot.live) continue;
    Hold& h = slot.hold;
    if (!in.u64(&h.id.value) || !in.u64(&h.sequence) || !in.u32(&h.debit_account) ||
        !in.u32(&h.credit_account) || !in.i64(&h.amount_minor) || !in.i64(&h.remaining_minor) ||
        !in.i64(&h.placed_at.us) || !in.i64(&h.expires_at.us))
      return false;
    if (h.debit_account >= accounts_.size() || h.credit_account >= accounts_.size() ||
        h.debit_account == h.credit_account ||
        accounts_[h.debit_account].currency != accounts_[h.credit_account].currency ||
        h.id.value != h.sequence || h.id.value == 0 || slot_of_.find(h.id.value) != nullptr ||
        h.remaining_minor <= 0 || h.remaining_minor > h.amount_minor)
      return false;           // what place_hold requires of every hold
    int64_t duration_us = 0;  // index_expiry files holds by duration
    if (__builtin_sub_overflow(h.expires_at.us, h.placed_at.us, &duration_us)) return false;
    slot_of_.put(h.id.value, static_cast<uint32_t>(i));
    ++live_holds_;
    live.push_back(static_cast<uint32_t>(i));
  }
  uint64_t free_count = 0;
  if (!in.u64(&free_count) || free_count > in.remaining()) return false;
  free_slots_.resize(free_count);
  std::vector<bool> listed(slots_.size(), false);  // a slot listed twice would be handed out twice
  for (auto& index : free_slots_) {
    if (!in.u32(&index) || index >= slots_.size() || slots_[index].live || listed[index]) return false;
    listed[index] = true;
  }
  if (!in.u64(&next_sequence_)) return false;
  // Ids are never reused: every live hold's id was given before the next one.
  for (uint32_t index : live)
    if (slots_[index].hold.sequence >= next_sequence_) return false;
  std::sort(live.begin(), live.end(), [&](uint32_t a, uint32_t b) {
    const Hold& x = slots_[a].hold;
    const Hold& y = slots_[b].hold;
    return x.expires_at.us != y.expires_at.us ? x.expires_at.us < y.expires_at.us : x.sequence < y.sequence;
  });
  for (uint32_t index : live) index_expiry(slots_[index]);
  return books_balance() && pending_matches_holds();
}

// Each account's pending amounts are exactly what its live holds keep: releasing or capturing
// any hold then never takes an account's pending below zero (asserted in apply_pending).
bool Ledger::pending_matches_holds() const {
  std::vector<Wide> debits(accounts_.size(), 0), credits(accounts_.size(), 0);
  for (const auto& slot : slots_) {
    if (!slot.live) continue;
    debits[slot.hold.debit_account] += slot.hold.remaining_minor;
    credits[slot.hold.credit_account] += slot.hold.remaining_minor;
  }
  for (size_t i = 0; i < accounts_.size(); ++i)
    if (debits[i] != accounts_[i].debits_pending || credits[i] != accounts_[i].credits_pending) return false;
  return true;
}

}  // namespace holdfast::ledger
