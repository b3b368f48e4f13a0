// Payment tokens and temporary uplifts abroad. An uplift is a product setting granted per
// request through the uplift gate (card-not-present, stripe fallback, dormant card or token,
// freshly provisioned token, recent unauthorised offline items: refused), and it expires by
// itself (Account::active_uplift_minor). Legacy mode grants every request blindly, as the seed's
// issuer did.
#include <algorithm>

#include "base/assert.h"
#include "engine/engine.h"
#include "engine/engine_internal.h"

namespace holdfast::engine {
namespace {

Reply admin_reply(Outcome outcome, uint64_t entity_id) {
  Reply r;
  r.outcome = outcome;
  r.response_code = response_code(outcome);
  r.entity_id = entity_id;
  return r;
}

bool older_than(Timestamp t, Timestamp now, uint32_t days) {
  return now.seconds() - t.seconds() > static_cast<int64_t>(days) * kSecondsPerDay;
}

}  // namespace

const cards::Token* Engine::find_token(cards::TokenId id) const {
  auto it = tokens_.find(id.value);
  return it == tokens_.end() ? nullptr : &it->second;
}

const cards::Token* Engine::find_token(const cards::PanHash& pan_hash) const {
  auto it = token_by_pan_.find(pan_hash);
  return it == token_by_pan_.end() ? nullptr : find_token(cards::TokenId{it->second});
}

std::vector<const cards::Token*> Engine::tokens_of(cards::CardId card) const {
  std::vector<const cards::Token*> out;
  if (auto list = tokens_by_card_.find(card.value); list != tokens_by_card_.end())
    for (uint64_t id : list->second) out.push_back(&tokens_.at(id));
  return out;
}

Reply Engine::provision_token(const ProvisionToken& c, std::vector<Event>* events) {
  auto card = cards_.find(c.card_id);
  if (card == cards_.end()) return admin_reply(Outcome::admin_unknown_card, c.card_id);
  if (card_by_pan_.contains(c.pan_hash) || token_by_pan_.contains(c.pan_hash))
    return admin_reply(Outcome::admin_duplicate_card, 0);
  const uint64_t id = c.requested_id != 0 ? c.requested_id : next_token_id_;
  if (tokens_.contains(id)) return admin_reply(Outcome::admin_duplicate_id, id);
  // A card under burst protection gets no new tokens: that is how the burst started.
  if (card->second.status != cards::CardStatus::active) return admin_reply(Outcome::card_blocked, c.card_id);
  next_token_id_ = std::max(next_token_id_, id + 1);
  cards::Token token;
  token.id = cards::TokenId{id};
  token.card = card->second.id;
  token.pan_hash = c.pan_hash;
  token.masked_pan = c.masked_pan;
  token.wallet = c.wallet;
  token.provisioned_at = now_;
  tokens_.emplace(id, token);
  token_by_pan_.emplace(c.pan_hash, id);
  tokens_by_card_[c.card_id].push_back(id);
  events->push_back({EventKind::token_provisioned, c.card_id, card->second.account.value, id, 0});
  return admin_reply(Outcome::admin_done, id);
}

Reply Engine::set_token_status(const SetTokenStatus& c, std::vector<Event>* events) {
  auto it = tokens_.find(c.token_id);
  if (it == tokens_.end()) return admin_reply(Outcome::admin_unknown_token, c.token_id);
  // A deleted token stays deleted: its number may not come back to life.
  if (it->second.status == cards::TokenStatus::deleted && c.status != cards::TokenStatus::deleted)
    return admin_reply(Outcome::admin_invalid, c.token_id);
  it->second.status = c.status;
  const cards::Card& card = cards_.at(it->second.card.value);
  events->push_back({EventKind::token_status_changed, card.id.value, card.account.value, c.token_id,
                     static_cast<int64_t>(c.status)});
  return admin_reply(Outcome::admin_done, c.token_id);
}

Outcome Engine::uplift_gate(const cards::Card& card, const cards::Token* token, uint16_t country,
                            cards::UseChannel channel, bool fallback) const {
  const cards::Product& product = find_card_range(card.range)->product;
  if (config_.mode == EngineMode::legacy) return Outcome::uplift_granted;  // blind, as in the seed
  if (product.uplift_max_multiplier_bp <= 10'000) return Outcome::uplift_not_offered;
  if (card.status != cards::CardStatus::active || card.fraud_case_id != 0 ||
      (token != nullptr && token->status != cards::TokenStatus::active))
    return Outcome::uplift_card_not_active;
  const auto& listed = product.uplift_countries;
  if (country == 0 || country == product.issuer_country ||
      (!listed.empty() && std::find(listed.begin(), listed.end(), country) == listed.end()))
    return Outcome::uplift_country_not_allowed;
  if (channel == cards::UseChannel::card_not_present) return Outcome::uplift_card_not_present;
  if (fallback) return Outcome::uplift_fallback;
  const Timestamp card_seen = card.last_used_at.us != 0 ? card.last_used_at : card.issued_at;
  if (older_than(card_seen, now_, product.dormant_days)) return Outcome::uplift_dormant;
  if (token != nullptr) {
    const Timestamp token_seen = token->last_used_at.us != 0 ? token->last_used_at : token->provisioned_at;
    if (older_than(token_seen, now_, product.dormant_days)) return Outcome::uplift_dormant;
    if (!older_than(token->provisioned_at, now_, product.token_cooling_days))
      return Outcome::uplift_token_too_new;
  }
  if (card.offline_item_count > 0) {
    const Timestamp latest = *std::max_element(card.offline_item_times.begin(),
                                               card.offline_item_times.begin() + card.offline_item_count);
    if (now_.us - latest.us <= static_cast<int64_t>(config_.burst_window_s) * 1'000'000)
      return Outcome::uplift_recent_offline_items;
  }
  return Outcome::uplift_granted;
}

int64_t Engine::grant_uplift(cards::Account& account, const cards::Product& product, uint32_t multiplier_bp,
                             const cards::Card& card, std::vector<Event>* events) {
  const uint32_t cap = config_.mode == EngineMode::legacy
                           ? std::max(product.uplift_max_multiplier_bp, config_.legacy_uplift_multiplier_bp)
                           : product.uplift_max_multiplier_bp;
  const uint32_t multiplier = std::clamp<uint32_t>(multiplier_bp == 0 ? cap : multiplier_bp, 10'000, cap);
  const int64_t uplift =
      static_cast<int64_t>(static_cast<Wide>(account.credit_limit_minor) * (multiplier - 10'000) / 10'000);
  // An uplift never shrinks one already in force.
  if (uplift > account.active_uplift_minor(now_)) {
    account.uplift_minor = uplift;
    account.uplift_expires_at =
        add_seconds_saturating(now_, static_cast<int64_t>(product.uplift_days) * kSecondsPerDay);
  }
  events->push_back({EventKind::uplift_granted, card.id.value, account.id.value, 0, account.uplift_minor});
  return account.uplift_minor;
}

Reply Engine::request_uplift(const RequestUplift& c, std::vector<Event>* events) {
  auto card = cards_.find(c.card_id);
  if (card == cards_.end()) return admin_reply(Outcome::admin_unknown_card, c.card_id);
  const cards::Token* token = nullptr;
  if (c.token_id != 0) {
    token = find_token(cards::TokenId{c.token_id});
    if (token == nullptr || token->card.value != c.card_id)
      return admin_reply(Outcome::admin_unknown_token, c.token_id);
  }
  if (c.multiplier_bp != 0 && c.multiplier_bp < 10'000) return admin_reply(Outcome::admin_invalid, c.card_id);
  cards::Account* account = account_by_id(card->second.account.value);
  HF_ASSERT(account != nullptr);
  const cards::Product& product = find_card_range(card->second.range)->product;
  const Outcome gate = uplift_gate(card->second, token, c.country, c.channel, c.fallback);
  if (gate != Outcome::uplift_granted) {
    events->push_back(
        {EventKind::uplift_refused, c.card_id, account->id.value, 0, static_cast<int64_t>(gate)});
    return account_reply(gate, account);
  }
  grant_uplift(*account, product, c.multiplier_bp, card->second, events);
  Reply reply = account_reply(Outcome::uplift_granted, account);
  reply.entity_id = account->id.value;
  return reply;
}

}  // namespace holdfast::engine
