#include <algorithm>

#include "base/assert.h"
#include "engine/engine.h"
#include "engine/engine_internal.h"

namespace holdfast::engine {

const char* message_kind_name(MessageKind k) noexcept {
  switch (k) {
    case MessageKind::authorization_request: return "authorization_request";
    case MessageKind::authorization_advice: return "authorization_advice";
    case MessageKind::financial_request: return "financial_request";
    case MessageKind::financial_advice: return "financial_advice";
    case MessageKind::reversal_request: return "reversal_request";
    case MessageKind::reversal_advice: return "reversal_advice";
    case MessageKind::network_management: return "network_management";
  }
  return "?";
}

const char* event_kind_name(EventKind k) noexcept {
  switch (k) {
    case EventKind::hold_placed: return "hold_placed";
    case EventKind::hold_released: return "hold_released";
    case EventKind::hold_expired: return "hold_expired";
    case EventKind::posted: return "posted";
    case EventKind::credited: return "credited";
    case EventKind::advice_over_limit: return "advice_over_limit";
    case EventKind::card_status_changed: return "card_status_changed";
    case EventKind::account_changed: return "account_changed";
    case EventKind::card_range_created: return "card_range_created";
    case EventKind::account_opened: return "account_opened";
    case EventKind::card_issued: return "card_issued";
    case EventKind::link_signed_on: return "link_signed_on";
    case EventKind::link_signed_off: return "link_signed_off";
    case EventKind::presentment_posted: return "presentment_posted";
    case EventKind::unauthorised_item: return "unauthorised_item";
    case EventKind::late_presentment: return "late_presentment";
    case EventKind::fee_posted: return "fee_posted";
    case EventKind::chargeback_raised: return "chargeback_raised";
    case EventKind::chargeback_recovered: return "chargeback_recovered";
    case EventKind::chargeback_lost: return "chargeback_lost";
    case EventKind::card_protected: return "card_protected";
    case EventKind::token_suspended: return "token_suspended";
    case EventKind::cardholder_alerted: return "cardholder_alerted";
    case EventKind::fraud_case_opened: return "fraud_case_opened";
    case EventKind::token_provisioned: return "token_provisioned";
    case EventKind::token_status_changed: return "token_status_changed";
    case EventKind::uplift_granted: return "uplift_granted";
    case EventKind::uplift_refused: return "uplift_refused";
    case EventKind::dispute_opened: return "dispute_opened";
    case EventKind::dispute_step: return "dispute_step";
    case EventKind::compensation_posted: return "compensation_posted";
    case EventKind::reward_points_awarded: return "reward_points_awarded";
  }
  return "?";
}

const char* presentment_kind_name(PresentmentKind k) noexcept {
  switch (k) {
    case PresentmentKind::first_presentment: return "first_presentment";
    case PresentmentKind::first_presentment_reversal: return "first_presentment_reversal";
    case PresentmentKind::second_presentment: return "second_presentment";
    case PresentmentKind::other: return "other";
  }
  return "?";
}

const char* case_origin_name(CaseOrigin o) noexcept {
  switch (o) {
    case CaseOrigin::no_authorisation: return "no_authorisation";
    case CaseOrigin::late_presentment: return "late_presentment";
    case CaseOrigin::over_clearing: return "over_clearing";
    case CaseOrigin::cardholder_claim: return "cardholder_claim";
  }
  return "?";
}

size_t Engine::RecordKeyHash::operator()(const RecordKey& k) const noexcept {
  // Every field is wire-chosen (DE 32, 11, 7): keyed, so colliding keys cannot be built offline.
  const uint64_t words[3] = {k.key.acquirer_id, static_cast<uint64_t>(k.key.stan) << 8 | k.group,
                             k.key.transmission_time};
  return static_cast<size_t>(siphash24_words(seed, words));
}

size_t Engine::message_index_probes(MessageKind kind, const MessageKey& key) const {
  return record_index_.probes(RecordKey{record_group(kind), key});
}

namespace {
// The message index starts at up to 64k slots (no early doublings on a server) but no larger
// than the records it may hold: tests and fuzzing make engines by the thousand.
size_t initial_index_capacity(uint32_t max_records) {
  size_t capacity = 1024;
  while (capacity < (1u << 16) && capacity < max_records) capacity <<= 1;
  return capacity;
}
}  // namespace

Engine::Engine(EngineConfig config, HashSeed index_seed)
    : config_(std::move(config)),
      record_index_(UINT64_MAX, initial_index_capacity(config_.max_message_records),
                    RecordKeyHash{index_seed}),
      presentment_index_(UINT64_MAX, 1 << 12, DigestHash{index_seed}),
      presentment_by_arn_(16, DigestHash{index_seed}) {
  // The rules in the configuration were checked when they were configured; the embedded copy
  // is checked by tests. A constructor cannot refuse, so bad rules here are a bug.
  HF_REQUIRE(load_rules());
}

Reply Engine::apply(const Command& command, std::vector<Event>* events) {
  HF_REQUIRE(events != nullptr);
  // Time never moves the state backwards, even if a clock stepped back between commands.
  now_ = std::max(now_, command.time);
  ++counters_.commands;
  if (config_.mode == EngineMode::legacy) legacy_refresh();
  const Reply reply = std::visit(
      [&](const auto& body) -> Reply {
        using T = std::decay_t<decltype(body)>;
        if constexpr (std::is_same_v<T, CardMessage>) return apply_card_message(body, events);
        if constexpr (std::is_same_v<T, CreateCardRange>) return create_card_range(body, events);
        if constexpr (std::is_same_v<T, OpenAccount>) return open_account(body, events);
        if constexpr (std::is_same_v<T, IssueCard>) return issue_card(body, events);
        if constexpr (std::is_same_v<T, SetCardStatus>) return set_card_status(body, events);
        if constexpr (std::is_same_v<T, SetCreditLimit>) return set_credit_limit(body, events);
        if constexpr (std::is_same_v<T, SetUplift>) return set_uplift(body, events);
        if constexpr (std::is_same_v<T, Tick>) return tick(events);
        if constexpr (std::is_same_v<T, ResetPinTries>) return reset_pin_tries(body, events);
        if constexpr (std::is_same_v<T, Configure>) return configure(body, events);
        if constexpr (std::is_same_v<T, Presentment>) return apply_presentment(body, events);
        if constexpr (std::is_same_v<T, ProvisionToken>) return provision_token(body, events);
        if constexpr (std::is_same_v<T, SetTokenStatus>) return set_token_status(body, events);
        if constexpr (std::is_same_v<T, RequestUplift>) return request_uplift(body, events);
        if constexpr (std::is_same_v<T, OpenDispute>) return open_dispute(body, events);
        if constexpr (std::is_same_v<T, DisputeAction>) return dispute_action(body, events);
        if constexpr (std::is_same_v<T, CloseCompensation>) return close_compensation(body, events);
      },
      command.body);
  return reply;
}

const cards::Card* Engine::find_card(cards::CardId id) const {
  auto it = cards_.find(id.value);
  return it == cards_.end() ? nullptr : &it->second;
}

const cards::Card* Engine::find_card(const cards::PanHash& pan_hash) const {
  auto it = card_by_pan_.find(pan_hash);
  return it == card_by_pan_.end() ? nullptr : find_card(cards::CardId{it->second});
}

cards::Card* Engine::card_by_pan(const cards::PanHash& pan_hash) {
  auto it = card_by_pan_.find(pan_hash);
  if (it == card_by_pan_.end()) return nullptr;
  auto card = cards_.find(it->second);
  HF_ASSERT(card != cards_.end());
  return &card->second;
}

const cards::Account* Engine::find_account(cards::AccountId id) const {
  auto it = accounts_.find(id.value);
  return it == accounts_.end() ? nullptr : &it->second;
}

cards::Account* Engine::account_by_id(uint64_t id) {
  auto it = accounts_.find(id);
  return it == accounts_.end() ? nullptr : &it->second;
}

const cards::CardRange* Engine::find_card_range(cards::CardRangeId id) const {
  if (id.value == 0 || id.value > card_ranges_.size()) return nullptr;
  return &card_ranges_[id.value - 1];
}

int64_t Engine::posted_balance(const cards::Account& account) const {
  return ledger_.account(account.ledger_index).posted_balance();
}

int64_t Engine::pending_holds(const cards::Account& account) const {
  return ledger_.account(account.ledger_index).debits_pending;
}

// Invariant E1, computed from the books every time: nothing to refresh, nothing to drift.
// Legacy mode replays the seed's issuer instead: online authorisations see what was booked at
// the last daily refresh plus their own approvals since (legacy_used_minor).
int64_t Engine::open_to_buy(const cards::Account& account) const {
  return config_.mode == EngineMode::legacy ? open_to_buy_after(account, account.legacy_used_minor)
                                            : books_open_to_buy(account);
}

int64_t Engine::books_open_to_buy(const cards::Account& account) const {
  return open_to_buy_after(account, static_cast<Wide>(posted_balance(account)) + pending_holds(account));
}

int64_t Engine::open_to_buy_after(const cards::Account& account, Wide used) const {
  const Wide otb = static_cast<Wide>(account.credit_limit_minor) + account.active_uplift_minor(now_) - used;
  if (otb > INT64_MAX) return INT64_MAX;
  if (otb < INT64_MIN) return INT64_MIN;
  return static_cast<int64_t>(otb);
}

uint32_t Engine::settlement_account_for_currency(Currency c) {
  auto it = settlement_accounts_.find(c.code);
  if (it != settlement_accounts_.end()) return it->second;
  const uint32_t index = ledger_.open_account(ledger::AccountKind::scheme_settlement, c);
  settlement_accounts_.emplace(c.code, index);
  return index;
}

uint32_t Engine::internal_account(ledger::AccountKind kind, Currency c) {
  const uint32_t key = static_cast<uint32_t>(kind) << 16 | c.code;
  auto it = internal_accounts_.find(key);
  if (it != internal_accounts_.end()) return it->second;
  const uint32_t index = ledger_.open_account(kind, c);
  internal_accounts_.emplace(key, index);
  return index;
}

bool Engine::room_in(uint32_t a, uint32_t b, Wide amount) const {
  return ledger_.has_room(a, amount) && ledger_.has_room(b, amount);
}

bool Engine::room_for(const cards::Account& account, Wide amount) const {
  if (!ledger_.has_room(account.ledger_index, amount)) return false;
  auto settlement = settlement_accounts_.find(account.currency.code);
  if (settlement != settlement_accounts_.end() && !ledger_.has_room(settlement->second, amount)) return false;
  for (const auto& [key, index] : internal_accounts_)
    if ((key & 0xFFFFu) == account.currency.code && !ledger_.has_room(index, amount)) return false;
  return true;
}

bool Engine::room_for_points(uint64_t account_id, Wide points) const {
  auto own = points_accounts_.find(account_id);
  if (own != points_accounts_.end() && !ledger_.has_room(own->second, points)) return false;
  const uint32_t issued_key = static_cast<uint32_t>(ledger::AccountKind::reward_points_issued) << 16;
  auto issued = internal_accounts_.find(issued_key);
  return issued == internal_accounts_.end() || ledger_.has_room(issued->second, points);
}

int64_t Engine::internal_balance(ledger::AccountKind kind, Currency c) const {
  auto it = internal_accounts_.find(static_cast<uint32_t>(kind) << 16 | c.code);
  if (it == internal_accounts_.end()) return 0;
  const ledger::LedgerAccount& a = ledger_.account(it->second);
  return a.debits_posted - a.credits_posted;
}

// Legacy mode: once a day (at legacy_refresh_hour UTC) every account's used amount is taken
// from the books again; in between only online approvals and reversals move it.
void Engine::legacy_refresh() {
  const int64_t hour_s = static_cast<int64_t>(config_.legacy_refresh_hour % 24) * 3600;
  const int64_t day = (now_.seconds() - hour_s) / kSecondsPerDay;
  if (day <= legacy_refreshed_day_) return;
  legacy_refreshed_day_ = day;
  for (auto& [id, account] : accounts_)
    account.legacy_used_minor = posted_balance(account) + pending_holds(account);
}

Reply Engine::account_reply(Outcome outcome, const cards::Account* account) const {
  Reply r;
  r.outcome = outcome;
  r.response_code = response_code(outcome);
  if (account != nullptr) {
    r.account_currency = account->currency;
    r.open_to_buy_minor = open_to_buy(*account);
    r.posted_balance_minor = posted_balance(*account);
  }
  return r;
}

// Approval codes are a function of how many approvals came before: deterministic on replay.
std::array<char, 6> Engine::next_approval_code() {
  ++approvals_issued_;
  uint64_t v = (approvals_issued_ - 1) % 999'999 + 1;
  std::array<char, 6> code{};
  for (int i = 5; i >= 0; --i) {
    code[static_cast<size_t>(i)] = static_cast<char>('0' + v % 10);
    v /= 10;
  }
  return code;
}

Timestamp Engine::hold_expiry(uint16_t mcc) const {
  uint32_t days = config_.default_hold_days;
  for (const auto& rule : config_.mcc_hold_rules) {
    if (mcc >= rule.mcc_low && mcc <= rule.mcc_high) {
      days = rule.hold_days;
      break;
    }
  }
  return add_seconds_saturating(now_, static_cast<int64_t>(days) * kSecondsPerDay);
}

}  // namespace holdfast::engine
