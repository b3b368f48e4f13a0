// holdfast clearing apply, end to end: a server runs in-process on ephemeral ports with one card;
// an authorisation goes through its ISO port; the clearing writer makes a file with the
// presentment of that authorisation and one unauthorised presentment; the holdfast executable
// applies the file twice. The first run matches one, force-posts and charges back the other;
// the second run changes nothing.
#include <gtest/gtest.h>
#include <spdlog/sinks/null_sink.h>
#include <spdlog/spdlog.h>
#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "clearing/clearing.h"
#include "client/client.h"
#include "iso8583/spec.h"
#include "server/server.h"

namespace holdfast {
namespace {

using nlohmann::json;

constexpr const char* kPan = "6225880000000019";

std::string temp_dir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "holdfast-clearing-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) std::abort();
  return pattern;
}

struct CliRun {
  int exit_code = -1;
  std::string output;
  std::vector<std::string> lines;
  json summary;  // the last line
};

CliRun run_holdfast(const std::string& args) {
  CliRun run;
  const std::string command = std::string(HOLDFAST_EXECUTABLE) + " " + args + " 2>&1";
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return run;
  char buffer[4096];
  size_t n = 0;
  while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) run.output.append(buffer, n);
  const int status = ::pclose(pipe);
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  size_t start = 0;
  while (start < run.output.size()) {
    size_t end = run.output.find('\n', start);
    if (end == std::string::npos) end = run.output.size();
    run.lines.push_back(run.output.substr(start, end - start));
    start = end + 1;
  }
  if (!run.lines.empty()) run.summary = json::parse(run.lines.back(), nullptr, false);
  return run;
}

clearing::ClearingRecord presentment(int64_t amount_minor, const std::string& approval_code,
                                     const std::string& arn) {
  clearing::ClearingRecord r;
  r.kind = clearing::RecordKind::kFirstPresentment;
  r.pan = kPan;
  r.amount = Money{amount_minor, Currency{156}};
  r.approval_code = approval_code;
  r.arn = arn;
  r.mcc = 5411;
  r.country = "CHN";
  r.card_presence = clearing::CardPresence::kPresent;
  r.local_time = clearing::LocalDateTime{2026, 11, 29, 10, 30, 0};
  return r;
}

class ClearingApplyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    data_dir_ = temp_dir();
    server::ServerConfig config;
    config.iso_port = 0;
    config.admin_port = 0;
    framing_ = config.framing;
    spec_ = iso8583::find_spec(config.spec);
    ASSERT_NE(spec_, nullptr);
    server_ = std::make_unique<server::Server>(
        data_dir_, config,
        std::make_shared<spdlog::logger>("clearing_apply", std::make_shared<spdlog::sinks::null_sink_mt>()));
    auto started = server_->start();
    ASSERT_TRUE(started.ok()) << started.error().message;
    admin_address_ = "127.0.0.1:" + std::to_string(server_->admin_port());
    // A Mastercard range whose floor limit is zero: an unauthorised item is charged back.
    for (const json& request :
         {json{
              {"op", "create_card_range"},
              {"prefix_low", "622588"},
              {"prefix_high", "622588"},
              {"product", {{"name", "classic"}, {"scheme", "mastercard"}, {"default_floor_limit_minor", 0}}}},
          json{{"op", "open_account"}, {"id", 1001}, {"currency", "156"}, {"credit_limit_minor", 60000}},
          json{
              {"op", "issue_card"}, {"id", 5001}, {"account_id", 1001}, {"pan", kPan}, {"expiry", "2812"}}}) {
      const json answer = admin(request);
      ASSERT_TRUE(answer.value("ok", false)) << request.dump() << " -> " << answer.dump();
    }
  }
  void TearDown() override {
    if (server_) server_->stop();
    std::filesystem::remove_all(data_dir_);
    std::filesystem::remove(data_dir_ + ".pan.key");  // the default PAN key, beside the directory
  }

  json admin(const json& request) {
    auto client = client::AdminClient::connect("127.0.0.1", server_->admin_port());
    EXPECT_TRUE(client.ok());
    if (!client.ok()) return json{};
    auto answer = client->call(request);
    EXPECT_TRUE(answer.ok());
    return answer.ok() ? *answer : json{};
  }

  // A CNY 50.00 card-present authorisation; returns its approval code (DE 38).
  std::string authorise() {
    auto link = client::IsoClient::connect("127.0.0.1", server_->iso_port(), framing_, *spec_);
    EXPECT_TRUE(link.ok());
    if (!link.ok()) return "";
    iso8583::Message m;
    m.set_mti("0100");
    m.set(2, kPan);
    m.set(3, "000000");
    m.set(4, "000000005000");
    m.set(7, "1129103000");
    m.set(11, "000001");
    m.set(14, "2812");
    m.set(18, "5411");
    m.set(22, "051");
    m.set(32, "123456");
    m.set(37, "633300000001");
    m.set(41, "TERM0001");
    m.set(42, "MERCHANT0000001");
    m.set(49, "156");
    auto reply = link->exchange(m);
    EXPECT_TRUE(reply.ok());
    if (!reply.ok()) return "";
    EXPECT_EQ(reply->get(39), "00");
    return std::string(reply->get(38));
  }

  // The matching presentment of the authorisation, then one with nothing behind it.
  std::vector<clearing::ClearingRecord> file_records() {
    return {presentment(5000, authorise(), "74000000000000000000001"),
            presentment(20000, "", "74000000000000000000002")};
  }

  std::string write_binary(const std::vector<clearing::ClearingRecord>& records, size_t cut_bytes = 0) {
    clearing::WriteOptions options;
    options.file_id = "HF-E2E-0001";
    auto bytes = clearing::write_clearing_file(records, *iso8583::find_spec("iso93binary"), options);
    EXPECT_TRUE(bytes.ok());
    const std::string path = data_dir_ + "/clearing.ipm";
    std::ofstream out(path, std::ios::binary);
    out.write(reinterpret_cast<const char*>(bytes->data()),
              static_cast<std::streamsize>(bytes->size() - cut_bytes));
    return path;
  }

  json account() { return admin({{"op", "get_account"}, {"account_id", 1001}}); }
  json cases() { return admin({{"op", "list_cases"}, {"card_id", 5001}}); }

  std::string data_dir_;
  server::Framing framing_{};
  const iso8583::MessageSpec* spec_ = nullptr;
  std::unique_ptr<server::Server> server_;
  std::string admin_address_;
};

TEST_F(ClearingApplyTest, AFileAppliedTwiceChangesNothingTheSecondTime) {
  const std::string file = write_binary(file_records());

  const CliRun first = run_holdfast("clearing apply " + file + " --admin " + admin_address_);
  EXPECT_EQ(first.exit_code, 0) << first.output;
  EXPECT_EQ(first.summary["records"], 2) << first.output;
  EXPECT_EQ(first.summary["applied"], 2);
  EXPECT_EQ(first.summary["already_applied"], 0);
  EXPECT_EQ(first.summary["unauthorised"], 1);
  EXPECT_EQ(first.summary["rejected"], 0);
  EXPECT_EQ(first.summary["errors"], 0);
  EXPECT_EQ(first.summary["chargebacks_raised"], 1);
  EXPECT_EQ(first.summary["complete"], true);
  // One line for the unauthorised record (the header is record 1), none for the matched one.
  ASSERT_EQ(first.lines.size(), 2u) << first.output;
  EXPECT_NE(
      first.lines[0].find(
          "record 3 (HF-E2E-0001:3): presentment_unauthorised, unauthorised_minor 20000, chargeback raised"),
      std::string::npos)
      << first.lines[0];
  EXPECT_EQ(first.output.find(kPan), std::string::npos) << "the clear PAN must not be printed";

  const json after_first = account();
  // The matched 50.00 is posted from its hold; the unauthorised 200.00 was posted and, above the
  // zero floor limit, charged back at once (the cardholder credited, the acquirer owing it).
  EXPECT_EQ(after_first["open_to_buy_minor"], 60000 - 5000) << after_first.dump();
  EXPECT_EQ(after_first["posted_balance_minor"], 5000);
  EXPECT_EQ(after_first["pending_holds_minor"], 0);
  const json cases_after_first = cases();
  ASSERT_EQ(cases_after_first["disputes"].size(), 1u) << cases_after_first.dump();
  EXPECT_EQ(cases_after_first["disputes"][0]["origin"], "no_authorisation");
  EXPECT_EQ(cases_after_first["disputes"][0]["receivable_minor"], 20000);
  EXPECT_EQ(admin({{"op", "get_presentment"}, {"record_id", "HF-E2E-0001:2"}})["outcome"],
            "presentment_matched");

  const CliRun second = run_holdfast("clearing apply " + file +
                                     " --format binary --spec iso93binary --admin " + admin_address_);
  EXPECT_EQ(second.exit_code, 0) << second.output;
  EXPECT_EQ(second.summary["records"], 2) << second.output;
  EXPECT_EQ(second.summary["applied"], 0);
  EXPECT_EQ(second.summary["already_applied"], 2);
  EXPECT_EQ(second.summary["unauthorised"], 0);
  EXPECT_EQ(second.summary["chargebacks_raised"], 0);
  EXPECT_EQ(second.summary["complete"], true);
  EXPECT_EQ(second.lines.size(), 1u) << second.output;  // the summary only
  EXPECT_EQ(account(), after_first);
  EXPECT_EQ(cases(), cases_after_first);
}

TEST_F(ClearingApplyTest, TheOperatorCsvIsAppliedTheSameWay) {
  std::vector<clearing::ClearingRecord> records = file_records();
  records[0].record_id = "OPS-1";
  records[1].record_id = "OPS-2";
  auto csv = clearing::write_clearing_csv(records);
  ASSERT_TRUE(csv.ok());
  const std::string path = data_dir_ + "/clearing.csv";
  std::ofstream(path) << *csv;
  const CliRun run = run_holdfast("clearing apply " + path + " --format csv --admin " + admin_address_);
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_EQ(run.summary["applied"], 2) << run.output;
  EXPECT_EQ(run.summary["unauthorised"], 1);
  EXPECT_EQ(admin({{"op", "get_presentment"}, {"record_id", "OPS-1"}})["outcome"], "presentment_matched");
  EXPECT_EQ(account()["open_to_buy_minor"], 55000);
}

// `holdfast clearing apply file.csv` without --format used to fail with "record length
// 1919247215": the format is told apart by the first bytes, and a wrong --format says which
// format the file looks like.
TEST_F(ClearingApplyTest, ACsvFileIsAppliedWithoutFormatAndAWrongFormatSaysWhatItLooksLike) {
  std::vector<clearing::ClearingRecord> records = file_records();
  records[0].record_id = "OPS-AUTO-1";
  records[1].record_id = "OPS-AUTO-2";
  auto csv = clearing::write_clearing_csv(records);
  ASSERT_TRUE(csv.ok());
  const std::string path = data_dir_ + "/clearing.csv";
  std::ofstream(path) << *csv;
  const CliRun named_wrong =
      run_holdfast("clearing apply " + path + " --format binary --admin " + admin_address_);
  EXPECT_EQ(named_wrong.exit_code, 2) << named_wrong.output;
  EXPECT_EQ(named_wrong.summary["records"], 0) << named_wrong.output;
  EXPECT_NE(named_wrong.output.find("record 1 at offset 0: bad_record_length: record length 1919247215 "
                                    "(allowed 1..32768); this looks like the operator CSV: read it as CSV "
                                    "(--format csv)"),
            std::string::npos)
      << named_wrong.output;
  const CliRun run = run_holdfast("clearing apply " + path + " --admin " + admin_address_);
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_EQ(run.summary["applied"], 2) << run.output;
  EXPECT_EQ(admin({{"op", "get_presentment"}, {"record_id", "OPS-AUTO-1"}})["outcome"],
            "presentment_matched");

  const std::string text = data_dir_ + "/notes.txt";
  std::ofstream(text) << "not a clearing file\n";
  const CliRun neither = run_holdfast("clearing apply " + text + " --admin " + admin_address_);
  EXPECT_EQ(neither.exit_code, 2) << neither.output;
  EXPECT_NE(neither.output.find("unknown_format"), std::string::npos) << neither.output;
}

// One spelling of the admin address for every subcommand; the old ones still work.
TEST_F(ClearingApplyTest, EverySubcommandTakesTheAdminAddressAsAdminHostPort) {
  const std::string request = R"( '{"op":"get_account","account_id":1001}')";
  const CliRun admin_run = run_holdfast("admin" + request + " --admin " + admin_address_);
  EXPECT_EQ(admin_run.exit_code, 0) << admin_run.output;
  EXPECT_EQ(admin_run.summary["open_to_buy_minor"], 60000) << admin_run.output;
  const std::string port = std::to_string(server_->admin_port());
  const CliRun old_spelling = run_holdfast("admin" + request + " --host 127.0.0.1 --port " + port);
  EXPECT_EQ(old_spelling.exit_code, 0) << old_spelling.output;
  EXPECT_EQ(old_spelling.summary["open_to_buy_minor"], 60000) << old_spelling.output;
  EXPECT_NE(run_holdfast("admin" + request + " --admin " + admin_address_ + " --port " + port).exit_code, 0);
  EXPECT_EQ(run_holdfast("admin" + request + " --admin nowhere").exit_code, 2);
  const std::string portfolio = data_dir_ + "/portfolio.json";
  std::ofstream(portfolio) << R"({"accounts":[{"id":1002,"currency":"156","credit_limit_minor":1000}]})";
  const CliRun loaded = run_holdfast("portfolio " + portfolio + " --admin " + admin_address_);
  EXPECT_EQ(loaded.exit_code, 0) << loaded.output;
  EXPECT_EQ(admin({{"op", "get_account"}, {"account_id", 1002}})["open_to_buy_minor"], 1000);
}

TEST_F(ClearingApplyTest, AFileCutShortAppliesWhatCameBeforeAndExitsTwo) {
  const std::string file = write_binary(file_records(), 5);  // inside the trailer
  const CliRun run = run_holdfast("clearing apply " + file + " --admin " + admin_address_);
  EXPECT_EQ(run.exit_code, 2) << run.output;
  EXPECT_EQ(run.summary["applied"], 2) << run.output;
  EXPECT_EQ(run.summary["errors"], 1);
  EXPECT_EQ(run.summary["complete"], false);
  EXPECT_NE(run.output.find("error: "), std::string::npos);
  EXPECT_NE(run.output.find("truncated"), std::string::npos) << run.output;

  const CliRun missing =
      run_holdfast("clearing apply " + data_dir_ + "/no-such-file --admin " + admin_address_);
  EXPECT_EQ(missing.exit_code, 2) << missing.output;
  EXPECT_EQ(missing.summary["records"], 0) << missing.output;
  EXPECT_EQ(missing.summary["complete"], false);
}

TEST_F(ClearingApplyTest, BadRecordsAreReportedAndTheRestIsApplied) {
  std::vector<clearing::ClearingRecord> records = file_records();
  records[0].pan = "6225880000000027";  // no such card: the engine rejects it
  const std::string file = write_binary(records);
  const CliRun run = run_holdfast("clearing apply " + file + " --admin " + admin_address_);
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_EQ(run.summary["rejected"], 1) << run.output;
  EXPECT_EQ(run.summary["applied"], 1);
  EXPECT_NE(run.output.find("record 2 (HF-E2E-0001:2): rejected: presentment_unknown_card"),
            std::string::npos)
      << run.output;
}

TEST_F(ClearingApplyTest, NoServerIsAnOperatingErrorAndBadOptionsAreBadInput) {
  const std::string file = write_binary(file_records());
  const uint16_t port = server_->admin_port();
  server_->stop();
  EXPECT_EQ(run_holdfast("clearing apply " + file + " --admin 127.0.0.1:" + std::to_string(port)).exit_code,
            1);
  EXPECT_EQ(run_holdfast("clearing apply " + file + " --admin nowhere").exit_code, 2);
  EXPECT_NE(run_holdfast("clearing apply " + file + " --format xml").exit_code, 0);
  EXPECT_NE(run_holdfast("clearing apply " + file + " --spec iso87ascii").exit_code, 0);
}

}  // namespace
}  // namespace holdfast
