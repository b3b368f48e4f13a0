#include "crypto/crypto_cli.h"

#include <istream>
#include <ostream>
#include <string>

#include "crypto/crypto_ops.h"

namespace holdfast::crypto {

int run_crypto_cli(std::istream& in, std::ostream& out) {
  std::string line;
  while (std::getline(in, line)) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    nlohmann::json request = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    nlohmann::json response;
    if (request.is_discarded()) {
      response = {{"id", nullptr}, {"error", "request is not valid JSON"}};
    } else {
      response = run_crypto_op(request);
    }
    out << response.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
    if (!out) return 1;
  }
  out.flush();
  return out ? 0 : 1;
}

}  // namespace holdfast::crypto
