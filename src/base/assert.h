// Always-on invariant checks (TigerBeetle style): a broken invariant is a bug, so the process
// prints the expression and location and aborts rather than carrying on with corrupt state.
// These stay on in release builds; they are cheap next to a wrong ledger.
#pragma once

#include <cstdio>
#include <cstdlib>

namespace holdfast {

[[noreturn]] inline void assertion_failed(const char* expr, const char* file, int line,
                                          const char* why) noexcept {
  std::fprintf(stderr, "holdfast: invariant broken: %s (%s) at %s:%d\n", expr, why, file, line);
  std::fflush(stderr);
  std::abort();
}

}  // namespace holdfast

#define HF_ASSERT(expr)                                                     \
  do {                                                                      \
    if (!(expr)) [[unlikely]]                                               \
      ::holdfast::assertion_failed(#expr, __FILE__, __LINE__, "assertion"); \
  } while (0)

// REQUIRES: preconditions named in headers are checked with HF_REQUIRE.
#define HF_REQUIRE(expr)                                                       \
  do {                                                                         \
    if (!(expr)) [[unlikely]]                                                  \
      ::holdfast::assertion_failed(#expr, __FILE__, __LINE__, "precondition"); \
  } while (0)

#define HF_UNREACHABLE() ::holdfast::assertion_failed("unreachable", __FILE__, __LINE__, "unreachable")
