#include "gateway/clearing_translate.h"

#include <openssl/evp.h>

#include <algorithm>
#include <string>

#include "base/assert.h"
#include "base/country.h"
#include "base/time.h"

namespace holdfast::gateway {
namespace {

using clearing::ClearingRecord;
using clearing::RecordKind;

// DE numbers of the fields a clearing record carries (ISO 8583:1993).
constexpr int kDePan = 2;
constexpr int kDeAmount = 4;
constexpr int kDeBilling = 6;
constexpr int kDeCountry = 19;
constexpr int kDeReason = 25;
constexpr int kDeMcc = 26;
constexpr int kDeArn = 31;
constexpr int kDeRrn = 37;
constexpr int kDeApproval = 38;
constexpr int kDeLocation = 43;

TranslateError invalid(int de, std::string_view name, const std::string& why) {
  return TranslateError{TranslateErrc::invalid_field, de,
                        "field " + std::to_string(de) + " (" + std::string(name) + "): " + why};
}

engine::PresentmentKind presentment_kind(RecordKind kind) {
  switch (kind) {
    case RecordKind::kFirstPresentment: return engine::PresentmentKind::first_presentment;
    case RecordKind::kFirstPresentmentReversal: return engine::PresentmentKind::first_presentment_reversal;
    case RecordKind::kSecondPresentment: return engine::PresentmentKind::second_presentment;
    case RecordKind::kChargeback:
    case RecordKind::kChargebackReversal:
    case RecordKind::kArbitrationChargeback: return engine::PresentmentKind::other;
  }
  return engine::PresentmentKind::other;
}

bool is_alnum(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
  });
}

// Copies a fixed-length alphanumeric reference (approval code, RRN); empty leaves all '\0'.
template <size_t N>
bool copy_reference(std::string_view text, std::array<char, N>* out) {
  if (text.empty()) return true;
  if (text.size() != N || !is_alnum(text)) return false;
  std::copy_n(text.begin(), N, out->begin());
  return true;
}

bool valid_money(const Money& m) { return m.minor >= 0 && m.currency.code != 0; }

}  // namespace

engine::Digest16 digest16(std::string_view text) {
  std::array<uint8_t, EVP_MAX_MD_SIZE> md{};
  unsigned int size = 0;
  const int ok = EVP_Digest(text.data(), text.size(), md.data(), &size, EVP_sha256(), nullptr);
  HF_ASSERT(ok == 1 && size == 32);  // SHA-256 cannot fail on a valid buffer
  engine::Digest16 d;
  std::copy_n(md.begin(), d.bytes.size(), d.bytes.begin());
  return d;
}

Result<engine::Presentment, TranslateError> to_presentment(const ClearingRecord& record,
                                                           const PanHasher& pan_hasher) {
  engine::Presentment p;
  if (record.record_id.empty())
    return TranslateError{TranslateErrc::missing_field, 0,
                          "record id is required (applied at most once by it)"};
  p.kind = presentment_kind(record.kind);
  p.function_code = record.function_code;
  p.partial = record.partial;
  p.record_id = digest16(record.record_id);

  if (record.arn.size() > p.arn_text.size())
    return invalid(kDeArn, "ARN", "longer than " + std::to_string(p.arn_text.size()) + " characters");
  if (!record.arn.empty()) {
    const bool printable =
        std::all_of(record.arn.begin(), record.arn.end(), [](char c) { return c >= ' ' && c <= '~'; });
    if (!printable) return invalid(kDeArn, "ARN", "only printable ASCII characters");
    p.arn = digest16(record.arn);
    std::copy(record.arn.begin(), record.arn.end(), p.arn_text.begin());
  }

  if (!is_valid_pan(record.pan)) return invalid(kDePan, "PAN", "must be 12 to 19 digits");
  p.pan_hash = pan_hasher.hash(record.pan);
  p.masked_pan = mask_pan(record.pan);

  if (!valid_money(record.amount))
    return invalid(kDeAmount, "amount, transaction", "needs a non-negative amount and a currency");
  p.amount_minor = record.amount.minor;
  p.currency = record.amount.currency;
  if (record.billing) {
    if (!valid_money(*record.billing))
      return invalid(kDeBilling, "amount, cardholder billing", "needs a non-negative amount and a currency");
    p.billing_amount_minor = record.billing->minor;
    p.billing_currency = record.billing->currency;
  }

  if (!copy_reference(record.approval_code, &p.approval_code))
    return invalid(kDeApproval, "approval code", "must be 6 letters or digits");
  if (!copy_reference(record.rrn, &p.retrieval_reference))
    return invalid(kDeRrn, "retrieval reference number", "must be 12 letters or digits");
  p.mcc = record.mcc.value_or(0);
  if (p.mcc > 9999) return invalid(kDeMcc, "MCC", "must be 4 digits");

  // DE 19 gives the numeric code; without it the reader takes the alpha-3 ending DE 43.
  const std::string& country = record.country;
  const auto all_of = [&](char low, char high) {
    return country.size() == 3 &&
           std::all_of(country.begin(), country.end(), [&](char c) { return c >= low && c <= high; });
  };
  if (all_of('0', '9')) {
    p.acquirer_country = static_cast<uint16_t>(std::stoi(country));
  } else if (all_of('A', 'Z')) {
    const auto code = country_numeric(country);
    if (!code)
      return invalid(kDeLocation, "card acceptor country",
                     "'" + country + "' is not an ISO 3166 alpha-3 code");
    p.acquirer_country = *code;
  } else if (!country.empty()) {
    return invalid(kDeCountry, "acquirer country", "must be ISO 3166 numeric (3 digits) or alpha-3");
  }

  switch (record.card_presence) {
    case clearing::CardPresence::kPresent: p.channel = cards::UseChannel::card_present; break;
    case clearing::CardPresence::kNotPresent: p.channel = cards::UseChannel::card_not_present; break;
    case clearing::CardPresence::kUnknown: p.channel = cards::UseChannel::any; break;
  }

  if (record.local_time) {
    const clearing::LocalDateTime& t = *record.local_time;
    const int64_t days = days_from_civil(t.year, t.month, t.day);
    p.transaction_time =
        Timestamp::from_seconds(days * kSecondsPerDay + t.hour * 3600 + t.minute * 60 + t.second);
    // The acceptor's country bounds the offset (unknown country: anywhere on earth).
    const UtcOffsetRange offsets = utc_offset_range(p.acquirer_country);
    p.utc_offset_min_minutes = offsets.min_minutes;
    p.utc_offset_max_minutes = offsets.max_minutes;
  }
  p.reason_code = record.reason_code.value_or(0);
  if (p.reason_code > 9999) return invalid(kDeReason, "message reason code", "must be 4 digits");
  return p;
}

}  // namespace holdfast::gateway
