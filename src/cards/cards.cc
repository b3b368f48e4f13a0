#include "cards/cards.h"

#include <string_view>

namespace holdfast::cards {

std::string MaskedPan::display() const {
  std::string out(first6.begin(), first6.end());
  const int hidden = length > 10 ? length - 10 : 0;
  out.append(static_cast<size_t>(hidden), '*');
  out.append(last4.begin(), last4.end());
  return out;
}

const char* card_status_name(CardStatus s) noexcept {
  switch (s) {
    case CardStatus::active: return "active";
    case CardStatus::blocked: return "blocked";
    case CardStatus::lost: return "lost";
    case CardStatus::stolen: return "stolen";
    case CardStatus::expired: return "expired";
    case CardStatus::closed: return "closed";
  }
  return "?";
}

std::optional<CardStatus> parse_card_status(std::string_view s) noexcept {
  for (int i = 0; i < kCardStatusCount; ++i) {
    const auto status = static_cast<CardStatus>(i);
    if (s == card_status_name(status)) return status;
  }
  return std::nullopt;
}

const char* card_scheme_name(CardScheme s) noexcept {
  switch (s) {
    case CardScheme::visa: return "visa";
    case CardScheme::mastercard: return "mastercard";
    case CardScheme::unionpay: return "unionpay";
  }
  return "?";
}

std::optional<CardScheme> parse_card_scheme(std::string_view s) noexcept {
  for (int i = 0; i < kCardSchemeCount; ++i) {
    const auto scheme = static_cast<CardScheme>(i);
    if (s == card_scheme_name(scheme)) return scheme;
  }
  return std::nullopt;
}

const char* token_status_name(TokenStatus s) noexcept {
  switch (s) {
    case TokenStatus::active: return "active";
    case TokenStatus::suspended: return "suspended";
    case TokenStatus::deleted: return "deleted";
  }
  return "?";
}

std::optional<TokenStatus> parse_token_status(std::string_view s) noexcept {
  for (int i = 0; i < kTokenStatusCount; ++i) {
    const auto status = static_cast<TokenStatus>(i);
    if (s == token_status_name(status)) return status;
  }
  return std::nullopt;
}

bool is_expired(uint16_t expiry_yymm, Timestamp now) noexcept {
  const int year = 2000 + expiry_yymm / 100;
  const int month = expiry_yymm % 100;
  // First day of the month after expiry.
  const int next_year = month == 12 ? year + 1 : year;
  const int next_month = month == 12 ? 1 : month + 1;
  const int64_t end_day = days_from_civil(next_year, next_month, 1);
  return now.seconds() >= end_day * kSecondsPerDay;
}

}  // namespace holdfast::cards
