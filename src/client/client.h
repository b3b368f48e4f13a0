// Blocking clients for holdfast's two ports, used by the CLI, the demo, the crash-recovery test
// and operators' scripts: ISO 8583 over TCP with the server's framing, and the admin port's
// JSON lines. One thread per client; not for the hot path (the load generator has its own).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/result.h"
#include "iso8583/codec.h"
#include "iso8583/message.h"
#include "iso8583/spec.h"
#include "server/framing.h"

namespace holdfast::client {

enum class ClientErrc { connect_failed, io_failed, closed, timeout, bad_frame, decode_failed, encode_failed };
using ClientError = Error<ClientErrc>;

// A connected TCP socket with read/write helpers; closes on destruction.
class Connection {
 public:
  static Result<Connection, ClientError> open(const std::string& host, uint16_t port);
  Connection(Connection&& other) noexcept;
  Connection& operator=(Connection&& other) noexcept;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  ~Connection();

  Result<Ok, ClientError> write_all(const uint8_t* data, size_t size);
  // Reads exactly `size` bytes, waiting at most timeout_ms for each chunk.
  Result<Ok, ClientError> read_exact(uint8_t* data, size_t size, int timeout_ms);
  Result<std::string, ClientError> read_line(int timeout_ms);
  int fd() const { return fd_; }

 private:
  explicit Connection(int fd) : fd_(fd) {}
  int fd_ = -1;
  std::string pending_;  // bytes read past the last line
};

class IsoClient {
 public:
  static Result<IsoClient, ClientError> connect(const std::string& host, uint16_t port,
                                                server::Framing framing, const iso8583::MessageSpec& spec);
  Result<Ok, ClientError> send(const iso8583::Message& message);
  Result<Ok, ClientError> send_raw(const std::vector<uint8_t>& message_bytes);
  Result<iso8583::Message, ClientError> receive(int timeout_ms = 10'000);
  // send then receive
  Result<iso8583::Message, ClientError> exchange(const iso8583::Message& message, int timeout_ms = 10'000);

 private:
  IsoClient(Connection c, server::Framing f, const iso8583::MessageSpec& s)
      : connection_(std::move(c)), framing_(f), spec_(&s) {}
  Connection connection_;
  server::Framing framing_;
  const iso8583::MessageSpec* spec_;
};

// The admin port's address as every subcommand takes it: `--admin HOST:PORT`.
struct AdminAddress {
  std::string host = "127.0.0.1";
  uint16_t port = 8584;
};
inline constexpr const char* kAdminOptionHelp = "The server's admin port, HOST:PORT (default 127.0.0.1:8584)";
// Parses HOST:PORT (port 1..65535; the host as given, IPv6 without brackets is not supported).
// False, with *address unchanged, when `text` is not of that form.
bool parse_admin_address(const std::string& text, AdminAddress* address);

class AdminClient {
 public:
  static Result<AdminClient, ClientError> connect(const std::string& host, uint16_t port);
  Result<nlohmann::json, ClientError> call(const nlohmann::json& request, int timeout_ms = 30'000);

 private:
  explicit AdminClient(Connection c) : connection_(std::move(c)) {}
  Connection connection_;
};

}  // namespace holdfast::client
