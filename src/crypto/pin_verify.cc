#include "crypto/pin_verify.h"

#include "crypto/digits.h"
#include "crypto/primitives.h"

namespace holdfast::crypto {
namespace {

bool valid_pin(std::string_view pin) { return pin.size() >= 4 && pin.size() <= 12 && is_digits(pin); }

ByteSpan as_bytes(std::string_view s) {
  return ByteSpan(reinterpret_cast<const uint8_t*>(s.data()), s.size());
}

// Digit-wise (a + sign * b) mod 10.
std::string digit_add(std::string_view a, std::string_view b, int sign) {
  std::string out(a.size(), '0');
  for (size_t i = 0; i < a.size(); ++i) {
    const int v = ((a[i] - '0') + sign * (b[i] - '0') + 10) % 10;
    out[i] = static_cast<char>('0' + v);
  }
  return out;
}

CryptoResult<Bytes> ibm3624_input(const Ibm3624Params& p) {
  if (p.validation_data_length < 1 || p.validation_data_length > 16) {
    return invalid("validation_data_length must be 1..16");
  }
  if (p.validation_data_start + p.validation_data_length > p.validation_data.size()) {
    return invalid("validation_data_start/validation_data_length run past validation_data");
  }
  if (!is_hex_digits(std::string_view(&p.pad_char, 1))) return invalid("pad_char must be one hex character");
  std::string data(p.validation_data.substr(p.validation_data_start, p.validation_data_length));
  data.resize(16, p.pad_char);
  if (!is_hex_digits(data)) return invalid("validation_data must be hex characters");
  return pack_nibbles(data);
}

}  // namespace

CryptoResult<std::string> compute_pvv(const PvvInput& input, ByteSpan pvk_a, ByteSpan pvk_b) {
  if (pvk_a.size() != 8) return invalid("pvk_a must be 8 bytes");
  if (pvk_b.size() != 8) return invalid("pvk_b must be 8 bytes");
  if (input.pan.size() < 2 || input.pan.size() > 19 || !is_digits(input.pan)) {
    return invalid("pan must be 2..19 digits");
  }
  if (!valid_pin(input.pin)) return invalid("pin must be 4..12 digits");
  if (input.pvki.size() != 1 || !is_digits(input.pvki)) return invalid("pvki must be 1 digit");
  const std::string tsp =
      pan_digits_before_check(input.pan, 11) + std::string(input.pvki) + std::string(input.pin.substr(0, 4));
  auto block = pack_nibbles(tsp);
  if (!block.ok()) return block.error();
  Bytes key = concat(pvk_a, pvk_b);
  auto enc = des_ecb_encrypt(key, *block);
  cleanse(key);
  cleanse(*block);
  if (!enc.ok()) return enc.error();
  return decimalize(*enc, 4);
}

CryptoResult<bool> verify_pvv(const PvvInput& input, ByteSpan pvk_a, ByteSpan pvk_b, std::string_view pvv) {
  if (pvv.size() != 4 || !is_digits(pvv)) return invalid("pvv must be 4 digits");
  auto expected = compute_pvv(input, pvk_a, pvk_b);
  if (!expected.ok()) return expected.error();
  return equal_constant_time(as_bytes(*expected), as_bytes(pvv));
}

CryptoResult<std::string> ibm3624_natural_pin(ByteSpan pvk, const Ibm3624Params& params, size_t pin_length) {
  if (pin_length < 4 || pin_length > 12) return invalid("PIN/offset length must be 4..12");
  if (params.decimalization_table.size() != 16 || !is_digits(params.decimalization_table)) {
    return invalid("decimalization_table must be 16 digits");
  }
  auto block = ibm3624_input(params);
  if (!block.ok()) return block.error();
  auto enc = des_ecb_encrypt(pvk, *block);
  if (!enc.ok()) return enc.error();
  const std::string nibbles = unpack_nibbles(*enc);
  std::string natural;
  for (size_t i = 0; i < pin_length; ++i) {
    const char c = nibbles[i];
    const int index = c >= 'A' ? c - 'A' + 10 : c - '0';
    natural.push_back(params.decimalization_table[static_cast<size_t>(index)]);
  }
  cleanse(*enc);
  return natural;
}

CryptoResult<std::string> ibm3624_offset(ByteSpan pvk, const Ibm3624Params& params, std::string_view pin) {
  if (!valid_pin(pin)) return invalid("pin must be 4..12 digits");
  auto natural = ibm3624_natural_pin(pvk, params, pin.size());
  if (!natural.ok()) return natural;
  return digit_add(pin, *natural, -1);
}

CryptoResult<std::string> ibm3624_pin(ByteSpan pvk, const Ibm3624Params& params, std::string_view offset) {
  if (!valid_pin(offset)) return invalid("offset must be 4..12 digits");
  auto natural = ibm3624_natural_pin(pvk, params, offset.size());
  if (!natural.ok()) return natural;
  return digit_add(*natural, offset, +1);
}

CryptoResult<bool> ibm3624_verify(ByteSpan pvk, const Ibm3624Params& params, std::string_view pin,
                                  std::string_view offset) {
  if (!valid_pin(pin)) return invalid("pin must be 4..12 digits");
  if (offset.size() != pin.size()) return invalid("offset length must equal the PIN length");
  auto expected = ibm3624_pin(pvk, params, offset);
  if (!expected.ok()) return expected.error();
  return equal_constant_time(as_bytes(*expected), as_bytes(pin));
}

}  // namespace holdfast::crypto
