// Responses: the request's matching elements echoed, the engine's answer added.
#include <string>

#include "gateway/gateway.h"
#include "iso8583/codec.h"
#include "iso8583/mti.h"

namespace holdfast::gateway {
namespace {

// Elements the acquirer matches a response on, echoed as received. Sensitive authentication
// data (35, 45, 52, 55 as sent) and the expiry (14) are never echoed.
constexpr int kEchoed[] = {2,  3,  4,  5,  6,  7,  11, 12, 13, 15, 18, 19, 22,
                           24, 25, 32, 33, 37, 41, 42, 49, 50, 51, 70, 90, 95};

// ISO 8583:1993 action codes (DE 39, n3) for the 1987 response codes holdfast uses.
std::string_view action_code_1993(std::string_view rc) {
  struct Pair {
    const char* rc87;
    const char* ac93;
  };
  static constexpr Pair kMap[] = {{"00", "000"}, {"05", "100"}, {"12", "902"}, {"13", "110"}, {"14", "111"},
                                  {"25", "909"}, {"30", "904"}, {"41", "208"}, {"43", "209"}, {"51", "116"},
                                  {"54", "101"}, {"57", "119"}, {"61", "121"}, {"62", "104"}, {"91", "907"},
                                  {"94", "913"}, {"96", "909"}};
  for (const auto& p : kMap)
    if (rc == p.rc87) return p.ac93;
  return "909";
}

// Sets a field holdfast adds to a response only in the form the link's spec defines for it; a
// spec without the field (or with another shape) simply does not get it.
void set_if_fits(const iso8583::MessageSpec& spec, int de, std::string_view value,
                 iso8583::Message* response) {
  if (iso8583::check_field_value(spec, de, value).empty()) response->set(de, value);
}

void set_response_code(const iso8583::MessageSpec& spec, std::string_view rc87, iso8583::Message* response) {
  const bool action_codes = spec.field(39).length == 3;
  set_if_fits(spec, 39, action_codes ? action_code_1993(rc87) : rc87, response);
}

// DE 54 additional amounts: account type 00, amount type 02 (available balance), currency,
// C/D sign, 12 digits.
std::string additional_amount(const engine::Reply& reply) {
  std::string out = "0002";
  const std::string currency = std::to_string(reply.account_currency.code);
  out.append(3 - std::min<size_t>(3, currency.size()), '0');
  out.append(currency);
  const int64_t v = reply.open_to_buy_minor;
  out.push_back(v < 0 ? 'D' : 'C');
  const uint64_t magnitude = v < 0 ? static_cast<uint64_t>(-(v + 1)) + 1 : static_cast<uint64_t>(v);
  std::string digits = std::to_string(magnitude);
  if (digits.size() > 12) digits = "999999999999";
  out.append(12 - digits.size(), '0');
  out.append(digits);
  return out;
}

}  // namespace

void build_response(const iso8583::MessageSpec& spec, const iso8583::Message& request,
                    const engine::Reply& reply, iso8583::Message* response) {
  response->reset();
  std::string mti;
  if (!iso8583::response_mti(request.mti(), &mti)) mti = std::string(request.mti());
  response->set_mti(mti);
  for (int de : kEchoed)
    if (request.has(de)) response->set(de, request.get(de));
  const std::string_view rc(reply.response_code.data(), reply.response_code.size());
  set_response_code(spec, rc, response);
  const bool has_approval_code = reply.approval_code[0] != ' ' && reply.approval_code[0] != '\0';
  if (engine::is_approval(reply.outcome) && has_approval_code)
    set_if_fits(spec, 38, std::string_view(reply.approval_code.data(), reply.approval_code.size()), response);
  if (reply.account_currency.code != 0 && mti[1] != '8')
    set_if_fits(spec, 54, additional_amount(reply), response);
}

bool format_error_response(const iso8583::MessageSpec& spec, const iso8583::Message& request,
                           iso8583::Message* response) {
  std::string mti;
  if (!iso8583::response_mti(request.mti(), &mti)) return false;
  response->reset();
  response->set_mti(mti);
  // The request was malformed: echo only what the link's spec can carry back, so the answer
  // always encodes.
  for (int de : kEchoed)
    if (request.has(de)) set_if_fits(spec, de, request.get(de), response);
  set_response_code(spec, "30", response);
  return true;
}

}  // namespace holdfast::gateway
