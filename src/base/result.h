// Result<T, E>: an operating error (I/O, malformed bytes, checksum) is a value, not an exception.
// Declines are not errors: they are engine outcomes. Broken invariants are HF_ASSERT.
#pragma once

#include <string>
#include <utility>
#include <variant>

#include "base/assert.h"

namespace holdfast {

// Error with a machine-readable code (per-module enum) and text for the edges (CLI, logs).
template <typename Code>
struct Error {
  Code code;
  std::string message;
};

template <typename T, typename E>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT(implicit)
  Result(E error) : v_(std::in_place_index<1>, std::move(error)) {}  // NOLINT(implicit)

  bool ok() const noexcept { return v_.index() == 0; }
  explicit operator bool() const noexcept { return ok(); }

  T& value() & {
    HF_REQUIRE(ok());
    return std::get<0>(v_);
  }
  const T& value() const& {
    HF_REQUIRE(ok());
    return std::get<0>(v_);
  }
  T&& value() && {
    HF_REQUIRE(ok());
    return std::get<0>(std::move(v_));
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  const E& error() const {
    HF_REQUIRE(!ok());
    return std::get<1>(v_);
  }

 private:
  std::variant<T, E> v_;
};

// Result for operations with no value.
struct Ok {};

}  // namespace holdfast
