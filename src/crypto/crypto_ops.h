// The `holdfast crypto` request/response contract (testdata/crypto/README.md): one JSON request
// {"id", "op", "in"} in, one JSON response {"id", "out"} or {"id", "error"} out.
// Invariants: never throws, never aborts on request content; an error names the field at fault;
// no key, PIN or clear PIN block is ever written to an error message. Hex out is upper case.
// Threading: stateless, callable from any thread.
#pragma once

#include <nlohmann/json.hpp>

namespace holdfast::crypto {

nlohmann::json run_crypto_op(const nlohmann::json& request);

}  // namespace holdfast::crypto
