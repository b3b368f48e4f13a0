// Server stories, end to end over loopback: the Server runs in-process on ephemeral ports with
// a temporary data directory; the test talks to it as an acquirer and as an operator would,
// with plain blocking sockets.
#include "server/server.h"

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <thread>

#include <asio.hpp>
#include <nlohmann/json.hpp>

#include "iso8583/codec.h"

namespace holdfast::server {
namespace {

using asio::ip::tcp;
using nlohmann::json;

constexpr const char* kPan = "6225880000000001";

std::string temp_dir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "holdfast-server-XXXXXX").string();
  HF_ASSERT(::mkdtemp(pattern.data()) != nullptr);
  return pattern;
}

std::string stan_of(int n) {
  std::string s = std::to_string(n);
  return std::string(6 - s.size(), '0') + s;
}

std::string amount_of(int64_t minor) {
  std::string s = std::to_string(minor);
  return std::string(12 - s.size(), '0') + s;
}

iso8583::Message sign_on(int stan) {
  iso8583::Message m;
  m.set_mti("0800");
  m.set(7, "0101120000");
  m.set(11, stan_of(stan));
  m.set(70, "001");
  return m;
}

// A card-present purchase authorisation at a supermarket, in CNY.
iso8583::Message authorization(int stan, int64_t amount_minor) {
  iso8583::Message m;
  m.set_mti("0100");
  m.set(2, kPan);
  m.set(3, "000000");
  m.set(4, amount_of(amount_minor));
  m.set(7, "0101120000");
  m.set(11, stan_of(stan));
  m.set(14, "2812");
  m.set(18, "5411");
  m.set(22, "051");
  m.set(32, "123456");
  m.set(37, "000000" + stan_of(stan));
  m.set(41, "TERM0001");
  m.set(42, "MERCHANT0000001");
  m.set(49, "156");
  return m;
}

class IsoClient {
 public:
  IsoClient(uint16_t port, Framing framing, const iso8583::MessageSpec& spec)
      : socket_(io_), framing_(framing), spec_(spec) {
    socket_.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  }
  void send_raw(std::span<const uint8_t> message) {
    std::vector<uint8_t> frame;
    append_frame(framing_, message, &frame);
    asio::write(socket_, asio::buffer(frame));
  }
  void send(const iso8583::Message& m) {
    auto wire = iso8583::encode(spec_, m);
    HF_ASSERT(wire.ok());
    send_raw(*wire);
  }
  iso8583::Message receive() {
    std::vector<uint8_t> header(header_size(framing_));
    asio::read(socket_, asio::buffer(header));
    const size_t length = framing_ == Framing::len2 ? (size_t{header[0]} << 8 | header[1])
                                                    : std::stoul(std::string(header.begin(), header.end()));
    std::vector<uint8_t> body(length);
    asio::read(socket_, asio::buffer(body));
    auto decoded = iso8583::decode(spec_, body);
    HF_ASSERT(decoded.ok());
    return std::move(*decoded);
  }
  // Blocks until the server ends the connection; false if it sent something instead.
  bool closed_by_server() {
    uint8_t byte = 0;
    std::error_code ec;
    asio::read(socket_, asio::buffer(&byte, 1), ec);
    return ec == asio::error::eof || ec == asio::error::connection_reset;
  }
  iso8583::Message exchange(const iso8583::Message& m) {
    send(m);
    return receive();
  }

 private:
  asio::io_context io_;
  tcp::socket socket_;
  Framing framing_;
  const iso8583::MessageSpec& spec_;
};

class AdminClient {
 public:
  explicit AdminClient(uint16_t port) : socket_(io_) {
    socket_.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  }
  void send_line(const std::string& line) { asio::write(socket_, asio::buffer(line + "\n")); }
  json receive() {
    const size_t n = asio::read_until(socket_, buffer_, '\n');
    std::string line(asio::buffers_begin(buffer_.data()), asio::buffers_begin(buffer_.data()) + n);
    buffer_.consume(n);
    return json::parse(line);
  }
  json request(const json& r) {
    send_line(r.dump());
    return receive();
  }

 private:
  asio::io_context io_;
  tcp::socket socket_;
  asio::streambuf buffer_;
};

class ServerTest : public ::testing::Test {
 protected:
  ServerTest() : data_dir_(temp_dir()), log_sink_(std::make_shared<spdlog::sinks::ostream_sink_mt>(log_)) {
    config_.iso_port = 0;
    config_.admin_port = 0;
    logger_ = std::make_shared<spdlog::logger>("server_test", log_sink_);
  }
  ~ServerTest() override {
    server_.reset();
    std::filesystem::remove_all(data_dir_);
    std::filesystem::remove(data_dir_ + ".pan.key");  // the default PAN key, beside the directory
  }

  void start() {
    server_ = std::make_unique<Server>(data_dir_, config_, logger_);
    auto started = server_->start();
    ASSERT_TRUE(started.ok()) << started.error().message;
    spec_ = iso8583::find_spec(config_.spec);
  }
  void restart() {
    server_->stop();
    server_.reset();
    start();
  }
  IsoClient iso() { return IsoClient(server_->iso_port(), config_.framing, *spec_); }
  AdminClient admin() { return AdminClient(server_->admin_port()); }

  // One card range, one CNY account with a 600.00 limit, one card on it.
  void load_portfolio(AdminClient& a) {
    for (const char* line :
         {R"({"op":"create_card_range","prefix_low":"622588","prefix_high":"622588"})",
          R"({"op":"open_account","id":1001,"currency":"156","credit_limit_minor":60000})",
          R"({"op":"issue_card","id":5001,"account_id":1001,"pan":"6225880000000001","expiry":"2812"})"}) {
      a.send_line(line);
      const json reply = a.receive();
      ASSERT_TRUE(reply.value("ok", false)) << line << " -> " << reply.dump();
    }
  }
  int64_t open_to_buy(AdminClient& a) {
    const json account = a.request({{"op", "get_account"}, {"account_id", 1001}});
    return account.at("open_to_buy_minor").get<int64_t>();
  }
  std::string log_text() {
    logger_->flush();
    return log_.str();
  }

  std::string data_dir_;
  ServerConfig config_;
  std::ostringstream log_;
  std::shared_ptr<spdlog::sinks::ostream_sink_mt> log_sink_;
  std::shared_ptr<spdlog::logger> logger_;
  std::unique_ptr<Server> server_;
  const iso8583::MessageSpec* spec_ = nullptr;
};

TEST_F(ServerTest, AnAcquirerSignsOnAndIsAccepted) {
  start();
  IsoClient link = iso();
  const iso8583::Message reply = link.exchange(sign_on(1));
  EXPECT_EQ(reply.mti(), "0810");
  EXPECT_EQ(reply.get(39), "00");
  EXPECT_EQ(reply.get(11), "000001");
}

TEST_F(ServerTest, AnAuthorizationIsApprovedThenOneBeyondOpenToBuyIsDeclined) {
  start();
  AdminClient ops = admin();
  load_portfolio(ops);
  IsoClient link = iso();

  const iso8583::Message first = link.exchange(authorization(1, 50000));  // 500.00 of 600.00
  EXPECT_EQ(first.mti(), "0110");
  EXPECT_EQ(first.get(39), "00");
  EXPECT_TRUE(first.has(38));
  EXPECT_EQ(open_to_buy(ops), 10000);

  const iso8583::Message second = link.exchange(authorization(2, 20000));  // 200.00 > 100.00 left
  EXPECT_EQ(second.get(39), "51");
  EXPECT_EQ(open_to_buy(ops), 10000);
}

TEST_F(ServerTest, TwoHundredPipelinedRequestsOnOneConnectionAreAllAnswered) {
  start();
  AdminClient ops = admin();
  load_portfolio(ops);
  IsoClient link = iso();
  for (int stan = 1; stan <= 200; ++stan) link.send(authorization(stan, 100));
  std::set<std::string> answered;
  for (int i = 0; i < 200; ++i) {
    const iso8583::Message reply = link.receive();
    EXPECT_EQ(reply.get(39), "00");
    answered.insert(std::string(reply.get(11)));
  }
  EXPECT_EQ(answered.size(), 200u);
  EXPECT_EQ(open_to_buy(ops), 60000 - 200 * 100);
}

TEST_F(ServerTest, AGarbageFrameIsLoggedWithoutCardDataAndTheLinkKeepsWorking) {
  start();
  IsoClient link = iso();
  const std::string garbage = "this is not ISO 8583";
  link.send_raw(std::span(reinterpret_cast<const uint8_t*>(garbage.data()), garbage.size()));
  // An 0100 whose PAN holds a letter: it must not decode, and the PAN must not be logged.
  iso8583::Message bad_pan = authorization(7, 100);
  std::string wire;
  {
    auto encoded = iso8583::encode(*spec_, bad_pan);
    ASSERT_TRUE(encoded.ok());
    wire.assign(encoded->begin(), encoded->end());
    const size_t at = wire.find(kPan);
    ASSERT_NE(at, std::string::npos);
    wire[at + 11] = 'A';
  }
  link.send_raw(std::span(reinterpret_cast<const uint8_t*>(wire.data()), wire.size()));

  // The garbage has no MTI: no answer. The bad PAN has a valid length prefix, so its STAN can
  // still be found: it is answered with 30, without the PAN, before the sign-on's answer.
  link.send(sign_on(2));
  const iso8583::Message format_error = link.receive();
  EXPECT_EQ(format_error.mti(), "0110");
  EXPECT_EQ(format_error.get(39), "30");
  EXPECT_EQ(format_error.get(11), "000007");
  EXPECT_FALSE(format_error.has(2));
  const iso8583::Message reply = format_error.mti() == "0110" ? link.receive() : format_error;
  EXPECT_EQ(reply.get(39), "00");
  const std::string logged = log_text();
  EXPECT_NE(logged.find("does not decode"), std::string::npos) << logged;
  EXPECT_EQ(logged.find("62258800000A0001"), std::string::npos) << logged;
  EXPECT_EQ(logged.find("6225880000"), std::string::npos) << logged;
  EXPECT_EQ(server_->metrics().decode_errors.load(), 2u);
  EXPECT_EQ(server_->metrics().format_errors.load(), 1u);
}

// Each bad frame below is followed by a sign-on: the first reply must be the 30, not the 0810
// (a frame left unanswered would make the 0810 come first; the test then does not wait for more).
TEST_F(ServerTest, ANonNumericAmountBeforeTheStanIsAnsweredWithFormatError) {
  start();
  IsoClient link = iso();
  auto encoded = iso8583::encode(*spec_, authorization(5, 100));
  ASSERT_TRUE(encoded.ok());
  std::string wire(encoded->begin(), encoded->end());
  const std::string pan_to_amount = std::string(kPan) + "000000" + amount_of(100);  // DE 2, 3, 4
  const size_t at = wire.find(pan_to_amount);
  ASSERT_NE(at, std::string::npos);
  wire[at + 16 + 6 + 3] = 'X';  // inside DE 4
  link.send_raw(std::span(reinterpret_cast<const uint8_t*>(wire.data()), wire.size()));
  link.send(sign_on(6));
  const iso8583::Message first = link.receive();
  EXPECT_EQ(first.mti(), "0110");
  EXPECT_EQ(first.get(39), "30");
  EXPECT_EQ(first.get(11), "000005");
  EXPECT_FALSE(first.has(4));
  if (first.mti() == "0110") {
    EXPECT_EQ(link.receive().mti(), "0810");
  }
  EXPECT_EQ(server_->metrics().decode_errors.load(), 1u);
  EXPECT_EQ(server_->metrics().format_errors.load(), 1u);
}

TEST_F(ServerTest, ABitmapAnnouncingAFieldThatIsNotThereIsAnsweredWithFormatError) {
  start();
  IsoClient link = iso();
  iso8583::Message request = authorization(8, 100);
  request.set(52, std::string("\x12\x34\x56\x78\x9A\xBC\xDE\xF0", 8));
  request.clear(32);
  auto encoded = iso8583::encode(*spec_, request);
  ASSERT_TRUE(encoded.ok());
  std::vector<uint8_t> wire(encoded->begin(), encoded->end());
  // Announce DE 32 (LLVAR): its prefix is read from DE 37, later fields shift, DE 49 reads PIN
  // block bytes (malformed: must not be echoed) and DE 52 runs out of bytes.
  wire[4 + 3] |= 0x01;
  link.send_raw(wire);
  link.send(sign_on(9));
  const iso8583::Message first = link.receive();
  EXPECT_EQ(first.mti(), "0110");
  EXPECT_EQ(first.get(39), "30");
  EXPECT_EQ(first.get(11), "000008");
  EXPECT_FALSE(first.has(49));
  if (first.mti() == "0110") {
    EXPECT_EQ(link.receive().mti(), "0810");
  }
  EXPECT_EQ(server_->metrics().format_errors.load(), 1u);
}

TEST_F(ServerTest, AFrameWhoseStanCannotBeLocatedIsCountedButNotAnswered) {
  start();
  IsoClient link = iso();
  iso8583::Message request = authorization(10, 100);
  auto encoded = iso8583::encode(*spec_, request);
  ASSERT_TRUE(encoded.ok());
  std::string wire(encoded->begin(), encoded->end());
  // DE 2's length prefix is not digits: nothing after it can be located.
  const size_t at = wire.find(std::string("16") + kPan);
  ASSERT_NE(at, std::string::npos);
  wire[at] = 'Z';
  link.send_raw(std::span(reinterpret_cast<const uint8_t*>(wire.data()), wire.size()));
  EXPECT_EQ(link.exchange(sign_on(11)).mti(), "0810");
  EXPECT_EQ(server_->metrics().decode_errors.load(), 1u);
  EXPECT_EQ(server_->metrics().format_errors.load(), 0u);
}

TEST_F(ServerTest, AnAuthorizationWithoutAmountIsAnsweredWithFormatError) {
  start();
  IsoClient link = iso();
  iso8583::Message no_amount = authorization(3, 100);
  no_amount.clear(4);
  const iso8583::Message reply = link.exchange(no_amount);
  EXPECT_EQ(reply.mti(), "0110");
  EXPECT_EQ(reply.get(39), "30");
  EXPECT_EQ(reply.get(11), "000003");
}

TEST_F(ServerTest, ARequestCutShortAfterItsStanIsAnsweredWithFormatError) {
  start();
  IsoClient link = iso();
  auto encoded = iso8583::encode(*spec_, authorization(4, 100));
  ASSERT_TRUE(encoded.ok());
  std::vector<uint8_t> cut(encoded->begin(), encoded->end() - 1);  // the last field is short
  link.send_raw(cut);
  const iso8583::Message reply = link.receive();
  EXPECT_EQ(reply.mti(), "0110");
  EXPECT_EQ(reply.get(39), "30");
  EXPECT_EQ(reply.get(11), "000004");
  EXPECT_EQ(server_->metrics().decode_errors.load(), 1u);
}

TEST_F(ServerTest, ADuplicateTransmissionGetsTheSameApprovalCode) {
  start();
  AdminClient ops = admin();
  load_portfolio(ops);
  IsoClient link = iso();
  const iso8583::Message original = link.exchange(authorization(9, 1000));
  ASSERT_EQ(original.get(39), "00");
  iso8583::Message again = authorization(9, 1000);
  again.set_mti("0101");
  const iso8583::Message repeat = link.exchange(again);
  EXPECT_EQ(repeat.get(38), original.get(38));
  EXPECT_EQ(open_to_buy(ops), 60000 - 1000);  // held once
}

TEST_F(ServerTest, StateSurvivesARestartAndTheJournalAloneRebuildsIt) {
  start();
  {
    AdminClient ops = admin();
    load_portfolio(ops);
    IsoClient link = iso();
    ASSERT_EQ(link.exchange(authorization(1, 12345)).get(39), "00");
  }
  restart();
  EXPECT_TRUE(server_->recovery().snapshot_loaded);
  {
    AdminClient ops = admin();
    EXPECT_EQ(open_to_buy(ops), 60000 - 12345);
  }
  // Lose every snapshot: the journal replays from the first entry to the same state.
  server_->stop();
  for (const auto& entry : std::filesystem::directory_iterator(data_dir_)) {
    if (entry.path().extension() == ".snap") std::filesystem::remove(entry.path());
  }
  server_.reset();
  start();
  EXPECT_FALSE(server_->recovery().snapshot_loaded);
  EXPECT_EQ(server_->recovery().entries_replayed, server_->recovery().last_sequence);
  AdminClient ops = admin();
  EXPECT_EQ(open_to_buy(ops), 60000 - 12345);
  IsoClient link = iso();
  EXPECT_EQ(link.exchange(authorization(2, 50000)).get(39), "51");
}

// Everything the server writes is the owner's only: the data directory 0700, the journal, its
// lock and the snapshots 0600 (whatever the umask), and the PAN key beside the directory.
TEST_F(ServerTest, TheDataDirectoryAndEveryFileInItAreOwnerOnly) {
  const mode_t old_umask = ::umask(022);
  std::filesystem::permissions(data_dir_,
                               std::filesystem::perms::owner_all | std::filesystem::perms::group_read |
                                   std::filesystem::perms::group_exec | std::filesystem::perms::others_read |
                                   std::filesystem::perms::others_exec);
  start();
  {
    AdminClient ops = admin();
    load_portfolio(ops);
  }
  server_->stop();  // a graceful stop writes a snapshot
  ::umask(old_umask);
  namespace fs = std::filesystem;
  constexpr fs::perms kOpenToOthers = fs::perms::group_all | fs::perms::others_all;
  EXPECT_EQ(fs::status(data_dir_).permissions(), fs::perms::owner_all);
  size_t files = 0, snapshots = 0;
  for (const auto& entry : fs::recursive_directory_iterator(data_dir_)) {
    SCOPED_TRACE(entry.path().string());
    EXPECT_EQ(entry.status().permissions() & kOpenToOthers, fs::perms::none);
    ++files;
    if (entry.path().extension() == ".snap") ++snapshots;
  }
  EXPECT_GE(files, 3u);  // a segment, the lock, a snapshot
  EXPECT_GE(snapshots, 1u);
  EXPECT_FALSE(fs::exists(data_dir_ + "/pan.key"));
  ASSERT_TRUE(fs::exists(data_dir_ + ".pan.key"));
  EXPECT_EQ(fs::status(data_dir_ + ".pan.key").permissions(), fs::perms::owner_read | fs::perms::owner_write);
}

// A PAN key inside the data directory (where a copy of the directory takes it along), or one
// that group or others may read, stops the start with a message saying what to do.
TEST_F(ServerTest, APanKeyInsideTheDataDirectoryOrReadableByOthersIsRefused) {
  config_.pan_key_file = data_dir_ + "/pan.key";
  {
    Server inside(data_dir_, config_, logger_);
    auto refused = inside.start();
    ASSERT_FALSE(refused.ok());
    EXPECT_NE(refused.error().message.find("inside the data directory"), std::string::npos)
        << refused.error().message;
  }
  EXPECT_FALSE(std::filesystem::exists(data_dir_ + "/pan.key"));

  const std::string key = data_dir_ + ".pan.key";
  {
    std::ofstream out(key, std::ios::binary);
    out << std::string(32, '\x5a');
  }
  std::filesystem::permissions(key, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write |
                                        std::filesystem::perms::group_read |
                                        std::filesystem::perms::others_read);
  config_.pan_key_file = key;
  {
    Server readable(data_dir_, config_, logger_);
    auto open_key = readable.start();
    ASSERT_FALSE(open_key.ok());
    EXPECT_NE(open_key.error().message.find("chmod 600"), std::string::npos) << open_key.error().message;
    EXPECT_NE(open_key.error().message.find("0644"), std::string::npos) << open_key.error().message;
  }
  // Owner-only, the same key is taken.
  std::filesystem::permissions(key, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  start();
}

TEST_F(ServerTest, FourAsciiDigitFramingWorksWhenConfigured) {
  config_.framing = Framing::len4ascii;
  start();
  IsoClient link = iso();
  EXPECT_EQ(link.exchange(sign_on(4)).get(39), "00");
}

TEST_F(ServerTest, MalformedAdminJsonGetsAnErrorAndTheConnectionContinues) {
  start();
  AdminClient ops = admin();
  ops.send_line("{\"op\": \"open_account\", ");
  EXPECT_TRUE(ops.receive().contains("error"));
  const json bad = ops.request({{"op", "open_account"}, {"currency", "156"}});
  EXPECT_EQ(bad.value("field", ""), "credit_limit_minor");
  load_portfolio(ops);
}

TEST_F(ServerTest, AdminAnswersComeInRequestOrderEvenWhenSomeAreErrors) {
  start();
  AdminClient ops = admin();
  ops.send_line(R"({"op":"open_account","id":1,"currency":"156","credit_limit_minor":100})");
  ops.send_line("not json");
  ops.send_line(R"({"op":"open_account","id":2,"currency":"156","credit_limit_minor":100})");
  EXPECT_EQ(ops.receive().value("id", 0), 1);
  EXPECT_TRUE(ops.receive().contains("error"));
  EXPECT_EQ(ops.receive().value("id", 0), 2);
}

TEST_F(ServerTest, StatsCarryTheServerCounters) {
  start();
  AdminClient ops = admin();
  load_portfolio(ops);
  IsoClient link = iso();
  ASSERT_EQ(link.exchange(authorization(1, 100)).get(39), "00");
  const json stats = ops.request({{"op", "stats"}});
  EXPECT_EQ(stats.at("approvals").get<int>(), 1);
  const json& server = stats.at("server");
  EXPECT_GE(server.at("messages_in").get<int>(), 5);  // 3 portfolio lines, 1 0100, stats
  EXPECT_GE(server.at("batches").get<int>(), 1);
  EXPECT_GE(server.at("entries_per_commit").get<double>(), 1.0);
}

TEST_F(ServerTest, StatsAreCountersOnlyAndAuditChecksTheBooks) {
  start();
  AdminClient ops = admin();
  load_portfolio(ops);
  const json stats = ops.request({{"op", "stats"}});
  EXPECT_FALSE(stats.contains("books_balance"));
  const json audit = ops.request({{"op", "audit"}});
  EXPECT_TRUE(audit.at("books_balance").get<bool>());
  EXPECT_TRUE(audit.contains("audit_ms"));
  EXPECT_TRUE(audit.at("server").contains("ticks"));
}

TEST_F(ServerTest, AnIdleServerJournalsNoTicks) {
  config_.tick_interval_ms = 10;
  start();
  AdminClient ops = admin();
  load_portfolio(ops);  // no holds, no message records: no timer is ever due
  const uint64_t before = ops.request({{"op", "stats"}}).at("server").at("journal_last_sequence");
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // ~20 checks
  const json server = ops.request({{"op", "stats"}}).at("server");
  EXPECT_EQ(server.at("journal_last_sequence").get<uint64_t>(), before);
  EXPECT_EQ(server.at("ticks").get<uint64_t>(), 0u);
}

TEST_F(ServerTest, ChangedEngineSettingsAreJournaledOnceAndSurviveReplay) {
  start();
  // A fresh data directory starts with its settings: entry 1 is a Configure.
  EXPECT_EQ(server_->recovery().last_sequence, 0u);
  {
    AdminClient ops = admin();
    EXPECT_EQ(ops.request({{"op", "stats"}}).at("server").at("journal_last_sequence"), 1);
  }
  config_.engine.default_hold_days = 5;
  restart();
  EXPECT_NE(log_text().find("engine.default_hold_days"), std::string::npos);
  {
    AdminClient ops = admin();
    EXPECT_EQ(ops.request({{"op", "stats"}}).at("server").at("journal_last_sequence"), 2);
  }
  restart();  // same settings: nothing more is journaled
  {
    AdminClient ops = admin();
    EXPECT_EQ(ops.request({{"op", "stats"}}).at("server").at("journal_last_sequence"), 2);
  }
}

TEST_F(ServerTest, ASnapshotIsWrittenByAChildWhileTheServerKeepsAnswering) {
  config_.snapshot_every_commands = 3;
  start();
  AdminClient ops = admin();
  load_portfolio(ops);  // Configure + 3 commands: a snapshot is due
  IsoClient link = iso();
  json server;
  for (int i = 0; i < 500; ++i) {
    ASSERT_EQ(link.exchange(authorization(100 + i, 1)).get(39), "00");
    server = ops.request({{"op", "stats"}}).at("server");
    if (server.at("snapshots").get<int>() >= 1 && !server.at("snapshot_running").get<bool>()) break;
  }
  EXPECT_GE(server.at("snapshots").get<int>(), 1);
  EXPECT_EQ(server.at("snapshot_failures").get<int>(), 0);
  EXPECT_NE(log_text().find("by child"), std::string::npos);
  restart();
  EXPECT_TRUE(server_->recovery().snapshot_loaded);
}

TEST_F(ServerTest, DecodeErrorsAreLoggedTenTimesPerConnectionThenSummarised) {
  start();
  AdminClient ops = admin();
  {
    IsoClient link = iso();
    const std::vector<uint8_t> garbage{'0', '1', '0', '0', 0xFF};  // a bitmap cut short
    for (int i = 0; i < 25; ++i) link.send_raw(garbage);
    EXPECT_EQ(link.exchange(sign_on(7)).get(39), "00");  // the link is still served
  }
  EXPECT_EQ(ops.request({{"op", "stats"}}).at("server").at("decode_errors"), 25);
  const std::string log = log_text();
  size_t full = 0;
  for (size_t at = log.find("does not decode with"); at != std::string::npos;
       at = log.find("does not decode with", at + 1)) {
    ++full;
  }
  EXPECT_EQ(full, 10u);
}

TEST_F(ServerTest, ATinyEngineQueueSlowsReadersDownButLosesNothing) {
  config_.engine_queue_capacity = 1;
  config_.max_batch = 1;
  start();
  AdminClient ops = admin();
  load_portfolio(ops);
  IsoClient a = iso();
  IsoClient b = iso();
  for (int stan = 1; stan <= 100; ++stan) {
    a.send(authorization(stan, 10));
    b.send(authorization(1000 + stan, 10));
  }
  for (int i = 0; i < 100; ++i) {
    EXPECT_EQ(a.receive().get(39), "00");
    EXPECT_EQ(b.receive().get(39), "00");
  }
  EXPECT_EQ(open_to_buy(ops), 60000 - 200 * 10);
}

TEST_F(ServerTest, ManyLinksOnSeveralIoThreadsAreAnsweredEachInItsOwnOrder) {
  config_.io_threads = 2;
  start();
  AdminClient ops = admin();
  load_portfolio(ops);
  std::vector<std::unique_ptr<IsoClient>> links;
  for (int i = 0; i < 8; ++i) {
    links.push_back(std::make_unique<IsoClient>(server_->iso_port(), config_.framing, *spec_));
  }
  for (int n = 0; n < 50; ++n) {
    for (int i = 0; i < 8; ++i) links[static_cast<size_t>(i)]->send(authorization(i * 1000 + n, 10));
  }
  for (int i = 0; i < 8; ++i) {
    for (int n = 0; n < 50; ++n) {
      EXPECT_EQ(links[static_cast<size_t>(i)]->receive().get(11), stan_of(i * 1000 + n));
    }
  }
  EXPECT_EQ(open_to_buy(ops), 60000 - 400 * 10);
}

TEST_F(ServerTest, AnOversizeLengthHeaderEndsOnlyThatConnection) {
  config_.max_frame_bytes = 512;
  start();
  IsoClient hostile = iso();
  const std::vector<uint8_t> huge(600, '0');
  hostile.send_raw(huge);
  EXPECT_TRUE(hostile.closed_by_server());
  IsoClient link = iso();
  EXPECT_EQ(link.exchange(sign_on(5)).get(39), "00");
  EXPECT_NE(log_text().find("exceeds max_frame_bytes"), std::string::npos);
}

}  // namespace
}  // namespace holdfast::server
