#include <filesystem>

#include <gtest/gtest.h>

#include "loadgen/loadgen.h"
#include "server/server.h"

namespace holdfast::loadgen {
namespace {

TEST(Histogram, BucketsCoverEveryValueAndPercentilesNeverUnderstate) {
  for (uint64_t v : {0ULL, 1ULL, 255ULL, 256ULL, 257ULL, 1000ULL, 123456ULL, 1ULL << 40, (1ULL << 47) - 1}) {
    const int b = Histogram::bucket_of(v);
    ASSERT_GE(Histogram::bucket_upper(b), v) << v;
    if (b > 0) {
      ASSERT_LT(Histogram::bucket_upper(b - 1), v) << v;
    }
  }
  Histogram h;
  for (uint64_t v = 1; v <= 100'000; ++v) h.record(v * 1000);
  EXPECT_EQ(h.count(), 100'000U);
  EXPECT_GE(h.percentile(0.5), 50'000'000U);
  EXPECT_LE(h.percentile(0.5), 50'500'000U);
  EXPECT_GE(h.percentile(0.99), 99'000'000U);
  EXPECT_LE(h.percentile(0.99), 99'990'000U);
  EXPECT_EQ(h.percentile(1.0), 100'000'000U);
  EXPECT_EQ(h.max(), 100'000'000U);
  Histogram other;
  other.record(5);
  h.merge(other);
  EXPECT_EQ(h.min(), 5U);
  EXPECT_EQ(h.count(), 100'001U);
}

TEST(Portfolio, PansAreLuhnValidAndDistinct) {
  EXPECT_FALSE(luhn_valid("6225880000000018"));  // the demo portfolio's card: not Luhn-valid
  EXPECT_TRUE(luhn_valid("4111111111111111"));
  EXPECT_FALSE(luhn_valid("4111111111111112"));
  EXPECT_EQ(card_pan("622588", 1), "6225880000000019");
  for (uint64_t i = 0; i < 1000; ++i) {
    const std::string pan = card_pan("622588", i);
    ASSERT_EQ(pan.size(), 16U);
    ASSERT_TRUE(luhn_valid(pan)) << pan;
  }
  PortfolioOptions o;
  o.cards = 3;
  const auto requests = portfolio_requests(o);
  ASSERT_EQ(requests.size(), 7U);
  EXPECT_EQ(requests[0]["op"], "create_card_range");
  EXPECT_EQ(requests[2]["op"], "issue_card");
  EXPECT_EQ(requests[2]["account_id"], o.first_account_id);
}

TEST(Loopback, OnlyLoopbackTargetsAreAccepted) {
  EXPECT_TRUE(resolve_loopback("127.0.0.1").ok());
  EXPECT_TRUE(resolve_loopback("127.3.2.1").ok());
  EXPECT_TRUE(resolve_loopback("::1").ok());
  EXPECT_TRUE(resolve_loopback("localhost").ok());
  auto remote = resolve_loopback("10.1.2.3");
  ASSERT_FALSE(remote.ok());
  EXPECT_EQ(remote.error().code, LoadgenErrc::not_loopback);
  EXPECT_FALSE(resolve_loopback("0.0.0.0").ok());
  EXPECT_FALSE(resolve_loopback("::ffff:10.0.0.1").ok());
  LoadgenOptions o;
  o.host = "192.168.1.1";
  auto r = run(o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, LoadgenErrc::not_loopback);
}

class AgainstServer : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("holdfast-loadgen-test-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir_);
    server::ServerConfig config;
    config.iso_port = 0;
    config.admin_port = 0;
    config.stats_log_interval_s = 3600;
    server_ = std::make_unique<server::Server>(dir_.string(), config);
    ASSERT_TRUE(server_->start().ok());
    PortfolioOptions p;
    p.cards = 50;
    auto loaded = load_portfolio("127.0.0.1", server_->admin_port(), p);
    ASSERT_TRUE(loaded.ok()) << loaded.error().message;
    EXPECT_EQ(loaded->created, 101U);
    // Loading again changes nothing.
    auto again = load_portfolio("127.0.0.1", server_->admin_port(), p);
    ASSERT_TRUE(again.ok()) << again.error().message;
    EXPECT_EQ(again->created, 0U);
  }
  void TearDown() override {
    server_.reset();
    std::filesystem::remove_all(dir_);
    std::filesystem::remove(dir_.string() + ".pan.key");  // the default PAN key, beside the directory
  }
  LoadgenOptions options() const {
    LoadgenOptions o;
    o.port = server_->iso_port();
    o.portfolio.cards = 50;
    o.duration_s = 0.5;
    o.warmup_s = 0.1;
    o.connections = 2;
    return o;
  }
  std::filesystem::path dir_;
  std::unique_ptr<server::Server> server_;
};

TEST_F(AgainstServer, OpenLoopAnswersEveryRequestOnSchedule) {
  LoadgenOptions o = options();
  o.rate = 2000;
  o.reversal_fraction = 0.1;
  o.advice_fraction = 0.05;
  auto r = run(o);
  ASSERT_TRUE(r.ok()) << r.error().message;
  SCOPED_TRACE(to_text(*r));
  EXPECT_NEAR(static_cast<double>(r->sent), 1000, 20);
  EXPECT_EQ(r->answered, r->sent);
  EXPECT_EQ(r->timeouts + r->unanswered + r->unmatched + r->decode_errors + r->connection_errors, 0U);
  EXPECT_GT(r->kinds[kReversal].approved, 0U);
  EXPECT_GT(r->kinds[kAdvice].answered, 0U);
  EXPECT_GT(r->kinds[kAuthorization].approved, r->kinds[kAuthorization].sent * 9 / 10);
  EXPECT_EQ(r->latency.count(), r->answered);
  const auto j = to_json(*r);
  EXPECT_EQ(j["sent"], r->sent);
  EXPECT_TRUE(j["latency_us"].contains("p99_9"));
}

TEST_F(AgainstServer, ClosedLoopKeepsRequestsInFlight) {
  LoadgenOptions o = options();
  o.max_throughput = true;
  o.in_flight = 16;
  o.threads = 2;
  auto r = run(o);
  ASSERT_TRUE(r.ok()) << r.error().message;
  SCOPED_TRACE(to_text(*r));
  EXPECT_GT(r->answered, 100U);
  EXPECT_EQ(r->answered, r->sent);
  EXPECT_EQ(r->timeouts + r->unanswered + r->unmatched + r->decode_errors + r->connection_errors, 0U);
  EXPECT_GT(r->throughput, 0);
}

}  // namespace
}  // namespace holdfast::loadgen
