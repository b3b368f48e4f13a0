#include "server/server.h"

#include <pthread.h>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <future>

#include <openssl/rand.h>
#include <spdlog/spdlog.h>

#include "base/assert.h"
#include "server/admin_session.h"
#include "server/iso_session.h"
#include "server/pan_key.h"

namespace holdfast::server {
namespace {

// Which engine settings differ, by config key (values are not secret, but keep it short).
std::string describe_engine_config_change(const engine::EngineConfig& a, const engine::EngineConfig& b) {
  std::string keys;
  auto note = [&](bool differs, const char* key) {
    if (differs) keys += (keys.empty() ? "engine." : ", engine.") + std::string(key);
  };
  note(a.default_hold_days != b.default_hold_days, "default_hold_days");
  note(!(a.mcc_hold_rules == b.mcc_hold_rules), "mcc_hold_rules");
  note(a.message_record_retention_days != b.message_record_retention_days, "message_record_retention_days");
  note(a.max_message_records != b.max_message_records, "max_message_records");
  note(a.max_expiries_per_tick != b.max_expiries_per_tick, "max_expiries_per_tick");
  note(a.require_sign_on != b.require_sign_on, "require_sign_on");
  return keys.empty() ? "none" : keys;
}

}  // namespace

Server::Server(std::string data_dir, ServerConfig config, std::shared_ptr<spdlog::logger> log)
    : data_dir_(std::move(data_dir)),
      config_(std::move(config)),
      log_(log ? std::move(log) : spdlog::default_logger()),
      iso_acceptor_(asio::make_strand(io_)),
      admin_acceptor_(asio::make_strand(io_)) {}

Server::~Server() { stop(); }

Result<Ok, ServerError> Server::start() {
  HF_REQUIRE(!started_);
  const iso8583::MessageSpec* spec = iso8583::find_spec(config_.spec);
  if (spec == nullptr) return ServerError{"unknown message spec \"" + config_.spec + "\""};
  if (auto opened = open_state(); !opened) return opened;
  queue_ = std::make_unique<EngineQueue>(config_.engine_queue_capacity);
  session_context_ = SessionContext{&config_, spec, pan_hasher_.get(), queue_.get(), &metrics_, this, log_};
  session_context_.security = security_.get();
  session_context_.keys = key_ring_.get();
  if (auto r = listen(iso_acceptor_, config_.iso_address, config_.iso_port, "iso"); !r) return r;
  if (auto r = listen(admin_acceptor_, config_.admin_address, config_.admin_port, "admin"); !r) {
    return r;
  }
  {
    std::lock_guard lock(sessions_mu_);
    accepting_ = true;
  }
  loop_ = std::make_unique<EngineLoop>(config_, *journal_, *engine_, *queue_, metrics_, log_,
                                       recovery_.snapshot_sequence);
  loop_->set_security(security_.get(), key_ring_.get());
  // Named for top -H, perf and gdb.
  engine_thread_ = std::thread([this] {
    ::pthread_setname_np(::pthread_self(), "hf-engine");
    loop_->run();
  });
  work_.emplace(asio::make_work_guard(io_));
  accept<IsoSession>(iso_acceptor_);
  accept<AdminSession>(admin_acceptor_);
  for (uint32_t i = 0; i < config_.io_threads; ++i) {
    io_threads_.emplace_back([this, i] {
      ::pthread_setname_np(::pthread_self(), ("hf-io-" + std::to_string(i)).c_str());
      io_.run();
    });
  }
  started_ = true;
  log_->info(
      "serving {} ISO 8583 ({} framing) on {}:{}, admin JSON lines on {}:{}, {} I/O "
      "thread(s)",
      config_.spec, framing_name(config_.framing), config_.iso_address, iso_port_.load(),
      config_.admin_address, admin_port_.load(), config_.io_threads);
  return Ok{};
}

// Journal, PAN key, engine state: everything the engine thread will own.
Result<Ok, ServerError> Server::open_state() {
  std::error_code ec;
  std::filesystem::create_directories(data_dir_, ec);
  if (ec) return ServerError{"cannot create data directory " + data_dir_ + ": " + ec.message()};
  // Owner only: the journal and snapshots hold PAN hashes, masked PANs and the books.
  const auto perms = std::filesystem::status(data_dir_, ec).permissions();
  if (!ec && (perms & (std::filesystem::perms::group_all | std::filesystem::perms::others_all)) !=
                 std::filesystem::perms::none) {
    std::filesystem::permissions(data_dir_, std::filesystem::perms::owner_all,
                                 std::filesystem::perm_options::replace, ec);
    if (ec) return ServerError{"cannot make data directory " + data_dir_ + " owner-only: " + ec.message()};
    log_->warn("data directory {} was open to group or others: now owner-only (0700)", data_dir_);
  }
  // The PAN key's place is checked before anything is created in the directory.
  auto key_path = pan_key_path(data_dir_, config_.pan_key_file);
  if (!key_path) return ServerError{key_path.error().message};
  // delete_covered_segments stays off: snapshot children (engine_loop.h) run
  // Journal::write_snapshot on a copy of this object, and must not delete segments it lists.
  journal::JournalOptions options;
  options.delete_covered_segments = false;
  auto journal = journal::Journal::open(data_dir_, options);
  if (!journal) {
    return ServerError{"cannot open the journal in " + data_dir_ + ": " + journal.error().message};
  }
  journal_ = std::move(*journal);
  // A key is created only with a fresh journal: a new key for existing data would make every
  // card in it unfindable.
  const bool fresh = journal_->last_committed_sequence() == 0;
  auto key = load_or_create_pan_key(*key_path, fresh);
  if (!key) return ServerError{key.error().message};
  pan_hasher_ = std::make_unique<gateway::PanHasher>(*key);
  if (!config_.key_store_file.empty()) {
    key_ring_ = std::make_unique<security::KeyRing>(config_.key_store_file,
                                                    security::MasterKeySource{config_.master_key_file});
    auto loaded = key_ring_->reload();
    if (!loaded) return ServerError{"card security keys: " + loaded.error().message};
    security::disable_core_dumps();  // the process now holds clear keys
    log_->info("card security: {} keys loaded from {}", *loaded, config_.key_store_file);
  }
  security_ = std::make_unique<security::SecurityStage>(key_ring_.get(), iso8583::find_spec(config_.spec));

  // A fresh secret for the engine's indexes on every start: keys chosen on the wire cannot be
  // made to collide (the seed changes no reply and no state, so replay does not need it).
  HashSeed index_seed;
  if (RAND_bytes(reinterpret_cast<unsigned char*>(&index_seed), sizeof index_seed) != 1)
    return ServerError{"RAND_bytes failed while drawing the engine's index seed"};
  engine_ = std::make_unique<engine::Engine>(config_.engine, index_seed);
  auto recovered = recover(*journal_, *engine_);
  if (!recovered) {
    return ServerError{"refusing to start: " + recovered.error().message +
                       " (the data directory needs an operator's attention)"};
  }
  recovery_ = *recovered;
  log_->info(
      "recovered {}: snapshot {} at sequence {}, {} journal entries replayed, last "
      "sequence {}, {} torn bytes cut{}{}, in {:.3f} s",
      data_dir_, recovery_.snapshot_loaded ? "loaded" : "none", recovery_.snapshot_sequence,
      recovery_.entries_replayed, recovery_.last_sequence, recovery_.torn_bytes_cut,
      recovery_.torn_reason.empty() ? "" : ": ", recovery_.torn_reason, recovery_.seconds);
  // The config file's engine settings win; they are journaled (Configure) so that a replay
  // applies every command under the settings it was first applied under.
  const engine::EngineConfig before = engine_->config();
  auto configured = apply_engine_config(*journal_, *engine_, config_.engine);
  if (!configured) return ServerError{configured.error().message};
  if (*configured) {
    if (fresh) {
      log_->info("new data directory: engine settings journaled at sequence {}",
                 journal_->last_committed_sequence());
    } else {
      log_->warn(
          "engine settings in the config differ from the data directory's ({}); the "
          "config's are journaled at sequence {} and in force from now on",
          describe_engine_config_change(before, config_.engine), journal_->last_committed_sequence());
    }
  }
  return Ok{};
}

Result<Ok, ServerError> Server::listen(asio::ip::tcp::acceptor& acceptor, const std::string& address,
                                       uint16_t port, const char* what) {
  std::error_code ec;
  const auto ip = asio::ip::make_address(address, ec);
  if (ec) return ServerError{std::string(what) + " address \"" + address + "\": " + ec.message()};
  const asio::ip::tcp::endpoint endpoint(ip, port);
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (!ec) {
    const uint16_t bound = acceptor.local_endpoint(ec).port();
    if (!ec) {
      (std::string_view(what) == "iso" ? iso_port_ : admin_port_).store(bound);
      return Ok{};
    }
  }
  return ServerError{std::string("cannot listen for ") + what + " on " + address + ":" +
                     std::to_string(port) + ": " + ec.message()};
}

template <typename SessionType>
void Server::accept(asio::ip::tcp::acceptor& acceptor) {
  acceptor.async_accept(
      asio::make_strand(io_), [this, &acceptor](const std::error_code& ec, asio::ip::tcp::socket socket) {
        if (ec == asio::error::operation_aborted || !acceptor.is_open()) return;
        if (ec) {
          log_->warn("accept failed: {}", ec.message());
        } else {
          ServerMetrics::bump(metrics_.connections_accepted);
          auto session = std::make_shared<SessionType>(std::move(socket), session_context_);
          bool registered = false;
          {
            std::lock_guard lock(sessions_mu_);
            if (accepting_) {
              std::erase_if(sessions_, [](const std::weak_ptr<Session>& w) { return w.expired(); });
              sessions_.push_back(session);
              registered = true;
            }
          }
          // Stopping: the session closes as it goes out of scope (outside the lock, since its
          // destructor reports to the tracker).
          if (!registered) return;
          session->start();
        }
        accept<SessionType>(acceptor);
      });
}

void Server::stop() {
  if (!started_ || stopped_) return;
  stopped_ = true;
  log_->info("stopping: no new connections, answering what was received");
  // 1. Stop accepting and reading; wait until no session will queue anything more.
  stop_sessions_input();
  if (!wait_sessions([this] { return open_inputs_ == 0; })) {
    log_->warn("stopping: clients still holding requests after {} ms; they go unanswered",
               config_.shutdown_grace_ms);
  }
  // 2. The engine drains the queue, answers, snapshots and ends.
  queue_->close();
  engine_thread_.join();
  // 3. Let replies reach the clients, then close whatever is left.
  if (!wait_sessions([this] { return live_sessions_ == 0; })) {
    std::lock_guard lock(sessions_mu_);
    for (auto& w : sessions_) {
      if (auto s = w.lock()) s->close_now();
    }
  }
  work_.reset();
  for (auto& t : io_threads_) t.join();
  io_threads_.clear();
  const uint64_t last = journal_->last_committed_sequence();
  journal_.reset();  // releases the data directory's lock
  log_->info("stopped at journal sequence {}", last);
}

void Server::stop_sessions_input() {
  std::promise<void> closed;
  asio::post(iso_acceptor_.get_executor(), [this] {
    std::error_code ignored;
    iso_acceptor_.close(ignored);
  });
  asio::post(admin_acceptor_.get_executor(), [this, &closed] {
    std::error_code ignored;
    admin_acceptor_.close(ignored);
    closed.set_value();
  });
  std::vector<std::shared_ptr<Session>> live;
  {
    std::lock_guard lock(sessions_mu_);
    accepting_ = false;
    for (auto& w : sessions_) {
      if (auto s = w.lock()) live.push_back(std::move(s));
    }
  }
  for (auto& s : live) s->stop_input();
  closed.get_future().wait();
}

template <typename Pred>
bool Server::wait_sessions(Pred pred) {
  std::unique_lock lock(sessions_mu_);
  return sessions_cv_.wait_for(lock, std::chrono::milliseconds(config_.shutdown_grace_ms), pred);
}

void Server::session_opened() {
  std::lock_guard lock(sessions_mu_);
  ++live_sessions_;
  ++open_inputs_;
}

void Server::input_finished() {
  {
    std::lock_guard lock(sessions_mu_);
    HF_ASSERT(open_inputs_ > 0);
    --open_inputs_;
  }
  sessions_cv_.notify_all();
}

void Server::session_closed() {
  {
    std::lock_guard lock(sessions_mu_);
    HF_ASSERT(live_sessions_ > 0);
    --live_sessions_;
  }
  sessions_cv_.notify_all();
}

int run_serve(const std::string& data_dir, const std::string& config_path) {
  auto config = load_server_config(config_path);
  if (!config) {
    spdlog::error("{}", config.error().message);
    return 2;
  }
  // Installed before any thread starts, so a signal during start-up is not lost.
  asio::io_context signal_io;
  asio::signal_set signals(signal_io, SIGINT, SIGTERM);
  signals.async_wait([](const std::error_code& ec, int signal) {
    if (!ec) spdlog::info("signal {} received", signal);
  });
  Server server(data_dir, std::move(*config));
  if (auto started = server.start(); !started) {
    spdlog::error("{}", started.error().message);
    return 1;
  }
  signal_io.run();
  server.stop();
  return 0;
}

}  // namespace holdfast::server
