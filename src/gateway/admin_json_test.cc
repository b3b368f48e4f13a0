// Admin JSON: the clearing, token, uplift and case operations against a real engine, and the
// errors that name the member at fault.
#include "gateway/admin_json.h"

#include <gtest/gtest.h>

#include <string>

#include "engine/engine_test_support.h"
#include "gateway/clearing_translate.h"

namespace holdfast::gateway {
namespace {

using nlohmann::json;

const PanHasher kHasher(std::array<uint8_t, 32>{7, 7, 7});
constexpr const char* kPan = "6225880000000019";
constexpr const char* kTokenPan = "4895370000000015";

engine::CommandBody parsed(const json& request) {
  auto body = parse_admin_command(request, kHasher);
  EXPECT_TRUE(body.ok()) << request.dump() << " -> " << body.error().field << ": " << body.error().reason;
  return body.ok() ? std::move(*body) : engine::CommandBody{engine::Tick{}};
}

// The member a bad request is refused for.
std::string refused_field(const json& request) {
  auto body = parse_admin_command(request, kHasher);
  if (body.ok()) return "(accepted)";
  EXPECT_FALSE(body.error().reason.empty());
  return body.error().field;
}

// A Mastercard product with a zero floor limit (every unauthorised item is charged back) and
// uplifts to 3x in Thailand; one CNY 600.00 account with card 5001.
class AdminStory : public ::testing::Test {
 protected:
  void SetUp() override {
    story.now = engine::testing::kStart;
    ASSERT_TRUE(apply(json{{"op", "create_card_range"},
                           {"prefix_low", "622588"},
                           {"prefix_high", "622588"},
                           {"product",
                            {{"name", "classic"},
                             {"scheme", "mastercard"},
                             {"default_floor_limit_minor", 0},
                             {"uplift_max_multiplier_bp", 30000},
                             {"uplift_countries", {"THA"}}}}})
                    .value("ok", false));
    ASSERT_TRUE(
        apply(json{{"op", "open_account"}, {"id", 1001}, {"currency", "CNY"}, {"credit_limit_minor", 60000}})
            .value("ok", false));
    ASSERT_TRUE(
        apply(
            json{{"op", "issue_card"}, {"id", 5001}, {"account_id", 1001}, {"pan", kPan}, {"expiry", "2812"}})
            .value("ok", false));
  }
  json apply(const json& request) { return admin_reply_json(story.run(parsed(request))); }
  json query(const json& request) {
    EXPECT_TRUE(is_admin_query(request)) << request.dump();
    return answer_admin_query(request, story.engine);
  }
  // An approved card-present authorisation on the card; returns its approval code.
  std::string authorise(int64_t amount_minor) {
    engine::CardMessage m = story.authorization(0, amount_minor);
    m.pan_hash = kHasher.hash(kPan);
    const engine::Reply reply = story.run(m);
    EXPECT_EQ(reply.outcome, engine::Outcome::approved);
    return std::string(reply.approval_code.begin(), reply.approval_code.end());
  }
  static json presentment(const std::string& record_id, int64_t amount_minor) {
    return json{{"op", "present"},
                {"record_id", record_id},
                {"kind", "first_presentment"},
                {"pan", kPan},
                {"amount_minor", std::to_string(amount_minor)},
                {"currency", "156"},
                {"mcc", "5411"},
                {"country", "CHN"},
                {"card_present", "Y"},
                {"local_time", "2026-11-29T10:00:00"}};
  }

  engine::testing::Story story;
};

// ---- present ---------------------------------------------------------------------------------

TEST_F(AdminStory, APresentmentMatchesItsAuthorisationAndTheSameRecordAgainChangesNothing) {
  json p = presentment("F1:2", 5000);
  p["approval_code"] = authorise(5000);
  EXPECT_FALSE(is_admin_query(p));
  const json first = apply(p);
  EXPECT_EQ(first["outcome"], "presentment_matched") << first.dump();
  EXPECT_EQ(first["ok"], true);
  EXPECT_EQ(first["open_to_buy"]["minor"], 55000);
  const json again = apply(p);
  EXPECT_EQ(again["outcome"], "presentment_already_applied") << again.dump();
  EXPECT_EQ(again["open_to_buy"]["minor"], 55000);

  const json record = query({{"op", "get_presentment"}, {"record_id", "F1:2"}});
  EXPECT_EQ(record["outcome"], "presentment_matched") << record.dump();
  EXPECT_EQ(record["kind"], "first_presentment");
  EXPECT_EQ(record["card_id"], 5001);
  EXPECT_EQ(record["matched"], true);
  EXPECT_EQ(record["posted_minor"], 5000);
  EXPECT_EQ(record["unauthorised_minor"], 0);
  EXPECT_EQ(record["case_id"], 0);
}

TEST_F(AdminStory, AnUnauthorisedPresentmentIsForcePostedAndChargedBackAndTheCaseIsListed) {
  const json reply = apply(presentment("F1:3", 20000));
  EXPECT_EQ(reply["outcome"], "presentment_unauthorised") << reply.dump();
  // Posted at once, and charged back at once (zero floor limit): the cardholder is credited and
  // the acquirer owes the amount (a receivable).
  EXPECT_EQ(reply["open_to_buy"]["minor"], 60000);

  const json record = query({{"op", "get_presentment"}, {"record_id", "F1:3"}});
  EXPECT_EQ(record["matched"], false);
  EXPECT_EQ(record["unauthorised_minor"], 20000);
  const uint64_t case_id = record["case_id"].get<uint64_t>();
  ASSERT_NE(case_id, 0u) << record.dump();

  const json cases = query({{"op", "list_cases"}, {"card_id", 5001}});
  ASSERT_EQ(cases["disputes"].size(), 1u) << cases.dump();
  const json& c = cases["disputes"][0];
  EXPECT_EQ(c["case_id"], case_id);
  EXPECT_EQ(c["origin"], "no_authorisation");
  EXPECT_EQ(c["scheme"], "mastercard");
  EXPECT_EQ(c["amount"]["minor"], 20000);
  EXPECT_EQ(c["amount"]["currency"], "CNY");
  EXPECT_FALSE(c["reason_code"].get<std::string>().empty());
  EXPECT_TRUE(c["deadline"].is_string() || c["deadline"].is_null());
  EXPECT_EQ(c["receivable_minor"], 20000);
  EXPECT_EQ(c["recovered_minor"], 0);
  EXPECT_EQ(c["written_off_minor"], 0);
  EXPECT_TRUE(cases["fraud_cases"].is_array());
  EXPECT_TRUE(query({{"op", "list_cases"}, {"card_id", 9999}})["disputes"].empty());
  EXPECT_EQ(query({{"op", "list_cases"}})["disputes"].size(), 1u);
}

TEST_F(AdminStory, ThreeUnauthorisedItemsInADayOpenAFraudCaseThatListCasesShows) {
  for (int i = 0; i < 3; ++i) apply(presentment("F2:" + std::to_string(i), 1000));
  const json cases = query({{"op", "list_cases"}, {"card_id", 5001}});
  ASSERT_EQ(cases["fraud_cases"].size(), 1u) << cases.dump();
  EXPECT_EQ(cases["fraud_cases"][0]["card_id"], 5001);
  EXPECT_GE(cases["fraud_cases"][0]["items"].get<int>(), 3);
  const json card = query({{"op", "get_card"}, {"card_id", 5001}});
  EXPECT_EQ(card["fraud_case_id"], cases["fraud_cases"][0]["case_id"]);
  EXPECT_NE(card["protected_at_us"], 0);
}

TEST_F(AdminStory, APresentmentForAnUnknownCardIsRejectedWithItsOutcome) {
  json p = presentment("F1:4", 1000);
  p["pan"] = "6225880000000027";
  const json reply = apply(p);
  EXPECT_EQ(reply["outcome"], "presentment_unknown_card");
  EXPECT_EQ(reply["ok"], false);
}

TEST_F(AdminStory, GetPresentmentOfAnUnknownRecordIsAnErrorAndBadRequestsNameTheMember) {
  EXPECT_TRUE(query({{"op", "get_presentment"}, {"record_id", "never:1"}}).contains("error"));
  EXPECT_NE(query({{"op", "get_presentment"}})["error"].get<std::string>().find("record_id"),
            std::string::npos);
  EXPECT_NE(query({{"op", "list_cases"}, {"card_id", "x"}})["error"].get<std::string>().find("card_id"),
            std::string::npos);
}

TEST(AdminJson, BadPresentRequestsAreRefusedNamingTheMember) {
  const json good{{"op", "present"}, {"record_id", "F1:2"},  {"kind", "first_presentment"},
                  {"pan", kPan},     {"amount_minor", 1000}, {"currency", "CNY"}};
  EXPECT_EQ(refused_field(good), "(accepted)");
  const std::pair<std::pair<const char*, json>, const char*> cases[] = {
      {{"pan", "62258800"}, "pan"},
      {{"amount_minor", "12.50"}, "amount_minor"},
      {{"amount_minor", -5}, "amount_minor"},
      {{"currency", "XYZ"}, "currency"},
      {{"kind", "purchase"}, "kind"},
      {{"billing_amount_minor", "900"}, "billing_currency"},  // billing goes in pairs
      {{"approval_code", "12345"}, "approval_code"},
      {{"rrn", "1,2"}, "rrn"},                 // a comma would shift the columns
      {{"arn", std::string(24, '7')}, "arn"},  // longer than a Presentment keeps
      {{"mcc", "54111"}, "mcc"},
      {{"country", "QQQ"}, "country"},  // not an ISO 3166 alpha-3
      {{"card_present", "maybe"}, "card_present"},
      {{"local_time", "2026-02-30T10:00:00"}, "local_time"},
      {{"record_id", std::string(129, 'r')}, "record_id"},
      {{"record_id", ""}, "record_id"},
      {{"function_code", 282}, "function_code"},     // a first presentment is 200
      {{"aproval_code", "123456"}, "aproval_code"},  // a misspelt column is not dropped
  };
  for (const auto& [member, field] : cases) {
    json bad = good;
    bad[member.first] = member.second;
    EXPECT_EQ(refused_field(bad), field) << member.first << " = " << member.second.dump();
  }
  for (const char* required : {"record_id", "kind", "pan", "amount_minor", "currency"}) {
    json missing = good;
    missing.erase(required);
    EXPECT_EQ(refused_field(missing), required);
  }
  json chargeback = good;
  chargeback["kind"] = "chargeback";
  chargeback["arn"] = "74123456789012345678901";
  EXPECT_EQ(refused_field(chargeback), "reason_code");  // the CSV's rule: a chargeback needs it
  chargeback["reason_code"] = "4837";
  EXPECT_EQ(refused_field(chargeback), "(accepted)");
}

TEST(AdminJson, ARecordFromABinaryFileTravelsAsAPresentRequestWithoutLosingAField) {
  clearing::ClearingRecord r;
  r.kind = clearing::RecordKind::kSecondPresentment;
  r.mti = 1240;
  r.function_code = 282;  // partial: not expressible in the CSV's kind column alone
  r.partial = true;
  r.record_id = "IPM FILE 0042:17";
  r.pan = "6225880000000018";
  r.amount = Money{123456, Currency{764}};
  r.billing = Money{24690, Currency{156}};
  r.approval_code = "A1B2C3";
  r.rrn = "633212345678";
  r.arn = "74123456789012345678901";
  r.mcc = 742;  // leading zero: travels as "0742"
  r.country = "THA";
  r.card_presence = clearing::CardPresence::kNotPresent;
  r.local_time = clearing::LocalDateTime{2026, 2, 28, 23, 59, 1};
  r.reason_code = 4853;
  const json request = present_request(r);
  EXPECT_EQ(request["op"], "present");
  EXPECT_EQ(request["mcc"], "0742");
  const auto via_json = std::get<engine::Presentment>(parsed(request));
  const auto direct = to_presentment(r, kHasher);
  ASSERT_TRUE(direct.ok());
  EXPECT_EQ(via_json.kind, engine::PresentmentKind::second_presentment);
  EXPECT_EQ(via_json.function_code, 282);
  EXPECT_TRUE(via_json.partial);
  EXPECT_EQ(via_json.record_id, digest16("IPM FILE 0042:17"));
  EXPECT_EQ(via_json.record_id, direct->record_id);
  EXPECT_EQ(via_json.arn, direct->arn);
  EXPECT_EQ(via_json.arn_text, direct->arn_text);
  EXPECT_EQ(via_json.pan_hash, direct->pan_hash);
  EXPECT_EQ(via_json.masked_pan.display(), direct->masked_pan.display());
  EXPECT_EQ(via_json.amount_minor, 123456);
  EXPECT_EQ(via_json.currency, Currency{764});
  EXPECT_EQ(via_json.billing_amount_minor, 24690);
  EXPECT_EQ(via_json.billing_currency, Currency{156});
  EXPECT_EQ(via_json.approval_code, direct->approval_code);
  EXPECT_EQ(via_json.retrieval_reference, direct->retrieval_reference);
  EXPECT_EQ(via_json.mcc, 742);
  EXPECT_EQ(via_json.acquirer_country, 764);
  EXPECT_EQ(via_json.channel, cards::UseChannel::card_not_present);
  EXPECT_EQ(via_json.transaction_time, direct->transaction_time);
  EXPECT_EQ(via_json.reason_code, 4853);
}

// ---- products and cards ----------------------------------------------------------------------

TEST(AdminJson, TheProductCarriesFloorLimitsSchemeFeesAndUpliftSettings) {
  const json request{{"op", "create_card_range"},
                     {"prefix_low", "622588"},
                     {"prefix_high", "622588"},
                     {"product",
                      {{"name", "platinum"},
                       {"scheme", "unionpay"},
                       {"pin_verification", "ibm3624_offset"},
                       {"default_floor_limit_minor", 5000},
                       {"floor_limits",
                        {{{"mcc_low", "5411"},
                          {"mcc_high", "5411"},
                          {"country", "THA"},
                          {"channel", "card_present"},
                          {"floor_limit_minor", 20000}},
                         {{"floor_limit_minor", 0}}}},
                       {"foreign_fee_bp", 150},
                       {"uplift_max_multiplier_bp", 30000},
                       {"uplift_countries", {"THA", "392"}},
                       {"uplift_days", 10},
                       {"uplift_on_authorization", true},
                       {"dormant_days", 60},
                       {"token_cooling_days", 14}}}};
  const auto range = std::get<engine::CreateCardRange>(parsed(request)).range;
  const cards::Product& p = range.product;
  EXPECT_EQ(p.name, "platinum");
  EXPECT_EQ(p.scheme, cards::CardScheme::unionpay);
  EXPECT_EQ(p.pin_verification, cards::PinVerification::ibm3624_offset);
  EXPECT_EQ(p.default_floor_limit_minor, 5000);
  ASSERT_EQ(p.floor_limits.size(), 2u);
  EXPECT_EQ(p.floor_limits[0],
            (cards::FloorLimitRule{5411, 5411, 764, cards::UseChannel::card_present, 20000}));
  EXPECT_EQ(p.floor_limits[1], (cards::FloorLimitRule{0, 9999, 0, cards::UseChannel::any, 0}));
  EXPECT_EQ(p.foreign_fee_bp, 150u);
  EXPECT_EQ(p.uplift_max_multiplier_bp, 30000u);
  EXPECT_EQ(p.uplift_countries, (std::vector<uint16_t>{764, 392}));
  EXPECT_EQ(p.uplift_days, 10u);
  EXPECT_TRUE(p.uplift_on_authorization);
  EXPECT_EQ(p.dormant_days, 60u);
  EXPECT_EQ(p.token_cooling_days, 14u);

  // Defaults stay as cards::Product has them.
  const auto plain =
      std::get<engine::CreateCardRange>(
          parsed(json{{"op", "create_card_range"}, {"prefix_low", "622588"}, {"prefix_high", "622588"}}))
          .range.product;
  EXPECT_EQ(plain.scheme, cards::Product{}.scheme);
  EXPECT_TRUE(plain.floor_limits.empty());
  EXPECT_EQ(plain.uplift_max_multiplier_bp, 0u);
}

TEST(AdminJson, BadProductSettingsAreRefusedNamingThePath) {
  const auto with = [](const json& product) {
    return json{{"op", "create_card_range"},
                {"prefix_low", "622588"},
                {"prefix_high", "622588"},
                {"product", product}};
  };
  EXPECT_EQ(refused_field(with({{"scheme", "amex"}})), "product.scheme");
  EXPECT_EQ(refused_field(with({{"pin_verification", "pvv"}})), "product.pin_verification");
  EXPECT_EQ(refused_field(with({{"default_floor_limit_minor", -1}})), "product.default_floor_limit_minor");
  EXPECT_EQ(refused_field(with({{"floor_limits",
                                 {{{"floor_limit_minor", 0}},
                                  {{"mcc_low", "6000"}, {"mcc_high", "5000"}, {"floor_limit_minor", 0}}}}})),
            "product.floor_limits[1].mcc_high");
  EXPECT_EQ(refused_field(with({{"floor_limits", {{{"mcc_low", "5411"}}}}})),
            "product.floor_limits[0].floor_limit_minor");
  EXPECT_EQ(refused_field(with({{"floor_limits", {{{"channel", "online"}, {"floor_limit_minor", 0}}}}})),
            "product.floor_limits[0].channel");
  EXPECT_EQ(refused_field(with({{"floor_limits", {7}}})), "product.floor_limits[0]");
  EXPECT_EQ(refused_field(with({{"floor_limits", "none"}})), "product.floor_limits");
  EXPECT_EQ(refused_field(with({{"foreign_fee_bp", 20000}})), "product.foreign_fee_bp");
  EXPECT_EQ(refused_field(with({{"uplift_max_multiplier_bp", 5000}})), "product.uplift_max_multiplier_bp");
  EXPECT_EQ(refused_field(with({{"uplift_countries", {"THA", "QQQ"}}})), "product.uplift_countries[1]");
  EXPECT_EQ(refused_field(with({{"uplift_days", 100000}})), "product.uplift_days");
  EXPECT_EQ(refused_field(with({{"uplift_on_authorization", "yes"}})), "product.uplift_on_authorization");
  EXPECT_EQ(refused_field(with({{"dormant_days", -1}})), "product.dormant_days");
  EXPECT_EQ(refused_field(with({{"token_cooling_days", "soon"}})), "product.token_cooling_days");
  EXPECT_EQ(refused_field(with({{"issuer_country", "CHINA"}})), "product.issuer_country");
}

TEST(AdminJson, IssueCardTakesAnIbm3624PinOffset) {
  json request{
      {"op", "issue_card"}, {"account_id", 1001}, {"pan", kPan}, {"expiry", "2812"}, {"pin_offset", "4417"}};
  const auto card = std::get<engine::IssueCard>(parsed(request));
  EXPECT_EQ(std::string(card.pin_offset.data(), 4), "4417");
  EXPECT_EQ(card.pin_offset[4], '\0');  // the rest stays empty
  request["pin_offset"] = "441700000012";
  EXPECT_EQ(std::string(std::get<engine::IssueCard>(parsed(request)).pin_offset.data(), 12), "441700000012");
  for (const char* bad : {"441", "4417000000123", "44A7", ""}) {
    request["pin_offset"] = bad;
    EXPECT_EQ(refused_field(request), "pin_offset") << bad;
  }
}

// ---- tokens and uplifts ----------------------------------------------------------------------

TEST_F(AdminStory, ATokenIsProvisionedSuspendedAndShown) {
  const json provisioned = apply(
      {{"op", "provision_token"}, {"id", 77}, {"card_id", 5001}, {"token_pan", kTokenPan}, {"wallet", 2}});
  EXPECT_EQ(provisioned["outcome"], "admin_done") << provisioned.dump();
  EXPECT_EQ(provisioned["id"], 77);
  json token = query({{"op", "get_token"}, {"token_id", 77}});
  EXPECT_EQ(token["card_id"], 5001) << token.dump();
  EXPECT_EQ(token["pan"], "489537******0015");
  EXPECT_EQ(token["status"], "active");
  EXPECT_EQ(token["wallet"], 2);
  EXPECT_EQ(token["provisioned_at_us"], engine::testing::kStart.us);
  EXPECT_EQ(query({{"op", "get_card"}, {"card_id", 5001}})["tokens"], json::array({77}));

  EXPECT_EQ(apply({{"op", "set_token_status"}, {"token_id", 77}, {"status", "suspended"}})["outcome"],
            "admin_done");
  EXPECT_EQ(query({{"op", "get_token"}, {"token_id", 77}})["status"], "suspended");
  EXPECT_EQ(apply({{"op", "set_token_status"}, {"token_id", 78}, {"status", "active"}})["outcome"],
            "unknown_token");
  EXPECT_TRUE(query({{"op", "get_token"}, {"token_id", 78}}).contains("error"));
  EXPECT_NE(query({{"op", "get_token"}})["error"].get<std::string>().find("token_id"), std::string::npos);
}

TEST(AdminJson, BadTokenRequestsAreRefusedNamingTheMember) {
  const json good{{"op", "provision_token"}, {"card_id", 5001}, {"token_pan", kTokenPan}, {"wallet", 1}};
  EXPECT_EQ(refused_field(good), "(accepted)");
  json bad = good;
  bad["token_pan"] = "4895370000000016";
  EXPECT_EQ(refused_field(bad), "token_pan");  // Luhn
  bad["token_pan"] = "48953700";
  EXPECT_EQ(refused_field(bad), "token_pan");
  bad = good;
  bad["wallet"] = 256;
  EXPECT_EQ(refused_field(bad), "wallet");
  bad = good;
  bad.erase("card_id");
  EXPECT_EQ(refused_field(bad), "card_id");
  EXPECT_EQ(refused_field({{"op", "set_token_status"}, {"token_id", 1}, {"status", "frozen"}}), "status");
  EXPECT_EQ(refused_field({{"op", "set_token_status"}, {"status", "active"}}), "token_id");
}

TEST_F(AdminStory, AnUpliftAbroadIsGrantedCardPresentAndRefusedForCardNotPresent) {
  authorise(100);  // the card is in use: not dormant
  const json refused = apply({{"op", "request_uplift"},
                              {"card_id", 5001},
                              {"country", "THA"},
                              {"multiplier_bp", 20000},
                              {"channel", "card_not_present"}});
  EXPECT_EQ(refused["outcome"], "uplift_card_not_present") << refused.dump();
  EXPECT_EQ(refused["ok"], false);
  const json granted = apply({{"op", "request_uplift"},
                              {"card_id", 5001},
                              {"country", "764"},
                              {"multiplier_bp", 20000},
                              {"channel", "card_present"},
                              {"fallback", false}});
  EXPECT_EQ(granted["outcome"], "uplift_granted") << granted.dump();
  EXPECT_EQ(granted["open_to_buy"]["minor"], 2 * 60000 - 100);
  const json elsewhere =
      apply({{"op", "request_uplift"}, {"card_id", 5001}, {"country", "JPN"}, {"channel", "card_present"}});
  EXPECT_EQ(elsewhere["outcome"], "uplift_country_not_allowed");
}

TEST(AdminJson, BadUpliftRequestsAreRefusedNamingTheMember) {
  const json good{{"op", "request_uplift"}, {"card_id", 5001},        {"token_id", 3},
                  {"country", "THA"},       {"multiplier_bp", 20000}, {"channel", "card_present"},
                  {"fallback", true}};
  const auto c = std::get<engine::RequestUplift>(parsed(good));
  EXPECT_EQ(c.card_id, 5001u);
  EXPECT_EQ(c.token_id, 3u);
  EXPECT_EQ(c.country, 764);
  EXPECT_EQ(c.multiplier_bp, 20000u);
  EXPECT_EQ(c.channel, cards::UseChannel::card_present);
  EXPECT_TRUE(c.fallback);
  const std::pair<std::pair<const char*, json>, const char*> cases[] = {
      {{"country", "XX"}, "country"},
      {{"country", "QQQ"}, "country"},
      {{"country", "1560"}, "country"},
      {{"multiplier_bp", 5000}, "multiplier_bp"},
      {{"multiplier_bp", -1}, "multiplier_bp"},
      {{"channel", "any"}, "channel"},  // a request is for one channel
      {{"channel", "online"}, "channel"},
      {{"fallback", "no"}, "fallback"},
      {{"token_id", "three"}, "token_id"},
  };
  for (const auto& [member, field] : cases) {
    json bad = good;
    bad[member.first] = member.second;
    EXPECT_EQ(refused_field(bad), field) << member.first << " = " << member.second.dump();
  }
  for (const char* required : {"card_id", "country", "channel"}) {
    json missing = good;
    missing.erase(required);
    EXPECT_EQ(refused_field(missing), required);
  }
}

TEST(AdminJson, TheNewQueriesAreReadOnlyAndUnknownOperationsAreRefused) {
  for (const char* op : {"get_token", "list_cases", "get_presentment"})
    EXPECT_TRUE(is_admin_query(json{{"op", op}})) << op;
  for (const char* op : {"present", "provision_token", "set_token_status", "request_uplift"})
    EXPECT_FALSE(is_admin_query(json{{"op", op}})) << op;
  EXPECT_EQ(refused_field(json{{"op", "launch_rocket"}}), "op");
}

}  // namespace
}  // namespace holdfast::gateway
