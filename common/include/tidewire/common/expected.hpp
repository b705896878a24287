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
  kForbidden,        // the caller is known but may not do this (HTTP 403)
  kUnavailable,      // peer not reachable / not connected yet
  kTimeout,
  kIo,               // disk or socket failure
  kInternal,
};

// snake_case name of a code ("not_found"); also the reason of an Error whose creator gave none.
const char* to_string(ErrorCode code);

// An error carries two things: `message` for a person (what went wrong and what to do) and
// `reason` for a program, a short snake_case token ("unknown_recipient",
// "idempotency_conflict") that HTTP error bodies and metric labels carry. The reason is
// set where the error is created and travels with it; nobody parses it out of the message.
// Without one, the reason is the code's name (to_string(code)).
struct Error {
  ErrorCode code = ErrorCode::kInternal;
  std::string message;
  std::string reason;  // never empty once constructed from a code

  Error() = default;  // only the placeholder inside an ok Status: no string work on the hot path
  Error(ErrorCode error_code, std::string text, std::string why = {})
      : code(error_code), message(std::move(text)), reason(why.empty() ? to_string(error_code) : std::move(why)) {}

  // Prefixes what was being done: "spool insert: disk I/O error". The reason stays.
  Error with_context(const std::string& what) const { return {code, what + ": " + message, reason}; }
  // "not_found: ..." or, with a reason of its own, "not_found (unknown_recipient): ...".
  std::string describe() const {
    std::string out = to_string(code);
    if (reason != out) out += " (" + reason + ")";
    return out + ": " + message;
  }
};

inline Error make_error(ErrorCode code, std::string message, std::string reason = {}) {
  return {code, std::move(message), std::move(reason)};
}

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
