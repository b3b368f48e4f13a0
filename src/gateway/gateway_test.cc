#include "gateway/gateway.h"
#include "iso8583/codec.h"

#include <gtest/gtest.h>

#include "iso8583/spec.h"

namespace holdfast::gateway {
namespace {

const PanHasher kHasher(std::array<uint8_t, 32>{7, 7, 7});

iso8583::Message authorization() {
  iso8583::Message m;
  m.set_mti("0100");
  m.set(2, "6225880000000018");
  m.set(3, "000000");
  m.set(4, "000000012345");
  m.set(7, "1129120000");
  m.set(11, "000042");
  m.set(14, "2812");
  m.set(18, "5411");
  m.set(19, "156");
  m.set(22, "051");
  m.set(25, "00");
  m.set(32, "12345678");
  m.set(37, "RRN000000001");
  m.set(41, "TERM0001");
  m.set(49, "156");
  return m;
}

TEST(Translate, AnAuthorisationBecomesAFixedSizeCommandWithTheCardHashedAndMasked) {
  auto m = to_card_message(authorization(), kHasher);
  ASSERT_TRUE(m.ok()) << m.error().reason;
  EXPECT_EQ(m->kind, engine::MessageKind::authorization_request);
  EXPECT_EQ(m->amount_minor, 12345);
  EXPECT_EQ(m->currency.code, 156);
  EXPECT_EQ(m->key.stan, 42u);
  EXPECT_EQ(m->key.acquirer_id, 12345678u);
  EXPECT_EQ(m->key.transmission_time, 1129120000u);
  EXPECT_EQ(m->expiry_yymm, 2812);
  EXPECT_EQ(m->mcc, 5411);
  EXPECT_EQ(m->channel, engine::Channel::card_present);
  EXPECT_EQ(m->pan_hash, kHasher.hash("6225880000000018"));
  EXPECT_NE(m->pan_hash, PanHasher(std::array<uint8_t, 32>{8}).hash("6225880000000018"));  // keyed
  EXPECT_EQ(m->masked_pan.display(), "622588******0018");
}

TEST(Translate, MissingOrMalformedElementsNameTheField) {
  auto no_amount = authorization();
  no_amount.clear(4);
  auto r = to_card_message(no_amount, kHasher);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().field, 4);
  EXPECT_EQ(r.error().code, TranslateErrc::missing_field);
  auto short_pan = authorization();
  short_pan.set(2, "12345");
  EXPECT_EQ(to_card_message(short_pan, kHasher).error().field, 2);
  auto bad_de90 = authorization();
  bad_de90.set_mti("0400");
  bad_de90.set(90, "0100");
  EXPECT_EQ(to_card_message(bad_de90, kHasher).error().field, 90);
  auto response = authorization();
  response.set_mti("0110");
  EXPECT_EQ(to_card_message(response, kHasher).error().code, TranslateErrc::unsupported_message);
}

TEST(Translate, CardNotPresentAndTrack2AreRecognised) {
  auto online = authorization();
  online.set(22, "812");
  online.set(25, "59");
  EXPECT_EQ(to_card_message(online, kHasher)->channel, engine::Channel::card_not_present);
  auto swiped = authorization();
  swiped.clear(2);
  swiped.clear(14);
  swiped.set(35, "6225880000000018=28122011234567890");
  auto m = to_card_message(swiped, kHasher);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->pan_hash, kHasher.hash("6225880000000018"));
  EXPECT_EQ(m->expiry_yymm, 2812);
}

TEST(Translate, Track1GivesThePanAndExpiryWhenNeitherDe2NorTrack2IsSent) {
  auto swiped = authorization();
  swiped.clear(2);
  swiped.clear(14);
  for (const char* track1 : {"%B6225880000000018^DOE/JOHN^2812201172116620000?",
                             "B6225880000000018^DOE/JOHN^2812201172116620000"}) {
    swiped.set(45, track1);
    auto m = to_card_message(swiped, kHasher);
    ASSERT_TRUE(m.ok()) << m.error().reason;
    EXPECT_EQ(m->pan_hash, kHasher.hash("6225880000000018"));
    EXPECT_EQ(m->expiry_yymm, 2812);
  }
  // Unreadable track 1 as the only card data: a format error naming DE 45, never its content.
  for (const char* bad : {"B6225880000000018DOE/JOHN2812201", "%B6225880000000018^DOE/JOHN^2813201?",
                          "B62258800^DOE/JOHN^2812201", "A6225880000000018^DOE/JOHN^2812201"}) {
    swiped.set(45, bad);
    auto m = to_card_message(swiped, kHasher);
    ASSERT_FALSE(m.ok()) << bad;
    EXPECT_EQ(m.error().field, 45) << bad;
    EXPECT_EQ(m.error().reason.find("6225"), std::string::npos);
    EXPECT_EQ(m.error().reason.find("JOHN"), std::string::npos);
  }
  // With DE 2 present, track 1 is left to the security stage.
  auto keyed = authorization();
  keyed.set(45, "garbage");
  EXPECT_TRUE(to_card_message(keyed, kHasher).ok());
}

TEST(Translate, ReversalsCarryTheOriginalAndTheReplacementAmount) {
  auto reversal = authorization();
  reversal.set_mti("0400");
  reversal.set(90, "010000004211291200000001234567800000000000");
  reversal.set(95, "000000005000000000005000C00000000C00000000");
  auto m = to_card_message(reversal, kHasher);
  ASSERT_TRUE(m.ok()) << m.error().reason;
  EXPECT_TRUE(m->has_original);
  EXPECT_EQ(m->original_mti, 100);
  EXPECT_EQ(m->original_key.stan, 42u);
  EXPECT_EQ(m->original_key.acquirer_id, 12345678u);
  EXPECT_TRUE(m->has_replacement_amount);
  EXPECT_EQ(m->replacement_amount_minor, 5000);
}

// The review's recipe (issue 8): a reversal "keeping" more than the original amount, and a cent
// billed as CNY 100,000. Both are refused at the edge (answered 30) naming the field.
TEST(Translate, AReplacementAmountAboveTheTransactionAmountIsRefusedNamingDe95) {
  auto reversal = authorization();
  reversal.set_mti("0420");
  reversal.set(90, "010000004211291200000001234567800000000000");
  reversal.set(95, "999999999999000000000000C00000000C00000000");
  auto m = to_card_message(reversal, kHasher);
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.error().field, 95);
  EXPECT_NE(m.error().reason.find("above"), std::string::npos) << m.error().reason;
  reversal.set(95, "000000012345000000000000C00000000C00000000");  // all of it kept: allowed
  EXPECT_TRUE(to_card_message(reversal, kHasher).ok());
}

TEST(Translate, ABillingAmountAtAnImplausibleRateIsRefusedNamingDe6) {
  auto billed = authorization();
  billed.set_mti("0220");
  billed.set(4, "000000000001");  // one US cent
  billed.set(49, "840");
  billed.set(6, "000010000000");  // CNY 100,000.00
  billed.set(51, "156");
  auto m = to_card_message(billed, kHasher);
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.error().field, 6);
  billed.set(4, "000000010000");  // USD 100.00 billed as CNY 100,000.00: extreme but within the bound
  EXPECT_TRUE(to_card_message(billed, kHasher).ok());
  billed.set(4, "010000000000");  // USD 100 million billed as one fen
  billed.set(6, "000000000001");
  EXPECT_EQ(to_card_message(billed, kHasher).error().field, 6);
  billed.set(4, "000000000000");  // nothing spent, something billed
  billed.set(6, "000000000100");
  EXPECT_EQ(to_card_message(billed, kHasher).error().field, 6);
  billed.set(6, "000000000000");  // nothing either way: an account verification
  EXPECT_TRUE(to_card_message(billed, kHasher).ok());
}

TEST(Translate, OfflineApprovalCodesReachTheEngineAsSent) {
  auto advice = authorization();
  advice.set_mti("0120");
  advice.set(39, "Y1");
  EXPECT_EQ(to_card_message(advice, kHasher)->advice_response_code, (std::array<char, 2>{'Y', '1'}));
  advice.set(39, "Y3");
  EXPECT_EQ(to_card_message(advice, kHasher)->advice_response_code, (std::array<char, 2>{'Y', '3'}));
  advice.set(39, "Z3");
  EXPECT_EQ(to_card_message(advice, kHasher)->advice_response_code, (std::array<char, 2>{'Z', '3'}));
}

TEST(Respond, TheResponseEchoesTheKeysAndAddsCodeApprovalAndBalance) {
  const auto& spec = *iso8583::find_spec("iso87binbitmap");
  engine::Reply reply;
  reply.outcome = engine::Outcome::approved;
  reply.response_code = {'0', '0'};
  reply.approval_code = {'0', '0', '0', '1', '2', '3'};
  reply.account_currency = Currency{156};
  reply.open_to_buy_minor = -2400;
  iso8583::Message response;
  build_response(spec, authorization(), reply, &response);
  EXPECT_EQ(response.mti(), "0110");
  EXPECT_EQ(response.get(11), "000042");
  EXPECT_EQ(response.get(37), "RRN000000001");
  EXPECT_EQ(response.get(39), "00");
  EXPECT_EQ(response.get(38), "000123");
  EXPECT_EQ(response.get(54), "0002156D000000002400");
  EXPECT_FALSE(response.has(14));  // the expiry is never echoed
  // A decline carries no approval code.
  reply.outcome = engine::Outcome::insufficient_funds;
  reply.response_code = {'5', '1'};
  build_response(spec, authorization(), reply, &response);
  EXPECT_FALSE(response.has(38));
  EXPECT_EQ(response.get(39), "51");
}

TEST(Respond, A1993LinkGetsActionCodesAndFormatErrorsGet30) {
  const auto& spec93 = *iso8583::find_spec("iso93ascii");
  auto request = authorization();
  request.set_mti("1100");
  request.clear(22);
  request.clear(25);
  iso8583::Message response;
  ASSERT_TRUE(format_error_response(spec93, request, &response));
  EXPECT_EQ(response.mti(), "1110");
  EXPECT_EQ(response.get(39), "904");
  const auto& spec87 = *iso8583::find_spec("iso87binbitmap");
  ASSERT_TRUE(format_error_response(spec87, authorization(), &response));
  EXPECT_EQ(response.get(39), "30");
  auto not_a_request = authorization();
  not_a_request.set_mti("0110");
  EXPECT_FALSE(format_error_response(spec87, not_a_request, &response));
}

// What iso8583::salvage() keeps is valid, but a format error may also answer a message whose
// echoed fields do not fit the link: only those that do are echoed, so the 30 always encodes.
TEST(Respond, AFormatErrorEchoesOnlyTheFieldsThatEncode) {
  const auto& spec = *iso8583::find_spec("iso87binbitmap");
  auto request = authorization();
  request.set(4, "00000000A100");                // non-numeric amount
  request.set(49, std::string("6\x12\x34", 3));  // a currency read from shifted bytes
  iso8583::Message response;
  ASSERT_TRUE(format_error_response(spec, request, &response));
  EXPECT_EQ(response.mti(), "0110");
  EXPECT_EQ(response.get(39), "30");
  EXPECT_EQ(response.get(11), request.get(11));
  EXPECT_FALSE(response.has(4));
  EXPECT_FALSE(response.has(49));
  EXPECT_TRUE(iso8583::encode(spec, response).ok());
}

}  // namespace
}  // namespace holdfast::gateway

#include "engine/engine_test_support.h"
#include "gateway/admin_json.h"

namespace holdfast::gateway {
namespace {

TEST(Explain, AnOperatorAsksWhyAnAuthorisationWasDeclined) {
  engine::testing::Story story;
  story.range();
  story.card(story.account(1'000), 42);
  const engine::CardMessage auth = story.authorization(42, 5'000);
  story.run(auth);
  const nlohmann::json request{{"op", "explain"},
                               {"mti", "0100"},
                               {"acquirer_id", std::to_string(auth.key.acquirer_id)},
                               {"stan", std::to_string(auth.key.stan)},
                               {"transmission_time", std::to_string(auth.key.transmission_time)}};
  ASSERT_TRUE(is_admin_query(request));
  const nlohmann::json answer = answer_admin_query(request, story.engine);
  EXPECT_EQ(answer["outcome"], "insufficient_funds") << answer.dump();
  EXPECT_EQ(answer["response_code"], "51");
  nlohmann::json unknown = request;
  unknown["stan"] = "999999";
  EXPECT_TRUE(answer_admin_query(unknown, story.engine).contains("error"));
  nlohmann::json bad = request;
  bad["mti"] = "0800";
  EXPECT_NE(answer_admin_query(bad, story.engine)["error"].get<std::string>().find("mti"), std::string::npos);
  EXPECT_TRUE(answer["cause"].is_null()) << "nothing behind a plain decline";
}

// An authorisation abroad beyond open-to-buy asked the uplift gate, which refused it: the
// operator sees why, not only insufficient_funds.
TEST(Explain, AnUpliftRefusedOnTheAuthorisationPathIsShownAsTheCause) {
  engine::testing::Story story;
  cards::Product product;
  product.uplift_max_multiplier_bp = 30'000;
  product.uplift_on_authorization = true;
  story.range(product);
  story.card(story.account(1'000), 42);
  engine::CardMessage auth = story.authorization(42, 5'000);
  auth.acquirer_country = 840;
  auth.channel = engine::Channel::card_not_present;
  story.run(auth);
  const nlohmann::json answer =
      answer_admin_query({{"op", "explain"},
                          {"mti", "0100"},
                          {"acquirer_id", std::to_string(auth.key.acquirer_id)},
                          {"stan", std::to_string(auth.key.stan)},
                          {"transmission_time", std::to_string(auth.key.transmission_time)}},
                         story.engine);
  EXPECT_EQ(answer["outcome"], "insufficient_funds") << answer.dump();
  EXPECT_EQ(answer["cause"], "uplift_card_not_present") << answer.dump();
}

// Legacy mode: get_account's open-to-buy agrees with the fields beside it (the books); what the
// legacy authorisations see (refreshed once a day) is shown apart with what it comes from.
TEST(LegacyAccount, OpenToBuyAgreesWithTheFieldsOfTheSameAnswer) {
  engine::EngineConfig config;
  config.mode = engine::EngineMode::legacy;
  engine::testing::Story story(config);
  story.range();
  const uint64_t account = story.account(60'000);
  story.card(account, 42);
  story.run(story.message(engine::MessageKind::financial_advice, 42, 50'000));  // not seen until the refresh
  story.run(story.authorization(42, 10'000));
  const nlohmann::json a = answer_admin_query({{"op", "get_account"}, {"account_id", account}}, story.engine);
  EXPECT_EQ(a["posted_balance_minor"], 50'000) << a.dump();
  EXPECT_EQ(a["pending_holds_minor"], 10'000);
  EXPECT_EQ(a["open_to_buy_minor"],
            a["credit_limit_minor"].get<int64_t>() + a["uplift_minor"].get<int64_t>() -
                a["posted_balance_minor"].get<int64_t>() - a["pending_holds_minor"].get<int64_t>());
  EXPECT_EQ(a["legacy"]["used_minor"], 10'000);
  EXPECT_EQ(a["legacy"]["open_to_buy_minor"], 50'000);
  EXPECT_EQ(a["legacy"]["refresh_hour_utc"], 0);
}

}  // namespace
}  // namespace holdfast::gateway
