// The server's configuration: where it listens, how ISO 8583 frames are delimited, how the
// engine thread batches, and the engine settings a bank overrides. Read from a JSON file whose
// every key is documented, with its default, in src/server/README.md. Unknown keys are errors
// (a misspelt key silently falling back to a default is a production incident waiting).
//
// Threading: a ServerConfig is a value, read-only once the server starts.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/result.h"
#include "engine/config.h"
#include "server/framing.h"

namespace holdfast::server {

struct ServerConfig {
  // ISO 8583 acquirer links.
  std::string iso_address = "127.0.0.1";
  uint16_t iso_port = 8583;  // 0 = any free port (tests)
  Framing framing = Framing::len2;
  std::string spec = "iso87binbitmap";
  // Largest ISO 8583 message accepted; a bigger length header closes the connection, since
  // the stream cannot be resynchronised after it.
  uint32_t max_frame_bytes = 8192;

  // Administrative JSON-lines port.
  std::string admin_address = "127.0.0.1";
  uint16_t admin_port = 8584;
  uint32_t max_admin_line_bytes = 1024 * 1024;

  uint32_t io_threads = 1;
  // Requests waiting for the engine thread. When full, I/O stops reading (backpressure).
  uint32_t engine_queue_capacity = 65'536;
  // Most requests journaled with one commit (one fdatasync).
  uint32_t max_batch = 4096;
  // Requests one connection may have in the engine or in its write queue before its reads
  // pause: bounds each connection's memory when a client does not read its replies.
  uint32_t max_in_flight_per_connection = 4096;
  // Snapshot cadence: a snapshot is started after this many journaled commands, or after
  // snapshot_interval_s when anything was journaled since the last one (0 = no time trigger),
  // whichever comes first, and always at graceful shutdown. One at a time.
  uint64_t snapshot_every_commands = 1'000'000;
  uint32_t snapshot_interval_s = 300;
  // true: a forked child (copy-on-write) serialises and writes the snapshot while the engine
  // thread carries on; false: the engine thread does it inline (stalls every request).
  bool snapshot_fork = true;
  uint32_t tick_interval_ms = 1000;
  uint32_t stats_log_interval_s = 10;
  // How long a graceful stop waits for clients to finish sending and to read their replies.
  uint32_t shutdown_grace_ms = 5000;

  // 32-byte PAN hashing key, outside the data directory; empty = <data dir>.pan.key beside it
  // (created at first start). pan_key.h says what is refused.
  std::string pan_key_file;
  // Card security (src/security/README.md): the key store file; empty = no key store, and then
  // every carried security value is not_checked and PANs are not encrypted at rest. The
  // master key file (64 hex characters); empty = the HOLDFAST_MASTER_KEY environment variable.
  std::string key_store_file;
  std::string master_key_file;

  engine::EngineConfig engine;
};

enum class ConfigErrc { unreadable, bad_json, unknown_key, bad_value };
struct ConfigError {
  ConfigErrc code;
  std::string key;  // the offending key ("engine.default_hold_days"); "" for the whole file
  std::string message;
};

// Reads and validates a configuration file; an empty path gives the defaults.
Result<ServerConfig, ConfigError> load_server_config(const std::string& path);
// Same, from JSON text (tests, and the file's contents).
Result<ServerConfig, ConfigError> parse_server_config(std::string_view json_text);

}  // namespace holdfast::server
