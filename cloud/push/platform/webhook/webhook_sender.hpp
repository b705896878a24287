#pragma once
// The webhook channel of the push service: one HTTP POST per delivery attempt to a
// recipient that registered a webhook URL instead of an MQTT app. This component makes
// single attempts and classifies their outcome; retries with backoff, TTLs and state
// belong to the push service, which reschedules on a retryable result.
//
// Isolation: a receiver that accepts connections and never answers must not delay other
// receivers. Every post has a deadline of request_timeout_ms from the moment post() took
// it (the connect step is bounded by connect_timeout_ms within that); at most
// max_in_flight_per_host connections go to one host:port and further posts to it wait in
// that host's queue, where the same deadline keeps running. So `done` is called within
// about request_timeout_ms of post(), whatever the receiver does.
//
// Metrics (registry optional):
//   tw_push_webhook_requests_total{result="ok|retryable|permanent|refused"}
//   tw_push_webhook_in_flight (gauge, open requests)  tw_push_webhook_queued (gauge, waiting)
//   tw_push_webhook_latency_ms (histogram, post() to done, including the per-host wait)
//   tw_push_webhook_target_refused_total{stage="register|call",reason} (webhook_target.hpp)
//
// Targets: internal addresses (loopback, link-local, private, ...) are refused unless
// `targets` allows them, at registration (check_url) and again after every DNS lookup,
// before connecting to exactly the addresses checked. Redirects are never followed: a 3xx
// is a permanent failure, so a public receiver cannot bounce the cloud to an internal one.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "tidewire/common/expected.hpp"
#include "tidewire/common/metrics.hpp"
#include "webhook/webhook_target.hpp"

namespace tidewire::push {

struct WebhookOptions {
  int threads = 2;                      // Asio threads running the requests (1..64)
  size_t max_queued = 10'000;           // posts accepted and not yet done (waiting or in flight)
  int64_t connect_timeout_ms = 2'000;   // resolve + TCP connect
  int64_t request_timeout_ms = 5'000;   // whole post, from post() to the full response
  size_t max_in_flight_per_host = 4;    // open connections per host:port
  size_t max_body_bytes = 1024 * 1024;  // a bigger json_body is refused as permanent
  MetricsRegistry* metrics = nullptr;   // optional; must outlive the sender
  WebhookTargetPolicy targets;          // internal addresses it may call (none by default)
};

struct WebhookResult {
  bool ok = false;      // the receiver answered 2xx
  int http_status = 0;  // 0 when no HTTP answer arrived (refused, timeout, bad URL, shutdown)
  // Retrying the same request cannot help: a 4xx other than 408/429, a 3xx (redirects are
  // not followed), a URL or header that cannot be sent. Everything else that is not ok
  // (5xx, 408, 429, timeouts, refused or reset connections, shutdown) is retryable.
  bool permanent = false;
  std::string detail;          // what happened, naming host:port but never the URL's path or query
  int64_t retry_after_ms = 0;  // from a Retry-After header in seconds on 429/503, else 0
  std::string refused_target;  // the address class when the target was refused (permanent, nothing sent)
};

class WebhookSender {  // thread-safe; runs its own Asio threads
 public:
  explicit WebhookSender(WebhookOptions options);
  // Stops: every post not yet done gets done() with a retryable "shutting down" result,
  // on a sender thread, before the destructor returns. Must not run inside done(), nor while
  // holding a lock that done() takes (it waits for those calls).
  ~WebhookSender();
  WebhookSender(const WebhookSender&) = delete;
  WebhookSender& operator=(const WebhookSender&) = delete;

  // Checks a webhook URL when a recipient registers it: http://host[:port][/path][?query].
  // https:// is refused with a message saying it is not supported yet.
  // Also refuses internal targets by the default policy (no address allowed), with
  // reason "webhook_target_refused".
  static Status validate_url(const std::string& url);
  // validate_url with this sender's `targets`, counting a refusal (stage="register").
  Status check_url(const std::string& url);

  // Queues a POST of `json_body` (Content-Type: application/json) with `headers` (the push
  // service passes Idempotency-Key: <notification id> and X-Tidewire-Recipient: <id>).
  // `done` is called exactly once, on a sender thread, never inside post(). Never blocks.
  // Returns an error (and counts result="refused") without calling done when the queue
  // holds max_queued posts or the sender is stopping; a bad URL or header is not refused
  // here but reported through done as permanent.
  Status post(const std::string& url, std::string json_body, std::vector<std::pair<std::string, std::string>> headers,
              std::function<void(const WebhookResult&)> done);

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace tidewire::push
