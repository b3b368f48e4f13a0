#include "iso8583/mti.h"

namespace holdfast::iso8583 {

bool response_mti(std::string_view request_mti, std::string* out) {
  if (request_mti.size() != 4) return false;
  for (char c : request_mti) {
    if (c < '0' || c > '9') return false;
  }
  const char function = request_mti[2];
  const char origin = request_mti[3];
  // Requests, advices and notifications have even function digits; 6-9 are reserved.
  if ((function - '0') % 2 != 0 || function > '4') return false;
  // Origins 0-5 (acquirer, issuer, other, each with its repeat); repeats answer as originals.
  if (origin > '5') return false;
  std::string response(request_mti);
  response[2] = static_cast<char>(function + 1);
  response[3] = static_cast<char>(origin - (origin - '0') % 2);
  *out = std::move(response);
  return true;
}

}  // namespace holdfast::iso8583
