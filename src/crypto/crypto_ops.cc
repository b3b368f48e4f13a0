// Dispatcher for the `holdfast crypto` contract. Handlers read typed fields through Fields,
// which reports a RequestError naming the field; run_crypto_op converts every failure into an
// {"id", "error"} response, so nothing escapes.
#include "crypto/crypto_ops.h"

#include <algorithm>
#include <functional>
#include <initializer_list>
#include <map>
#include <stdexcept>
#include <string>

#include "base/hex.h"
#include "crypto/cvv.h"
#include "crypto/digits.h"
#include "crypto/dukpt.h"
#include "crypto/dynamic_cvv.h"
#include "crypto/emv.h"
#include "crypto/keys.h"
#include "crypto/luhn.h"
#include "crypto/mac.h"
#include "crypto/pin_block.h"
#include "crypto/pin_verify.h"
#include "crypto/primitives.h"

namespace holdfast::crypto {
namespace {

using nlohmann::json;

struct RequestError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

template <typename T>
T take(CryptoResult<T>&& r) {
  if (!r.ok()) throw RequestError(r.error().message);
  return std::move(r).value();
}

// As take(), naming the field the failure is about when the algorithm's message cannot.
template <typename T>
T take(CryptoResult<T>&& r, const char* field) {
  if (!r.ok()) throw RequestError(std::string("field '") + field + "': " + r.error().message);
  return std::move(r).value();
}

// Typed access to the "in" object; every failure names the field.
class Fields {
 public:
  explicit Fields(const json& in) : in_(in) {}

  bool has(const char* name) const { return in_.contains(name) && !in_.at(name).is_null(); }

  std::string text(const char* name) const {
    if (!has(name)) fail(name, "is missing");
    if (!in_.at(name).is_string()) fail(name, "must be a string");
    return in_.at(name).get<std::string>();
  }
  std::string text_or(const char* name, std::string fallback) const {
    return has(name) ? text(name) : fallback;
  }
  std::string digits(const char* name) const {
    std::string s = text(name);
    if (!is_digits(s)) fail(name, "must be a decimal digit string");
    return s;
  }
  Bytes hex(const char* name) const {
    auto b = from_hex(text(name));
    if (!b) fail(name, "must be hex of whole bytes");
    return std::move(*b);
  }
  Bytes hex(const char* name, size_t size) const {
    Bytes b = hex(name);
    if (b.size() != size) fail(name, "must be " + std::to_string(size) + " bytes");
    return b;
  }
  // A key whose length must be one of `sizes`.
  Bytes key(const char* name, std::initializer_list<size_t> sizes) const {
    Bytes b = hex(name);
    if (std::find(sizes.begin(), sizes.end(), b.size()) == sizes.end()) {
      std::string allowed;
      for (size_t n : sizes) {
        if (!allowed.empty()) allowed += '/';  // appending, not "/" + string: no g++ 12 -Wrestrict
        allowed += std::to_string(n);
      }
      fail(name, "must be " + allowed + " bytes");
    }
    return b;
  }
  int64_t number(const char* name) const {
    if (!has(name)) fail(name, "is missing");
    if (!in_.at(name).is_number_integer()) fail(name, "must be an integer");
    return in_.at(name).get<int64_t>();
  }
  int64_t number_or(const char* name, int64_t fallback) const { return has(name) ? number(name) : fallback; }
  // Accepts 1 or "1" for small enumerations written either way.
  std::string choice(const char* name) const {
    if (has(name) && in_.at(name).is_number_integer()) return std::to_string(number(name));
    return text(name);
  }

  [[noreturn]] static void fail(const char* name, const std::string& why) {
    throw RequestError(std::string("field '") + name + "' " + why);
  }

 private:
  const json& in_;
};

std::string hx(ByteSpan b) { return to_hex(b); }

json op_cvv(const Fields& f) {
  const std::string pan = f.digits("pan"), exp = f.digits("expiry_yymm"), sc = f.digits("service_code");
  return {{"cvv", take(compute_cvv({pan, exp, sc}, f.hex("cvk_a", 8), f.hex("cvk_b", 8)))}};
}

// Visa dCVV under the card's key (icc_key: 16 bytes, e.g. from emv_icc_master_key).
json op_dcvv(const Fields& f) {
  const Bytes key = f.key("icc_key", {16});
  const std::string pan = f.digits("pan"), expiry = f.digits("expiry_yymm"), atc = f.digits("atc");
  return {{"dcvv", take(compute_dcvv(key, pan, expiry, atc))}};
}

// Mastercard CVC3: the IVCVC3 over the static track (track2 text, or track1 text as ASCII),
// then the CVC3 for the UN (4 bytes) and ATC (2 bytes).
json op_cvc3(const Fields& f) {
  const Bytes key = f.key("icc_key", {16});
  Bytes track_template;
  if (f.has("track2")) {
    track_template = take(track2_template_bytes(f.text("track2")), "track2");
  } else {
    const std::string t = f.text("track1");
    track_template.assign(t.begin(), t.end());
  }
  const Bytes un = f.hex("un", 4), atc = f.hex("atc", 2);
  const Bytes iv = take(compute_ivcvc3(key, track_template));
  return {{"ivcvc3", hx(iv)}, {"cvc3", take(compute_cvc3(key, iv, un, atc))}};
}

json op_pvv(const Fields& f) {
  const std::string pan = f.digits("pan"), pin = f.digits("pin"), pvki = f.digits("pvki");
  return {{"pvv", take(compute_pvv({pan, pin, pvki}, f.hex("pvk_a", 8), f.hex("pvk_b", 8)))}};
}

json op_ibm3624(const Fields& f, bool want_offset) {
  const std::string data = f.text("validation_data"), table = f.digits("decimalization_table");
  const std::string pad = f.text("pad_char");
  if (pad.size() != 1) Fields::fail("pad_char", "must be one hex character");
  const int64_t start = f.number("validation_data_start"), length = f.number("validation_data_length");
  if (start < 0 || start > 64) Fields::fail("validation_data_start", "must be 0..64");
  if (length < 1 || length > 16) Fields::fail("validation_data_length", "must be 1..16");
  const Ibm3624Params p{data, table, pad[0], static_cast<size_t>(start), static_cast<size_t>(length)};
  const Bytes pvk = f.key("pvk", {8, 16, 24});
  if (want_offset) return {{"offset", take(ibm3624_offset(pvk, p, f.digits("pin")))}};
  return {{"pin", take(ibm3624_pin(pvk, p, f.digits("offset")))}};
}

json op_pin_block_encode(const Fields& f) {
  const PinBlockFormat format = take(parse_pin_block_format(f.choice("format")), "format");
  const bool pan_used = format == PinBlockFormat::kIso0 || format == PinBlockFormat::kIso3;
  const std::string pan = pan_used ? f.digits("pan") : "";
  const std::string fill = f.text_or("fill", "");
  return {{"clear_pin_block", hx(take(encode_pin_block(format, f.digits("pin"), pan, fill)))}};
}

json op_pin_block_decode(const Fields& f) {
  const PinBlockFormat format = take(parse_pin_block_format(f.choice("format")), "format");
  const bool pan_used = format == PinBlockFormat::kIso0 || format == PinBlockFormat::kIso3;
  const std::string pan = pan_used ? f.digits("pan") : "";
  return {{"pin", take(decode_pin_block(format, f.hex("clear_pin_block", 8), pan), "clear_pin_block")}};
}

json op_format4_encipher(const Fields& f) {
  const Bytes block = take(encipher_pin_block_format4(f.key("aes_key", {16, 24, 32}), f.digits("pin"),
                                                      f.digits("pan"), f.hex("random_fill", 8)));
  return {{"enciphered_pin_block", hx(block)}};
}

json op_format4_decipher(const Fields& f) {
  return {{"pin", take(decipher_pin_block_format4(f.key("aes_key", {16, 24, 32}),
                                                  f.hex("enciphered_pin_block", 16), f.digits("pan")),
                       "enciphered_pin_block")}};
}

json op_pin_block_translate(const Fields& f) {
  const PinZone from{take(parse_pin_block_format(f.choice("from_format")), "from_format"), {}};
  const PinZone to{take(parse_pin_block_format(f.choice("to_format")), "to_format"), {}};
  const Bytes from_key = f.hex("from_key"), to_key = f.hex("to_key");
  const Bytes out = take(translate_pin_block(f.hex("enciphered_pin_block"), {from.format, from_key},
                                             {to.format, to_key}, f.digits("pan"), f.hex("fill_entropy", 8)));
  return {{"enciphered_pin_block", hx(out)}};
}

MasterKeyOption mk_option(const Fields& f, const char* name) {
  const std::string o = f.text(name);
  if (o == "A") return MasterKeyOption::kA;
  if (o == "B") return MasterKeyOption::kB;
  Fields::fail(name, "must be \"A\" or \"B\"");
}

std::string kcv2(ByteSpan key) { return hx(take(kcv_des(key, 2))); }

json op_icc_master_key(const Fields& f) {
  const Bytes mk = take(derive_icc_master_key(f.hex("issuer_master_key", 16), f.digits("pan"),
                                              f.text_or("psn", "00"), mk_option(f, "option")));
  return {{"icc_master_key", hx(mk)}, {"kcv_2bytes", kcv2(mk)}};
}

Bytes session_key_for(const Fields& f, const Bytes& mk, const std::string& method) {
  if (method == "emv_csk") return take(derive_session_key_emv_csk(mk, f.hex("r", 8)));
  if (method == "visa_sm") return take(derive_session_key_visa_sm(mk, f.hex("atc", 2)));
  if (method == "emv2000_tree") {
    const int64_t h = f.number("height"), b = f.number("branch_factor");
    if (h < 2 || h > 16) Fields::fail("height", "must be 2..16");
    if (b < 2 || b > 256) Fields::fail("branch_factor", "must be 2..256");
    const Bytes iv = f.has("iv") ? f.hex("iv", 16) : Bytes(16, 0);
    const Emv2000Tree tree{static_cast<uint32_t>(h), static_cast<uint32_t>(b), iv};
    return take(derive_session_key_emv2000_tree(mk, f.hex("atc", 2), tree));
  }
  Fields::fail("method", "must be emv_csk, visa_sm or emv2000_tree");
}

json op_session_key(const Fields& f) {
  return {{"session_key", hx(session_key_for(f, f.hex("icc_master_key", 16), f.text("method")))}};
}

AcPadding ac_padding(const Fields& f) {
  const std::string p = f.text("padding");
  if (p == "80") return AcPadding::kMethod2;
  if (p == "00") return AcPadding::kZeroIfNeeded;
  Fields::fail("padding", "must be \"80\" or \"00\"");
}

json op_arqc(const Fields& f) {
  return {{"arqc", hx(take(generate_ac(f.hex("session_key", 16), f.hex("data"), ac_padding(f))))}};
}

json op_arqc_full(const Fields& f) {
  const Bytes mk = take(derive_icc_master_key(f.hex("issuer_master_key", 16), f.digits("pan"),
                                              f.text_or("psn", "00"), mk_option(f, "mk_option")));
  const std::string method = f.text("session_method");
  if (method == "none") {
    return {{"arqc", hx(take(generate_ac(mk, f.hex("data"), ac_padding(f))))},
            {"session_key_kcv_2bytes", kcv2(mk)}};
  }
  const Bytes sk = session_key_for(f, mk, method);
  return {{"arqc", hx(take(generate_ac(sk, f.hex("data"), ac_padding(f))))},
          {"session_key_kcv_2bytes", kcv2(sk)}};
}

json op_arqc_verify(const Fields& f) {
  const Bytes imk = f.hex("issuer_master_key", 16), terminal = f.hex("terminal_data", kArqcTerminalDataSize);
  const Bytes iad = f.hex("iad"), arqc = f.hex("arqc", 8);
  const std::string pan = f.digits("pan"), psn = f.text_or("psn", "00");
  const ArqcVerification req{imk, pan, psn, terminal, iad, arqc, MasterKeyOption::kB};
  const ArqcVerdict v = take(verify_arqc(req));
  return {{"valid", v.valid}, {"cryptogram_version", std::string(cryptogram_version_name(v.version))}};
}

json op_arpc(const Fields& f) {
  const std::string method = f.choice("method");
  const Bytes key = f.hex("key", 16), arqc = f.hex("arqc", 8);
  if (method == "1") return {{"arpc", hx(take(arpc_method1(key, arqc, f.hex("arc", 2))))}};
  if (method == "2") {
    const Bytes pad = f.has("proprietary_auth_data") ? f.hex("proprietary_auth_data") : Bytes{};
    return {{"arpc", hx(take(arpc_method2(key, arqc, f.hex("csu", 4), pad)))}};
  }
  Fields::fail("method", "must be 1 or 2");
}

json op_retail_mac(const Fields& f) {
  const int64_t padding = f.number("padding"), algorithm = f.number("algorithm");
  MacPadding p = MacPadding::kMethod1;
  if (padding == 2)
    p = MacPadding::kMethod2;
  else if (padding == 3)
    p = MacPadding::kMethod3;
  else if (padding != 1)
    Fields::fail("padding", "must be 1, 2 or 3");
  const Bytes key = algorithm == 3 ? f.key("key", {16}) : f.key("key", {8, 16, 24});
  const Bytes data = f.hex("data");
  Bytes mac;
  if (algorithm == 3)
    mac = take(mac_algorithm3(key, data, p));
  else if (algorithm == 1)
    mac = take(mac_algorithm1(key, data, p));
  else
    Fields::fail("algorithm", "must be 1 or 3");
  return {{"mac", hx(mac)}, {"mac_4bytes", hx(ByteSpan(mac).first(4))}};
}

json op_sm4(const Fields& f) {
  const int64_t iterations = f.number_or("iterations", 1);
  if (iterations < 1 || iterations > 10'000'000) Fields::fail("iterations", "must be 1..10000000");
  const Bytes key = f.hex("key", 16), plain = f.hex("plaintext");
  if (plain.empty() || plain.size() % 16 != 0) Fields::fail("plaintext", "must be whole 16-byte blocks");
  if (iterations == 1) return {{"ciphertext", hx(take(sm4_ecb_encrypt(key, plain)))}};
  if (plain.size() != 16) Fields::fail("plaintext", "must be 16 bytes when iterating");
  return {{"ciphertext", hx(take(sm4_ecb_encrypt_iterated(key, plain, static_cast<uint64_t>(iterations))))}};
}

json op_luhn(const Fields& f) {
  const std::string number = f.digits("number");
  return {{"check_digit", std::string(1, take(luhn_check_digit(number)))},
          {"valid", take(luhn_valid(number))}};
}

json op_kcv(const Fields& f) {
  const Bytes key = f.key("key", {8, 16, 24, 32});
  const bool aes = f.text_or("key_type", "des") == "aes";
  const Bytes kcv = aes ? take(kcv_aes(key, 3), "key") : take(kcv_des(key, 3), "key");
  return {{"kcv", hx(kcv)}, {"kcv_2bytes", hx(ByteSpan(kcv).first(2))}};
}

json op_dukpt_tdes(const Fields& f) {
  const Bytes bdk = f.hex("bdk", 16), ksn = f.hex("ksn", 10);
  const Bytes tk = take(dukpt_tdes_transaction_key(bdk, ksn));
  json out = {{"ipek", hx(take(dukpt_tdes_ipek(bdk, ksn)))}, {"transaction_key", hx(tk)}};
  if (f.has("clear_pin_block")) {
    const Bytes pin_key = take(dukpt_tdes_variant(tk, DukptTdesVariant::kPinEncryption));
    out["encrypted_pin_block"] = hx(take(des_ecb_encrypt(pin_key, f.hex("clear_pin_block", 8))));
  }
  if (f.has("mac_data")) {
    const Bytes data = f.hex("mac_data");
    const Bytes req = take(mac_algorithm3(take(dukpt_tdes_variant(tk, DukptTdesVariant::kMacRequest)), data,
                                          MacPadding::kMethod1));
    const Bytes rsp = take(mac_algorithm3(take(dukpt_tdes_variant(tk, DukptTdesVariant::kMacResponse)), data,
                                          MacPadding::kMethod1));
    out["request_mac_4bytes"] = hx(ByteSpan(req).first(4));
    out["response_mac_4bytes"] = hx(ByteSpan(rsp).first(4));
  }
  return out;
}

json op_dukpt_aes(const Fields& f) {
  const Bytes bdk = f.key("bdk", {16, 24, 32}), ikid = f.hex("initial_key_id", 8);
  json out = {{"initial_key", hx(take(dukpt_aes_initial_key(bdk, ikid)))}};
  if (!f.has("ksn")) return out;
  const Bytes ksn = f.hex("ksn", 12);
  if (!std::equal(ikid.begin(), ikid.end(), ksn.begin()))
    Fields::fail("ksn", "must start with initial_key_id");
  const Bytes tk = take(dukpt_aes_transaction_key(bdk, ksn));
  out["transaction_key"] = hx(tk);
  const std::pair<const char*, DukptKeyUsage> usages[] = {
      {"pin_key", DukptKeyUsage::kPinEncryption},
      {"mac_generation_key", DukptKeyUsage::kMacGeneration},
      {"data_encrypt_key", DukptKeyUsage::kDataEncrypt}};
  for (const auto& [name, usage] : usages) {
    out[std::string(name) + "_aes128"] = hx(take(dukpt_aes_working_key(tk, ksn, usage, AesKeyType::kAes128)));
    if (tk.size() == 32) {
      out[std::string(name) + "_aes256"] =
          hx(take(dukpt_aes_working_key(tk, ksn, usage, AesKeyType::kAes256)));
    }
  }
  return out;
}

using Handler = std::function<json(const Fields&)>;

const std::map<std::string, Handler, std::less<>>& handlers() {
  static const std::map<std::string, Handler, std::less<>> table = {
      {"cvv", op_cvv},
      {"dcvv", op_dcvv},
      {"cvc3", op_cvc3},
      {"pvv", op_pvv},
      {"ibm3624_offset", [](const Fields& f) { return op_ibm3624(f, true); }},
      {"ibm3624_pin", [](const Fields& f) { return op_ibm3624(f, false); }},
      {"pin_block_encode", op_pin_block_encode},
      {"pin_block_decode", op_pin_block_decode},
      {"pin_block_format4_encipher", op_format4_encipher},
      {"pin_block_format4_decipher", op_format4_decipher},
      {"pin_block_translate", op_pin_block_translate},
      {"emv_icc_master_key", op_icc_master_key},
      {"emv_session_key", op_session_key},
      {"emv_arqc", op_arqc},
      {"emv_arqc_full", op_arqc_full},
      {"emv_arqc_verify", op_arqc_verify},
      {"emv_arpc", op_arpc},
      {"retail_mac", op_retail_mac},
      {"sm4_encrypt", op_sm4},
      {"luhn", op_luhn},
      {"kcv", op_kcv},
      {"dukpt_tdes", op_dukpt_tdes},
      {"dukpt_aes", op_dukpt_aes},
  };
  return table;
}

json dispatch(const json& request) {
  if (!request.is_object()) throw RequestError("request must be a JSON object");
  if (!request.contains("op") || !request.at("op").is_string())
    throw RequestError("field 'op' is missing or not a string");
  const std::string op = request.at("op").get<std::string>();
  const auto it = handlers().find(op);
  if (it == handlers().end()) throw RequestError("unknown op '" + op.substr(0, 64) + "'");
  if (!request.contains("in") || !request.at("in").is_object())
    throw RequestError("field 'in' is missing or not an object");
  return it->second(Fields(request.at("in")));
}

}  // namespace

nlohmann::json run_crypto_op(const nlohmann::json& request) {
  json id = (request.is_object() && request.contains("id")) ? request.at("id") : json(nullptr);
  try {
    return {{"id", std::move(id)}, {"out", dispatch(request)}};
  } catch (const RequestError& e) {
    return {{"id", std::move(id)}, {"error", e.what()}};
  } catch (const std::exception&) {
    return {{"id", std::move(id)}, {"error", "internal error while processing the request"}};
  }
}

}  // namespace holdfast::crypto
