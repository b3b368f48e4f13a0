// disputes_test: stories of dispute cases, from claim to compensation, against the real rules
// config (config/scheme-rules.json).
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "disputes/case.h"
#include "disputes/codec.h"
#include "disputes/compensation.h"
#include "disputes/liability.h"
#include "disputes/rules.h"

namespace holdfast::disputes {
namespace {

constexpr Currency kCny{156};
constexpr int64_t kHour = 3600;

std::string rules_text() {
  std::ifstream in(std::string(HOLDFAST_CONFIG_DIR) + "/scheme-rules.json");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

const RulesBook& rules() {
  static const RulesBook book = [] {
    auto r = load_rules(rules_text());
    if (!r.ok()) ADD_FAILURE() << r.error().message;
    return std::move(r).value();
  }();
  return book;
}

// Day n of the story, at hh:00 UTC; day 0 is 2026-03-01.
Timestamp day(int n, int hh = 0) {
  return Timestamp::from_seconds((days_from_civil(2026, 3, 1) + n) * kSecondsPerDay + hh * kHour);
}

Case must(const Result<Case, Refusal>& r) {
  if (!r.ok()) {
    ADD_FAILURE() << describe(r.error());
    return Case{};
  }
  return r.value();
}

Case step(const Case& c, const Command& cmd, Timestamp now) { return must(apply(rules(), c, cmd, now)); }

Refusal refused(const Case& c, const Command& cmd, Timestamp now) {
  auto r = apply(rules(), c, cmd, now);
  EXPECT_FALSE(r.ok()) << "expected a refusal, case went to " << case_state_name(r.ok() ? r->state : c.state);
  return r.ok() ? Refusal{} : r.error();
}

OpenClaim claim(uint64_t id, Scheme scheme, std::string code, int64_t minor, Timestamp paid,
                Timestamp processed) {
  return OpenClaim{id, 1000 + id, 2000 + id, scheme, std::move(code), Money{minor, kCny}, paid, processed};
}

// ---- The seed's story ------------------------------------------------------------------------

TEST(DisputeStory, FraudAbroadReportedAtOnceIsWonAndTheIssuerBearsItAll) {
  // A CNY 2,000 card-not-present purchase abroad at 10:00; the issuer's alert reaches the
  // cardholder at once; she freezes the card and reports at 12:00. Cleared on day 2.
  const Timestamp paid = day(0, 10);
  Case c = must(open_claim(rules(), claim(1, Scheme::mastercard, "4837", 200000, paid, day(2)), day(0, 12)));
  EXPECT_EQ(c.state, CaseState::claimed);
  EXPECT_EQ(c.category, ReasonCategory::fraud);
  EXPECT_EQ(c.deadline, day(122));  // 120 days from the clearing date (CSBD)
  EXPECT_EQ(c.deadline_party, Party::issuer);

  c = step(c, AttachEvidence{EvidenceKind::loss_report, Party::cardholder, "called the hotline, card frozen"},
           day(0, 12));
  c = step(c, GrantProvisionalCredit{200000}, day(0, 13));
  // No chargeback without the cardholder's statement: evidence is king.
  Refusal r = refused(c, FileChargeback{200000, ""}, day(1));
  EXPECT_EQ(r.code, RefusalCode::documentation_missing);
  EXPECT_EQ(r.missing, EvidenceKind::cardholder_statement);
  c = step(
      c, AttachEvidence{EvidenceKind::cardholder_statement, Party::cardholder, "did not make this purchase"},
      day(2, 9));
  c = step(c, FileChargeback{200000, ""}, day(3));
  EXPECT_EQ(c.state, CaseState::chargeback_filed);
  EXPECT_EQ(c.deadline, day(3 + 45));
  EXPECT_EQ(c.deadline_party, Party::acquirer);

  c = step(c, RecordRepresentment{}, day(20));
  EXPECT_EQ(c.deadline, day(50));  // pre-arbitration filing, 30 days
  c = step(
      c,
      AttachEvidence{EvidenceKind::authentication_data, Party::issuer, "no 3DS, no UCAF on the presentment"},
      day(21));
  c = step(c, FilePreArbitration{}, day(25));
  EXPECT_EQ(c.state, CaseState::pre_arbitration);
  EXPECT_EQ(c.deadline, day(55));
  c = step(c, AcquirerAccepts{}, day(40));
  EXPECT_EQ(c.state, CaseState::closed_won);
  EXPECT_EQ(c.deadline, kNoDeadline);
  ASSERT_EQ(c.evidence.size(), 3u);
  EXPECT_EQ(c.evidence[1].received_at, day(2, 9));
  ASSERT_EQ(c.history.size(), 4u);
  EXPECT_EQ(c.history.back(), (Transition{CaseState::pre_arbitration, CaseState::closed_won, day(40)}));

  LiabilityClaim lc;
  lc.kind = TheftKind::online_theft;
  lc.payment_at = paid;
  lc.aware_at = day(0, 10);
  lc.reported_at = day(0, 12);
  const LiabilityAssessment la = assess_liability(rules().liability, lc);
  EXPECT_EQ(la.issuer_bp, 10000);
  EXPECT_EQ(la.cardholder_bp, 0);
  EXPECT_EQ(la.bears, Party::issuer);
  EXPECT_EQ(la.reasons, (std::vector<LiabilityReason>{LiabilityReason::issuer_burden_of_proof,
                                                      LiabilityReason::cardholder_reported_promptly}));

  const CompensationPlan plan = plan_compensation(c, CompensationTerms{la.issuer_bp, 0, 500});
  ASSERT_EQ(plan.entries.size(), 3u);
  EXPECT_EQ(plan.entries[0], (CompensationEntry{EntryKind::provisional_credit, 1, 2001, Money{200000, kCny},
                                                Party::issuer, day(0, 13)}));
  EXPECT_EQ(plan.entries[1], (CompensationEntry{EntryKind::chargeback_recovery_receivable, 1, 2001,
                                                Money{200000, kCny}, Party::acquirer, day(40)}));
  EXPECT_EQ(plan.entries[2].kind, EntryKind::reward_points);
  EXPECT_EQ(plan.entries[2].amount.minor, 500);
  EXPECT_EQ(plan.cardholder_entitlement_minor, 200000);
  EXPECT_EQ(plan.issuer_net_loss_minor, 0);
}

TEST(DisputeStory, AFilingAfterTheDeadlineIsRefusedAndNamesTheDeadline) {
  // Visa 10.4 cleared on 1 March: 120 days from the TPD ends on 29 June.
  Case c = must(open_claim(rules(), claim(2, Scheme::visa, "10.4", 50000, day(0), day(0)), day(10)));
  c = step(c, AttachEvidence{EvidenceKind::cardholder_statement, Party::cardholder, "not me"}, day(10));
  const Refusal r = refused(c, FileChargeback{50000, ""}, day(120, 1));
  EXPECT_EQ(r.code, RefusalCode::deadline_passed);
  EXPECT_EQ(r.deadline, day(120));
  EXPECT_EQ(describe(r),
            "deadline_passed (case claimed): chargeback filing deadline 2026-06-29T00:00:00Z has passed");
  EXPECT_TRUE(
      apply(rules(), c, FileChargeback{50000, ""}, day(120)).ok());  // the last instant is still in time

  // Re-classified as no-authorisation (11.3), the shorter 75-day limit applies.
  const Refusal r2 = refused(c, FileChargeback{50000, "11.3"}, day(76));
  EXPECT_EQ(r2.code, RefusalCode::deadline_passed);
  EXPECT_EQ(r2.deadline, day(75));
  EXPECT_EQ(rules().scheme(Scheme::visa)->no_authorisation_code, "11.3");
  EXPECT_EQ(rules().scheme(Scheme::mastercard)->no_authorisation_code, "4808");

  // A claim that arrives after the limit is refused at intake.
  auto late = open_claim(rules(), claim(3, Scheme::mastercard, "4808", 50000, day(0), day(0)), day(91));
  ASSERT_FALSE(late.ok());
  EXPECT_EQ(late.error().code, RefusalCode::deadline_passed);
  EXPECT_EQ(late.error().deadline, day(90));
  auto unknown = open_claim(rules(), claim(4, Scheme::visa, "4837", 50000, day(0), day(0)), day(1));
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().code, RefusalCode::unknown_reason_code);
}

TEST(DisputeStory, APartialChargebackOnAConsumerDisputeRecoversOnlyThePart) {
  // CNY 1,000 of goods, CNY 300 of them never delivered.
  Case c = must(open_claim(rules(), claim(5, Scheme::visa, "13.1", 100000, day(0), day(1)), day(20)));
  c = step(
      c,
      AttachEvidence{EvidenceKind::cardholder_statement, Party::cardholder, "one of three parcels missing"},
      day(20));
  EXPECT_EQ(refused(c, FileChargeback{30000, ""}, day(21)).missing, EvidenceKind::correspondence);
  c = step(c, AttachEvidence{EvidenceKind::correspondence, Party::merchant, "merchant e-mails"}, day(22));
  const Refusal over = refused(c, FileChargeback{150000, ""}, day(23));
  EXPECT_EQ(over.code, RefusalCode::amount_above_disputed);
  EXPECT_EQ(over.limit_minor, 100000);
  EXPECT_EQ(refused(c, FileChargeback{0, ""}, day(23)).code, RefusalCode::amount_not_positive);
  EXPECT_EQ(refused(c, GrantProvisionalCredit{100001}, day(23)).code, RefusalCode::amount_above_disputed);
  c = step(c, FileChargeback{30000, ""}, day(23));
  EXPECT_EQ(c.chargeback_minor, 30000);
  EXPECT_EQ(refused(c, FileChargeback{30000, ""}, day(24)).code, RefusalCode::transition_not_allowed);
  c = step(c, AcquirerAccepts{}, day(30));
  const CompensationPlan plan = plan_compensation(c, CompensationTerms{});
  ASSERT_EQ(plan.entries.size(), 2u);
  EXPECT_EQ(plan.entries[0].kind, EntryKind::refund);
  EXPECT_EQ(plan.entries[0].amount.minor, 30000);
  EXPECT_EQ(plan.entries[1].kind, EntryKind::chargeback_recovery_receivable);
  EXPECT_EQ(plan.entries[1].amount.minor, 30000);
  EXPECT_EQ(plan.issuer_net_loss_minor, 0);
}

TEST(DisputeStory, AlertsFireLeadTimeBeforeADeadlineAndOverdueAfterIt) {
  Case waiting = must(
      open_claim(rules(), claim(7, Scheme::visa, "10.4", 10000, day(0), day(0)), day(1)));  // due day 120
  Case filed = must(open_claim(rules(), claim(6, Scheme::mastercard, "4808", 10000, day(0), day(0)), day(1)));
  filed = step(filed, FileChargeback{10000, ""}, day(80));  // acquirer must answer by day 125
  Case arbitration =
      must(open_claim(rules(), claim(8, Scheme::mastercard, "4808", 10000, day(0), day(0)), day(1)));
  arbitration = step(arbitration, FileChargeback{10000, ""}, day(2));
  arbitration = step(arbitration, RecordRepresentment{}, day(10));
  arbitration = step(arbitration, FileArbitration{}, day(11));  // 4808 goes straight to arbitration
  const std::vector<Case> cases{waiting, filed, arbitration};
  const int64_t lead = 7 * kSecondsPerDay;

  EXPECT_TRUE(due_alerts(cases, day(112, 23), lead).empty());
  auto alerts = due_alerts(cases, day(113), lead);
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].case_id, 7u);
  EXPECT_EQ(alerts[0].kind, AlertKind::due_soon);
  EXPECT_EQ(alerts[0].party, Party::issuer);
  EXPECT_EQ(alerts[0].seconds_left, lead);

  alerts = due_alerts(cases, day(121), lead);
  ASSERT_EQ(alerts.size(), 2u);  // ordered by deadline; arbitration (the scheme's turn) never alerts
  EXPECT_EQ(alerts[0].case_id, 7u);
  EXPECT_EQ(alerts[0].kind, AlertKind::overdue);
  EXPECT_EQ(alerts[0].seconds_left, -kSecondsPerDay);
  EXPECT_EQ(alerts[1].case_id, 6u);
  EXPECT_EQ(alerts[1].kind, AlertKind::due_soon);
  EXPECT_EQ(alerts[1].party, Party::acquirer);
}

TEST(DisputeStory, ACaseLeftAloneExpiresAndTheIssuerBearsTheLoss) {
  Case c = must(open_claim(rules(), claim(9, Scheme::visa, "10.4", 80000, day(0), day(0)), day(5)));
  c = step(c, GrantProvisionalCredit{80000}, day(5));
  EXPECT_EQ(refused(c, GrantProvisionalCredit{1}, day(6)).code,
            RefusalCode::provisional_credit_already_granted);
  EXPECT_EQ(refused(c, Tick{}, day(120)).code, RefusalCode::nothing_due);
  c = step(c, Tick{}, day(121));
  EXPECT_EQ(c.state, CaseState::expired);
  EXPECT_EQ(c.closed_at, day(121));
  EXPECT_EQ(refused(c, AttachEvidence{}, day(122)).code, RefusalCode::case_closed);
  EXPECT_TRUE(due_alerts({c}, day(200), kSecondsPerDay).empty());
  const CompensationPlan plan = plan_compensation(c, CompensationTerms{});
  ASSERT_EQ(plan.entries.size(), 1u);  // the provisional credit stands; nothing is recovered
  EXPECT_EQ(plan.entries[0].kind, EntryKind::provisional_credit);
  EXPECT_EQ(plan.issuer_net_loss_minor, 80000);

  // The acquirer's silence is the other way round: the chargeback stands.
  Case d = must(open_claim(rules(), claim(10, Scheme::mastercard, "4808", 80000, day(0), day(0)), day(5)));
  d = step(d, FileChargeback{80000, ""}, day(6));
  EXPECT_EQ(refused(d, RecordRepresentment{}, day(52)).code, RefusalCode::deadline_passed);
  d = step(d, Tick{}, day(52));
  EXPECT_EQ(d.state, CaseState::closed_won);
}

TEST(DisputeStory, ChipLiabilityShiftGoesStraightToArbitrationAndCanBeLost) {
  Case c = must(open_claim(rules(), claim(11, Scheme::mastercard, "4870", 60000, day(0), day(1)), day(2)));
  c = step(c, AttachEvidence{EvidenceKind::cardholder_statement, Party::cardholder, "card in my wallet"},
           day(2));
  c = step(c, FileChargeback{60000, ""}, day(3));
  c = step(c, RecordRepresentment{}, day(10));
  EXPECT_EQ(c.deadline, day(55));  // arbitration filing window, no pre-arbitration for 4870
  EXPECT_EQ(refused(c, FilePreArbitration{}, day(11)).code, RefusalCode::pre_arbitration_not_required);
  c = step(c, FileArbitration{}, day(11));
  EXPECT_EQ(c.deadline, kNoDeadline);
  EXPECT_EQ(c.deadline_party, Party::scheme);
  c = step(c, RecordArbitrationRuling{false}, day(70));
  EXPECT_EQ(c.state, CaseState::closed_lost);
  const CompensationPlan plan = plan_compensation(c, CompensationTerms{10000, 1500, 0});
  ASSERT_EQ(plan.entries.size(), 2u);
  EXPECT_EQ(plan.entries[0].kind, EntryKind::refund);
  EXPECT_EQ(plan.entries[1].kind, EntryKind::fee_waiver);
  EXPECT_EQ(plan.issuer_net_loss_minor, 61500);
}

// Found by fuzz/money_fuzz.cc: an entitlement at int64's edge plus a fee waiver wrapped the
// reported loss (signed overflow). It saturates.
TEST(DisputeStory, TheReportedLossDoesNotWrapAtTheEdgeOfInt64) {
  Case c =
      must(open_claim(rules(), claim(12, Scheme::mastercard, "4870", INT64_MAX, day(0), day(1)), day(2)));
  c = step(c, AttachEvidence{EvidenceKind::cardholder_statement, Party::cardholder, "card in my wallet"},
           day(2));
  c = step(c, FileChargeback{INT64_MAX, ""}, day(3));
  c = step(c, RecordRepresentment{}, day(10));
  c = step(c, FileArbitration{}, day(11));
  c = step(c, RecordArbitrationRuling{false}, day(70));
  const CompensationPlan plan = plan_compensation(c, CompensationTerms{10000, 999'999'999'998, 0});
  EXPECT_EQ(plan.cardholder_entitlement_minor, INT64_MAX);
  EXPECT_EQ(plan.issuer_net_loss_minor, INT64_MAX);
}

TEST(DisputeStory, AVisaFraudCaseDeclinedAtPreArbitrationIsWonInArbitration) {
  Case c = must(open_claim(rules(), claim(13, Scheme::visa, "10.4", 45000, day(0), day(1)), day(2)));
  EXPECT_EQ(refused(c, RecordRepresentment{}, day(2)).code, RefusalCode::transition_not_allowed);
  EXPECT_EQ(refused(c, FileArbitration{}, day(2)).code, RefusalCode::transition_not_allowed);
  c = step(c, AttachEvidence{EvidenceKind::cardholder_statement, Party::cardholder, "not me"}, day(2));
  c = step(c, FileChargeback{45000, ""}, day(3));
  EXPECT_EQ(c.deadline, day(33));  // Visa: 30 days for the acquirer
  c = step(c, RecordRepresentment{}, day(30));
  EXPECT_EQ(refused(c, FileArbitration{}, day(31)).code,
            RefusalCode::transition_not_allowed);  // pre-arb first
  const Refusal late = refused(c, FilePreArbitration{}, day(61));
  EXPECT_EQ(late.code, RefusalCode::deadline_passed);
  EXPECT_EQ(late.deadline, day(60));
  c = step(c, FilePreArbitration{}, day(60));
  c = step(c, RecordPreArbitrationDeclined{}, day(80));
  EXPECT_EQ(c.deadline, day(125));  // 45 days to file arbitration
  EXPECT_EQ(c.deadline_party, Party::issuer);
  c = step(c, FileArbitration{}, day(100));
  EXPECT_EQ(refused(c, Tick{}, day(400)).code, RefusalCode::nothing_due);
  c = step(c, RecordArbitrationRuling{true}, day(150));
  EXPECT_EQ(c.state, CaseState::closed_won);
  EXPECT_EQ(c.history.size(), 6u);
  EXPECT_EQ(plan_compensation(c, CompensationTerms{}).issuer_net_loss_minor, 0);
}

// ---- Liability ---------------------------------------------------------------------------------

TEST(Liability, ALateReportShiftsTheEnlargedLossButTheIssuerThatDidNotStopKeepsTheMainShare) {
  // Alerted on day 0, reported on day 5; this payment on day 3 is part of the enlarged loss,
  // and the issuer saw it as abnormal but let it through.
  LiabilityClaim lc;
  lc.kind = TheftKind::online_theft;
  lc.aware_at = day(0, 9);
  lc.payment_at = day(3);
  lc.reported_at = day(5);
  lc.issuer_flagged_abnormal = true;
  LiabilityAssessment a = assess_liability(rules().liability, lc);
  EXPECT_EQ(a.issuer_bp, 7000);
  EXPECT_EQ(a.cardholder_bp, 3000);
  EXPECT_EQ(a.bears, Party::issuer);
  EXPECT_EQ(a.reasons, (std::vector<LiabilityReason>{LiabilityReason::issuer_burden_of_proof,
                                                     LiabilityReason::issuer_failed_to_stop_abnormal_spending,
                                                     LiabilityReason::cardholder_reported_late}));

  // Leaked credentials on top: still capped at the issuer's main-liability floor.
  lc.cardholder_leaked_credentials = true;
  a = assess_liability(rules().liability, lc);
  EXPECT_EQ(a.issuer_bp, 7000);
  EXPECT_EQ(a.reasons.back(), LiabilityReason::cardholder_share_capped);

  // Without the issuer's fault both faults count, up to the cardholder cap (50%).
  lc.issuer_flagged_abnormal = false;
  a = assess_liability(rules().liability, lc);
  EXPECT_EQ(a.cardholder_bp, 5000);
  EXPECT_EQ(a.issuer_bp, 5000);

  // A payment inside the prompt window is not enlarged by the late report.
  lc.cardholder_leaked_credentials = false;
  lc.payment_at = day(0, 10);
  a = assess_liability(rules().liability, lc);
  EXPECT_EQ(a.issuer_bp, 10000);

  // After the report the issuer should have stopped everything.
  lc.payment_at = day(6);
  lc.cardholder_leaked_credentials = true;
  a = assess_liability(rules().liability, lc);
  EXPECT_EQ(a.issuer_bp, 10000);
  EXPECT_EQ(a.reasons.back(), LiabilityReason::payment_after_report);

  // The compensation follows the split: 30% of the provisional credit goes back.
  Case c = must(open_claim(rules(), claim(12, Scheme::visa, "10.4", 100001, day(3), day(4)), day(5)));
  c = step(c, GrantProvisionalCredit{100001}, day(5));
  c = step(c, Withdraw{}, day(6));
  EXPECT_EQ(plan_compensation(c, CompensationTerms{7000, 0, 0}).entries[1].amount.minor,
            100001);  // withdrawn: all back
  c.state = CaseState::closed_lost;
  const CompensationPlan plan = plan_compensation(c, CompensationTerms{7000, 0, 0});
  ASSERT_EQ(plan.entries.size(), 2u);
  EXPECT_EQ(plan.entries[1].kind, EntryKind::provisional_credit_reversal);
  EXPECT_EQ(plan.entries[1].borne_by, Party::cardholder);
  EXPECT_EQ(plan.entries[1].amount.minor, 30001);  // the odd minor unit is not the issuer's
}

TEST(Liability, CounterfeitChipCardAtANonChipTerminalIsTheIssuersToRecoverFromTheAcquirer) {
  LiabilityClaim lc;
  lc.kind = TheftKind::counterfeit_card_present;
  lc.aware_at = day(0);
  lc.payment_at = day(0, 1);
  lc.reported_at = day(0, 2);
  lc.chip_card_read_by_stripe = true;
  const LiabilityAssessment a = assess_liability(rules().liability, lc);
  EXPECT_EQ(a.issuer_bp, 10000);
  EXPECT_TRUE(a.recover_from_acquirer);
  EXPECT_EQ(a.reasons[1], LiabilityReason::issuer_failed_to_spot_counterfeit);

  LiabilityClaim own;
  own.payment_at = day(0);
  own.reported_at = day(1);
  own.issuer_proved_cardholder_made_it = true;
  EXPECT_EQ(assess_liability(rules().liability, own).bears, Party::cardholder);
  own.issuer_kept_evidence = false;  // Art. 5: no evidence, no proof
  EXPECT_EQ(assess_liability(rules().liability, own).issuer_bp, 10000);
}

// ---- Rules config ------------------------------------------------------------------------------

std::string config_error(const std::function<void(nlohmann::json&)>& edit) {
  nlohmann::json j = nlohmann::json::parse(rules_text());
  edit(j);
  auto r = load_rules(j.dump());
  return r.ok() ? std::string("loaded") : r.error().message;
}

TEST(RulesConfig, TheShippedFileLoadsWithSourcesOnEveryCode) {
  ASSERT_NE(rules().scheme(Scheme::visa), nullptr);
  ASSERT_NE(rules().scheme(Scheme::mastercard), nullptr);
  EXPECT_EQ(rules().scheme(Scheme::unionpay), nullptr);  // RULES.md has no CUP facts
  const ReasonCodeRule* mc4837 = rules().reason(Scheme::mastercard, "4837");
  ASSERT_NE(mc4837, nullptr);
  EXPECT_EQ(mc4837->issuer_filing_days, 120);
  EXPECT_EQ(mc4837->acquirer_response_days, 45);
  EXPECT_FALSE(rules().reason(Scheme::mastercard, "4808")->pre_arbitration_required);
  EXPECT_EQ(rules().reason(Scheme::visa, "11.3")->issuer_filing_days, 75);
  for (const SchemeRules& s : rules().schemes)
    for (const ReasonCodeRule& rc : s.reason_codes) EXPECT_FALSE(rc.source.empty()) << rc.code;
  EXPECT_EQ(rules().liability.issuer_main_liability_min_bp, 7000);
}

TEST(RulesConfig, ErrorsNameTheJsonPath) {
  EXPECT_EQ(
      config_error([](auto& j) { j["schemes"]["visa"]["reason_codes"][3]["issuer_filing_days"] = "120"; }),
      "$.schemes.visa.reason_codes[3].issuer_filing_days: expected an integer");
  EXPECT_EQ(
      config_error([](auto& j) { j["schemes"]["mastercard"]["reason_codes"][1]["issuer_filing_days"] = 0; }),
      "$.schemes.mastercard.reason_codes[1].issuer_filing_days: expected an integer in 1..1000");
  EXPECT_EQ(config_error([](auto& j) { j.erase("liability"); }), "$.liability: missing");
  EXPECT_EQ(config_error([](auto& j) { j["schemes"]["visa"]["reason_codes"][0]["category"] = "friendly"; }),
            "$.schemes.visa.reason_codes[0].category: expected fraud, authorisation, processing or consumer, "
            "got \"friendly\"");
  EXPECT_EQ(config_error([](auto& j) { j["schemes"]["visa"]["reason_codes"][1]["code"] = "10.1"; }),
            "$.schemes.visa.reason_codes[1].code: duplicate reason code 10.1");
  EXPECT_EQ(config_error([](auto& j) { j["schemes"]["mastercard"]["no_authorisation_code"] = "4807"; }),
            "$.schemes.mastercard.no_authorisation_code: \"4807\" is not one of the scheme's reason codes");
  EXPECT_EQ(config_error([](auto& j) { j["schemes"]["amex"] = nlohmann::json::object(); }),
            "$.schemes.amex: unknown scheme (visa, mastercard, unionpay)");
  EXPECT_EQ(
      config_error([](auto& j) { j["schemes"]["visa"]["arbitration"]["source"] = nlohmann::json::array(); }),
      "$.schemes.visa.arbitration.source: expected a non-empty array of strings");
  EXPECT_EQ(config_error([](auto& j) {
              j["schemes"]["visa"]["reason_codes"][2]["issuer_documentation"][0] = "selfie";
            }),
            "$.schemes.visa.reason_codes[2].issuer_documentation[0]: unknown evidence kind \"selfie\"");
  EXPECT_EQ(config_error([](auto& j) { j["liability"]["late_report_share_bp"] = 10001; }),
            "$.liability.late_report_share_bp: expected an integer in 0..10000");
  auto r = load_rules("{\"schemes\": ");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, RulesErrorCode::not_json);
}

// ---- Snapshots ---------------------------------------------------------------------------------

std::vector<Case> some_cases() {
  Case a = must(
      open_claim(rules(), claim(21, Scheme::mastercard, "4837", 200000, day(0, 10), day(2)), day(0, 12)));
  a = step(a, AttachEvidence{EvidenceKind::cardholder_statement, Party::cardholder, "not me \xe6\x88\x91"},
           day(1));
  a = step(a, GrantProvisionalCredit{200000}, day(1));
  a = step(a, FileChargeback{150000, ""}, day(3));
  Case b = must(open_claim(rules(), claim(20, Scheme::visa, "11.3", 777, day(0), day(0)), day(1)));
  b = step(b, Tick{}, day(80));
  return {a, b};
}

TEST(Snapshot, CasesRoundTripInCaseIdOrderAndEqualSetsGiveEqualBytes) {
  const std::vector<Case> cases = some_cases();
  const std::vector<uint8_t> bytes = encode_cases(cases);
  EXPECT_EQ(bytes, encode_cases({cases[1], cases[0]}));
  auto back = decode_cases(bytes);
  ASSERT_TRUE(back.ok()) << back.error().message;
  ASSERT_EQ(back->size(), 2u);
  EXPECT_EQ((*back)[0], cases[1]);
  EXPECT_EQ((*back)[1], cases[0]);
  EXPECT_EQ(encode_cases(*back), bytes);
}

TEST(Snapshot, TruncatedTrailingAndCorruptBytesAreRejected) {
  const std::vector<uint8_t> bytes = encode_cases(some_cases());
  for (size_t n = 0; n < bytes.size(); ++n) {
    auto r = decode_cases(std::span<const uint8_t>(bytes.data(), n));
    ASSERT_FALSE(r.ok()) << "prefix of " << n << " bytes accepted";
  }
  std::vector<uint8_t> longer = bytes;
  longer.push_back(0);
  ASSERT_FALSE(decode_cases(longer).ok());
  EXPECT_EQ(decode_cases(longer).error().code, CodecErrorCode::trailing_bytes);

  std::vector<uint8_t> bad = bytes;
  bad[0] ^= 1;
  EXPECT_EQ(decode_cases(bad).error().code, CodecErrorCode::bad_magic);
  bad = bytes;
  bad[9 + 24] = 7;  // first case's scheme byte: no scheme 7
  EXPECT_EQ(decode_cases(bad).error().code, CodecErrorCode::bad_value);

  // Flip every byte in turn: an error or a clean decode, never a crash.
  for (size_t i = 0; i < bytes.size(); ++i) {
    std::vector<uint8_t> flipped = bytes;
    flipped[i] ^= 0xff;
    (void)decode_cases(flipped);
  }
  // The same case twice is out of order.
  const std::vector<Case> one{some_cases()[0]};
  std::vector<uint8_t> twice = encode_cases(one);
  std::vector<uint8_t> body(twice.begin() + 9, twice.end());
  twice.insert(twice.end(), body.begin(), body.end());
  twice[5] = 2;  // count
  EXPECT_EQ(decode_cases(twice).error().code, CodecErrorCode::out_of_order);
}

// Issue 8 item 3: an open case read back with a full history was accepted, and its next step
// then aborted on D3 (no room for the transition). Bytes from disk are refused instead.
TEST(Snapshot, AnOpenCaseWithNoRoomForItsNextTransitionIsRejected) {
  Case full = some_cases()[0];
  ASSERT_FALSE(is_closed(full.state));
  full.history.resize(kMaxHistory, full.history.back());
  auto r = decode_cases(encode_cases({full}));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, CodecErrorCode::bad_value);
  full.history.resize(kMaxHistory - 1);
  EXPECT_TRUE(decode_cases(encode_cases({full})).ok());
}

}  // namespace
}  // namespace holdfast::disputes
