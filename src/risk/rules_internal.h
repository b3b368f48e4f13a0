// Private to src/risk: the rule bytecode shared by the compiler and the evaluator.
//
// Each rule is a run of instructions over a stack of int64 values; the rule hits when the run
// leaves a non-zero value. Jumps are absolute indexes into RuleSet::code_ and only go forward,
// so every run ends; the compiler bounds the stack depth by kMaxStack.
#pragma once

#include <cstdint>

#include "risk/risk.h"

namespace holdfast::risk {

constexpr int kMaxStack = 32;
constexpr size_t kMaxReasonBytes = 120;
constexpr size_t kMaxLists = 4096;

enum class Op : uint8_t {
  push_feature,  // a = feature
  push_const,    // k = value
  eq,
  ne,
  lt,
  le,
  gt,
  ge,                  // pop b, pop a, push (a op b)
  in_list,             // a = list; pop x, push x in list
  logical_not,         // pop x, push x == 0
  to_bool,             // pop x, push x != 0
  jump_if_false_keep,  // top == 0: jump to k keeping it; else pop
  jump_if_true_keep,   // top != 0: jump to k keeping it; else pop
};

}  // namespace holdfast::risk
