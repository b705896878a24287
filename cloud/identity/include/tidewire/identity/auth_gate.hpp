#pragma once
// The cloud's Gate (http/router.hpp): checks the bearer token of every request to a route
// that is not open, against the scopes the route declared, and records every admitted
// write in the audit log. Failures are counted by reason (tw_http_auth_failures_total);
// an address that keeps presenting bad tokens is refused with 429 for a while, so tokens
// cannot be guessed at the speed of the server.
#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>

#include "http/router.hpp"
#include "tidewire/common/clock.hpp"
#include "tidewire/common/metrics.hpp"
#include "tidewire/identity/identity_store.hpp"
#include "tidewire/identity/token_registry.hpp"

namespace tidewire::identity {

struct GateOptions {
  int max_failures = 20;              // bad tokens from one address within the window ...
  int64_t failure_window_ms = 60'000;  // ... before it is refused until the window ends
  size_t max_addresses = 10'000;       // addresses tracked at once (bounded memory)
};

// Bad-credential counts per source address, in fixed windows. Missing tokens do not count
// (a client that forgot its header is not guessing), wrong scopes neither (the caller is
// known). When more addresses fail at once than it tracks, the oldest windows are forgotten
// first: the limit then holds for the busiest recent offenders only (docs/security.md).
class FailureLimiter {
 public:
  FailureLimiter(Clock& clock, const GateOptions& options) : clock_(clock), options_(options) {}
  // Milliseconds until `address` may try again; 0 when it may now.
  int64_t blocked_for(const std::string& address);
  // True when this failure is the one that blocks the address.
  bool record_failure(const std::string& address);
  size_t tracked() const;

 private:
  struct Window {
    int64_t start_ms = 0;
    int failures = 0;
  };
  void make_room(int64_t now);

  Clock& clock_;
  GateOptions options_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, Window> windows_;
};

class AuthGate final : public http::Gate {
 public:
  AuthGate(TokenRegistry& tokens, IdentityStore& audit, Clock& clock, MetricsRegistry& metrics,
           const GateOptions& options);

  std::optional<http::Response> admit(http::Request& request, const http::RouteInfo& route) override;
  void served(const http::Request& request, const http::RouteInfo& route, const http::Response& response) override;

 private:
  http::Response refuse(int status, const char* reason, const std::string& message, const std::string& address);

  TokenRegistry& tokens_;
  IdentityStore& audit_;
  Clock& clock_;
  MetricsRegistry& metrics_;
  FailureLimiter limiter_;
  Counter& audited_;
  Counter& audit_failures_;
  Gauge& tracked_;
};

}  // namespace tidewire::identity
