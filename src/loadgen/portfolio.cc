// The generated portfolio and loopback resolution.
#include <chrono>

#include <fmt/format.h>
#include <asio.hpp>

#include "client/client.h"
#include "loadgen/loadgen.h"

namespace holdfast::loadgen {

char luhn_check_digit(std::string_view digits) {
  // Doubling starts at the rightmost digit, since the check digit will follow it.
  int sum = 0;
  bool double_it = true;
  for (auto it = digits.rbegin(); it != digits.rend(); ++it) {
    int d = *it - '0';
    if (double_it) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double_it = !double_it;
  }
  return static_cast<char>('0' + (10 - sum % 10) % 10);
}

bool luhn_valid(std::string_view pan) {
  if (pan.size() < 2) return false;
  for (char c : pan)
    if (c < '0' || c > '9') return false;
  return luhn_check_digit(pan.substr(0, pan.size() - 1)) == pan.back();
}

std::string card_pan(const std::string& prefix, uint64_t index) {
  std::string body = fmt::format("{}{:09}", prefix, index);
  body.push_back(luhn_check_digit(body));
  return body;
}

std::vector<nlohmann::json> portfolio_requests(const PortfolioOptions& o) {
  std::vector<nlohmann::json> out;
  out.reserve(1 + 2 * o.cards);
  out.push_back({{"op", "create_card_range"},
                 {"prefix_low", o.card_prefix},
                 {"prefix_high", o.card_prefix},
                 {"product",
                  {{"name", "loadgen"},
                   {"issuer_country", o.currency},
                   {"allow_card_not_present", true},
                   {"allow_cross_border", true},
                   {"allow_cash", true}}}});
  for (uint64_t i = 0; i < o.cards; ++i) {
    out.push_back({{"op", "open_account"},
                   {"id", o.first_account_id + i},
                   {"currency", o.currency},
                   {"credit_limit_minor", o.credit_limit_minor}});
    out.push_back({{"op", "issue_card"},
                   {"id", o.first_card_id + i},
                   {"account_id", o.first_account_id + i},
                   {"pan", card_pan(o.card_prefix, i)},
                   {"expiry", o.expiry_yymm}});
  }
  return out;
}

Result<std::string, LoadgenError> resolve_loopback(const std::string& host) {
  asio::io_context io;
  asio::ip::tcp::resolver resolver(io);
  std::error_code ec;
  const auto results = resolver.resolve(host, "", ec);
  if (ec || results.empty())
    return LoadgenError{LoadgenErrc::resolve_failed, "cannot resolve " + host + ": " + ec.message()};
  std::string first;
  for (const auto& entry : results) {
    const asio::ip::address a = entry.endpoint().address();
    // address_v4::is_loopback is 127.0.0.0/8; address_v6::is_loopback is ::1 only.
    if (!a.is_loopback())
      return LoadgenError{LoadgenErrc::not_loopback,
                          "refusing " + host + ": it resolves to " + a.to_string() +
                              ", and the load generator only targets loopback (127.0.0.0/8, ::1)"};
    if (first.empty()) first = a.to_string();
  }
  return first;
}

Result<LoadReport, LoadgenError> load_portfolio(const std::string& host, uint16_t admin_port,
                                                const PortfolioOptions& o) {
  if (o.card_prefix.size() != 6 || o.card_prefix.find_first_not_of("0123456789") != std::string::npos)
    return LoadgenError{LoadgenErrc::bad_options, "card prefix must be 6 digits"};
  if (o.cards >= 1'000'000'000) return LoadgenError{LoadgenErrc::bad_options, "at most 999,999,999 cards"};
  auto address = resolve_loopback(host);
  if (!address.ok()) return address.error();
  const auto started = std::chrono::steady_clock::now();
  auto connection = client::Connection::open(*address, admin_port);
  if (!connection.ok())
    return LoadgenError{LoadgenErrc::connect_failed, "admin port: " + connection.error().message};

  auto requests = portfolio_requests(o);
  LoadReport report;
  // A rerun on the same data directory: the accounts exist, so the range does too.
  {
    const std::string probe =
        nlohmann::json{{"op", "get_account"}, {"account_id", o.first_account_id}}.dump() + "\n";
    auto w = connection->write_all(reinterpret_cast<const uint8_t*>(probe.data()), probe.size());
    auto line = w.ok() ? connection->read_line(30'000) : Result<std::string, client::ClientError>(w.error());
    if (!line.ok()) return LoadgenError{LoadgenErrc::admin_failed, "admin port: " + line.error().message};
    const auto answer = nlohmann::json::parse(*line, nullptr, false);
    if (answer.is_object() && answer.contains("account_id")) {
      requests.erase(requests.begin());
      ++report.already_present;
    }
  }
  // Pipelined in batches: small enough that neither side's socket buffers fill while the other
  // is not reading.
  constexpr size_t kBatch = 512;
  std::string buffer;
  for (size_t begin = 0; begin < requests.size(); begin += kBatch) {
    const size_t end = std::min(requests.size(), begin + kBatch);
    buffer.clear();
    for (size_t i = begin; i < end; ++i) buffer += requests[i].dump() + "\n";
    if (auto w = connection->write_all(reinterpret_cast<const uint8_t*>(buffer.data()), buffer.size());
        !w.ok())
      return LoadgenError{LoadgenErrc::admin_failed, "admin port: " + w.error().message};
    for (size_t i = begin; i < end; ++i) {
      auto line = connection->read_line(60'000);
      if (!line.ok()) return LoadgenError{LoadgenErrc::admin_failed, "admin port: " + line.error().message};
      const auto answer = nlohmann::json::parse(*line, nullptr, false);
      ++report.requests;
      if (answer.is_object() && answer.value("ok", false)) {
        ++report.created;
      } else if (answer.is_object() && (answer.value("outcome", "") == "duplicate_id" ||
                                        answer.value("outcome", "") == "duplicate_card")) {
        ++report.already_present;
      } else {
        return LoadgenError{LoadgenErrc::admin_failed,
                            fmt::format("admin request {} failed: {}", requests[i].value("op", "?"), *line)};
      }
    }
  }
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return report;
}

}  // namespace holdfast::loadgen
