// The engine loop driven directly: requests are queued before it runs, so they are popped as
// one batch, which is what these stories are about.
#include "server/engine_loop.h"

#include <gtest/gtest.h>
#include <spdlog/sinks/null_sink.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "crypto/cvv.h"
#include "crypto/digits.h"
#include "crypto/emv.h"
#include "crypto/luhn.h"
#include "crypto/primitives.h"
#include "engine/command_codec.h"
#include "engine/limits.h"
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
// A wallet token for the card, in a token BIN range with keys of its own.
const std::string kTokenPan =
    "489537000000001" + std::string(1, *crypto::luhn_check_digit("489537000000001"));
constexpr const char* kTokenExpiry = "2905";
const std::string kTokenCvk = "1C2D3E4F5A6B7C8D9EAFB0C1D2E3F405";
const std::string kTokenImk = "0123456789ABCDEFFEDCBA9876543210";
// Terminal data of an ARQC (9F02 9F03 9F1A 95 5F2A 9A 9C 9F37 82), as src/security tests use.
const std::string kTerminal =
    "000000001000"
    "000000000000"
    "0156"
    "0000000000"
    "0156"
    "250101"
    "00"
    "11223344"
    "1800";
constexpr const char* kVisaCvn10Iad = "06010A03A00000";

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
    for (const auto& [type, key] :
         {std::pair{security::KeyType::cvk, kTokenCvk}, std::pair{security::KeyType::imk_ac, kTokenImk}}) {
      security::KeyStore::AddOptions token_key;
      token_key.type = type;
      token_key.scope = "489537";
      HF_ASSERT(store->add(*kek, token_key, hx(key)).ok());
    }
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
  static std::unique_ptr<iso8583::Message> purchase(int stan, const std::string& pan, const char* expiry,
                                                    const char* entry) {
    auto m = std::make_unique<iso8583::Message>();
    m->set_mti("0100");
    m->set(2, pan);
    m->set(3, "000000");
    m->set(4, "000000001000");
    m->set(7, "0101120000");
    char stan_digits[7];
    std::snprintf(stan_digits, sizeof stan_digits, "%06d", stan);
    m->set(11, stan_digits);
    m->set(14, expiry);
    m->set(18, "5999");
    m->set(22, entry);
    m->set(32, "123456");
    m->set(49, "156");
    return m;
  }
  void card_not_present(int stan, const std::string& cvv2) {
    auto m = purchase(stan, kPan, kExpiry, "010");
    m->set(48, "R92" + std::string("03") + cvv2);
    send(std::move(m));
  }
  void send(std::unique_ptr<iso8583::Message> m) {
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
    EngineLoop loop(
        config_, *journal_, engine_, queue_, metrics_,
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

std::string wrong_digits(const std::string& value) {
  std::string w = value;
  w[0] = w[0] == '9' ? '0' : static_cast<char>(w[0] + 1);
  return w;
}

std::string tlv(const std::string& tag, const std::string& value_hex) {
  static const char* digits = "0123456789ABCDEF";
  const size_t n = value_hex.size() / 2;
  return tag + std::string{digits[n >> 4], digits[n & 15]} + value_hex;
}

// DE 55 (raw bytes) of a Visa CVN 10 ARQC made by the token's own card key: derived from the
// token range's IMK with the token number and PSN 00, as a wallet's token is personalised.
std::string token_icc(const std::string& atc, bool corrupt = false) {
  const crypto::Bytes terminal = hx(kTerminal + atc);
  auto mk = crypto::derive_icc_master_key(hx(kTokenImk), kTokenPan, "00", crypto::MasterKeyOption::kA);
  HF_ASSERT(mk.ok());
  const crypto::Bytes iad = hx(kVisaCvn10Iad);
  auto ac =
      crypto::generate_ac(*mk, crypto::concat(terminal, crypto::Bytes(iad.begin() + 3, iad.begin() + 7)),
                          crypto::AcPadding::kZeroIfNeeded);
  HF_ASSERT(ac.ok());
  if (corrupt) (*ac)[0] ^= 0x01;
  const std::string t = tlv("9F26", crypto::unpack_nibbles(*ac)) + tlv("9F27", "80") +
                        tlv("9F10", kVisaCvn10Iad) + tlv("9F36", atc) + tlv("9F02", kTerminal.substr(0, 12)) +
                        tlv("9F03", kTerminal.substr(12, 12)) + tlv("9F1A", kTerminal.substr(24, 4)) +
                        tlv("95", kTerminal.substr(28, 10)) + tlv("5F2A", kTerminal.substr(38, 4)) +
                        tlv("9A", kTerminal.substr(42, 6)) + tlv("9C", kTerminal.substr(48, 2)) +
                        tlv("9F37", kTerminal.substr(50, 8)) + tlv("82", kTerminal.substr(58, 4));
  const crypto::Bytes bytes = hx(t);
  return std::string(bytes.begin(), bytes.end());
}

class TokenLoopTest : public EngineLoopTest {
 protected:
  // A card and its wallet token, provisioned in the same batch as the messages that follow.
  void portfolio() {
    admin({{"op", "create_card_range"}, {"prefix_low", "622588"}, {"prefix_high", "622588"}});
    admin({{"op", "open_account"}, {"id", 1001u}, {"currency", "156"}, {"credit_limit_minor", 100000u}});
    admin({{"op", "issue_card"}, {"id", 5001u}, {"account_id", 1001u}, {"pan", kPan}, {"expiry", kExpiry}});
    admin({{"op", "provision_token"},
           {"id", 7001u},
           {"card_id", 5001u},
           {"token_pan", kTokenPan},
           {"wallet", 1u}});
  }
  void token_cvv2(int stan, const std::string& cvv2) {
    auto m = purchase(stan, kTokenPan, kTokenExpiry, "810");
    m->set(48, "R9203" + cvv2);
    send(std::move(m));
  }
  void token_chip(int stan, const char* entry, const std::string& de55) {
    auto m = purchase(stan, kTokenPan, kTokenExpiry, entry);
    if (!de55.empty()) m->set(55, de55);
    send(std::move(m));
  }
  std::vector<engine::Outcome> outcomes() const {
    std::vector<engine::Outcome> out;
    for (const engine::Reply& r : sink_->iso) out.push_back(r.outcome);
    return out;
  }
};

// A token's CVV2 is computed over the token number and the token's own expiry (DE 14) under the
// token range's CVK; a wrong one is declined like a card's.
TEST_F(TokenLoopTest, ATokensCvv2IsVerified) {
  const auto cvv2 = crypto::compute_cvv({kTokenPan, kTokenExpiry, "000"}, hx(kTokenCvk.substr(0, 16)),
                                        hx(kTokenCvk.substr(16)));
  ASSERT_TRUE(cvv2.ok());
  portfolio();
  token_cvv2(1, wrong_digits(*cvv2));
  token_cvv2(2, *cvv2);
  run();
  using O = engine::Outcome;
  EXPECT_EQ(outcomes(), (std::vector<O>{O::card_verification_failed, O::approved}));
}

// A token's ARQC is verified under its own card key; a wrong one is declined, and a counter the
// token already used is a replay, judged on the token's counter (the card's own stays untouched).
TEST_F(TokenLoopTest, ATokensArqcAndCounterAreVerified) {
  portfolio();
  token_chip(1, "071", token_icc("0007", /*corrupt=*/true));
  token_chip(2, "071", token_icc("0007"));
  token_chip(3, "071", token_icc("0007"));  // the same cryptogram again
  token_chip(4, "051", token_icc("0008"));
  run();
  using O = engine::Outcome;
  EXPECT_EQ(outcomes(), (std::vector<O>{O::cryptogram_failed, O::approved, O::atc_replayed, O::approved}));
  const cards::Token* token = engine_.find_token(cards::TokenId{7001});
  ASSERT_NE(token, nullptr);
  EXPECT_TRUE(token->has_atc);
  EXPECT_EQ(token->last_atc, 8u);
  EXPECT_FALSE(engine_.find_card(cards::CardId{5001})->has_atc);
}

// A token message without the cryptogram its entry mode needs is declined (05), whatever else
// it carries: a chip or contactless read without DE 55, an e-commerce one with neither a
// cryptogram nor a CVV2, a stripe read of a token number.
TEST_F(TokenLoopTest, ATokenMessageWithoutItsCryptogramIsDeclined) {
  portfolio();
  token_chip(1, "071", "");
  token_chip(2, "051", "");
  token_chip(3, "810", "");
  token_chip(4, "902", "");
  token_chip(5, "071", token_icc("0001"));
  run();
  using O = engine::Outcome;
  const O missing = O::token_cryptogram_missing;
  EXPECT_EQ(outcomes(), (std::vector<O>{missing, missing, missing, missing, O::approved}));
  EXPECT_EQ(engine::response_code(missing), (std::array<char, 2>{'0', '5'}));
}

// The card is issued in the same batch as its first messages: their CVV2s are checked against
// it (a wrong one is declined), not taken for absent.
TEST_F(EngineLoopTest, ACardIssuedInTheSameBatchIsSeenByTheVerifier) {
  const auto cvv2 = crypto::compute_cvv({kPan, kExpiry, "000"}, hx(kCvk.substr(0, 16)), hx(kCvk.substr(16)));
  ASSERT_TRUE(cvv2.ok());
  const std::string wrong =
      std::string(1, (*cvv2)[0] == '9' ? '0' : static_cast<char>((*cvv2)[0] + 1)) + cvv2->substr(1);
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

// Issue 8 item 2: a command the admin edge accepted could be one the decoder refuses, and the
// server could then never restart. Every command kind at the bounds of engine/limits.h goes
// through the admin edge (or the start-up settings), the engine loop and a real journal; a
// restart from the journal, and another from a snapshot, reaches byte-equal state.
std::string text_of(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

json product_at_bounds() {
  json floor_limits = json::array();
  for (size_t i = 0; i < engine::limits::kMaxFloorLimitRules; ++i)
    floor_limits.push_back({{"mcc_low", std::to_string(i % 10'000)}, {"floor_limit_minor", i}});
  json countries = json::array();
  for (size_t i = 1; i <= engine::limits::kMaxUpliftCountries; ++i) countries.push_back(std::to_string(i));
  return {{"name", std::string(engine::limits::kMaxProductNameBytes, 'N')},
          {"floor_limits", floor_limits},
          {"uplift_countries", countries}};
}

engine::EngineConfig config_at_bounds() {
  engine::EngineConfig c;
  c.mcc_hold_rules.assign(engine::limits::kMaxMccHoldRules, engine::MccHoldRule{4000, 4999, 9});
  c.clearing_tolerance_rules.assign(engine::limits::kMaxClearingToleranceRules,
                                    engine::ClearingToleranceRule{5000, 5999, 1500, 0});
  // The shipped rules, padded with JSON whitespace to the largest text allowed.
  c.scheme_rules_json = text_of(std::string(HOLDFAST_TESTDATA_DIR) + "/../config/scheme-rules.json");
  c.scheme_rules_json.resize(engine::limits::kMaxSchemeRulesBytes, ' ');
  return c;
}

TEST_F(EngineLoopTest, EveryCommandKindAtItsBoundsIsJournaledAndReplaysAfterRestart) {
  ASSERT_TRUE(apply_engine_config(*journal_, engine_, config_at_bounds()).ok());
  admin({{"op", "create_card_range"},
         {"prefix_low", "622588"},
         {"prefix_high", "622588"},
         {"product", product_at_bounds()}});
  admin({{"op", "open_account"}, {"id", 1001u}, {"currency", "156"}, {"credit_limit_minor", 100000u}});
  admin({{"op", "issue_card"}, {"id", 5001u}, {"account_id", 1001u}, {"pan", kPan}, {"expiry", kExpiry}});
  card_not_present(1, "000");
  const std::string token = "622588009876543" + std::string(1, *crypto::luhn_check_digit("622588009876543"));
  const std::string record_id(128, 'R');
  const std::vector<json> requests = {
      {{"op", "set_card_status"}, {"card_id", 5001u}, {"status", "active"}},
      {{"op", "reset_pin_tries"}, {"card_id", 5001u}},
      {{"op", "set_credit_limit"}, {"account_id", 1001u}, {"credit_limit_minor", 200000u}},
      {{"op", "set_uplift"},
       {"account_id", 1001u},
       {"uplift_minor", 1000u},
       {"expires_at_s", 1'900'000'000u}},
      {{"op", "provision_token"}, {"id", 7001u}, {"card_id", 5001u}, {"token_pan", token}, {"wallet", 255u}},
      {{"op", "set_token_status"}, {"token_id", 7001u}, {"status", "active"}},
      {{"op", "request_uplift"}, {"card_id", 5001u}, {"country", "840"}, {"channel", "card_present"}},
      {{"op", "present"},
       {"record_id", record_id},
       {"kind", "first_presentment"},
       {"pan", kPan},
       {"amount_minor", "5000"},
       {"currency", "156"},
       {"mcc", "5411"},
       {"country", "CHN"},
       {"card_present", "N"},
       {"local_time", "2026-11-29T10:00:00"}},
      {{"op", "open_dispute"}, {"record_id", record_id}, {"reason_code", "4837"}, {"case_id", 1u}},
      {{"op", "open_dispute"},
       {"record_id", record_id},
       {"reason_code", "12345678"}},  // at the bound, refused
      {{"op", "dispute_action"},
       {"case_id", 1u},
       {"action", "attach_evidence"},
       {"kind", "receipt"},
       {"from", "cardholder"},
       {"description", std::string(engine::limits::kMaxEvidenceDescriptionBytes, 'd')}},
      {{"op", "dispute_action"},
       {"case_id", 1u},
       {"action", "file_chargeback"},
       {"amount_minor", 5000u},
       {"reason_code", "87654321"}},
      {{"op", "close_compensation"}, {"case_id", 1u}, {"fee_waiver_minor", 100u}, {"reward_points", 5u}},
  };
  for (const json& request : requests) admin(request);
  run();
  ASSERT_EQ(sink_->lines.size(), 3 + requests.size());
  for (size_t i = 0; i < 3; ++i)
    EXPECT_EQ(json::parse(sink_->lines[i]).value("ok", false), true) << sink_->lines[i];
  // The settings, every admin command and one 0100.
  EXPECT_EQ(journal_->last_committed_sequence(), 1 + 3 + requests.size() + 1);
  EXPECT_FALSE(engine_.disputes().empty());  // a real case in the snapshot below
  std::vector<uint8_t> before;
  engine_.serialize(&before);

  // Restart from the snapshot the loop wrote as it stopped, then from the journal alone.
  auto restart = [&](bool expect_snapshot) {
    journal_.reset();
    auto reopened = journal::Journal::open(dir_ + "/journal", {});
    ASSERT_TRUE(reopened.ok()) << reopened.error().message;
    journal_ = std::move(*reopened);
    engine::Engine restarted{engine::EngineConfig{}};
    auto recovered = recover(*journal_, restarted);
    ASSERT_TRUE(recovered.ok()) << recovered.error().message;
    EXPECT_EQ(recovered->snapshot_loaded, expect_snapshot);
    EXPECT_EQ(recovered->entries_replayed, expect_snapshot ? 0 : journal_->last_committed_sequence());
    std::vector<uint8_t> after;
    restarted.serialize(&after);
    EXPECT_EQ(after, before);
  };
  restart(true);
  size_t snapshots = 0;
  for (const auto& f : std::filesystem::directory_iterator(dir_ + "/journal"))
    if (f.path().extension() == ".snap") snapshots += std::filesystem::remove(f.path());
  ASSERT_EQ(snapshots, 1u);
  restart(false);
}

// Issue 8 item 3: a journal entry that is not a command stops recovery with an error naming
// the entry, its segment file and the offset inside the entry; never an abort.
TEST_F(EngineLoopTest, AJournalEntryThatIsNotACommandNamesItsFileAndOffset) {
  std::vector<uint8_t> payload;
  engine::CreateCardRange range;
  engine::encode_command(engine::Command{Timestamp{1}, range}, &payload);
  payload.resize(payload.size() - 3);  // cut inside the product
  journal_->append(payload);
  ASSERT_TRUE(journal_->commit().ok());
  engine::Engine restarted{engine::EngineConfig{}};
  auto recovered = recover(*journal_, restarted);
  ASSERT_FALSE(recovered.ok());
  const std::string& message = recovered.error().message;
  EXPECT_NE(message.find("journal entry 1 in " + dir_ + "/journal/journal-"), std::string::npos) << message;
  EXPECT_NE(message.find("malformed at offset"), std::string::npos) << message;
  EXPECT_EQ(journal_->segment_path_of(2), "");
}

// One past each bound: refused at the edge with the field and the bound, nothing journaled.
TEST_F(EngineLoopTest, ACommandPastItsBoundsIsRefusedBeforeJournaling) {
  auto refused = [&](json product, const std::string& field) {
    json request{{"op", "create_card_range"},
                 {"prefix_low", "622588"},
                 {"prefix_high", "622588"},
                 {"product", std::move(product)}};
    auto body = gateway::parse_admin_command(request, hasher_, security::pan_encryptor(ring_.get()));
    ASSERT_FALSE(body.ok()) << field;
    EXPECT_EQ(body.error().field, field);
    EXPECT_NE(body.error().reason.find("at most"), std::string::npos) << body.error().reason;
  };
  json p = product_at_bounds();
  p["name"] = std::string(engine::limits::kMaxProductNameBytes + 1, 'N');
  refused(p, "product.name");
  p = product_at_bounds();
  p["floor_limits"].push_back({{"floor_limit_minor", 1}});
  refused(p, "product.floor_limits");
  p = product_at_bounds();
  p["uplift_countries"].push_back("840");
  refused(p, "product.uplift_countries");

  // The settings at start-up: an error, not an abort, and nothing journaled.
  engine::EngineConfig settings = config_at_bounds();
  settings.scheme_rules_json.push_back(' ');
  auto applied = apply_engine_config(*journal_, engine_, settings);
  ASSERT_FALSE(applied.ok());
  EXPECT_NE(applied.error().message.find("engine.scheme_rules_file"), std::string::npos)
      << applied.error().message;

  // A producer that skipped the edge: the engine loop answers an error and journals nothing.
  engine::CreateCardRange range;
  range.range.prefix_low = range.range.prefix_high = 622588;
  range.range.prefix_length = 6;
  range.range.product.floor_limits.resize(engine::limits::kMaxFloorLimitRules + 1);
  EngineRequest r;
  r.kind = EngineRequest::Kind::admin_command;
  r.body = range;
  r.sink = sink_;
  ASSERT_EQ(queue_.push(r, {}), EngineQueue::Push::queued);
  run();
  ASSERT_EQ(sink_->lines.size(), 1u);
  EXPECT_EQ(json::parse(sink_->lines[0]).value("field", ""), "product.floor_limits");
  EXPECT_EQ(journal_->last_committed_sequence(), 0u);
}

}  // namespace
}  // namespace holdfast::server
