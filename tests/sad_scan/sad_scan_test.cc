// Sensitive authentication data scan. A server with a key store runs in-process on a temporary
// data directory, its log going to a file in that directory. Traffic carries known PANs,
// CVV2s, PIN blocks, track 2 and track 1 data and ARQCs; the decisions are checked (CVV2
// mismatch 05, wrong PIN 55 55 75, valid ARQC 00 with DE 55 tag 91, replayed ATC 05, track 1
// iCVV 00 / wrong 05, IBM 3624 offset PIN 00 / wrong 55). Then the server stops
// (final snapshot) and every file under the data directory is scanned for each value in ASCII,
// hex (upper and lower case) and packed BCD forms; any hit fails the test.
//
// Three- and four-digit values (a CVV2, a PIN) are too short to scan for alone: any file of
// some size holds them by chance. They are scanned in the forms they travel in: the DE 48
// subelement ("9203" + CVV2), the clear ISO 0 PIN block (PIN inside) and the encrypted one.
#include <gtest/gtest.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/spdlog.h>

#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include <asio.hpp>
#include <nlohmann/json.hpp>

#include "crypto/cvv.h"
#include "crypto/digits.h"
#include "crypto/emv.h"
#include "crypto/luhn.h"
#include "crypto/pin_block.h"
#include "crypto/pin_verify.h"
#include "crypto/primitives.h"
#include "iso8583/codec.h"
#include "security/key_store.h"
#include "server/framing.h"
#include "server/server.h"

namespace holdfast {
namespace {

using asio::ip::tcp;
using crypto::Bytes;
using nlohmann::json;

Bytes hx(std::string_view h) { return *crypto::pack_nibbles(h); }
std::string raw(const Bytes& b) { return std::string(b.begin(), b.end()); }
std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string luhn_pan(const std::string& body15) { return body15 + *crypto::luhn_check_digit(body15); }

const std::string kCvk = "0123456789ABCDEFFEDCBA9876543210";
const std::string kPvk = "233220CCDDCC322315C44C2A51A2DFFD";
const std::string kZpk = "C1D0F8FB4958670DBA40AB1F3752EF0D";
const std::string kImk = "9E15204313F7318ACB79B90BD986AD29";
const std::string kPanKey = "5A5B5C5D5E5F606162636465666768696A6B6C6D6E6F70717273747576777879";
const std::string kAcquirer = "123456";
const std::string kExpiry = "2812";

std::string temp_dir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "holdfast-sad-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) std::abort();
  return pattern;
}

class IsoClient {
 public:
  IsoClient(uint16_t port, const iso8583::MessageSpec& spec) : socket_(io_), spec_(spec) {
    socket_.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  }
  iso8583::Message exchange(const iso8583::Message& m) {
    auto wire = iso8583::encode(spec_, m);
    EXPECT_TRUE(wire.ok());
    std::vector<uint8_t> frame;
    server::append_frame(server::Framing::len2, *wire, &frame);
    asio::write(socket_, asio::buffer(frame));
    uint8_t header[2];
    asio::read(socket_, asio::buffer(header));
    std::vector<uint8_t> body(size_t{header[0]} << 8 | header[1]);
    asio::read(socket_, asio::buffer(body));
    auto decoded = iso8583::decode(spec_, body);
    EXPECT_TRUE(decoded.ok());
    return std::move(*decoded);
  }

 private:
  asio::io_context io_;
  tcp::socket socket_;
  const iso8583::MessageSpec& spec_;
};

class AdminClient {
 public:
  explicit AdminClient(uint16_t port) : socket_(io_) {
    socket_.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  }
  json request(const json& r) {
    asio::write(socket_, asio::buffer(r.dump() + "\n"));
    const size_t n = asio::read_until(socket_, buffer_, '\n');
    std::string line(asio::buffers_begin(buffer_.data()), asio::buffers_begin(buffer_.data()) + n);
    buffer_.consume(n);
    return json::parse(line);
  }

 private:
  asio::io_context io_;
  tcp::socket socket_;
  asio::streambuf buffer_;
};

// Every sensitive value sent, in the forms to look for.
class Needles {
 public:
  // A digit string (PAN, track 2): ASCII, hex of the ASCII, packed BCD ('=' as D, F pad).
  void digits(const std::string& name, const std::string& s) {
    add(name, s);
    std::string nibbles;
    for (char c : s) nibbles.push_back(c == '=' ? 'D' : c);
    if (nibbles.size() % 2 != 0) nibbles.push_back('F');
    add(name + " (BCD)", raw(hx(nibbles)));
    add(name + " (BCD, left pad)",
        raw(hx(nibbles.size() == s.size() ? nibbles : "0" + nibbles.substr(0, s.size()))));
  }
  // Bytes (PIN blocks, cryptograms, ICC data): raw, and as hex text.
  void bytes(const std::string& name, const std::string& b) { add(name, b); }
  const std::map<std::string, std::string>& all() const { return forms_; }

 private:
  void add(const std::string& name, const std::string& value) {
    const std::string h = crypto::unpack_nibbles(Bytes(value.begin(), value.end()));
    forms_[name + " ascii/raw"] = value;
    forms_[name + " HEX"] = h;
    forms_[name + " hex"] = lower(h);
  }
  std::map<std::string, std::string> forms_;
};

std::string tlv(const std::string& tag, const std::string& value_hex) {
  static const char* d = "0123456789ABCDEF";
  const size_t n = value_hex.size() / 2;
  return tag + std::string{d[n >> 4], d[n & 15]} + value_hex;
}

struct ScanHit {
  std::string needle;  // its name and form
  std::string file;
};
struct ScanResult {
  std::vector<std::string> files;  // every regular file read, whole
  std::vector<ScanHit> hits;
};

std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Reads every regular file under `dir` (recursively) and reports each needle found in it.
ScanResult scan(const std::string& dir, const std::map<std::string, std::string>& needles) {
  ScanResult result;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
    if (!entry.is_regular_file()) continue;
    const std::string path = entry.path().string();
    result.files.push_back(path);
    const std::string content = read_all(path);
    for (const auto& [name, needle] : needles) {
      if (content.find(needle) != std::string::npos) result.hits.push_back({name, path});
    }
  }
  return result;
}

// The last (by name) non-empty scanned file whose name starts with `prefix` and ends with `suffix`.
std::string newest_with(const std::vector<std::string>& files, const std::string& prefix,
                        const std::string& suffix) {
  std::string best;
  for (const auto& f : files) {
    const std::string name = std::filesystem::path(f).filename().string();
    if (name.starts_with(prefix) && name.ends_with(suffix) && std::filesystem::file_size(f) > 0 &&
        name > std::filesystem::path(best).filename().string())
      best = f;
  }
  return best;
}

class SadScanTest : public ::testing::Test {
 protected:
  void SetUp() override {
    keys_dir_ = temp_dir();
    data_dir_ = temp_dir();
    const std::string master = keys_dir_ + "/master.key";
    ASSERT_TRUE(security::create_master_key_file(master).ok());
    auto kek = security::load_master_key({master, ""});
    ASSERT_TRUE(kek.ok());
    auto store = security::KeyStore::create(*kek);
    ASSERT_TRUE(store.ok());
    auto add = [&](security::KeyType t, const std::string& scope, const std::string& key) {
      security::KeyStore::AddOptions o;
      o.type = t;
      o.scope = scope;
      ASSERT_TRUE(store->add(*kek, o, hx(key)).ok());
    };
    add(security::KeyType::cvk, "622588", kCvk);
    add(security::KeyType::pvk, "622588", kPvk);
    add(security::KeyType::zpk, kAcquirer, kZpk);
    add(security::KeyType::imk_ac, "622588", kImk);
    add(security::KeyType::pan, "", kPanKey);
    add(security::KeyType::pvk, "622589", kPvk);  // the IBM 3624 offset product's range
    store_path_ = keys_dir_ + "/keystore.json";
    ASSERT_TRUE(store->save(store_path_).ok());

    server::ServerConfig config;
    config.iso_port = 0;
    config.admin_port = 0;
    config.key_store_file = store_path_;
    config.master_key_file = master;
    config.pan_key_file = keys_dir_ + "/pan.key";  // outside the data directory, as the server requires
    config.snapshot_every_commands = 5;            // snapshots during the run, not only at the end
    log_ = spdlog::basic_logger_mt("sad_scan_" + std::to_string(::getpid()), data_dir_ + "/server.log");
    log_->set_level(spdlog::level::debug);
    server_ = std::make_unique<server::Server>(data_dir_, config, log_);
    auto started = server_->start();
    ASSERT_TRUE(started.ok()) << started.error().message;
    spec_ = iso8583::find_spec(config.spec);
  }
  void TearDown() override {
    if (server_) server_->stop();
    spdlog::drop(log_->name());
    std::filesystem::remove_all(keys_dir_);
    std::filesystem::remove_all(data_dir_);
  }

  // Card 5001: PIN 4321 (PVV on file), PSN 01, chip service code 201.
  std::string issue(AdminClient& admin, uint64_t id, const std::string& pan, const std::string& pin) {
    auto pvv = crypto::compute_pvv({pan, pin, "1"}, hx(kPvk.substr(0, 16)), hx(kPvk.substr(16)));
    EXPECT_TRUE(pvv.ok());
    json r = admin.request({{"op", "issue_card"},
                            {"id", id},
                            {"account_id", 1001},
                            {"pan", pan},
                            {"expiry", kExpiry},
                            {"pvv", *pvv},
                            {"pan_sequence_number", "01"},
                            {"service_code", "201"}});
    EXPECT_FALSE(r.contains("error")) << r.dump();
    return *pvv;
  }

  iso8583::Message request(const std::string& pan, int stan, const char* entry) {
    iso8583::Message m;
    m.set_mti("0100");
    m.set(2, pan);
    m.set(3, "000000");
    m.set(4, "000000001000");
    m.set(7, "0101120000");
    std::string s = std::to_string(stan);
    m.set(11, std::string(6 - s.size(), '0') + s);
    m.set(14, kExpiry);
    m.set(18, "5411");
    m.set(22, entry);
    m.set(32, kAcquirer);
    m.set(41, "TERM0001");
    m.set(42, "MERCHANT0000001");
    m.set(49, "156");
    return m;
  }

  std::string pin_block(const std::string& pin, const std::string& pan) {
    auto clear = crypto::encode_pin_block(crypto::PinBlockFormat::kIso0, pin, pan, "");
    needles_.bytes("clear PIN block " + pin, raw(*clear));
    auto enc = crypto::des_ecb_encrypt(hx(kZpk), *clear);
    needles_.bytes("encrypted PIN block " + pin, raw(*enc));
    return raw(*enc);
  }

  // DE 55 for Visa CVN 18 with the given ATC; returns the raw ICC data.
  std::string icc(const std::string& pan, const std::string& atc) {
    const std::string terminal = std::string("000000001000") + "000000000000" + "0156" + "0000000000" +
                                 "0156" + "250101" + "00" + "A1B2C3D4" + "1800" + atc;
    const std::string iad = "06011203A00000";
    auto mk = crypto::derive_icc_master_key(hx(kImk), pan, "01", crypto::MasterKeyOption::kA);
    Bytes r(8, 0);
    r[0] = hx(atc)[0];
    r[1] = hx(atc)[1];
    auto sk = crypto::derive_session_key_emv_csk(*mk, r);
    auto ac = crypto::generate_ac(*sk, crypto::concat(hx(terminal), hx(iad)), crypto::AcPadding::kMethod2);
    const std::string arqc = crypto::unpack_nibbles(*ac);
    needles_.bytes("ARQC " + atc, raw(*ac));
    const std::string t = tlv("9F26", arqc) + tlv("9F27", "80") + tlv("9F10", iad) + tlv("9F36", atc) +
                          tlv("9F02", terminal.substr(0, 12)) + tlv("9F03", terminal.substr(12, 12)) +
                          tlv("9F1A", terminal.substr(24, 4)) + tlv("95", terminal.substr(28, 10)) +
                          tlv("5F2A", terminal.substr(38, 4)) + tlv("9A", terminal.substr(42, 6)) +
                          tlv("9C", terminal.substr(48, 2)) + tlv("9F37", terminal.substr(50, 8)) +
                          tlv("82", terminal.substr(58, 4));
    needles_.bytes("DE 55 " + atc, raw(hx(t)));
    return raw(hx(t));
  }

  std::string keys_dir_, data_dir_, store_path_;
  std::shared_ptr<spdlog::logger> log_;
  std::unique_ptr<server::Server> server_;
  const iso8583::MessageSpec* spec_ = nullptr;
  Needles needles_;
};

TEST_F(SadScanTest, SecurityDecisionsEndToEndAndNothingSensitiveReachesDisk) {
  AdminClient admin(server_->admin_port());
  ASSERT_FALSE(
      admin.request({{"op", "create_card_range"}, {"prefix_low", "622588"}, {"prefix_high", "622588"}})
          .contains("error"));
  ASSERT_FALSE(
      admin
          .request(
              {{"op", "open_account"}, {"id", 1001}, {"currency", "156"}, {"credit_limit_minor", 10000000}})
          .contains("error"));
  // A PAN failing the Luhn check is refused at the edge.
  EXPECT_TRUE(
      admin
          .request(
              {{"op", "issue_card"}, {"account_id", 1001}, {"pan", "6225880000000000"}, {"expiry", kExpiry}})
          .contains("error"));
  const std::string pan1 = luhn_pan("622588001234567");
  const std::string pan2 = luhn_pan("622588007654321");
  needles_.digits("PAN 1", pan1);
  needles_.digits("PAN 2", pan2);
  const std::string pvv1 = issue(admin, 5001, pan1, "4321");
  issue(admin, 5002, pan2, "8765");
  const json card = admin.request({{"op", "get_card"}, {"card_id", 5001}});
  EXPECT_EQ(card.value("pan", ""), "622588******" + pan1.substr(12)) << card.dump();

  IsoClient iso(server_->iso_port(), *spec_);
  int stan = 1;
  // CVV2 (card not present, DE 48 SE 92): right 00, wrong 05.
  auto cvv2 = crypto::compute_cvv({pan1, kExpiry, "000"}, hx(kCvk.substr(0, 16)), hx(kCvk.substr(16)));
  const std::string wrong_cvv2 = (*cvv2)[0] == '9'
                                     ? "0" + cvv2->substr(1)
                                     : std::string(1, static_cast<char>((*cvv2)[0] + 1)) + cvv2->substr(1);
  needles_.bytes("DE 48 CVV2", "9203" + *cvv2);
  needles_.bytes("DE 48 wrong CVV2", "9203" + wrong_cvv2);
  iso8583::Message m = request(pan1, stan++, "010");
  m.set(48, "R9203" + *cvv2);
  EXPECT_EQ(iso.exchange(m).get(39), "00");
  m = request(pan1, stan++, "010");
  m.set(48, "R9203" + wrong_cvv2);
  EXPECT_EQ(iso.exchange(m).get(39), "05");

  // PIN: right PIN 00; three wrong PINs on card 2: 55, 55, 75; then even the right one is 75.
  m = request(pan1, stan++, "051");
  m.set(52, pin_block("4321", pan1));
  EXPECT_EQ(iso.exchange(m).get(39), "00");
  for (const char* expected : {"55", "55", "75"}) {
    m = request(pan2, stan++, "051");
    m.set(52, pin_block("1111", pan2));
    EXPECT_EQ(iso.exchange(m).get(39), expected);
  }
  m = request(pan2, stan++, "051");
  m.set(52, pin_block("8765", pan2));
  EXPECT_EQ(iso.exchange(m).get(39), "75");

  // Chip: a valid ARQC gets 00 with DE 55 tag 91; the same ATC again is declined (replay).
  const std::string de55 = icc(pan1, "0005");
  auto icvv = crypto::compute_cvv({pan1, kExpiry, "999"}, hx(kCvk.substr(0, 16)), hx(kCvk.substr(16)));
  const std::string track = pan1 + "=" + kExpiry + "201" + "1" + pvv1 + *icvv + "000";
  needles_.digits("track 2", track);
  m = request(pan1, stan++, "051");
  m.set(35, track);
  m.set(55, de55);
  const iso8583::Message approved = iso.exchange(m);
  EXPECT_EQ(approved.get(39), "00");
  ASSERT_TRUE(approved.has(55));
  EXPECT_EQ(static_cast<uint8_t>(approved.get(55)[0]), 0x91);
  EXPECT_EQ(approved.get(55).size(), 10u);  // 91 08 ARPC(4) CSU(4): CVN 18 uses ARPC method 2
  EXPECT_FALSE(approved.has(35));
  m = request(pan1, stan++, "051");
  m.set(35, track);
  m.set(55, de55);
  const iso8583::Message replay = iso.exchange(m);
  EXPECT_EQ(replay.get(39), "05");
  // The next ATC is fine again; a stripe read of this chip card is a fallback and declined.
  m = request(pan1, stan++, "051");
  m.set(55, icc(pan1, "0006"));
  EXPECT_EQ(iso.exchange(m).get(39), "00");
  auto cvv1 = crypto::compute_cvv({pan1, kExpiry, "201"}, hx(kCvk.substr(0, 16)), hx(kCvk.substr(16)));
  const std::string stripe = pan1 + "=" + kExpiry + "201" + "1" + pvv1 + *cvv1 + "000";
  needles_.digits("stripe track 2", stripe);
  m = request(pan1, stan++, "902");
  m.set(35, stripe);
  EXPECT_EQ(iso.exchange(m).get(39), "05");

  // Track 1 (DE 45) of a chip read: the iCVV in it verifies (00); a wrong one is declined (05).
  const std::string track1 = "%B" + pan1 + "^HOLDFAST/TEST^" + kExpiry + "201" + "1" + pvv1 + *icvv + "000?";
  std::string wrong_track1 = track1;
  wrong_track1[track1.size() - 7] = (*icvv)[0] == '9' ? '0' : static_cast<char>((*icvv)[0] + 1);
  needles_.bytes("track 1", track1);
  needles_.bytes("wrong track 1", wrong_track1);
  needles_.bytes("track 1 discretionary", "1" + pvv1 + *icvv + "000");
  m = request(pan1, stan++, "051");
  m.set(45, track1);
  EXPECT_EQ(iso.exchange(m).get(39), "00");
  m = request(pan1, stan++, "051");
  m.set(45, wrong_track1);
  EXPECT_EQ(iso.exchange(m).get(39), "05");

  // A product verifying PINs by IBM 3624 offset: the right PIN 00, a wrong one 55.
  ASSERT_FALSE(admin
                   .request({{"op", "create_card_range"},
                             {"prefix_low", "622589"},
                             {"prefix_high", "622589"},
                             {"product", {{"pin_verification", "ibm3624_offset"}}}})
                   .contains("error"));
  const std::string pan3 = luhn_pan("622589001122334");
  needles_.digits("PAN 3", pan3);
  crypto::Ibm3624Params ibm;
  ibm.validation_data = pan3;
  ibm.decimalization_table = "0123456789012345";
  auto offset = crypto::ibm3624_offset(hx(kPvk), ibm, "7913");
  ASSERT_TRUE(offset.ok());
  const json issued = admin.request({{"op", "issue_card"},
                                     {"id", 5003u},
                                     {"account_id", 1001u},
                                     {"pan", pan3},
                                     {"expiry", kExpiry},
                                     {"pin_offset", *offset}});
  ASSERT_FALSE(issued.contains("error")) << issued.dump();
  m = request(pan3, stan++, "051");
  m.set(52, pin_block("7913", pan3));
  EXPECT_EQ(iso.exchange(m).get(39), "00");
  m = request(pan3, stan++, "051");
  m.set(52, pin_block("7914", pan3));
  EXPECT_EQ(iso.exchange(m).get(39), "55");

  // Keys reload without downtime.
  const json reloaded = admin.request({{"op", "reload_keys"}});
  EXPECT_EQ(reloaded.value("keys", 0), 6) << reloaded.dump();

  server_->stop();
  server_.reset();
  log_->flush();

  // The scan: nothing sensitive in any file the server wrote.
  const ScanResult scanned = scan(data_dir_, needles_.all());
  for (const auto& hit : scanned.hits) ADD_FAILURE() << hit.needle << " found in " << hit.file;
  EXPECT_GE(needles_.all().size(), 60u);

  // The scan covered the journal, a snapshot and the log, and read the journal's real bytes:
  // values the commands carry in clear (DE 41, DE 42) are in it.
  const std::string journal = newest_with(scanned.files, "journal-", ".log");
  ASSERT_FALSE(journal.empty()) << "no journal segment was scanned";
  const std::string journal_bytes = read_all(journal);
  EXPECT_NE(journal_bytes.find("MERCHANT0000001"), std::string::npos) << journal;
  EXPECT_NE(journal_bytes.find("TERM0001"), std::string::npos) << journal;
  EXPECT_FALSE(newest_with(scanned.files, "snapshot-", ".snap").empty()) << "no snapshot was scanned";
  EXPECT_FALSE(newest_with(scanned.files, "server", ".log").empty()) << "the server log was not scanned";
  EXPECT_NE(read_all(data_dir_ + "/server.log").find("card security: 6 keys loaded"), std::string::npos);
}

// The scanner itself: every needle planted in a file under the data directory (in a
// subdirectory, between journal bytes) is found and named.
TEST_F(SadScanTest, ScannerFindsEveryPlantedNeedle) {
  Needles planted;
  const std::string pan = luhn_pan("622588001234567");
  planted.digits("PAN", pan);
  planted.digits("track 2", pan + "=28122011234567890");
  planted.bytes("encrypted PIN block", raw(hx("0123456789ABCDEF")));
  planted.bytes("DE 48 CVV2", "9203123");
  server_->stop();
  server_.reset();
  const std::string journal = read_all(newest_with(scan(data_dir_, {}).files, "journal-", ".log"));
  ASSERT_FALSE(journal.empty());
  std::filesystem::create_directories(data_dir_ + "/planted/deeper");
  std::map<std::string, std::string> where;  // needle name -> file it was planted in
  int n = 0;
  for (const auto& [name, needle] : planted.all()) {
    const std::string file = data_dir_ + "/planted/deeper/" + std::to_string(n++) + ".bin";
    const size_t cut = journal.size() / 2;
    std::ofstream(file, std::ios::binary) << journal.substr(0, cut) << needle << journal.substr(cut);
    where[name] = file;
  }
  const ScanResult scanned = scan(data_dir_, planted.all());
  for (const auto& [name, file] : where) {
    bool found = false;
    for (const auto& hit : scanned.hits) found = found || (hit.needle == name && hit.file == file);
    EXPECT_TRUE(found) << "the scanner missed " << name << " planted in " << file;
  }
  for (const auto& hit : scanned.hits)
    EXPECT_NE(hit.file.find("/planted/"), std::string::npos)
        << hit.needle << " found outside the planted files";
}

}  // namespace
}  // namespace holdfast
