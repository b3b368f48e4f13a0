// libFuzzer target: money conservation in the engine. Each input is a sequence of commands on a
// small portfolio (accounts in CNY, USD and JPY; four cards, two of them with wallet tokens):
// card messages of every kind (authorisations, advices with any stand-in or offline code,
// completions, refunds, reversals with DE 90 or without, crafted replacement amounts, reversals
// before their original, duplicates), presentments (matched by approval code or RRN or not at
// all, foreign, reversed, represented), cardholder disputes and compensation, limit and status
// changes, timer pulses; amounts up to 999,999,999,999 and some far beyond (the engine takes any
// int64), in four currencies, DE 6 at any implied rate.
//
// After every command the books balance and no cardholder account holds more credit than the
// commands gave it (src/engine/money_oracle.h). At the end, the same commands through the
// journal encoding on a fresh engine reach the same state bytes, and a snapshot round trip is
// byte-exact. Any violation aborts with what was violated.
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "engine/command_codec.h"
#include "engine/engine.h"
#include "engine/money_oracle.h"

using namespace holdfast;
using namespace holdfast::engine;

namespace {

constexpr Timestamp kStart = Timestamp::from_seconds(1'795'953'600);  // 2026-11-29 12:00 UTC
constexpr std::array<Currency, 4> kCurrencies{Currency{156}, Currency{840}, Currency{392}, Currency{978}};
constexpr std::array<int64_t, 16> kAmounts{0,
                                           1,
                                           2,
                                           99,
                                           100,
                                           5'000,
                                           10'000,
                                           30'000,
                                           123'456,
                                           10'000'000,
                                           500'000'000'000,
                                           999'999'999'998,
                                           999'999'999'999,
                                           INT64_MAX / 3,
                                           INT64_MAX - 1,
                                           INT64_MAX};
constexpr std::array<uint16_t, 5> kMccs{5411, 5812, 7011, 5542, 6011};
constexpr std::array<const char*, 7> kAdviceCodes{"", "00", "Y1", "Y3", "Z1", "Z3", "51"};
constexpr std::array<const char*, 5> kReasonCodes{"4837", "4808", "10.4", "13.1", "4853"};
constexpr size_t kCards = 4;  // pans 1..4; tokens 101, 102 on cards 1 and 2; pan 9 is unknown

cards::PanHash pan_hash_of(uint64_t n) {
  cards::PanHash h;
  std::memcpy(h.bytes.data(), &n, sizeof n);
  h.bytes[15] = 0xA5;
  return h;
}

Digest16 digest(uint64_t n) {
  Digest16 d;
  std::memcpy(d.bytes.data(), &n, sizeof n);
  d.bytes[15] = 0x5A;
  return d;
}

class Input {
 public:
  Input(const uint8_t* data, size_t size) : data_(data), size_(size) {}
  bool empty() const { return at_ >= size_; }
  uint8_t u8() { return at_ < size_ ? data_[at_++] : 0; }
  uint32_t u16() { return static_cast<uint32_t>(u8()) << 8 | u8(); }
  template <typename T, size_t N>
  const T& pick(const std::array<T, N>& from) {
    return from[u8() % N];
  }
  // A table amount, or any value up to 12 digits.
  int64_t amount() {
    const uint8_t how = u8();
    if (how < 160) return kAmounts[how % kAmounts.size()];
    uint64_t v = 0;
    for (int i = 0; i < 5; ++i) v = v << 8 | u8();
    return static_cast<int64_t>(v % 1'000'000'000'000);
  }

 private:
  const uint8_t* data_;
  size_t size_;
  size_t at_ = 0;
};

struct Sent {
  CardMessage message;
  Reply reply;
};

// Builds the command sequence from the input against a live engine (presentments and disputes
// name what earlier commands created), checking the oracle after each.
class Run {
 public:
  Run() : engine_(small_config()) { set_up(); }

  void step(Input& in) {
    now_.us += static_cast<int64_t>(in.u16()) * kMicrosPerSecond * (in.u8() % 4 == 0 ? 60 : 1);
    switch (in.u8() % 12) {
      case 0:
      case 1: card_message(in); break;
      case 2: reversal(in); break;
      case 3: reversal_first(in); break;
      case 4:
        if (!sent_.empty()) apply(sent_[in.u8() % sent_.size()].message);
        break;  // duplicate
      case 5: presentment(in); break;
      case 6: presentment_follow_up(in); break;
      case 7: open_dispute(in); break;
      case 8: dispute_action(in); break;
      case 9: close_compensation(in); break;
      case 10:
        now_.us += static_cast<int64_t>(in.u8()) * kSecondsPerDay * kMicrosPerSecond / 4;
        apply(Tick{});
        break;
      case 11: admin(in); break;
    }
  }

  void finish() {
    // The same commands through the journal encoding on a fresh engine: the same state.
    Engine replayed{small_config()};
    std::vector<Event> events;
    for (const Command& c : commands_) {
      std::vector<uint8_t> bytes;
      encode_command(c, &bytes);
      auto decoded = decode_command(bytes);
      if (!decoded.ok()) fail("a command does not decode");
      events.clear();
      replayed.apply(*decoded, &events);
    }
    std::vector<uint8_t> a, b, c;
    engine_.serialize(&a);
    replayed.serialize(&b);
    if (a != b) fail("replay through the journal encoding reached another state");
    Engine restored{small_config()};
    if (!restored.deserialize(a)) fail("a snapshot does not deserialize");
    restored.serialize(&c);
    if (a != c) fail("a snapshot round trip changed the state");
  }

 private:
  static EngineConfig small_config() {
    EngineConfig config;
    config.max_message_records = 1024;
    return config;
  }

  [[noreturn]] void fail(const std::string& what) const {
    std::fprintf(stderr, "money_fuzz: %s (after %zu commands)\n", what.c_str(), commands_.size());
    std::abort();
  }

  Reply apply(CommandBody body) {
    commands_.push_back(Command{now_, body});
    events_.clear();
    const Reply reply = engine_.apply(commands_.back(), &events_);
    if (trace_) print(body, reply);
    oracle_.applied(engine_, body, reply);
    if (const std::string v = oracle_.violation(engine_); !v.empty()) fail(v);
    return reply;
  }

  void set_up() {
    cards::Product product;
    product.default_floor_limit_minor = 10'000;
    product.foreign_fee_bp = 100;
    product.allow_cross_border = true;
    CreateCardRange range;
    range.range.prefix_low = 0;
    range.range.prefix_high = 99999999999;
    range.range.prefix_length = 11;
    range.range.product = product;
    apply(range);
    const std::array<Currency, kCards> account_currency{kCurrencies[0], kCurrencies[0], kCurrencies[1],
                                                        kCurrencies[2]};
    for (size_t i = 0; i < kCards; ++i) {
      apply(OpenAccount{account_currency[i], 100'000, 0});
      IssueCard card;
      card.account_id = i + 1;
      card.pan_hash = pan_hash_of(i + 1);
      card.prefix = 62258800000;
      card.prefix_length = 11;
      card.expiry_yymm = 2812;
      apply(card);
    }
    for (uint64_t c = 1; c <= 2; ++c) {
      ProvisionToken token;
      token.card_id = c;
      token.pan_hash = pan_hash_of(100 + c);
      apply(token);
    }
  }

  cards::PanHash any_pan(Input& in) {
    const uint8_t p = in.u8() % 8;
    if (p < kCards) return pan_hash_of(p + 1);
    if (p < 6) return pan_hash_of(101 + (p - kCards));
    return pan_hash_of(9);
  }

  CardMessage new_message(Input& in, MessageKind kind) {
    CardMessage m;
    m.kind = kind;
    m.key = MessageKey{12345678u + in.u8() % 2u, ++stan_, 1129120000u + stan_};
    m.has_pan = true;
    m.pan_hash = any_pan(in);
    m.amount_minor = in.amount();
    m.currency = in.pick(kCurrencies);
    if (in.u8() % 3 == 0) {
      m.billing_amount_minor = in.amount();
      m.billing_currency = in.pick(kCurrencies);
    }
    const uint8_t type = in.u8() % 8;
    m.transaction_type = type < 5    ? TransactionType::purchase
                         : type == 5 ? TransactionType::refund
                         : type == 6 ? TransactionType::cash
                                     : TransactionType::balance_inquiry;
    m.mcc = in.pick(kMccs);
    m.acquirer_country = in.u8() % 2 == 0 ? 156 : 840;
    m.channel = in.u8() % 4 == 0 ? Channel::card_not_present : Channel::card_present;
    const std::string rrn = std::to_string(100'000'000'000ull + in.u8() % 8);
    std::memcpy(m.retrieval_reference.data(), rrn.data(), 12);
    return m;
  }

  void card_message(Input& in) {
    const auto kinds = std::array{MessageKind::authorization_request, MessageKind::authorization_advice,
                                  MessageKind::financial_request, MessageKind::financial_advice};
    CardMessage m = new_message(in, in.pick(kinds));
    if (m.kind == MessageKind::authorization_advice || m.kind == MessageKind::financial_advice) {
      const char* code = in.pick(kAdviceCodes);
      m.advice_response_code = {code[0], code[0] == '\0' ? '\0' : code[1]};
      // A completion of an earlier approval (its code), or a terminal's own code.
      if (!sent_.empty() && in.u8() % 3 == 0) {
        const Sent& earlier = sent_[in.u8() % sent_.size()];
        m.advice_approval_code = earlier.reply.approval_code;
        if (in.u8() % 2 == 0) m.pan_hash = earlier.message.pan_hash;
      }
    }
    remember(m, apply(m));
  }

  void remember(const CardMessage& m, const Reply& r) {
    if (sent_.size() < 256) sent_.push_back(Sent{m, r});
  }

  CardMessage reversal_of(const Sent& original, Input& in) {
    CardMessage r = original.message;
    r.kind = in.u8() % 2 == 0 ? MessageKind::reversal_request : MessageKind::reversal_advice;
    r.key = MessageKey{original.message.key.acquirer_id, ++stan_, 1129120000 + stan_};
    r.has_original = in.u8() % 4 != 0;
    if (!r.has_original) r.key = original.message.key;  // matched by card + STAN + time + acquirer
    r.original_mti = original.message.kind == MessageKind::financial_request ||
                             original.message.kind == MessageKind::financial_advice
                         ? 200
                         : 100;
    r.original_key = original.message.key;
    const uint8_t replacement = in.u8() % 4;
    r.has_replacement_amount = replacement != 0;
    if (replacement == 1) r.replacement_amount_minor = original.message.amount_minor / 2;
    if (replacement >= 2) r.replacement_amount_minor = in.amount();  // crafted, maybe above DE 4
    if (replacement == 3) r.amount_minor = std::max(r.amount_minor, r.replacement_amount_minor);
    return r;
  }

  void reversal(Input& in) {
    if (sent_.empty()) return;
    const Sent& original = sent_[in.u8() % sent_.size()];
    apply(reversal_of(original, in));
  }

  // A reversal (maybe crafted) before its original, then the original.
  void reversal_first(Input& in) {
    const auto kinds = std::array{MessageKind::authorization_request, MessageKind::financial_request};
    Sent original{new_message(in, in.pick(kinds)), Reply{}};
    apply(reversal_of(original, in));
    remember(original.message, apply(original.message));
  }

  void presentment(Input& in) {
    Presentment p;
    p.record_id = digest(++records_);
    p.arn = digest(1'000'000 + records_);
    p.pan_hash = any_pan(in);
    p.amount_minor = in.amount();
    p.currency = in.pick(kCurrencies);
    if (in.u8() % 3 == 0) {
      p.billing_amount_minor = in.amount();
      p.billing_currency = in.pick(kCurrencies);
    }
    p.mcc = in.pick(kMccs);
    p.acquirer_country = in.u8() % 2 == 0 ? 156 : 840;
    p.transaction_time = Timestamp{now_.us - static_cast<int64_t>(in.u8()) * 3600 * kMicrosPerSecond};
    if (!sent_.empty() && in.u8() % 3 != 0) {
      const Sent& auth = sent_[in.u8() % sent_.size()];
      p.pan_hash = auth.message.pan_hash;
      if (in.u8() % 2 == 0)
        p.approval_code = auth.reply.approval_code;
      else
        p.retrieval_reference = auth.message.retrieval_reference;
    }
    apply(p);
    if (presented_.size() < 256) presented_.push_back(p);
  }

  void presentment_follow_up(Input& in) {
    if (presented_.empty()) return;
    Presentment p = presented_[in.u8() % presented_.size()];
    const uint8_t how = in.u8() % 3;
    if (how == 0) {
      apply(p);  // the same record again
      return;
    }
    p.kind = how == 1 ? PresentmentKind::first_presentment_reversal : PresentmentKind::second_presentment;
    p.record_id = digest(++records_);
    apply(p);
  }

  void open_dispute(Input& in) {
    if (presented_.empty()) return;
    OpenDispute d;
    d.presentment = presented_[in.u8() % presented_.size()].record_id;
    d.reason_code = in.pick(kReasonCodes);
    d.amount_minor = in.u8() % 2 == 0 ? 0 : in.amount();
    apply(d);
  }

  uint64_t any_case(Input& in) const {
    const auto& cases = engine_.disputes();
    if (cases.empty()) return 1;
    auto it = cases.begin();
    std::advance(it, in.u8() % cases.size());
    return it->first;
  }

  void dispute_action(Input& in) {
    DisputeAction a;
    a.case_id = any_case(in);
    switch (in.u8() % 10) {
      case 0: a.step = disputes::GrantProvisionalCredit{in.amount()}; break;
      case 1: a.step = disputes::FileChargeback{in.amount(), ""}; break;
      case 2: a.step = disputes::AcquirerAccepts{}; break;
      case 3: a.step = disputes::RecordRepresentment{}; break;
      case 4: a.step = disputes::IssuerAccepts{}; break;
      case 5: a.step = disputes::Withdraw{}; break;
      case 6: a.step = disputes::FilePreArbitration{}; break;
      case 7: a.step = disputes::FileArbitration{}; break;
      case 8: a.step = disputes::RecordArbitrationRuling{in.u8() % 2 == 0}; break;
      case 9: a.step = disputes::Tick{}; break;
    }
    apply(a);
  }

  void close_compensation(Input& in) {
    CloseCompensation c;
    c.case_id = any_case(in);
    c.fee_waiver_minor = in.u8() % 2 == 0 ? 0 : in.amount();
    c.reward_points = in.u8() % 2 == 0 ? 0 : in.amount();
    apply(c);
  }

  void admin(Input& in) {
    const uint64_t account = 1 + in.u8() % kCards;
    switch (in.u8() % 3) {
      case 0: apply(SetCreditLimit{account, in.amount()}); break;
      case 1: apply(SetCardStatus{account, static_cast<cards::CardStatus>(in.u8() % 3)}); break;
      case 2:
        apply(SetUplift{account, in.amount(), Timestamp{now_.us + kSecondsPerDay * kMicrosPerSecond}});
        break;
    }
  }

  // MONEY_FUZZ_TRACE=1 prints every command, its outcome and its money events (to reproduce).
  void print(const CommandBody& body, const Reply& reply) const {
    std::fprintf(stderr, "#%zu command %zu -> %s\n", commands_.size() - 1, body.index(),
                 std::string(outcome_name(reply.outcome)).c_str());
    if (const auto* m = std::get_if<CardMessage>(&body))
      std::fprintf(stderr, "  message kind %s type %d amount %lld/%u billing %lld/%u replacement %d/%lld\n",
                   message_kind_name(m->kind), static_cast<int>(m->transaction_type),
                   static_cast<long long>(m->amount_minor), m->currency.code,
                   static_cast<long long>(m->billing_amount_minor), m->billing_currency.code,
                   m->has_replacement_amount, static_cast<long long>(m->replacement_amount_minor));
    if (const auto* p = std::get_if<Presentment>(&body))
      std::fprintf(stderr, "  presentment %s amount %lld/%u billing %lld/%u\n",
                   presentment_kind_name(p->kind), static_cast<long long>(p->amount_minor), p->currency.code,
                   static_cast<long long>(p->billing_amount_minor), p->billing_currency.code);
    for (const Event& e : events_)
      std::fprintf(stderr, "  event %s account %llu amount %lld case %llu\n", event_kind_name(e.kind),
                   static_cast<unsigned long long>(e.account_id), static_cast<long long>(e.amount_minor),
                   static_cast<unsigned long long>(e.case_id));
  }

  const bool trace_ = std::getenv("MONEY_FUZZ_TRACE") != nullptr;
  Engine engine_;
  testing::MoneyOracle oracle_;
  Timestamp now_ = kStart;
  std::vector<Command> commands_;
  std::vector<Event> events_;
  std::vector<Sent> sent_;
  std::vector<Presentment> presented_;
  uint32_t stan_ = 0;
  uint64_t records_ = 0;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Input in(data, size);
  Run run;
  for (int steps = 0; !in.empty() && steps < 200; ++steps) run.step(in);
  run.finish();
  return 0;
}
