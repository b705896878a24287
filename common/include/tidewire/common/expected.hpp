#pragma once
// Value-or-error returns for module boundaries. Modules do not throw across their
// interfaces: third-party exceptions are caught in platform/ adapters and turned into Error.
#include <string>
#include <utility>
#include <variant>

namespace tidewire {

enum class ErrorCode {
  kInvalidArgument,  // caller gave something unusable (bad flag, bad id)
  kMalformed,        // bytes from the network did not decode
  kTooLarge,         // over a configured size limit
  kNotFound,
  kConflict,         // e.g. same idempotency key, different request
  kUnavailable,      // peer not reachable / not connected yet
  kTimeout,
  kIo,               // disk or socket failure
  kInternal,
};

const char* to_string(ErrorCode code);

struct Error {
  ErrorCode code = ErrorCode::kInternal;
  std::string message;

  // Prefixes what was being done: "spool insert: disk I/O error".
  Error with_context(const std::string& what) const { return {code, what + ": " + message}; }
  std::string describe() const { return std::string(to_string(code)) + ": " + message; }
};

inline Error make_error(ErrorCode code, std::string message) { return {code, std::move(message)}; }

template <typename T>
class [[nodiscard]] Expected {
 public:
  Expected(T value) : v_(std::move(value)) {}  // NOLINT(google-explicit-constructor)
  Expected(Error error) : v_(std::move(error)) {}  // NOLINT(google-explicit-constructor)

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  const Error& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Expected<void> {
 public:
  Expected() = default;
  Expected(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT(google-explicit-constructor)
  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const { return error_; }

 private:
  Error error_;
  bool ok_ = true;
};

using Status = Expected<void>;

}  // namespace tidewire
