#include "security/verifier.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <algorithm>
#include <optional>

#include "crypto/cvv.h"
#include "crypto/digits.h"
#include "crypto/dynamic_cvv.h"
#include "crypto/emv.h"
#include "crypto/pboc.h"
#include "crypto/pin_block.h"
#include "crypto/pin_verify.h"
#include "crypto/primitives.h"
#include "crypto/track.h"
#include "iso8583/tlv.h"
#include "security/pan_cipher.h"

namespace holdfast::security {
namespace {

using crypto::Bytes;
using crypto::ByteSpan;
using engine::CheckResult;

bool digits(std::string_view s) { return !s.empty() && crypto::is_digits(s); }

ByteSpan bytes_of(std::string_view s) { return {reinterpret_cast<const uint8_t*>(s.data()), s.size()}; }

// Wipes a std::string that held a PIN or a clear block on every path out.
struct Wipe {
  std::string& s;
  ~Wipe() {
    if (!s.empty()) OPENSSL_cleanse(s.data(), s.size());
  }
};

std::string two_digits(unsigned v) {
  return std::string{static_cast<char>('0' + v / 10 % 10), static_cast<char>('0' + v % 10)};
}

std::string expiry_digits(uint16_t yymm) { return two_digits(yymm / 100u) + two_digits(yymm % 100u); }

enum class Parse { absent, ok, malformed };

// A track as carried (DE 35 track 2, DE 45 track 1), with the Visa layout of its discretionary
// data: PVKI (1) PVV (4) CVV (3) [anything else, ignored]. `cvv` is empty when the
// discretionary data is too short or not digits there.
struct Track {
  int field = 0;
  Parse state = Parse::absent;
  crypto::TrackData data;
  std::string_view cvv;
};

Track read_track(const iso8583::Message& m, int field) {
  Track t;
  t.field = field;
  if (!m.has(field)) return t;
  auto parsed = field == 35 ? crypto::parse_track2(m.get(field)) : crypto::parse_track1(m.get(field));
  if (!parsed) {
    t.state = Parse::malformed;
    return t;
  }
  t.state = Parse::ok;
  t.data = *parsed;
  const std::string_view d = t.data.discretionary;
  if (d.size() >= 8 && crypto::is_digits(d.substr(5, 3))) t.cvv = d.substr(5, 3);
  return t;
}

// Two results on one value (both tracks carried): the worse one stands.
CheckResult worse(CheckResult a, CheckResult b) {
  auto rank = [](CheckResult r) {
    switch (r) {
      case CheckResult::not_present: return 0;
      case CheckResult::not_checked: return 1;
      case CheckResult::match: return 2;
      case CheckResult::mismatch: return 3;
      case CheckResult::malformed: return 4;
    }
    return 4;
  };
  return rank(a) >= rank(b) ? a : b;
}

// DE 48: [TCC] then "SS LL value" subelements; finds SE 92.
Parse find_cvv2(const iso8583::Message& m, std::string_view* cvv2) {
  if (!m.has(48)) return Parse::absent;
  std::string_view v = m.get(48);
  if (!v.empty() && (v[0] < '0' || v[0] > '9')) v.remove_prefix(1);
  Parse found = Parse::absent;
  while (!v.empty()) {
    if (v.size() < 4 || !crypto::is_digits(v.substr(0, 4))) return Parse::malformed;
    const std::string_view id = v.substr(0, 2);
    const size_t len = static_cast<size_t>((v[2] - '0') * 10 + (v[3] - '0'));
    if (v.size() < 4 + len) return Parse::malformed;
    if (id == "92") {
      *cvv2 = v.substr(4, len);
      found = len == 3 && crypto::is_digits(*cvv2) ? Parse::ok : Parse::malformed;
    }
    v.remove_prefix(4 + len);
  }
  return found;
}

CheckResult check_cvv(const KeyStore* keys, std::string_view pan, std::string_view expiry,
                      std::string_view service_code, std::string_view presented) {
  if (keys == nullptr) return CheckResult::not_checked;
  const auto cvks = keys->for_card(KeyType::cvk, pan);
  if (cvks.empty()) return CheckResult::not_checked;
  const crypto::CvvInput in{pan, expiry, service_code};
  bool any_ok = false;
  for (const KeyEntry* k : cvks) {
    auto r = crypto::verify_cvv(in, k->key.span().first(8), k->key.span().subspan(8, 8), presented);
    if (!r) continue;
    any_ok = true;
    if (*r) return CheckResult::match;
  }
  return any_ok ? CheckResult::mismatch : CheckResult::malformed;
}

crypto::MasterKeyOption option_for(std::string_view pan) {
  return pan.size() > 16 ? crypto::MasterKeyOption::kB : crypto::MasterKeyOption::kA;
}

// Derives the card's key under each version of an issuer master key and runs `check` with it:
// a match under any version is a match; malformed when no version could compute at all.
template <typename Check>
CheckResult with_card_keys(const std::vector<const KeyEntry*>& imks, std::string_view pan,
                           std::string_view psn, Check check) {
  bool any_ok = false;
  for (const KeyEntry* k : imks) {
    auto card_key = crypto::derive_icc_master_key(k->key.span(), pan, psn, option_for(pan));
    if (!card_key) continue;
    const crypto::CryptoResult<bool> r = check(*card_key);
    crypto::cleanse(*card_key);
    if (!r) continue;
    any_ok = true;
    if (*r) return CheckResult::match;
  }
  return any_ok ? CheckResult::mismatch : CheckResult::malformed;
}

// Contactless magnetic-stripe mode (DE 22 91x): the track carries a value the card computed for
// this transaction, in holdfast's link profile (README.md, "Dynamic CVV and CVC3"):
//   Mastercard CVC3: discretionary = CVC3(3) UN(3) ATC(5) [static data], when the card's range
//                    has an imk_cvc3 key (card key: option A/B with the PSN on file);
//   Visa dCVV:       discretionary = PVKI(1) PVV(4) dCVV(3) ATC(4), when it has an imk_dcvv key
//                    (card key: option A/B with PSN 00).
// *atc receives the card's counter as the track gives it.
CheckResult check_dynamic(const KeyStore* keys, const Track& t, std::string_view pan, std::string_view psn,
                          uint16_t* atc) {
  if (t.state == Parse::malformed || t.data.pan != pan) return CheckResult::malformed;
  if (keys == nullptr) return CheckResult::not_checked;
  const std::string_view d = t.data.discretionary;
  if (const auto imks = keys->for_card(KeyType::imk_cvc3, pan); !imks.empty()) {
    constexpr size_t kDynamicDigits = 11;
    if (d.size() < kDynamicDigits || !crypto::is_digits(d.substr(0, kDynamicDigits)))
      return CheckResult::malformed;
    const std::string_view cvc3 = d.substr(0, 3), un = d.substr(3, 3), atc_digits = d.substr(6, 5);
    unsigned value = 0;
    for (const char c : atc_digits) value = value * 10 + static_cast<unsigned>(c - '0');
    if (value > 0xFFFF) return CheckResult::malformed;
    *atc = static_cast<uint16_t>(value);
    // The card MACs its static track: the one received with the dynamic digits as zeros.
    std::string static_track(t.data.body);
    static_track.replace(static_cast<size_t>(d.data() - t.data.body.data()), kDynamicDigits, kDynamicDigits,
                         '0');
    Bytes track_template;
    if (t.field == 35) {
      auto packed = crypto::track2_template_bytes(static_track);
      if (!packed) return CheckResult::malformed;
      track_template = std::move(*packed);
    } else {
      track_template.assign(static_track.begin(), static_track.end());
    }
    const Bytes un_bcd = *crypto::pack_nibbles("00000" + std::string(un));
    const Bytes atc_bytes{static_cast<uint8_t>(value >> 8), static_cast<uint8_t>(value & 0xFF)};
    return with_card_keys(imks, pan, psn, [&](const Bytes& key) -> crypto::CryptoResult<bool> {
      auto iv = crypto::compute_ivcvc3(key, track_template);
      if (!iv) return iv.error();
      return crypto::verify_cvc3(key, *iv, un_bcd, atc_bytes, cvc3);
    });
  }
  const auto imks = keys->for_card(KeyType::imk_dcvv, pan);
  if (imks.empty()) return CheckResult::not_checked;
  if (d.size() < 12 || !crypto::is_digits(d.substr(0, 12))) return CheckResult::malformed;
  const std::string_view dcvv = d.substr(5, 3), atc_digits = d.substr(8, 4);
  unsigned value = 0;
  for (const char c : atc_digits) value = value * 10 + static_cast<unsigned>(c - '0');
  *atc = static_cast<uint16_t>(value);
  return with_card_keys(imks, pan, "00", [&](const Bytes& key) {
    return crypto::verify_dcvv(key, pan, t.data.expiry_yymm, atc_digits, dcvv);
  });
}

// The PSN the number's card keys are derived with: the card's on file; 00 for a token (one
// device PAN, one key: wallets number tokens, not card sequences).
std::string psn_for(const cards::Card& card, const cards::Token* token) {
  return token != nullptr ? std::string("00") : two_digits(card.pan_sequence_number);
}

// The last verified counter of the number used: the token's own for a token, else the card's.
bool counter_replayed(const cards::Card& card, const cards::Token* token, uint16_t atc) {
  if (token != nullptr) return token->has_atc && atc <= token->last_atc;
  return card.has_atc && atc <= card.last_atc;
}

// The expiry CVV2 is computed over (YYMM digits): the card's on file; for a token, the token's
// own as the message carries it in DE 14 (holdfast keeps no token expiry). Empty: none.
std::string cvv2_expiry(const iso8583::Message& m, const cards::Card& card, const cards::Token* token) {
  if (token == nullptr) return card.expiry_yymm == 0 ? std::string() : expiry_digits(card.expiry_yymm);
  if (!m.has(14) || m.get(14).size() != 4 || !crypto::is_digits(m.get(14))) return {};
  return std::string(m.get(14));
}

void check_card_verification(const iso8583::Message& m, std::string_view pan, const cards::Card& card,
                             const cards::Token* token, const VerifyContext& ctx,
                             engine::SecurityResults* out) {
  const Track tracks[] = {read_track(m, 35), read_track(m, 45)};
  bool any_track = false;
  for (const Track& t : tracks) {
    if (t.state == Parse::absent) continue;
    any_track = true;
    if (t.state == Parse::ok && (t.data.service_code[0] == '2' || t.data.service_code[0] == '6'))
      out->chip_card = true;
  }
  const uint16_t pan_entry = ctx.pos_entry_mode / 10;

  if (ctx.channel == engine::Channel::card_present && any_track) {
    const bool chip_read = pan_entry == 5 || pan_entry == 7;
    if (pan_entry == 91) {
      out->card_verification_kind = engine::CardVerificationKind::dynamic_cvv;
      CheckResult result = CheckResult::not_present;
      for (const Track& t : tracks) {
        if (t.state == Parse::absent) continue;
        uint16_t atc = 0;
        CheckResult r = check_dynamic(ctx.keys, t, pan, psn_for(card, token), &atc);
        if (r == CheckResult::match) {
          // The value is only as fresh as its counter: one the card (or token) already used is
          // a replay.
          if (counter_replayed(card, token, atc)) r = CheckResult::mismatch;
          out->has_atc = true;
          out->atc = atc;
        }
        result = worse(result, r);
      }
      out->card_verification = result;
      return;
    }
    out->card_verification_kind =
        chip_read ? engine::CardVerificationKind::icvv : engine::CardVerificationKind::cvv1;
    CheckResult result = CheckResult::not_present;
    for (const Track& t : tracks) {
      if (t.state == Parse::absent) continue;
      if (t.state == Parse::malformed || t.cvv.empty() || t.data.pan != pan) {
        result = CheckResult::malformed;
        continue;
      }
      result = worse(result, check_cvv(ctx.keys, pan, t.data.expiry_yymm,
                                       chip_read ? crypto::kIcvvServiceCode : t.data.service_code, t.cvv));
    }
    out->card_verification = result;
    return;
  }
  std::string_view cvv2;
  const Parse cvv2_state = find_cvv2(m, &cvv2);
  if (cvv2_state == Parse::absent) {
    if (ctx.channel == engine::Channel::card_not_present) {
      out->card_verification_kind = engine::CardVerificationKind::cvv2;
    }
    return;  // not_present
  }
  out->card_verification_kind = engine::CardVerificationKind::cvv2;
  if (cvv2_state == Parse::malformed) {
    out->card_verification = CheckResult::malformed;
    return;
  }
  const std::string expiry = cvv2_expiry(m, card, token);
  if (expiry.empty()) {
    out->card_verification = CheckResult::not_checked;
    return;
  }
  out->card_verification = check_cvv(ctx.keys, pan, expiry, crypto::kCvv2ServiceCode, cvv2);
}

// An HSM's translate-then-verify: the block is translated (crypto::translate_pin_block) from the
// acquirer's zone (its ZPK and block format) into holdfast's verification zone, ISO format 4
// under an AES-256 key drawn for this one verification, and only that block is opened for the
// check. The acquirer's key serves for translation only, and the check sees one format whatever
// the acquirer sends. Returns the clear PIN, or empty with *no_key set when the acquirer has no
// zone key, or empty when no zone key translates the block (malformed).
std::string pin_from_block(const KeyStore& keys, std::string_view block, std::string_view acquirer,
                           std::string_view pan, bool* no_key) {
  const auto zpks = keys.for_acquirer(acquirer);
  *no_key = zpks.empty();
  if (zpks.empty()) return {};
  Bytes zone_key(32), fill(8);
  if (RAND_bytes(zone_key.data(), static_cast<int>(zone_key.size())) != 1 ||
      RAND_bytes(fill.data(), static_cast<int>(fill.size())) != 1) {
    *no_key = true;  // no verification zone: not checked, rather than a try held against the card
    return {};
  }
  const crypto::PinZone verification_zone{crypto::PinBlockFormat::kIso4, zone_key};
  std::string pin;
  for (const KeyEntry* k : zpks) {
    const size_t block_size = k->pin_block_format == crypto::PinBlockFormat::kIso4 ? 16 : 8;
    if (block.size() != block_size) continue;
    auto translated = crypto::translate_pin_block(bytes_of(block), {k->pin_block_format, k->key.span()},
                                                  verification_zone, pan, fill);
    if (!translated) continue;
    auto opened = crypto::decipher_pin_block_format4(zone_key, *translated, pan);
    if (opened) {
      pin = std::move(*opened);
      break;
    }
  }
  crypto::cleanse(zone_key);
  return pin;
}

// The card's PIN reference and the PVKs' verdict on `pin`: Visa PVV or IBM 3624 offset, as the
// card's product says.
CheckResult verify_pin(const std::vector<const KeyEntry*>& pvks, std::string_view pan, std::string_view pin,
                       cards::PinVerification method, std::string_view reference) {
  for (const KeyEntry* k : pvks) {
    crypto::CryptoResult<bool> r = false;
    if (method == cards::PinVerification::ibm3624_offset) {
      const Ibm3624Settings& s = k->ibm3624;
      crypto::Ibm3624Params params;
      params.validation_data = pan;
      params.decimalization_table = s.decimalization_table;
      params.pad_char = s.pad_char;
      params.validation_data_start = std::min<size_t>(s.validation_data_start, pan.size());
      params.validation_data_length =
          std::min<size_t>(s.validation_data_length, pan.size() - params.validation_data_start);
      // The customer's PIN has the offset's length; another length cannot match.
      if (pin.size() != reference.size()) return CheckResult::mismatch;
      r = crypto::ibm3624_verify(k->key.span(), params, pin, reference);
    } else {
      r = crypto::verify_pvv({pan, pin, k->pvki}, k->key.span().first(8), k->key.span().subspan(8, 8),
                             reference);
    }
    if (r && *r) return CheckResult::match;
  }
  return CheckResult::mismatch;
}

// `block_pan`: the number the PIN block was formatted with (the message's: a token's for a
// token); `card_pan`: the number the card's PVV or offset was computed over (the card's own).
CheckResult check_pin(const iso8583::Message& m, std::string_view block_pan, std::string_view card_pan,
                      const cards::Card& card, const cards::CardRange& range, const KeyStore* keys) {
  if (!m.has(52)) return CheckResult::not_present;
  const cards::PinVerification method = range.product.pin_verification;
  // The reference on file: the PVV, or the IBM 3624 offset ('\0'-padded digits).
  std::string_view reference;
  if (method == cards::PinVerification::ibm3624_offset) {
    const auto& o = card.pin_offset;
    reference =
        std::string_view(o.data(), static_cast<size_t>(std::find(o.begin(), o.end(), '\0') - o.begin()));
  } else {
    reference = std::string_view(card.pin_verification_value.data(), card.pin_verification_value.size());
    if (card.pin_verification_value[0] == '\0') reference = {};
  }
  if (reference.empty() || keys == nullptr || !digits(card_pan)) return CheckResult::not_checked;
  const auto pvks = keys->for_card(KeyType::pvk, card_pan);
  if (pvks.empty()) return CheckResult::not_checked;
  bool no_key = false;
  std::string pin = pin_from_block(*keys, m.get(52), m.get(32), block_pan, &no_key);
  Wipe wipe{pin};
  if (no_key) return CheckResult::not_checked;
  if (pin.empty()) return CheckResult::malformed;
  return verify_pin(pvks, card_pan, pin, method, reference);
}

// DE 55 as bytes: raw for a binary field, hex text otherwise.
bool icc_bytes(const iso8583::Message& m, const iso8583::MessageSpec* spec, Bytes* out) {
  const std::string_view v = m.get(55);
  if (spec != nullptr && spec->field(55).type == iso8583::FieldType::kB) {
    out->assign(v.begin(), v.end());
    return true;
  }
  auto b = crypto::pack_nibbles(v);
  if (!b) return false;
  *out = std::move(*b);
  return true;
}

struct IccData {
  ByteSpan arqc, iad, cid;
  Bytes terminal;  // 33 bytes
  uint16_t atc = 0;
};

// not_present: no ARQC (9F26); malformed: a tag missing or of the wrong length.
CheckResult read_icc(const Bytes& icc, IccData* d) {
  auto items = iso8583::parse_tlv(icc);
  if (!items) return CheckResult::malformed;
  // Terminal data order, with each tag's length.
  struct Want {
    uint32_t tag;
    size_t size;
    ByteSpan value{};
    bool seen = false;
  };
  Want want[] = {{0x9F02, 6}, {0x9F03, 6}, {0x9F1A, 2}, {0x95, 5}, {0x5F2A, 2},
                 {0x9A, 3},   {0x9C, 1},   {0x9F37, 4}, {0x82, 2}, {0x9F36, 2}};
  bool has_arqc = false, has_iad = false;
  for (const iso8583::TlvItem& it : *items) {
    if (it.tag == 0x9F26) {
      d->arqc = it.value;
      has_arqc = true;
    } else if (it.tag == 0x9F10) {
      d->iad = it.value;
      has_iad = true;
    } else if (it.tag == 0x9F27) {
      d->cid = it.value;
    }
    for (Want& w : want) {
      if (w.tag == it.tag) {
        w.value = it.value;
        w.seen = true;
      }
    }
  }
  if (!has_arqc) return CheckResult::not_present;
  if (d->arqc.size() != 8 || !has_iad) return CheckResult::malformed;
  if (!d->cid.empty() && (d->cid.size() != 1 || (d->cid[0] & 0xC0) != 0x80)) return CheckResult::malformed;
  for (const Want& w : want) {
    if (!w.seen || w.value.size() != w.size) return CheckResult::malformed;
    d->terminal.insert(d->terminal.end(), w.value.begin(), w.value.end());
  }
  d->atc = static_cast<uint16_t>(d->terminal[31] << 8 | d->terminal[32]);
  return CheckResult::match;  // read fine
}

// Returns the IMK entry whose ARQC verifies, nullptr otherwise; *result says why.
const KeyEntry* verify_icc(const KeyStore* keys, std::string_view pan, std::string_view psn, const IccData& d,
                           CheckResult* result, crypto::CryptogramVersion* version) {
  if (keys == nullptr) {
    *result = CheckResult::not_checked;
    return nullptr;
  }
  const auto imks = keys->for_card(KeyType::imk_ac, pan);
  if (imks.empty()) {
    *result = CheckResult::not_checked;
    return nullptr;
  }
  *result = CheckResult::mismatch;
  for (const KeyEntry* k : imks) {
    crypto::ArqcVerification req;
    req.issuer_master_key = k->key.span();
    req.pan = pan;
    req.psn = psn;
    req.terminal_data = d.terminal;
    req.iad = d.iad;
    req.arqc = d.arqc;
    auto v = crypto::verify_arqc(req);
    if (!v) {
      *result = CheckResult::malformed;  // unknown IAD layout or unusable data
      return nullptr;
    }
    if (v->valid) {
      *result = CheckResult::match;
      *version = v->version;
      return k;
    }
  }
  return nullptr;
}

// DE 2, else the PAN of track 2, else of track 1. Read leniently: a track that does not parse
// is still checked (and found malformed) against the PAN it starts with.
std::string_view request_pan(const iso8583::Message& m) {
  if (m.has(2)) return m.get(2);
  if (m.has(35)) {
    std::string_view t = m.get(35);
    if (t.starts_with(';')) t.remove_prefix(1);
    return t.substr(0, t.find_first_of("=D"));
  }
  std::string_view t = m.get(45);
  if (t.starts_with('%')) t.remove_prefix(1);
  if (t.starts_with('B')) t.remove_prefix(1);
  return t.substr(0, t.find('^'));
}

}  // namespace

engine::SecurityResults verify(const iso8583::Message& request, const cards::Card& card,
                               const cards::CardRange& range, const VerifyContext& ctx, const TokenUse* use) {
  engine::SecurityResults out;
  const std::string_view pan = request_pan(request);
  if (!digits(pan)) return out;
  const cards::Token* token = use != nullptr ? use->token : nullptr;
  check_card_verification(request, pan, card, token, ctx, &out);
  out.pin = check_pin(request, pan, token != nullptr ? use->card_pan : pan, card, range, ctx.keys);
  if (request.has(55)) {
    Bytes icc;
    IccData d;
    if (!icc_bytes(request, ctx.spec, &icc)) {
      out.cryptogram = CheckResult::malformed;
    } else if (const CheckResult read = read_icc(icc, &d); read != CheckResult::match) {
      out.cryptogram = read;
    } else {
      out.has_atc = true;
      out.atc = d.atc;
      crypto::CryptogramVersion version{};
      (void)verify_icc(ctx.keys, pan, psn_for(card, token), d, &out.cryptogram, &version);
    }
  }
  return out;
}

bool response_icc_data(const iso8583::Message& request, const iso8583::MessageSpec& spec,
                       std::array<char, 2> response_code, std::string_view psn, const KeyStore& keys,
                       std::string* de55) {
  if (!request.has(55) || !spec.field(55).defined()) return false;
  const std::string_view pan = request_pan(request);
  if (!digits(pan)) return false;
  Bytes icc;
  IccData d;
  if (!icc_bytes(request, &spec, &icc) || read_icc(icc, &d) != CheckResult::match) return false;
  CheckResult result{};
  crypto::CryptogramVersion v{};
  const KeyEntry* imk = verify_icc(&keys, pan, psn, d, &result, &v);
  if (imk == nullptr) return false;  // only a verified ARQC is answered with an ARPC
  using V = crypto::CryptogramVersion;
  if (v == V::kPbocCvn01Sm4) return false;  // SM4 ARPC is not implemented in src/crypto
  const auto option =
      pan.size() > 16 && v != V::kVisaCvn10 ? crypto::MasterKeyOption::kB : crypto::MasterKeyOption::kA;
  auto mk = crypto::derive_icc_master_key(imk->key.span(), pan, psn, option);
  if (!mk) return false;
  Bytes key;
  const ByteSpan atc = ByteSpan(d.terminal).subspan(31, 2);
  if (v == V::kVisaCvn10) {
    key = *mk;
  } else if (v == V::kPbocCvn01Tdes) {
    auto sk = crypto::pboc_tdes_session_key(*mk, atc);
    if (!sk) return false;
    key = std::move(*sk);
  } else {
    Bytes r(8, 0);
    r[0] = atc[0];
    r[1] = atc[1];
    if (v == V::kMastercardCvn16 || v == V::kMastercardCvn17) {
      for (size_t i = 0; i < 4; ++i) r[4 + i] = d.terminal[25 + i];
    }
    auto sk = crypto::derive_session_key_emv_csk(*mk, r);
    if (!sk) return false;
    key = std::move(*sk);
  }
  crypto::cleanse(*mk);
  const Bytes arc{static_cast<uint8_t>(response_code[0]), static_cast<uint8_t>(response_code[1])};
  Bytes tag91;
  if (v == V::kVisaCvn18 || v == V::kVisaCvn22) {
    const bool approved = response_code[0] == '0' && (response_code[1] == '0' || response_code[1] == '8');
    const Bytes csu{0x00, static_cast<uint8_t>(approved ? 0x80 : 0x00), 0x00, 0x00};
    auto arpc = crypto::arpc_method2(key, d.arqc, csu, {});
    if (!arpc) return false;
    tag91 = crypto::concat(*arpc, csu);
  } else {
    auto arpc = crypto::arpc_method1(key, d.arqc, arc);
    if (!arpc) return false;
    tag91 = crypto::concat(*arpc, arc);
  }
  crypto::cleanse(key);
  Bytes tlv{0x91, static_cast<uint8_t>(tag91.size())};
  tlv.insert(tlv.end(), tag91.begin(), tag91.end());
  if (spec.field(55).type == iso8583::FieldType::kB) {
    de55->assign(tlv.begin(), tlv.end());
  } else {
    *de55 = crypto::unpack_nibbles(tlv);
  }
  return true;
}

void SecurityStage::check(const engine::Engine& engine, iso8583::Message& request,
                          engine::CardMessage* message) const {
  if (!message->has_pan) return;
  const bool carries =
      request.has(35) || request.has(45) || request.has(48) || request.has(52) || request.has(55);
  if (!carries) return;
  // The number is a card's, or a wallet token's standing for its card.
  const cards::Token* token = nullptr;
  const cards::Card* card = engine.find_card(message->pan_hash);
  if (card == nullptr) {
    token = engine.find_token(message->pan_hash);
    if (token != nullptr) card = engine.find_card(token->card);
  }
  const cards::CardRange* range = card ? engine.find_card_range(card->range) : nullptr;
  if (card == nullptr || range == nullptr) return;  // the engine declines an unknown card
  const std::shared_ptr<const KeyStore> keys = keys_ ? keys_->current() : nullptr;
  const VerifyContext ctx{keys.get(), spec_, message->pos_entry_mode, message->channel};
  TokenUse use{token, {}};
  // A token's PIN is the card's, checked over the card's own number (decrypted only for a PIN).
  std::optional<std::string> card_pan;
  if (token != nullptr && request.has(52) && keys && card->encrypted_pan_size > 0)
    card_pan = decrypt_pan(*keys, card->encrypted_pan.data(), card->encrypted_pan_size);
  struct WipePan {
    std::optional<std::string>& p;
    ~WipePan() {
      if (p && !p->empty()) OPENSSL_cleanse(p->data(), p->size());
    }
  } wipe_pan{card_pan};
  if (card_pan) use.card_pan = *card_pan;
  message->security = verify(request, *card, *range, ctx, token != nullptr ? &use : nullptr);
  if (request.has(55)) request.set(23, std::string("0").append(psn_for(*card, token)));
}

void SecurityStage::add_arpc(const iso8583::Message& request, std::array<char, 2> response_code,
                             iso8583::Message* response) const {
  if (keys_ == nullptr || spec_ == nullptr || !request.has(55)) return;
  const std::shared_ptr<const KeyStore> keys = keys_->current();
  if (!keys) return;
  const std::string_view de23 = request.get(23);
  const std::string psn = de23.size() == 3 ? std::string(de23.substr(1)) : std::string("00");
  std::string de55;
  if (response_icc_data(request, *spec_, response_code, psn, *keys, &de55)) response->set(55, de55);
}

}  // namespace holdfast::security
