#include "webhook/webhook_sender.hpp"

#include <algorithm>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <chrono>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>

#include "tidewire/common/log.hpp"
#include "webhook/webhook_exchange.hpp"
#include "webhook/webhook_url.hpp"

namespace tidewire::push {

namespace beast = boost::beast;
using Millis = std::chrono::milliseconds;
using webhook_detail::Exchange;
using webhook_detail::Job;
using webhook_detail::permanent;
using webhook_detail::retryable;
using webhook_detail::SteadyTime;
namespace net = webhook_detail::net;
namespace bhttp = webhook_detail::bhttp;

namespace {

constexpr const char* kShuttingDown = "webhook sender shutting down";
constexpr const char* kTargetRefused = "webhook_target_refused";
constexpr const char* kRefusedHelp = "Webhook targets refused as internal addresses, by stage and address class";

Status check_target(const std::string& url, const WebhookTargetPolicy& targets, MetricsRegistry* metrics) {
  auto parsed = parse_webhook_url(url);
  if (!parsed) return parsed.error();
  if (auto refused = targets.check_registered(*parsed)) {
    if (metrics) {
      metrics
          ->counter("tw_push_webhook_target_refused_total", kRefusedHelp,
                    {{"stage", "register"}, {"reason", refused->reason}})
          .inc();
    }
    return make_error(ErrorCode::kInvalidArgument, refused->message, kTargetRefused);
  }
  return {};
}

bool is_token_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) ||
         std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string::npos;
}

// Headers come from the push service, but their values may echo API input (a recipient
// id): a CR or LF would let it inject headers, so such a request is not sent at all.
Status check_headers(const std::vector<std::pair<std::string, std::string>>& headers) {
  for (const auto& [name, value] : headers) {
    if (name.empty() || !std::all_of(name.begin(), name.end(), is_token_char)) {
      return make_error(ErrorCode::kInvalidArgument, "webhook header name '" + name + "' is not an HTTP token");
    }
    if (beast::iequals(name, "host") || beast::iequals(name, "content-length") ||
        beast::iequals(name, "transfer-encoding") || beast::iequals(name, "connection")) {
      return make_error(ErrorCode::kInvalidArgument, "webhook header '" + name + "' is set by the sender itself");
    }
    if (value.find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos) {
      return make_error(ErrorCode::kInvalidArgument, "webhook header '" + name + "' has a CR, LF or NUL in its value");
    }
  }
  return {};
}

}  // namespace

struct WebhookSender::Impl {
  explicit Impl(WebhookOptions o);

  struct Host {
    size_t in_flight = 0;
    std::deque<Job> waiting;
  };

  // Called once per job, on a sender thread: frees its host slot, starts what may start,
  // counts and calls done.
  void complete(Job& job, const WebhookResult& result);
  // With mu held: moves the host's waiting jobs into flight while slots are free; those
  // whose deadline passed while waiting go to `expired` instead.
  void pull_waiting(const std::string& host_key, std::vector<std::shared_ptr<Exchange>>& started,
                    std::vector<Job>& expired, SteadyTime now);
  std::shared_ptr<Exchange> start_locked(Job job);
  void launch(const std::vector<std::shared_ptr<Exchange>>& started);
  void deliver(Job& job, const WebhookResult& result);  // counts and calls done, no lock
  void publish_gauges_locked();

  WebhookOptions options;
  MetricsRegistry own_metrics;  // stands in when the caller passed none
  MetricsRegistry& metrics;
  Counter& ok_total;
  Counter& retryable_total;
  Counter& permanent_total;
  Counter& refused_total;
  Gauge& in_flight_gauge;
  Gauge& queued_gauge;
  Histogram& latency;

  std::mutex mu;
  bool stopping = false;
  size_t accepted = 0;  // waiting + in flight, bounded by max_queued
  size_t in_flight = 0;
  uint64_t next_id = 1;
  std::unordered_map<std::string, Host> hosts;
  std::unordered_map<uint64_t, std::shared_ptr<Exchange>> live;

  // Handlers reference the members above; the destructor joins the threads (the context
  // runs out of work) before any of them goes.
  net::io_context ioc;
  std::optional<net::executor_work_guard<net::io_context::executor_type>> work;
  std::vector<std::thread> threads;
};

WebhookSender::Impl::Impl(WebhookOptions o)
    : options(std::move(o)),
      metrics(options.metrics ? *options.metrics : own_metrics),
      ok_total(metrics.counter("tw_push_webhook_requests_total", "Webhook posts by outcome", {{"result", "ok"}})),
      retryable_total(
          metrics.counter("tw_push_webhook_requests_total", "Webhook posts by outcome", {{"result", "retryable"}})),
      permanent_total(
          metrics.counter("tw_push_webhook_requests_total", "Webhook posts by outcome", {{"result", "permanent"}})),
      refused_total(
          metrics.counter("tw_push_webhook_requests_total", "Webhook posts by outcome", {{"result", "refused"}})),
      in_flight_gauge(metrics.gauge("tw_push_webhook_in_flight", "Webhook requests on the wire")),
      queued_gauge(metrics.gauge("tw_push_webhook_queued", "Webhook posts waiting for a free slot of their host")),
      latency(metrics.histogram("tw_push_webhook_latency_ms", "Webhook post() to done, including the per-host wait",
                                default_ms_buckets())) {
  options.threads = std::clamp(options.threads, 1, 64);
  options.max_in_flight_per_host = std::max<size_t>(1, options.max_in_flight_per_host);
  options.connect_timeout_ms = std::max<int64_t>(1, options.connect_timeout_ms);
  options.request_timeout_ms = std::max<int64_t>(1, options.request_timeout_ms);
}

void WebhookSender::Impl::publish_gauges_locked() {
  in_flight_gauge.set(static_cast<int64_t>(in_flight));
  queued_gauge.set(static_cast<int64_t>(accepted - in_flight));
}

std::shared_ptr<Exchange> WebhookSender::Impl::start_locked(Job job) {
  uint64_t id = job.id;
  ++hosts[job.host_key].in_flight;
  ++in_flight;
  auto exchange = std::make_shared<Exchange>(
      ioc, std::move(job), options.targets, options.connect_timeout_ms, options.request_timeout_ms,
      [this](Job& finished, const WebhookResult& result) { complete(finished, result); });
  live.emplace(id, exchange);
  return exchange;
}

void WebhookSender::Impl::launch(const std::vector<std::shared_ptr<Exchange>>& started) {
  for (const auto& exchange : started) net::post(exchange->strand(), [exchange] { exchange->run(); });
}

void WebhookSender::Impl::pull_waiting(const std::string& host_key, std::vector<std::shared_ptr<Exchange>>& started,
                                       std::vector<Job>& expired, SteadyTime now) {
  auto it = hosts.find(host_key);
  if (it == hosts.end()) return;
  Host& host = it->second;
  while (!stopping && !host.waiting.empty() && host.in_flight < options.max_in_flight_per_host) {
    Job next = std::move(host.waiting.front());
    host.waiting.pop_front();
    if (next.deadline <= now) {
      --accepted;
      expired.push_back(std::move(next));
    } else {
      started.push_back(start_locked(std::move(next)));
    }
  }
  if (host.in_flight == 0 && host.waiting.empty()) hosts.erase(it);
}

void WebhookSender::Impl::deliver(Job& job, const WebhookResult& result) {
  (result.ok ? ok_total : result.permanent ? permanent_total : retryable_total).inc();
  if (!result.refused_target.empty()) {
    metrics
        .counter("tw_push_webhook_target_refused_total", kRefusedHelp,
                 {{"stage", "call"}, {"reason", result.refused_target}})
        .inc();
    TW_WARN("push.webhook", result.detail);
  }
  latency.observe(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - job.posted).count());
  try {
    job.done(result);
  } catch (const std::exception& e) {
    // A throwing callback must not take a sender thread (and every other post) down.
    TW_ERROR("push.webhook", "done callback threw: " << e.what());
  } catch (...) {
    TW_ERROR("push.webhook", "done callback threw a non-exception");
  }
}

void WebhookSender::Impl::complete(Job& job, const WebhookResult& result) {
  std::vector<std::shared_ptr<Exchange>> started;
  std::vector<Job> expired;
  std::shared_ptr<Exchange> self;  // keep this exchange alive until we return into it
  {
    std::lock_guard lock(mu);
    auto it = live.find(job.id);
    if (it != live.end()) {
      self = std::move(it->second);
      live.erase(it);
    }
    --hosts[job.host_key].in_flight;
    --in_flight;
    --accepted;
    pull_waiting(job.host_key, started, expired, std::chrono::steady_clock::now());
    publish_gauges_locked();
  }
  launch(started);
  deliver(job, result);
  for (auto& late : expired) {
    deliver(late, retryable("waited longer than " + std::to_string(options.request_timeout_ms) +
                            " ms for a free connection to " + late.url.authority() +
                            " (max_in_flight_per_host=" + std::to_string(options.max_in_flight_per_host) + ")"));
  }
}

WebhookSender::WebhookSender(WebhookOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {
  impl_->work.emplace(impl_->ioc.get_executor());
  for (int i = 0; i < impl_->options.threads; ++i) impl_->threads.emplace_back([raw = impl_.get()] { raw->ioc.run(); });
}

WebhookSender::~WebhookSender() {
  std::vector<Job> waiting;
  std::vector<std::shared_ptr<Exchange>> running;
  {
    std::lock_guard lock(impl_->mu);
    impl_->stopping = true;
    for (auto& [key, host] : impl_->hosts) {
      for (auto& job : host.waiting) waiting.push_back(std::move(job));
      host.waiting.clear();
    }
    impl_->accepted -= waiting.size();
    impl_->publish_gauges_locked();
    for (auto& [id, exchange] : impl_->live) running.push_back(exchange);
  }
  Impl* impl = impl_.get();
  for (auto& job : waiting) {
    net::post(impl->ioc, [impl, job = std::move(job)]() mutable { impl->deliver(job, retryable(kShuttingDown)); });
  }
  for (auto& exchange : running) net::post(exchange->strand(), [exchange] { exchange->abort(kShuttingDown); });
  running.clear();
  // Without the guard run() returns once every handler above (and those of the aborted
  // exchanges) has run, so every done has been called when the joins return.
  impl_->work.reset();
  for (auto& t : impl_->threads) t.join();
  impl_->live.clear();
}

Status WebhookSender::validate_url(const std::string& url) {
  static const WebhookTargetPolicy kNoneAllowed;
  return check_target(url, kNoneAllowed, nullptr);
}

Status WebhookSender::check_url(const std::string& url) {
  return check_target(url, impl_->options.targets, &impl_->metrics);
}

Status WebhookSender::post(const std::string& url, std::string json_body,
                           std::vector<std::pair<std::string, std::string>> headers,
                           std::function<void(const WebhookResult&)> done) {
  Impl& s = *impl_;
  if (!done) return make_error(ErrorCode::kInvalidArgument, "webhook post without a done callback");
  auto now = std::chrono::steady_clock::now();
  Job job;
  job.done = std::move(done);
  job.posted = now;
  job.deadline = now + Millis(s.options.request_timeout_ms);

  // A post that can never be sent is accepted and answered through done, like any other
  // outcome, so the push service has one place that records delivery results.
  std::optional<WebhookResult> unsendable;
  auto parsed = parse_webhook_url(url);
  Status headers_ok = check_headers(headers);
  if (!parsed) {
    unsendable = permanent(parsed.error().message);
  } else if (!headers_ok) {
    unsendable = permanent(headers_ok.error().message);
  } else if (json_body.size() > s.options.max_body_bytes) {
    unsendable = permanent("webhook body of " + std::to_string(json_body.size()) + " bytes is over the limit of " +
                           std::to_string(s.options.max_body_bytes));
  } else {
    job.url = std::move(*parsed);
    job.host_key = job.url.authority();
    auto& req = job.request;
    req.version(11);
    req.method(bhttp::verb::post);
    req.target(job.url.target);
    req.set(bhttp::field::host, job.url.host_header());
    req.set(bhttp::field::user_agent, "tidewire-push-webhook");
    req.set(bhttp::field::content_type, "application/json");
    for (const auto& [name, value] : headers) req.set(name, value);
    req.keep_alive(false);  // one connection per post: nothing idle to leak or to go stale
    req.body() = std::move(json_body);
    req.prepare_payload();
  }

  std::shared_ptr<Exchange> started;
  {
    std::lock_guard lock(s.mu);
    if (s.stopping) {
      s.refused_total.inc();
      return make_error(ErrorCode::kUnavailable, "webhook post refused: the sender is shutting down");
    }
    if (s.accepted >= s.options.max_queued) {
      s.refused_total.inc();
      return make_error(ErrorCode::kUnavailable, "webhook post refused: " + std::to_string(s.accepted) +
                                                     " posts already waiting or in flight (max_queued=" +
                                                     std::to_string(s.options.max_queued) + "); retry later");
    }
    if (unsendable) {
      // Posted while holding mu, so the destructor (which sets stopping under mu) cannot
      // have joined the threads yet; they run it before exiting.
      net::post(s.ioc,
                [impl = &s, job = std::move(job), r = std::move(*unsendable)]() mutable { impl->deliver(job, r); });
      return {};
    }
    job.id = s.next_id++;
    ++s.accepted;
    Impl::Host& host = s.hosts[job.host_key];
    if (host.in_flight < s.options.max_in_flight_per_host) {
      started = s.start_locked(std::move(job));
    } else {
      host.waiting.push_back(std::move(job));
    }
    s.publish_gauges_locked();
  }
  if (started) s.launch({started});
  return {};
}

}  // namespace tidewire::push
