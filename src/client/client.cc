#include "client/client.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace holdfast::client {
namespace {

ClientError io_error(const char* what) {
  return ClientError{ClientErrc::io_failed, std::string(what) + ": " + std::strerror(errno)};
}

}  // namespace

Result<Connection, ClientError> Connection::open(const std::string& host, uint16_t port) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  const std::string service = std::to_string(port);
  if (getaddrinfo(host.c_str(), service.c_str(), &hints, &found) != 0 || found == nullptr)
    return ClientError{ClientErrc::connect_failed, "cannot resolve " + host};
  int fd = -1;
  for (addrinfo* a = found; a != nullptr; a = a->ai_next) {
    fd = ::socket(a->ai_family, a->ai_socktype, a->ai_protocol);
    if (fd < 0) continue;
    if (::connect(fd, a->ai_addr, a->ai_addrlen) == 0) break;
    ::close(fd);
    fd = -1;
  }
  freeaddrinfo(found);
  if (fd < 0) return ClientError{ClientErrc::connect_failed, "cannot connect to " + host + ":" + service};
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return Connection(fd);
}

Connection::Connection(Connection&& other) noexcept : fd_(other.fd_), pending_(std::move(other.pending_)) {
  other.fd_ = -1;
}
Connection& Connection::operator=(Connection&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = other.fd_;
    pending_ = std::move(other.pending_);
    other.fd_ = -1;
  }
  return *this;
}
Connection::~Connection() {
  if (fd_ >= 0) ::close(fd_);
}

Result<Ok, ClientError> Connection::write_all(const uint8_t* data, size_t size) {
  while (size > 0) {
    const ssize_t n = ::send(fd_, data, size, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return io_error("send");
    data += n;
    size -= static_cast<size_t>(n);
  }
  return Ok{};
}

static Result<size_t, ClientError> read_some(int fd, uint8_t* data, size_t size, int timeout_ms) {
  pollfd p{fd, POLLIN, 0};
  const int ready = ::poll(&p, 1, timeout_ms);
  if (ready == 0)
    return ClientError{ClientErrc::timeout, "no answer within " + std::to_string(timeout_ms) + " ms"};
  if (ready < 0) return io_error("poll");
  const ssize_t n = ::recv(fd, data, size, 0);
  if (n == 0) return ClientError{ClientErrc::closed, "the server closed the connection"};
  if (n < 0) return io_error("recv");
  return static_cast<size_t>(n);
}

Result<Ok, ClientError> Connection::read_exact(uint8_t* data, size_t size, int timeout_ms) {
  while (size > 0) {
    auto n = read_some(fd_, data, size, timeout_ms);
    if (!n.ok()) return n.error();
    data += *n;
    size -= *n;
  }
  return Ok{};
}

Result<std::string, ClientError> Connection::read_line(int timeout_ms) {
  for (;;) {
    const size_t newline = pending_.find('\n');
    if (newline != std::string::npos) {
      std::string line = pending_.substr(0, newline);
      pending_.erase(0, newline + 1);
      return line;
    }
    uint8_t buffer[4096];
    auto n = read_some(fd_, buffer, sizeof buffer, timeout_ms);
    if (!n.ok()) return n.error();
    pending_.append(reinterpret_cast<const char*>(buffer), *n);
  }
}

Result<IsoClient, ClientError> IsoClient::connect(const std::string& host, uint16_t port,
                                                  server::Framing framing, const iso8583::MessageSpec& spec) {
  auto c = Connection::open(host, port);
  if (!c.ok()) return c.error();
  return IsoClient(std::move(c).value(), framing, spec);
}

Result<Ok, ClientError> IsoClient::send_raw(const std::vector<uint8_t>& message_bytes) {
  std::vector<uint8_t> frame;
  server::append_frame(framing_, message_bytes, &frame);
  return connection_.write_all(frame.data(), frame.size());
}

Result<Ok, ClientError> IsoClient::send(const iso8583::Message& message) {
  auto bytes = iso8583::encode(*spec_, message);
  if (!bytes.ok()) return ClientError{ClientErrc::encode_failed, iso8583::describe(bytes.error())};
  return send_raw(*bytes);
}

Result<iso8583::Message, ClientError> IsoClient::receive(int timeout_ms) {
  const size_t header = server::header_size(framing_);
  uint8_t head[4] = {};
  if (auto r = connection_.read_exact(head, header, timeout_ms); !r.ok()) return r.error();
  size_t length = 0;
  if (framing_ == server::Framing::len2) {
    length = static_cast<size_t>(head[0]) << 8 | head[1];
  } else {
    for (size_t i = 0; i < 4; ++i) {
      if (head[i] < '0' || head[i] > '9') return ClientError{ClientErrc::bad_frame, "bad length header"};
      length = length * 10 + static_cast<size_t>(head[i] - '0');
    }
  }
  std::vector<uint8_t> body(length);
  if (auto r = connection_.read_exact(body.data(), length, timeout_ms); !r.ok()) return r.error();
  auto decoded = iso8583::decode(*spec_, body);
  if (!decoded.ok()) return ClientError{ClientErrc::decode_failed, iso8583::describe(decoded.error())};
  return std::move(decoded).value();
}

Result<iso8583::Message, ClientError> IsoClient::exchange(const iso8583::Message& message, int timeout_ms) {
  if (auto r = send(message); !r.ok()) return r.error();
  return receive(timeout_ms);
}

bool parse_admin_address(const std::string& text, AdminAddress* address) {
  const size_t colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == text.size() || text.size() - colon > 6)
    return false;
  const std::string digits = text.substr(colon + 1);
  if (digits.find_first_not_of("0123456789") != std::string::npos) return false;
  const unsigned long value = std::stoul(digits);
  if (value == 0 || value > 65535) return false;
  address->host = text.substr(0, colon);
  address->port = static_cast<uint16_t>(value);
  return true;
}

Result<AdminClient, ClientError> AdminClient::connect(const std::string& host, uint16_t port) {
  auto c = Connection::open(host, port);
  if (!c.ok()) return c.error();
  return AdminClient(std::move(c).value());
}

Result<nlohmann::json, ClientError> AdminClient::call(const nlohmann::json& request, int timeout_ms) {
  const std::string line = request.dump() + "\n";
  if (auto r = connection_.write_all(reinterpret_cast<const uint8_t*>(line.data()), line.size()); !r.ok())
    return r.error();
  auto answer = connection_.read_line(timeout_ms);
  if (!answer.ok()) return answer.error();
  auto parsed = nlohmann::json::parse(*answer, nullptr, false);
  if (parsed.is_discarded())
    return ClientError{ClientErrc::bad_frame, "admin answer is not JSON: " + *answer};
  return parsed;
}

}  // namespace holdfast::client
