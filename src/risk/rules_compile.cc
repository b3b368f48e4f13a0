// The rule language (docs/rules.md): a lexer, a recursive-descent parser that emits the flat
// stack-machine code of rules_eval.cc as it goes, and error recovery at the next `rule` or
// `list` so that one run reports every error with its line and column.
#include <algorithm>
#include <cctype>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "risk/rules_internal.h"

namespace holdfast::risk {
namespace {

enum class Tok : uint8_t { end, ident, number, string, op, lparen, rparen, comma, at, equals, bad };

struct Token {
  Tok kind = Tok::end;
  std::string_view text;
  int line = 1;
  int column = 1;
};

class Lexer {
 public:
  explicit Lexer(std::string_view src) : src_(src) {}
  Token next() {
    skip_space_and_comments();
    Token t{Tok::end, {}, line_, col_};
    if (pos_ >= src_.size()) return t;
    const size_t start = pos_;
    const char c = src_[pos_];
    if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
      while (pos_ < src_.size() && is_word(src_[pos_])) advance();
      t.kind = Tok::ident;
    } else if (std::isdigit(static_cast<unsigned char>(c))) {
      while (pos_ < src_.size() && (is_word(src_[pos_]) || src_[pos_] == '.')) advance();
      t.kind = Tok::number;
    } else if (c == '"') {
      advance();
      while (pos_ < src_.size() && src_[pos_] != '"' && src_[pos_] != '\n') advance();
      if (pos_ >= src_.size() || src_[pos_] != '"')
        return Token{Tok::bad, src_.substr(start, pos_ - start), t.line, t.column};
      advance();
      t.kind = Tok::string;
    } else {
      lex_punct(&t);
    }
    t.text = src_.substr(start, pos_ - start);
    return t;
  }

 private:
  static bool is_word(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }
  void advance() {
    if (src_[pos_] == '\n')
      ++line_, col_ = 1;
    else
      ++col_;
    ++pos_;
  }
  bool peek_is(char c) const { return pos_ + 1 < src_.size() && src_[pos_ + 1] == c; }
  void skip_space_and_comments() {
    while (pos_ < src_.size()) {
      if (src_[pos_] == '#') {
        while (pos_ < src_.size() && src_[pos_] != '\n') advance();
      } else if (std::isspace(static_cast<unsigned char>(src_[pos_]))) {
        advance();
      } else {
        return;
      }
    }
  }
  void lex_punct(Token* t) {
    const char c = src_[pos_];
    const bool two = peek_is('=') && (c == '=' || c == '!' || c == '<' || c == '>');
    t->kind = two || c == '<' || c == '>' ? Tok::op
              : c == '('                  ? Tok::lparen
              : c == ')'                  ? Tok::rparen
              : c == ','                  ? Tok::comma
              : c == '@'                  ? Tok::at
              : c == '='                  ? Tok::equals
              : c == '-'                  ? Tok::number
                                          : Tok::bad;
    advance();
    if (two) advance();
    if (c == '-')  // a negative number: the digits follow
      while (pos_ < src_.size() && (is_word(src_[pos_]) || src_[pos_] == '.')) advance();
  }

  std::string_view src_;
  size_t pos_ = 0;
  int line_ = 1;
  int col_ = 1;
};

struct Constant {
  std::string_view name;
  int64_t value;
};
constexpr Constant kConstants[] = {
    {"false", 0},
    {"true", 1},
    {"cp", 0},
    {"cnp", 1},
    {"unknown", 0},
    {"manual", 1},
    {"magstripe", 2},
    {"chip", 3},
    {"contactless_chip", 4},
    {"contactless_magstripe", 5},
    {"ecommerce", 6},
    {"fallback", 7},
    {"credential_on_file", 8},
    {"not_present", 0},
    {"not_checked", 1},
    {"match", 2},
    {"mismatch", 3},
    {"malformed", 4},
};
static_assert(static_cast<int>(EntryMode::credential_on_file) == 8 &&
              static_cast<int>(Check::malformed) == 4);

std::optional<int64_t> find_constant(std::string_view name) {
  for (const auto& c : kConstants)
    if (c.name == name) return c.value;
  return std::nullopt;
}

// "1_000", "12.34" (two decimals: x100, for amounts in minor units), "-5".
std::optional<int64_t> parse_number(std::string_view text) {
  bool negative = !text.empty() && text[0] == '-';
  if (negative) text.remove_prefix(1);
  int64_t v = 0;
  int decimals = -1;
  for (char c : text) {
    if (c == '_' && decimals < 0) continue;
    if (c == '.' && decimals < 0) {
      decimals = 0;
      continue;
    }
    if (!std::isdigit(static_cast<unsigned char>(c))) return std::nullopt;
    if (decimals >= 0 && ++decimals > 2) return std::nullopt;
    if (__builtin_mul_overflow(v, 10, &v) || __builtin_add_overflow(v, c - '0', &v)) return std::nullopt;
  }
  if (text.empty() || decimals == 0 || decimals == 1) return std::nullopt;
  return negative ? -v : v;
}

bool is_response_code(std::string_view s) {
  return s.size() == 2 && s != "00" && std::all_of(s.begin(), s.end(), [](char c) {
           return std::isdigit(static_cast<unsigned char>(c)) || std::isupper(static_cast<unsigned char>(c));
         });
}

struct ParseError {};  // unwinds one rule or list to the recovery point

}  // namespace

class RuleCompiler {
 public:
  explicit RuleCompiler(std::string_view src) : lex_(src) { shift(); }

  Result<RuleSet, std::vector<RuleError>> run() {
    while (tok_.kind != Tok::end && errors_.size() < kMaxRuleErrors) {
      try {
        top_level();
      } catch (const ParseError&) {
        recover();
      }
    }
    if (!errors_.empty()) return errors_;
    return std::move(set_);
  }

 private:
  void shift() { tok_ = lex_.next(); }
  bool is_word(std::string_view w) const { return tok_.kind == Tok::ident && tok_.text == w; }
  [[noreturn]] void fail_at(const Token& t, std::string message) {
    errors_.push_back(RuleError{t.line, t.column, std::move(message)});
    throw ParseError{};
  }
  [[noreturn]] void fail(std::string message) {
    if (tok_.kind == Tok::end)
      message += " (at end of file)";
    else if (!tok_.text.empty())
      message += ", found '" + std::string(tok_.text) + "'";
    fail_at(tok_, std::move(message));
  }
  void expect_word(std::string_view w) {
    if (!is_word(w)) fail("expected '" + std::string(w) + "'");
    shift();
  }
  void expect(Tok k, const char* what) {
    if (tok_.kind != k) fail(std::string("expected ") + what);
    shift();
  }
  void recover() {
    shift();
    while (tok_.kind != Tok::end && !is_word("rule") && !is_word("list")) shift();
  }

  void top_level() {
    if (tok_.kind == Tok::bad) fail("unexpected character");
    if (is_word("rule")) return rule();
    if (is_word("list")) return list();
    fail("expected 'rule' or 'list'");
  }

  Token name(const char* what) {
    Token t = tok_;
    if (t.kind != Tok::ident || is_keyword(t.text)) fail(std::string("expected a name for the ") + what);
    shift();
    return t;
  }
  static bool is_keyword(std::string_view w) {
    return w == "rule" || w == "list" || w == "when" || w == "then" || w == "and" || w == "or" ||
           w == "not" || w == "in";
  }

  // list NAME = (value, ...)
  void list() {
    shift();
    const Token n = name("list");
    if (lists_.count(std::string(n.text))) fail_at(n, "list '" + std::string(n.text) + "' defined twice");
    expect(Tok::equals, "'='");
    const uint16_t index = list_values();
    lists_.emplace(std::string(n.text), index);
  }

  int64_t value() {
    if (tok_.kind == Tok::number) {
      const auto v = parse_number(tok_.text);
      if (!v) fail("bad number (digits, '_' separators, or exactly two decimals)");
      shift();
      return *v;
    }
    if (tok_.kind == Tok::ident) {
      const auto c = find_constant(tok_.text);
      if (!c) fail("unknown constant '" + std::string(tok_.text) + "'");
      shift();
      return *c;
    }
    fail("expected a number or a constant");
  }

  // (value, ...) -> a new list, sorted, deduplicated.
  uint16_t list_values() {
    expect(Tok::lparen, "'('");
    const auto begin = static_cast<uint32_t>(set_.list_values_.size());
    while (tok_.kind != Tok::rparen) {
      set_.list_values_.push_back(value());
      if (tok_.kind != Tok::comma) break;
      shift();
    }
    expect(Tok::rparen, "')' or ','");
    if (set_.lists_.size() >= kMaxLists) fail("more than " + std::to_string(kMaxLists) + " lists");
    auto first = set_.list_values_.begin() + begin;
    std::sort(first, set_.list_values_.end());
    set_.list_values_.erase(std::unique(first, set_.list_values_.end()), set_.list_values_.end());
    set_.lists_.emplace_back(begin, static_cast<uint32_t>(set_.list_values_.size()));
    return static_cast<uint16_t>(set_.lists_.size() - 1);
  }

  // rule NAME when EXPR then ACTION, ...
  void rule() {
    const Token start = tok_;
    shift();
    const Token n = name("rule");
    if (!rule_names_.insert(std::string(n.text)).second)
      fail_at(n, "rule '" + std::string(n.text) + "' defined twice");
    if (set_.rules_.size() >= kMaxRules) fail_at(start, "more than " + std::to_string(kMaxRules) + " rules");
    expect_word("when");
    RuleSet::Compiled c;
    c.code_begin = static_cast<uint32_t>(set_.code_.size());
    depth_ = max_depth_ = 0;
    expression();
    c.code_end = static_cast<uint32_t>(set_.code_.size());
    if (max_depth_ > kMaxStack) fail_at(start, "condition nested too deeply");
    expect_word("then");
    RuleInfo info;
    info.name = std::string(n.text);
    info.line = start.line;
    actions(&info);
    set_.rules_.push_back(std::move(info));
    set_.compiled_.push_back(c);
  }

  void actions(RuleInfo* info) {
    for (;;) {
      action(info);
      if (tok_.kind != Tok::comma) return;
      shift();
    }
  }

  void verdict(RuleInfo* info, const Token& at, Verdict v) {
    if (info->verdict != Verdict::none)
      fail_at(at, "a rule has one verdict (approve, decline, step_up or approve_and_alert)");
    info->verdict = v;
  }
  void code(RuleInfo* info) {
    if ((tok_.kind != Tok::number && tok_.kind != Tok::ident) || !is_response_code(tok_.text))
      fail("expected an ISO response code: two digits or capitals, not 00");
    info->response_code = {tok_.text[0], tok_.text[1]};
    shift();
  }
  void reason(RuleInfo* info) {
    if (tok_.kind != Tok::string) fail("expected a reason in double quotes");
    info->reason = std::string(tok_.text.substr(1, tok_.text.size() - 2));
    if (info->reason.size() > kMaxReasonBytes)
      fail("reason longer than " + std::to_string(kMaxReasonBytes) + " bytes");
    shift();
  }

  void action(RuleInfo* info) {
    const Token t = tok_;
    if (t.kind != Tok::ident) fail("expected an action");
    shift();
    if (t.text == "approve") return verdict(info, t, Verdict::approve);
    if (t.text == "decline") return verdict(info, t, Verdict::decline), code(info), reason(info);
    if (t.text == "step_up") return verdict(info, t, Verdict::step_up), code(info), reason(info);
    if (t.text == "approve_and_alert") return verdict(info, t, Verdict::approve_and_alert), reason(info);
    if (t.text == "suspend_token") return void(info->effects |= kSuspendToken);
    if (t.text == "list_card") return void(info->effects |= kListCard);
    if (t.text == "open_case") return void(info->effects |= kOpenCase);
    fail_at(t, "unknown action '" + std::string(t.text) +
                   "' (approve, decline, step_up, approve_and_alert, suspend_token, list_card, open_case)");
  }

  // ---- expressions: emit code as we parse ------------------------------------------------
  void emit(Op op, uint16_t a = 0, int64_t k = 0, int stack_change = 0) {
    set_.code_.push_back(RuleSet::Instr{static_cast<uint8_t>(op), a, k});
    depth_ += stack_change;
    max_depth_ = std::max(max_depth_, depth_);
  }
  void patch_jump(size_t at) { set_.code_[at].k = static_cast<int64_t>(set_.code_.size()); }

  void expression() { or_expr(); }
  void or_expr() { chain("or", Op::jump_if_true_keep, &RuleCompiler::and_expr); }
  void and_expr() { chain("and", Op::jump_if_false_keep, &RuleCompiler::not_expr); }
  // a OP b OP c: each operand may end the chain early (short circuit); the result is 0 or 1.
  void chain(std::string_view word, Op jump, void (RuleCompiler::*next_level)()) {
    (this->*next_level)();
    if (!is_word(word)) return;
    std::vector<size_t> jumps;
    while (is_word(word)) {
      shift();
      jumps.push_back(set_.code_.size());
      emit(jump, 0, 0, -1);  // on the path that continues, the value was popped
      (this->*next_level)();
    }
    for (size_t j : jumps) patch_jump(j);
    emit(Op::to_bool);
  }
  void not_expr() {
    if (!is_word("not")) return comparison();
    shift();
    not_expr();
    emit(Op::logical_not);
  }
  void comparison() {
    operand();
    if (tok_.kind == Tok::op || (tok_.kind == Tok::equals)) {
      const Token t = tok_;
      if (t.kind == Tok::equals) fail("'=' is not a comparison: use '=='");
      shift();
      operand();
      emit(compare_op(t.text), 0, 0, -1);
      return;
    }
    const bool negated = is_word("not");
    if (!negated && !is_word("in")) return;
    shift();
    if (negated) expect_word("in");
    emit(Op::in_list, list_ref());
    if (negated) emit(Op::logical_not);
  }
  static Op compare_op(std::string_view op) {
    if (op == "==") return Op::eq;
    if (op == "!=") return Op::ne;
    if (op == "<") return Op::lt;
    if (op == "<=") return Op::le;
    if (op == ">") return Op::gt;
    return Op::ge;
  }
  uint16_t list_ref() {
    if (tok_.kind == Tok::lparen) return list_values();
    expect(Tok::at, "'(' or '@list'");
    const Token n = tok_;
    if (n.kind != Tok::ident) fail("expected a list name after '@'");
    const auto it = lists_.find(std::string(n.text));
    if (it == lists_.end())
      fail_at(n, "unknown list '" + std::string(n.text) + "' (define it with 'list' before use)");
    shift();
    return it->second;
  }
  void operand() {
    if (tok_.kind == Tok::lparen) {
      shift();
      expression();
      expect(Tok::rparen, "')'");
      return;
    }
    if (tok_.kind == Tok::ident && !is_keyword(tok_.text)) {
      const int f = find_feature(tok_.text);
      if (f >= 0) {
        shift();
        return emit(Op::push_feature, static_cast<uint16_t>(f), 0, +1);
      }
      if (!find_constant(tok_.text))
        fail_at(tok_, "unknown feature or constant '" + std::string(tok_.text) + "'");
    }
    if (tok_.kind != Tok::number && (tok_.kind != Tok::ident || is_keyword(tok_.text)))
      fail("expected a feature, a number or '('");
    emit(Op::push_const, 0, value(), +1);
  }

  Lexer lex_;
  Token tok_;
  RuleSet set_;
  std::vector<RuleError> errors_;
  std::unordered_map<std::string, uint16_t> lists_;
  std::unordered_set<std::string> rule_names_;  // also those of rules with errors
  int depth_ = 0;
  int max_depth_ = 0;
};

Result<RuleSet, std::vector<RuleError>> RuleSet::compile(std::string_view source) {
  if (source.size() > kMaxRuleSourceBytes)
    return std::vector<RuleError>{
        RuleError{1, 1, "rule text longer than " + std::to_string(kMaxRuleSourceBytes) + " bytes"}};
  return RuleCompiler(source).run();
}

}  // namespace holdfast::risk
