#include "ledger/ledger.h"

#include <algorithm>

#include "base/assert.h"

namespace holdfast::ledger {

void Ledger::reserve(size_t accounts, size_t holds) {
  accounts_.reserve(accounts);
  holds_.reserve(holds);
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
  hold.id = HoldId{next_hold_id_};
  hold.debit_account = debit_account;
  hold.credit_account = credit_account;
  hold.amount_minor = amount_minor;
  hold.remaining_minor = amount_minor;
  hold.placed_at = now;
  hold.expires_at = expires_at;
  if (!apply_pending(hold, amount_minor, +1)) return std::nullopt;
  ++next_hold_id_;
  holds_.emplace(hold.id.value, hold);
  expiry_index_.emplace(expires_at.us, hold.id.value);
  return hold.id;
}

const Hold* Ledger::find_hold(HoldId id) const {
  auto it = holds_.find(id.value);
  return it == holds_.end() ? nullptr : &it->second;
}

void Ledger::end_hold(HoldId id) {
  auto it = holds_.find(id.value);
  HF_ASSERT(it != holds_.end());
  HF_ASSERT(it->second.remaining_minor == 0);
  expiry_index_.erase({it->second.expires_at.us, id.value});
  holds_.erase(it);
}

int64_t Ledger::release_hold(HoldId id, int64_t amount_minor) {
  HF_REQUIRE(amount_minor >= 0);
  auto it = holds_.find(id.value);
  if (it == holds_.end()) return 0;
  Hold& hold = it->second;
  const int64_t released = std::min(amount_minor, hold.remaining_minor);
  if (released == 0) return 0;
  HF_ASSERT(apply_pending(hold, released, -1));
  hold.remaining_minor -= released;
  if (hold.remaining_minor == 0) end_hold(id);
  return released;
}

int64_t Ledger::post_from_hold(HoldId id, int64_t amount_minor) {
  HF_REQUIRE(amount_minor >= 0);
  auto it = holds_.find(id.value);
  if (it == holds_.end()) return 0;
  Hold& hold = it->second;
  const int64_t moved = std::min(amount_minor, hold.remaining_minor);
  if (moved == 0) return 0;
  const uint32_t debit = hold.debit_account;
  const uint32_t credit = hold.credit_account;
  HF_ASSERT(apply_pending(hold, moved, -1));
  hold.remaining_minor -= moved;
  if (hold.remaining_minor == 0) end_hold(id);
  // Moving from pending to posted cannot overflow past what was already counted as pending,
  // unless posted itself is near the limit; then the movement is refused upstream.
  HF_ASSERT(post(debit, credit, moved));
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

size_t Ledger::expire_due(Timestamp now, size_t max_holds,
                          std::vector<std::pair<HoldId, int64_t>>* expired) {
  size_t ended = 0;
  while (ended < max_holds && !expiry_index_.empty()) {
    const auto [expires_at_us, id] = *expiry_index_.begin();
    if (expires_at_us > now.us) break;
    const int64_t remaining = holds_.at(id).remaining_minor;
    HF_ASSERT(release_hold(HoldId{id}, remaining) == remaining);
    expired->emplace_back(HoldId{id}, remaining);
    ++ended;
  }
  return ended;
}

std::optional<Timestamp> Ledger::next_expiry() const {
  if (expiry_index_.empty()) return std::nullopt;
  return Timestamp{expiry_index_.begin()->first};
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
  for (const auto& [id, hold] : holds_) held += hold.remaining_minor;
  return debits_pending == credits_pending && debits_posted == credits_posted &&
         held == debits_pending;
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
  // Holds in id order so the snapshot bytes are deterministic.
  std::vector<const Hold*> ordered;
  ordered.reserve(holds_.size());
  for (const auto& [id, hold] : holds_) ordered.push_back(&hold);
  std::sort(ordered.begin(), ordered.end(),
            [](const Hold* a, const Hold* b) { return a->id < b->id; });
  out.u64(ordered.size());
  for (const Hold* h : ordered) {
    out.u64(h->id.value);
    out.u32(h->debit_account);
    out.u32(h->credit_account);
    out.i64(h->amount_minor);
    out.i64(h->remaining_minor);
    out.i64(h->placed_at.us);
    out.i64(h->expires_at.us);
  }
  out.u64(next_hold_id_);
}

bool Ledger::deserialize(ByteReader& in) {
  uint64_t count = 0;
  if (!in.u64(&count) || count > in.remaining()) return false;
  accounts_.clear();
  accounts_.reserve(count);
  for (uint64_t i = 0; i < count; ++i) {
    LedgerAccount a;
    uint8_t kind = 0;
    if (!in.u8(&kind) || kind > 1 || !in.u16(&a.currency.code) || !in.i64(&a.debits_pending) ||
        !in.i64(&a.debits_posted) || !in.i64(&a.credits_pending) || !in.i64(&a.credits_posted))
      return false;
    a.kind = static_cast<AccountKind>(kind);
    accounts_.push_back(a);
  }
  if (!in.u64(&count) || count > in.remaining()) return false;
  holds_.clear();
  expiry_index_.clear();
  holds_.reserve(count);
  for (uint64_t i = 0; i < count; ++i) {
    Hold h;
    if (!in.u64(&h.id.value) || !in.u32(&h.debit_account) || !in.u32(&h.credit_account) ||
        !in.i64(&h.amount_minor) || !in.i64(&h.remaining_minor) || !in.i64(&h.placed_at.us) ||
        !in.i64(&h.expires_at.us))
      return false;
    if (h.debit_account >= accounts_.size() || h.credit_account >= accounts_.size()) return false;
    holds_.emplace(h.id.value, h);
    expiry_index_.emplace(h.expires_at.us, h.id.value);
  }
  return in.u64(&next_hold_id_) && books_balance();
}

}  // namespace holdfast::ledger
