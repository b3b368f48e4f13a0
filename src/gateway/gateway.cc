#include "gateway/gateway.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>

#include "base/assert.h"
#include "crypto/track.h"

namespace holdfast::gateway {
namespace {

using engine::CardMessage;
using engine::MessageKind;

TranslateError missing(int field, const char* what) {
  return TranslateError{TranslateErrc::missing_field, field,
                        std::string("field ") + std::to_string(field) + " (" + what + ") is required"};
}
TranslateError invalid(int field, const std::string& why) {
  return TranslateError{TranslateErrc::invalid_field, field, "field " + std::to_string(field) + ": " + why};
}

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// Digits as an unsigned number; false if not all digits or too long.
bool digits_value(std::string_view s, uint64_t* out) {
  if (!all_digits(s) || s.size() > 19) return false;
  uint64_t v = 0;
  for (char c : s) v = v * 10 + static_cast<uint64_t>(c - '0');
  *out = v;
  return true;
}

template <size_t N>
void copy_chars(std::string_view from, std::array<char, N>* to) {
  to->fill(' ');
  std::copy_n(from.begin(), std::min(from.size(), N), to->begin());
}

// Reads an optional numeric element of at most `max_digits` digits.
bool optional_number(const iso8583::Message& m, int de, size_t max_digits, uint64_t* out,
                     TranslateError* error) {
  if (!m.has(de)) return true;
  const std::string_view v = m.get(de);
  if (v.size() > max_digits || !digits_value(v, out)) {
    *error = invalid(de, "not a number of at most " + std::to_string(max_digits) + " digits");
    return false;
  }
  return true;
}

bool required_number(const iso8583::Message& m, int de, size_t max_digits, const char* what, uint64_t* out,
                     TranslateError* error) {
  if (!m.has(de)) {
    *error = missing(de, what);
    return false;
  }
  return optional_number(m, de, max_digits, out, error);
}

std::optional<MessageKind> kind_of(std::string_view mti, bool* repeat) {
  if (mti.size() != 4 || !all_digits(mti)) return std::nullopt;
  const char cls = mti[1];
  const char function = mti[2];
  const char origin = mti[3];
  if (origin != '0' && origin != '1') return std::nullopt;  // acquirer-originated only
  *repeat = origin == '1';
  if (cls == '1' && function == '0') return MessageKind::authorization_request;
  if (cls == '1' && function == '2') return MessageKind::authorization_advice;
  if (cls == '2' && function == '0') return MessageKind::financial_request;
  if (cls == '2' && function == '2') return MessageKind::financial_advice;
  if (cls == '4' && function == '0') return MessageKind::reversal_request;
  if (cls == '4' && function == '2') return MessageKind::reversal_advice;
  if (cls == '8' && function == '0') return MessageKind::network_management;
  return std::nullopt;
}

engine::TransactionType transaction_type(uint32_t processing_code) {
  switch (processing_code / 10000) {
    case 0: return engine::TransactionType::purchase;
    case 1: return engine::TransactionType::cash;
    case 9: return engine::TransactionType::purchase_cashback;
    case 20: return engine::TransactionType::refund;
    case 30:
    case 31: return engine::TransactionType::balance_inquiry;
    default: return engine::TransactionType::other;
  }
}

// Card-not-present: PAN keyed (01), e-commerce (81, 10), credential on file (10), or a POS
// condition of mail/telephone order (08) or e-commerce (59).
engine::Channel channel(uint16_t entry_mode, uint8_t condition) {
  const uint16_t pan_entry = entry_mode / 10;
  if (pan_entry == 1 || pan_entry == 81 || pan_entry == 10 || condition == 8 || condition == 59)
    return engine::Channel::card_not_present;
  return engine::Channel::card_present;
}

bool read_card(const iso8583::Message& m, const PanHasher& hasher, CardMessage* out, TranslateError* error) {
  std::string_view pan;
  std::string_view track_expiry;
  int pan_field = 2;  // where the PAN (and, without DE 14, the expiry) came from
  if (m.has(2)) {
    pan = m.get(2);
  } else if (m.has(35)) {
    pan_field = 35;
    const std::string_view track2 = m.get(35);
    const size_t sep = track2.find_first_of("=D");
    if (sep == std::string_view::npos) {
      *error = invalid(35, "track 2 has no separator");
      return false;
    }
    pan = track2.substr(0, sep);
    track_expiry = track2.substr(sep + 1, 4);
  } else if (m.has(45)) {
    pan_field = 45;
    auto track1 = crypto::parse_track1(m.get(45));
    if (!track1) {
      *error = invalid(45, track1.error().message);  // names the part at fault, not its content
      return false;
    }
    pan = track1->pan;
    track_expiry = track1->expiry_yymm;
  } else {
    return true;  // reversals and network messages may come without a card
  }
  if (!is_valid_pan(pan)) {
    *error = invalid(pan_field, "PAN must be 12 to 19 digits");
    return false;
  }
  out->has_pan = true;
  out->pan_hash = hasher.hash(pan);
  out->masked_pan = mask_pan(pan);
  uint64_t expiry = 0;
  if (m.has(14)) {
    if (!optional_number(m, 14, 4, &expiry, error) || m.get(14).size() != 4) {
      *error = invalid(14, "expiry must be YYMM");
      return false;
    }
  } else if (track_expiry.size() == 4 && !digits_value(track_expiry, &expiry)) {
    *error = invalid(pan_field, "track expiry must be YYMM");
    return false;
  }
  if (expiry != 0 && (expiry % 100 < 1 || expiry % 100 > 12)) {
    *error = invalid(m.has(14) ? 14 : pan_field, "expiry month out of range");
    return false;
  }
  out->expiry_yymm = static_cast<uint16_t>(expiry);
  return true;
}

// DE 6 is the scheme's conversion of DE 4; both are independent 12-digit fields on the wire.
// Neither may be many orders of magnitude away from the other (kMaxImpliedRate), nor billed
// when nothing was spent.
bool plausible_billing(const CardMessage& m, TranslateError* error) {
  const int64_t txn = m.amount_minor;
  const int64_t billed = m.billing_amount_minor;
  if (billed == 0) return true;
  if (txn == 0) {
    *error = invalid(6, "a billing amount with a zero transaction amount (field 4)");
    return false;
  }
  const int64_t larger = std::max(txn, billed);
  const int64_t smaller = std::min(txn, billed);
  if (static_cast<Wide>(larger) > static_cast<Wide>(smaller) * kMaxImpliedRate) {
    *error = invalid(6, "billing amount implies a rate beyond 1:" + std::to_string(kMaxImpliedRate) +
                            " to the transaction amount (field 4)");
    return false;
  }
  return true;
}

bool read_amounts(const iso8583::Message& m, CardMessage* out, TranslateError* error) {
  uint64_t v = 0;
  if (!required_number(m, 4, 12, "amount, transaction", &v, error)) return false;
  out->amount_minor = static_cast<int64_t>(v);
  v = 0;
  if (!required_number(m, 49, 3, "currency code, transaction", &v, error)) return false;
  out->currency = Currency{static_cast<uint16_t>(v)};
  v = 0;
  if (!optional_number(m, 6, 12, &v, error)) return false;
  out->billing_amount_minor = static_cast<int64_t>(v);
  v = 0;
  if (!optional_number(m, 51, 3, &v, error)) return false;
  if (m.has(6) && !m.has(51)) {
    *error = missing(51, "currency code, cardholder billing, with field 6");
    return false;
  }
  out->billing_currency = Currency{static_cast<uint16_t>(v)};
  return plausible_billing(*out, error);
}

bool read_merchant(const iso8583::Message& m, CardMessage* out, TranslateError* error) {
  uint64_t v = 0;
  if (!optional_number(m, 3, 6, &v, error)) return false;
  out->processing_code = static_cast<uint32_t>(v);
  out->transaction_type = transaction_type(out->processing_code);
  v = 0;
  if (!optional_number(m, 18, 4, &v, error)) return false;
  out->mcc = static_cast<uint16_t>(v);
  v = 0;
  if (!optional_number(m, 19, 3, &v, error)) return false;
  out->acquirer_country = static_cast<uint16_t>(v);
  v = 0;
  // 1987: n3 entry mode; 1993: an12 POS data code, whose first positions are not digits-only.
  if (m.has(22) && m.get(22).size() <= 4 && !optional_number(m, 22, 4, &v, error)) return false;
  out->pos_entry_mode = static_cast<uint16_t>(v > 999 ? v / 10 : v);
  v = 0;
  if (m.has(25) && m.get(25).size() == 2 && !optional_number(m, 25, 2, &v, error)) return false;
  out->pos_condition = static_cast<uint8_t>(v);
  out->channel = channel(out->pos_entry_mode, out->pos_condition);
  if (m.has(41)) copy_chars(m.get(41), &out->terminal_id);
  if (m.has(42)) copy_chars(m.get(42), &out->merchant_id);
  if (m.has(37)) copy_chars(m.get(37), &out->retrieval_reference);
  if (m.has(38)) copy_chars(m.get(38), &out->advice_approval_code);
  if (m.has(39) && m.get(39).size() >= 2) {
    const std::string_view rc = m.get(39);
    // 1993 action codes (3 digits): 000 and 001 are approvals, like 1987's 00.
    const bool approved = rc == "00" || rc == "000" || rc == "001";
    copy_chars(approved ? std::string_view("00") : rc.substr(0, 2), &out->advice_response_code);
  }
  return true;
}

// DE 90 (1987, n42): MTI 4, STAN 6, transmission date/time 10, acquirer 11, forwarding 11.
bool read_original(const iso8583::Message& m, CardMessage* out, TranslateError* error) {
  if (m.has(90)) {
    const std::string_view v = m.get(90);
    uint64_t mti = 0, stan = 0, time = 0, acquirer = 0;
    if (v.size() != 42 || !digits_value(v.substr(0, 4), &mti) || !digits_value(v.substr(4, 6), &stan) ||
        !digits_value(v.substr(10, 10), &time) || !digits_value(v.substr(20, 11), &acquirer)) {
      *error = invalid(90, "original data elements must be 42 digits (MTI, STAN, time, acquirer, forwarder)");
      return false;
    }
    out->has_original = true;
    out->original_mti = static_cast<uint16_t>(mti);
    out->original_key = engine::MessageKey{acquirer, static_cast<uint32_t>(stan), time};
  }
  if (m.has(95)) {
    uint64_t replacement = 0;
    const std::string_view v = m.get(95);
    if (v.size() < 12 || !digits_value(v.substr(0, 12), &replacement)) {
      *error = invalid(95, "replacement amounts must start with 12 digits");
      return false;
    }
    // A replacement amount is what stays of the original: never more than it (DE 4).
    if (static_cast<int64_t>(replacement) > out->amount_minor) {
      *error = invalid(95, "replacement amount above the transaction amount (field 4)");
      return false;
    }
    out->has_replacement_amount = true;
    out->replacement_amount_minor = static_cast<int64_t>(replacement);
  }
  return true;
}

bool read_key(const iso8583::Message& m, CardMessage* out, TranslateError* error) {
  uint64_t stan = 0, time = 0, acquirer = 0, forwarder = 0;
  if (!required_number(m, 11, 6, "systems trace audit number", &stan, error)) return false;
  if (!required_number(m, 7, 10, "transmission date and time", &time, error)) return false;
  if (!optional_number(m, 32, 11, &acquirer, error)) return false;
  if (!optional_number(m, 33, 11, &forwarder, error)) return false;
  out->key = engine::MessageKey{acquirer, static_cast<uint32_t>(stan), time};
  out->forwarding_id = forwarder;
  return true;
}

}  // namespace

PanHasher::PanHasher(const std::array<uint8_t, 32>& key) : key_(key) {}

cards::PanHash PanHasher::hash(std::string_view pan) const {
  uint8_t digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  const uint8_t* ok = HMAC(EVP_sha256(), key_.data(), static_cast<int>(key_.size()),
                           reinterpret_cast<const uint8_t*>(pan.data()), pan.size(), digest, &size);
  HF_ASSERT(ok != nullptr && size >= 16);
  cards::PanHash h;
  std::copy_n(digest, h.bytes.size(), h.bytes.begin());
  return h;
}

bool is_valid_pan(std::string_view pan) { return pan.size() >= 12 && pan.size() <= 19 && all_digits(pan); }

cards::MaskedPan mask_pan(std::string_view pan) {
  HF_REQUIRE(is_valid_pan(pan));
  cards::MaskedPan m;
  std::copy_n(pan.begin(), 6, m.first6.begin());
  std::copy_n(pan.end() - 4, 4, m.last4.begin());
  m.length = static_cast<uint8_t>(pan.size());
  return m;
}

Result<CardMessage, TranslateError> to_card_message(const iso8583::Message& message,
                                                    const PanHasher& pan_hasher) {
  CardMessage out;
  bool repeat = false;
  const auto kind = kind_of(message.mti(), &repeat);
  if (!kind)
    return TranslateError{
        TranslateErrc::unsupported_message, 0,
        "MTI " + std::string(message.mti()) + " is not a request or advice holdfast answers"};
  out.kind = *kind;
  out.repeat = repeat;
  out.mti = static_cast<uint16_t>(std::stoi(std::string(message.mti())));
  TranslateError error{TranslateErrc::invalid_field, 0, ""};
  if (out.kind == MessageKind::network_management) {
    uint64_t code = 0, stan = 0, time = 0, acquirer = 0;
    if (!required_number(message, 70, 3, "network management information code", &code, &error) ||
        !required_number(message, 11, 6, "systems trace audit number", &stan, &error) ||
        !optional_number(message, 7, 10, &time, &error) ||
        !optional_number(message, 32, 11, &acquirer, &error))
      return error;
    out.network_code = static_cast<uint16_t>(code);
    out.network_function = code == 1     ? engine::NetworkFunction::sign_on
                           : code == 2   ? engine::NetworkFunction::sign_off
                           : code == 301 ? engine::NetworkFunction::echo
                                         : engine::NetworkFunction::other;
    out.key = engine::MessageKey{acquirer, static_cast<uint32_t>(stan), time};
    return out;
  }
  if (!read_key(message, &out, &error) || !read_card(message, pan_hasher, &out, &error) ||
      !read_amounts(message, &out, &error) || !read_merchant(message, &out, &error) ||
      !read_original(message, &out, &error))
    return error;
  const bool is_reversal =
      out.kind == MessageKind::reversal_request || out.kind == MessageKind::reversal_advice;
  if (!out.has_pan && !is_reversal) return missing(2, "primary account number");
  return out;
}

}  // namespace holdfast::gateway
