// Test messages shared by the risk module's tests: a chip purchase at home and an online one.
#pragma once

#include "risk/risk.h"

namespace holdfast::risk::testing {

inline constexpr uint16_t kChina = 156;

inline Message home_chip(uint64_t card, int64_t amount, Timestamp t, uint64_t merchant = 500) {
  Message m;
  m.time = t;
  m.ids.card = card;
  m.ids.account = card + 1000;
  m.ids.merchant = merchant;
  m.ids.terminal = merchant * 10;
  m.amount_minor = amount;
  m.mcc = 5411;
  m.country = kChina;
  m.home_country = kChina;
  m.entry_mode = EntryMode::chip;
  m.chip_card = true;
  m.cryptogram = Check::match;
  return m;
}

inline Message online(uint64_t card, int64_t amount, Timestamp t, uint16_t country, uint64_t merchant) {
  Message m = home_chip(card, amount, t, merchant);
  m.channel = Channel::card_not_present;
  m.entry_mode = EntryMode::ecommerce;
  m.cryptogram = Check::not_present;
  m.cvv2 = Check::match;
  m.country = country;
  m.mcc = 5999;
  return m;
}

}  // namespace holdfast::risk::testing
