// Admin JSON for cardholder disputes: open_dispute, dispute_action, close_compensation,
// get_case and due_alerts through the generic admin entry points, against a real engine; and
// bad requests refused naming the member at fault.
#include "gateway/admin_disputes.h"

#include <gtest/gtest.h>

#include <string>

#include "engine/engine_test_support.h"
#include "gateway/admin_json.h"
#include "gateway/clearing_translate.h"

namespace holdfast::gateway {
namespace {

using nlohmann::json;

const PanHasher kHasher(std::array<uint8_t, 32>{7, 7, 7});
constexpr uint64_t kPan = 6225880000000001;

std::string refused_field(const json& request) {
  auto body = parse_admin_command(request, kHasher);
  if (body.ok()) return "(accepted)";
  return body.error().field;
}

class AdminDisputes : public ::testing::Test {
 protected:
  void SetUp() override {
    cards::Product product;
    product.scheme = cards::CardScheme::visa;
    product.default_floor_limit_minor = 1'000'000;  // the offline purchase stays below it
    story.range(product);
    account = story.account(60'000);
    story.card(account, kPan);
    engine::Presentment p;
    p.record_id = digest16("F1:1");
    p.arn = digest16("74000001234567890123456");
    p.pan_hash = engine::testing::pan_hash_of(kPan);
    p.amount_minor = 20'000;
    p.currency = engine::testing::kCny;
    p.mcc = 5732;
    p.channel = cards::UseChannel::card_not_present;
    p.transaction_time = Timestamp{story.now.us - kSecondsPerDay * kMicrosPerSecond};
    EXPECT_EQ(story.run(p).outcome, engine::Outcome::presentment_unauthorised);
  }
  // A journaled request as the server runs it: parsed, applied, answered.
  json admin(const json& request) {
    EXPECT_FALSE(is_admin_query(request));
    auto body = parse_admin_command(request, kHasher);
    EXPECT_TRUE(body.ok()) << request.dump() << ": "
                           << (body.ok() ? "" : body.error().field + " " + body.error().reason);
    if (!body.ok()) return json{};
    return admin_reply_json(story.run(std::move(*body)));
  }
  json query(const json& request) {
    EXPECT_TRUE(is_admin_query(request));
    return answer_admin_query(request, story.engine);
  }

  engine::testing::Story story;
  uint64_t account = 0;
};

TEST_F(AdminDisputes, AClaimIsOpenedWorkedAndSettledThroughAdminJson) {
  const uint64_t paid_s = story.now.seconds() - kSecondsPerDay;
  json opened = admin({{"op", "open_dispute"},
                       {"arn", "74000001234567890123456"},
                       {"reason_code", "10.4"},
                       {"transaction_at_s", paid_s},
                       {"liability",
                        {{"aware_at_s", paid_s + 600},
                         {"reported_at_s", paid_s + 1800},
                         {"cardholder_leaked_credentials", true}}}});
  ASSERT_EQ(opened["outcome"], "admin_done");
  const uint64_t id = opened["id"].get<uint64_t>();
  EXPECT_EQ(admin({{"op", "dispute_action"},
                   {"case_id", id},
                   {"action", "provisional_credit"},
                   {"amount_minor", 20'000}})["open_to_buy"]["minor"],
            60'000);
  json missing = admin(
      {{"op", "dispute_action"}, {"case_id", id}, {"action", "file_chargeback"}, {"amount_minor", 20'000}});
  EXPECT_EQ(missing["outcome"], "documentation_missing");
  EXPECT_FALSE(missing["ok"].get<bool>());
  EXPECT_EQ(missing["missing"], "cardholder_statement");
  admin({{"op", "dispute_action"},
         {"case_id", id},
         {"action", "attach_evidence"},
         {"kind", "cardholder_statement"},
         {"from", "cardholder"},
         {"description", "I was at home; CVV2 typed into a fake parcel site"}});
  EXPECT_EQ(admin({{"op", "dispute_action"},
                   {"case_id", id},
                   {"action", "file_chargeback"},
                   {"amount_minor", 20'000}})["outcome"],
            "admin_done");

  // The acquirer has 30 days to answer: inside a 40-day lead time, not inside a 10-day one.
  EXPECT_TRUE(query({{"op", "due_alerts"}, {"lead_time_s", 10 * kSecondsPerDay}})["alerts"].empty());
  json alerts = query({{"op", "due_alerts"}, {"lead_time_s", 40 * kSecondsPerDay}});
  ASSERT_EQ(alerts["alerts"].size(), 1u);
  EXPECT_EQ(alerts["alerts"][0]["case_id"], id);
  EXPECT_EQ(alerts["alerts"][0]["kind"], "due_soon");
  EXPECT_EQ(alerts["alerts"][0]["party"], "acquirer");
  EXPECT_EQ(alerts["alerts"][0]["seconds_left"], 30 * kSecondsPerDay);

  admin({{"op", "dispute_action"}, {"case_id", id}, {"action", "representment"}});
  admin({{"op", "dispute_action"}, {"case_id", id}, {"action", "issuer_accepts"}});
  EXPECT_EQ(query({{"op", "due_alerts"}, {"lead_time_s", 0}})["awaiting_compensation"], json::array({id}));
  EXPECT_EQ(admin({{"op", "close_compensation"},
                   {"case_id", id},
                   {"fee_waiver_minor", 1'000},
                   {"reward_points", 500}})["outcome"],
            "admin_done");
  EXPECT_TRUE(query({{"op", "due_alerts"}, {"lead_time_s", 0}})["awaiting_compensation"].empty());

  const json c = query({{"op", "get_case"}, {"case_id", id}});
  EXPECT_EQ(c["state"], "closed_lost");
  EXPECT_EQ(c["origin"], "cardholder_claim");
  EXPECT_EQ(c["reason_code"], "10.4");
  EXPECT_EQ(c["disputed"]["minor"], 20'000);
  EXPECT_EQ(c["disputed"]["currency"], "CNY");
  EXPECT_EQ(c["deadline"], nullptr);
  EXPECT_EQ(c["written_off_minor"], 20'000);
  ASSERT_EQ(c["evidence"].size(), 1u);
  EXPECT_EQ(c["evidence"][0]["kind"], "cardholder_statement");
  EXPECT_EQ(c["history"].size(), 3u);
  EXPECT_EQ(c["history"][2]["to"], "closed_lost");
  EXPECT_EQ(c["liability"]["issuer_bp"], 7'000);
  EXPECT_EQ(c["liability"]["cardholder_bp"], 3'000);
  EXPECT_EQ(c["liability"]["reasons"].back(), "cardholder_leaked_credentials");
  EXPECT_EQ(c["liability"]["facts"]["payment_at"],
            disputes::format_utc(Timestamp::from_seconds(static_cast<int64_t>(paid_s))));
  EXPECT_EQ(c["entitlement_minor"], 14'000);
  const json& entries = c["compensation"];
  ASSERT_EQ(entries.size(), 4u);
  EXPECT_EQ(entries[1]["kind"], "provisional_credit_reversal");
  EXPECT_EQ(entries[1]["amount"]["minor"], 6'000);
  EXPECT_EQ(entries[1]["borne_by"], "cardholder");
  EXPECT_EQ(entries[3]["kind"], "reward_points");
  EXPECT_EQ(entries[3]["amount"]["points"], 500);
  EXPECT_EQ(query({{"op", "get_account"}, {"account_id", account}})["open_to_buy_minor"],
            60'000 - 6'000 + 1'000);
}

TEST_F(AdminDisputes, RefusalsSayWhyAndNameTheDeadline) {
  json second = {
      {"op", "open_dispute"}, {"record_id", "F1:1"}, {"reason_code", "10.4"}, {"amount_minor", 20'001}};
  json answer = admin(second);
  EXPECT_EQ(answer["outcome"], "amount_above_posted");
  EXPECT_EQ(answer["limit_minor"], 20'000);
  EXPECT_EQ(admin({{"op", "open_dispute"}, {"record_id", "F9:9"}, {"reason_code", "10.4"}})["outcome"],
            "unknown_presentment");
  EXPECT_EQ(admin({{"op", "open_dispute"}, {"record_id", "F1:1"}, {"reason_code", "4837"}})["outcome"],
            "unknown_reason_code");
  // Visa 11.3 (no authorisation) must be filed within 75 days of the clearing date.
  story.advance_days(76);
  answer = admin({{"op", "open_dispute"}, {"record_id", "F1:1"}, {"reason_code", "11.3"}});
  EXPECT_EQ(answer["outcome"], "deadline_passed");
  EXPECT_EQ(answer["deadline"], "2027-02-12T12:00:00Z");
  const uint64_t id =
      admin({{"op", "open_dispute"}, {"record_id", "F1:1"}, {"reason_code", "10.4"}, {"case_id", 77}})["id"]
          .get<uint64_t>();
  EXPECT_EQ(id, 77u);
  answer = admin({{"op", "open_dispute"}, {"record_id", "F1:1"}, {"reason_code", "10.4"}});
  EXPECT_EQ(answer["outcome"], "dispute_already_open");
  EXPECT_EQ(answer["case_id"], 77);
  EXPECT_EQ(admin({{"op", "dispute_action"}, {"case_id", 78}, {"action", "withdraw"}})["outcome"],
            "unknown_case");
  EXPECT_EQ(admin({{"op", "close_compensation"}, {"case_id", 77}})["outcome"], "case_not_closed");
  EXPECT_EQ(query({{"op", "get_case"}, {"case_id", 78}})["error"], "unknown case");
}

TEST(AdminDisputesParse, BadRequestsNameTheMemberAtFault) {
  const json open = {{"op", "open_dispute"}, {"record_id", "F1:1"}, {"reason_code", "10.4"}};
  EXPECT_EQ(refused_field(open), "(accepted)");
  json bad = open;
  bad.erase("record_id");
  EXPECT_EQ(refused_field(bad), "record_id");
  bad = open;
  bad["arn"] = "7400";
  EXPECT_EQ(refused_field(bad), "record_id");  // one of them, not both
  bad = open;
  bad["reason_code"] = "123456789";
  EXPECT_EQ(refused_field(bad), "reason_code");
  bad = open;
  bad["amount_minor"] = -5;
  EXPECT_EQ(refused_field(bad), "amount_minor");
  bad = open;
  bad["transaction_at_s"] = "yesterday";
  EXPECT_EQ(refused_field(bad), "transaction_at_s");
  bad = open;
  bad["colour"] = "red";
  EXPECT_EQ(refused_field(bad), "colour");
  bad = open;
  bad["liability"] = {{"kind", "pickpocket"}};
  EXPECT_EQ(refused_field(bad), "liability.kind");
  bad["liability"] = {{"reported_at_s", -1}};
  EXPECT_EQ(refused_field(bad), "liability.reported_at_s");
  bad["liability"] = {{"leaked", true}};
  EXPECT_EQ(refused_field(bad), "liability.leaked");
  bad["liability"] = "prompt";
  EXPECT_EQ(refused_field(bad), "liability");

  const json evidence = {{"op", "dispute_action"},  {"case_id", 7},         {"action", "attach_evidence"},
                         {"kind", "police_report"}, {"from", "cardholder"}, {"description", "report no. 42"}};
  EXPECT_EQ(refused_field(evidence), "(accepted)");
  bad = evidence;
  bad.erase("case_id");
  EXPECT_EQ(refused_field(bad), "case_id");
  bad = evidence;
  bad["case_id"] = 0;
  EXPECT_EQ(refused_field(bad), "case_id");
  bad = evidence;
  bad["action"] = "sue";
  EXPECT_EQ(refused_field(bad), "action");
  bad = evidence;
  bad["kind"] = "rumour";
  EXPECT_EQ(refused_field(bad), "kind");
  bad = evidence;
  bad["from"] = "neighbour";
  EXPECT_EQ(refused_field(bad), "from");
  bad = evidence;
  bad["description"] = std::string(513, 'x');
  EXPECT_EQ(refused_field(bad), "description");
  bad = evidence;
  bad["amount_minor"] = 5;
  EXPECT_EQ(refused_field(bad), "amount_minor");  // not a member of attach_evidence
  EXPECT_EQ(refused_field({{"op", "dispute_action"}, {"case_id", 7}, {"action", "ruling"}}), "issuer_won");
  EXPECT_EQ(
      refused_field({{"op", "dispute_action"}, {"case_id", 7}, {"action", "ruling"}, {"issuer_won", "yes"}}),
      "issuer_won");
  EXPECT_EQ(refused_field({{"op", "dispute_action"}, {"case_id", 7}, {"action", "provisional_credit"}}),
            "amount_minor");
  EXPECT_EQ(refused_field({{"op", "dispute_action"}, {"case_id", 7}, {"action", "withdraw"}, {"why", "x"}}),
            "why");
  EXPECT_EQ(refused_field({{"op", "close_compensation"}, {"case_id", 7}, {"reward_points", -1}}),
            "reward_points");
  EXPECT_EQ(refused_field({{"op", "close_compensation"}, {"case_id", 7}, {"fee_waiver_minor", 1.5}}),
            "fee_waiver_minor");

  // What each action becomes.
  auto step_of = [](const json& r) {
    auto body = parse_admin_command(r, kHasher);
    EXPECT_TRUE(body.ok());
    return body.ok() ? std::get<engine::DisputeAction>(*body).step : disputes::Command{};
  };
  const auto chargeback = step_of({{"op", "dispute_action"},
                                   {"case_id", 7},
                                   {"action", "file_chargeback"},
                                   {"amount_minor", 900},
                                   {"reason_code", "11.3"}});
  ASSERT_TRUE(std::holds_alternative<disputes::FileChargeback>(chargeback));
  EXPECT_EQ(std::get<disputes::FileChargeback>(chargeback).reason_code, "11.3");
  EXPECT_EQ(std::get<disputes::FileChargeback>(chargeback).amount_minor, 900);
  EXPECT_TRUE(std::holds_alternative<disputes::FilePreArbitration>(
      step_of({{"op", "dispute_action"}, {"case_id", 7}, {"action", "pre_arbitration"}})));
  const auto ruling =
      step_of({{"op", "dispute_action"}, {"case_id", 7}, {"action", "ruling"}, {"issuer_won", true}});
  EXPECT_TRUE(std::get<disputes::RecordArbitrationRuling>(ruling).issuer_won);
  auto close = parse_admin_command(
      {{"op", "close_compensation"}, {"case_id", 7}, {"liability", json::object()}}, kHasher);
  ASSERT_TRUE(close.ok());
  EXPECT_TRUE(std::get<engine::CloseCompensation>(*close).reassess);

  // Queries: errors name the member too.
  engine::testing::Story story;
  EXPECT_NE(answer_admin_query({{"op", "get_case"}, {"case_id", "seven"}}, story.engine)["error"]
                .get<std::string>()
                .find("case_id"),
            std::string::npos);
  EXPECT_NE(answer_admin_query({{"op", "due_alerts"}, {"lead_time_s", -1}}, story.engine)["error"]
                .get<std::string>()
                .find("lead_time_s"),
            std::string::npos);
  EXPECT_TRUE(
      answer_admin_query({{"op", "due_alerts"}, {"lead_time_s", 60}}, story.engine)["alerts"].empty());
}

}  // namespace
}  // namespace holdfast::gateway
