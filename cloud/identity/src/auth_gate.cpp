#include "tidewire/identity/auth_gate.hpp"

#include <algorithm>

#include "tidewire/common/log.hpp"

namespace tidewire::identity {
namespace {

constexpr const char* kLog = "identity";

bool is_write(const std::string& method) { return method != "GET" && method != "HEAD" && method != "OPTIONS"; }

}  // namespace

int64_t FailureLimiter::blocked_for(const std::string& address) {
  std::lock_guard lock(mu_);
  auto it = windows_.find(address);
  if (it == windows_.end() || it->second.failures < options_.max_failures) return 0;
  int64_t left = it->second.start_ms + options_.failure_window_ms - clock_.steady_ms();
  if (left > 0) return left;
  windows_.erase(it);
  return 0;
}

bool FailureLimiter::record_failure(const std::string& address) {
  std::lock_guard lock(mu_);
  int64_t now = clock_.steady_ms();
  auto it = windows_.find(address);
  if (it != windows_.end() && now - it->second.start_ms >= options_.failure_window_ms) {
    it->second = Window{now, 0};
  }
  if (it == windows_.end()) {
    if (windows_.size() >= options_.max_addresses) make_room(now);
    it = windows_.emplace(address, Window{now, 0}).first;
  }
  return ++it->second.failures == options_.max_failures;
}

void FailureLimiter::make_room(int64_t now) {
  // Expired windows first; if every window is live, the oldest one goes.
  for (auto it = windows_.begin(); it != windows_.end();) {
    it = now - it->second.start_ms >= options_.failure_window_ms ? windows_.erase(it) : std::next(it);
  }
  if (windows_.size() < options_.max_addresses) return;
  auto oldest = std::min_element(windows_.begin(), windows_.end(),
                                 [](const auto& a, const auto& b) { return a.second.start_ms < b.second.start_ms; });
  windows_.erase(oldest);
}

size_t FailureLimiter::tracked() const {
  std::lock_guard lock(mu_);
  return windows_.size();
}

AuthGate::AuthGate(TokenRegistry& tokens, IdentityStore& audit, Clock& clock, MetricsRegistry& metrics,
                   const GateOptions& options)
    : tokens_(tokens),
      audit_(audit),
      clock_(clock),
      metrics_(metrics),
      limiter_(clock, options),
      audited_(metrics.counter("tw_identity_audit_entries_total", "API writes recorded in the audit log")),
      audit_failures_(metrics.counter("tw_identity_audit_failures_total",
                                      "API writes whose audit entry could not be stored (see the log)")),
      tracked_(metrics.gauge("tw_http_auth_tracked_addresses",
                             "Source addresses with recent bad credentials being tracked")) {
  // Every reason exists from the start, so a dashboard shows 0 rather than nothing.
  using namespace auth_failure;
  for (const char* r : {kMissing, kMalformed, kUnknown, kBadSecret, kRevoked, kWrongScope, kRateLimited}) {
    metrics_.counter("tw_http_auth_failures_total", "Requests refused for their credential, by reason",
                     {{"reason", r}});
  }
}

http::Response AuthGate::refuse(int status, const char* reason, const std::string& message,
                                const std::string& address) {
  metrics_.counter("tw_http_auth_failures_total", "Requests refused for their credential, by reason",
                   {{"reason", reason}})
      .inc();
  TW_DEBUG(kLog, "refused " << status << " " << reason << " from " << address);
  http::Response res = http::error_response(status, reason, message);
  if (status == 401) res.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"tidewire\"");
  return res;
}

std::optional<http::Response> AuthGate::admit(http::Request& request, const http::RouteInfo& route) {
  if (route.access.open) return std::nullopt;
  using namespace auth_failure;
  const std::string& address = request.remote_address;
  if (int64_t wait_ms = limiter_.blocked_for(address); wait_ms > 0) {
    auto res = refuse(429, kRateLimited,
                      "too many bad credentials from this address; try again in " +
                          std::to_string((wait_ms + 999) / 1000) + " s",
                      address);
    res.headers.emplace_back("Retry-After", std::to_string((wait_ms + 999) / 1000));
    return res;
  }
  auto caller = tokens_.authenticate(request.header("authorization"));
  if (!caller) {
    const Error& e = caller.error();
    if (e.code == ErrorCode::kUnavailable) {
      TW_ERROR(kLog, e.message);
      return http::error_response(503, e.reason, "cannot check credentials right now; try again");
    }
    if (e.reason != kMissing && limiter_.record_failure(address)) {
      TW_WARN(kLog, "address " << address << " presented too many bad tokens; refusing it for a while");
    }
    tracked_.set(static_cast<int64_t>(limiter_.tracked()));
    return refuse(401, e.reason.c_str(), e.message, address);
  }
  bool allowed = caller->is_operator();
  for (const auto& s : route.access.scopes) allowed = allowed || caller->has(s);
  if (!allowed) {
    return refuse(403, kWrongScope,
                  request.method + " " + route.pattern + " needs a token with scope " + route.access.describe(),
                  address);
  }
  request.caller = std::move(*caller);
  return std::nullopt;
}

void AuthGate::served(const http::Request& request, const http::RouteInfo& route, const http::Response& response) {
  if (route.access.open || !is_write(request.method)) return;
  AuditRecord entry;
  entry.at_ms = clock_.wall_ms();
  entry.principal = request.caller.principal;
  entry.token_id = request.caller.token_id;
  entry.method = request.method;
  entry.route = route.pattern;
  if (auto it = request.params.find("id"); it != request.params.end()) entry.target = it->second.substr(0, 128);
  entry.status = response.status;
  entry.remote_address = request.remote_address;
  if (auto st = audit_.append_audit(entry); !st) {
    audit_failures_.inc();
    TW_ERROR(kLog, "audit entry for " << entry.method << " " << entry.route << " by " << entry.principal
                                      << " not stored: " << st.error().message);
    return;
  }
  audited_.inc();
}

}  // namespace tidewire::identity
