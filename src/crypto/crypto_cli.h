// The `holdfast crypto` loop: reads JSON requests one per line from `in`, writes one JSON
// response line per request to `out` (blank lines are skipped; malformed JSON gets an error
// line with a null id). Returns 0 when input ends, 1 if `out` failed.
#pragma once

#include <iosfwd>

namespace holdfast::crypto {

int run_crypto_cli(std::istream& in, std::ostream& out);

}  // namespace holdfast::crypto
