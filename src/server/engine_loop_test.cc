// The engine loop driven directly: requests are queued before it runs, so they are popped as
// one batch, which is what these stories are about.
#include "server/engine_loop.h"

#include <gtest/gtest.h>
#include <spdlog/sinks/null_sink.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "crypto/cvv.h"
#include "crypto/digits.h"
#include "crypto/luhn.h"
#include "gateway/admin_json.h"
#include "gateway/gateway.h"
#include "security/key_store.h"
#include "security/pan_cipher.h"
#include "security/verifier.h"

namespace holdfast::server {
namespace {

using nlohmann::json;

const std::string kPan = "622588001234567" + std::string(1, *crypto::luhn_check_digit("622588001234567"));
constexpr const char* kExpiry = "2812";
const std::string kCvk = "0123456789ABCDEFFEDCBA9876543210";

crypto::Bytes hx(std::string_view h) { return *crypto::pack_nibbles(h); }

std::string temp_dir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "holdfast-loop-XXXXXX").string();
  HF_ASSERT(::mkdtemp(pattern.data()) != nullptr);
  return pattern;
}

// Keeps every reply, in the order the engine thread delivered them.
class Collect : public ReplySink {
 public:
  void deliver_iso(std::unique_ptr<iso8583::Message>, const engine::Reply& reply) override {
    iso.push_back(reply);
  }
  void deliver_line(std::string line) override { lines.push_back(std::move(line)); }
  std::vector<engine::Reply> iso;
  std::vector<std::string> lines;
};

class EngineLoopTest : public ::testing::Test {
 protected:
  EngineLoopTest() : dir_(temp_dir()), engine_(engine::EngineConfig{}), queue_(64) {
    const std::string master = dir_ + "/master.key";
    HF_ASSERT(security::create_master_key_file(master).ok());
    auto kek = security::load_master_key({master, ""});
    auto store = security::KeyStore::create(*kek);
    security::KeyStore::AddOptions cvk;
    cvk.type = security::KeyType::cvk;
    cvk.scope = "622588";
    HF_ASSERT(store->add(*kek, cvk, hx(kCvk)).ok());
    security::KeyStore::AddOptions pan;
    pan.type = security::KeyType::pan;
    HF_ASSERT(store->add(*kek, pan, hx(std::string(64, 'A'))).ok());
    HF_ASSERT(store->save(dir_ + "/keys.json").ok());
    ring_ = std::make_unique<security::KeyRing>(dir_ + "/keys.json", security::MasterKeySource{master});
    HF_ASSERT(ring_->reload().ok());
    spec_ = iso8583::find_spec(config_.spec);
    stage_ = std::make_unique<security::SecurityStage>(ring_.get(), spec_);
    auto journal = journal::Journal::open(dir_ + "/journal", {});
    HF_ASSERT(journal.ok());
    journal_ = std::move(*journal);
    config_.snapshot_fork = false;
  }
  ~EngineLoopTest() override {
    journal_.reset();
    std::filesystem::remove_all(dir_);
  }

  void admin(const json& request) {
    auto body = gateway::parse_admin_command(request, hasher_, security::pan_encryptor(ring_.get()));
    ASSERT_TRUE(body.ok()) << request.dump() << ": " << body.error().field << " " << body.error().reason;
    EngineRequest r;
    r.kind = EngineRequest::Kind::admin_command;
    r.body = std::move(*body);
    r.sink = sink_;
    ASSERT_EQ(queue_.push(r, {}), EngineQueue::Push::queued);
  }
  void card_not_present(int stan, const std::string& cvv2) {
    auto m = std::make_unique<iso8583::Message>();
    m->set_mti("0100");
    m->set(2, kPan);
    m->set(3, "000000");
    m->set(4, "000000001000");
    m->set(7, "0101120000");
    m->set(11, "00000" + std::to_string(stan));
    m->set(14, kExpiry);
    m->set(18, "5999");
    m->set(22, "010");
    m->set(32, "123456");
    m->set(48, "R92" + std::string("03") + cvv2);
    m->set(49, "156");
    auto body = gateway::to_card_message(*m, hasher_);
    ASSERT_TRUE(body.ok());
    EngineRequest r;
    r.kind = EngineRequest::Kind::card_message;
    r.body = std::move(*body);
    r.iso_request = std::move(m);
    r.sink = sink_;
    ASSERT_EQ(queue_.push(r, {}), EngineQueue::Push::queued);
  }
  void run() {
    queue_.close();
    EngineLoop loop(config_, *journal_, engine_, queue_, metrics_,
                    std::make_shared<spdlog::logger>("loop", std::make_shared<spdlog::sinks::null_sink_mt>()));
    loop.set_security(stage_.get(), ring_.get());
    loop.run();
  }

  std::string dir_;
  ServerConfig config_;
  engine::Engine engine_;
  EngineQueue queue_;
  ServerMetrics metrics_;
  gateway::PanHasher hasher_{std::array<uint8_t, 32>{7}};
  std::unique_ptr<security::KeyRing> ring_;
  const iso8583::MessageSpec* spec_ = nullptr;
  std::unique_ptr<security::SecurityStage> stage_;
  std::unique_ptr<journal::Journal> journal_;
  std::shared_ptr<Collect> sink_ = std::make_shared<Collect>();
};

// The card is issued in the same batch as its first messages: their CVV2s are checked against
// it (a wrong one is declined), not taken for absent.
TEST_F(EngineLoopTest, ACardIssuedInTheSameBatchIsSeenByTheVerifier) {
  const auto cvv2 = crypto::compute_cvv({kPan, kExpiry, "000"}, hx(kCvk.substr(0, 16)), hx(kCvk.substr(16)));
  ASSERT_TRUE(cvv2.ok());
  const std::string wrong = std::string(1, (*cvv2)[0] == '9' ? '0' : static_cast<char>((*cvv2)[0] + 1)) + cvv2->substr(1);
  admin({{"op", "create_card_range"}, {"prefix_low", "622588"}, {"prefix_high", "622588"}});
  admin({{"op", "open_account"}, {"id", 1001u}, {"currency", "156"}, {"credit_limit_minor", 100000u}});
  admin({{"op", "issue_card"}, {"id", 5001u}, {"account_id", 1001u}, {"pan", kPan}, {"expiry", kExpiry}});
  card_not_present(1, wrong);
  card_not_present(2, *cvv2);
  run();
  ASSERT_EQ(sink_->iso.size(), 2u);
  EXPECT_EQ(sink_->iso[0].outcome, engine::Outcome::card_verification_failed);
  EXPECT_EQ(sink_->iso[1].outcome, engine::Outcome::approved);
  ASSERT_EQ(sink_->lines.size(), 3u);
  // Everything was journaled: three admin commands and two card messages.
  EXPECT_EQ(journal_->last_committed_sequence(), 5u);
}

}  // namespace
}  // namespace holdfast::server
