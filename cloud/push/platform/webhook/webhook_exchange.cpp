#include "webhook/webhook_exchange.hpp"

#include <algorithm>

namespace tidewire::push::webhook_detail {

namespace beast = boost::beast;
using tcp = net::ip::tcp;
using Millis = std::chrono::milliseconds;

namespace {

// Receivers answer a POST with little or nothing; only the start of the body is kept, for
// the detail of a failure. A bigger answer still yields its status.
constexpr size_t kMaxResponseBody = 16 * 1024;
constexpr size_t kDetailBodyBytes = 200;

int64_t retry_after_ms(const std::string& value) {
  if (value.empty() || value.size() > 9 || value.find_first_not_of("0123456789") != std::string::npos) return 0;
  return std::stoll(value) * 1000;  // an HTTP-date form is ignored: the push service backs off anyway
}

WebhookResult classify(const std::string& where, const bhttp::response<bhttp::string_body>& res) {
  WebhookResult r;
  r.http_status = static_cast<int>(res.result_int());
  int s = r.http_status;
  r.ok = s >= 200 && s <= 299;
  r.permanent = !r.ok && !(s == 408 || s == 429 || (s >= 500 && s <= 599));
  if (s == 429 || s == 503) r.retry_after_ms = retry_after_ms(std::string(res[bhttp::field::retry_after]));
  r.detail = "HTTP " + std::to_string(s) + " from " + where;
  if (!r.ok && !res.body().empty()) r.detail += ": " + res.body().substr(0, kDetailBodyBytes);
  return r;
}

}  // namespace

WebhookResult retryable(std::string detail) {
  return {.ok = false,
          .http_status = 0,
          .permanent = false,
          .detail = std::move(detail),
          .retry_after_ms = 0,
          .refused_target = {}};
}

WebhookResult permanent(std::string detail) {
  return {.ok = false,
          .http_status = 0,
          .permanent = true,
          .detail = std::move(detail),
          .retry_after_ms = 0,
          .refused_target = {}};
}

Exchange::Exchange(net::io_context& ioc, Job job, const WebhookTargetPolicy& targets, int64_t connect_timeout_ms,
                   int64_t request_timeout_ms, Finished finished)
    : job_(std::move(job)),
      targets_(targets),
      connect_timeout_ms_(connect_timeout_ms),
      request_timeout_ms_(request_timeout_ms),
      finished_callback_(std::move(finished)),
      strand_(net::make_strand(ioc)),
      resolver_(strand_),
      stream_(strand_),
      deadline_(strand_) {}

void Exchange::run() {
  if (finished_) return;  // aborted before it started
  auto self = shared_from_this();
  deadline_.expires_at(job_.deadline);
  deadline_.async_wait([self](beast::error_code ec) {
    if (!ec) {
      self->finish(retryable("no complete answer from " + self->where() + " within " +
                             std::to_string(self->request_timeout_ms_) + " ms"));
    }
  });
  parser_.body_limit(kMaxResponseBody);
  resolver_.async_resolve(
      job_.url.host, std::to_string(job_.url.port), tcp::resolver::numeric_service,
      [self](beast::error_code ec, const tcp::resolver::results_type& results) { self->on_resolve(ec, results); });
}

void Exchange::on_resolve(beast::error_code ec, const tcp::resolver::results_type& results) {
  if (finished_) return;
  if (ec) return finish(retryable("cannot resolve " + where() + ": " + ec.message()));
  // Every address the name resolved to is checked, and the connect below tries exactly
  // these: a second lookup could answer differently (DNS rebinding).
  std::vector<IpAddress> addresses;
  for (const auto& entry : results) {
    auto a = entry.endpoint().address();
    addresses.push_back(a.is_v4() ? IpAddress::v4(a.to_v4().to_uint()) : IpAddress::v6(a.to_v6().to_bytes()));
  }
  if (auto refused = targets_.check_resolved(where(), addresses)) {
    WebhookResult r = permanent(refused->message);
    r.refused_target = refused->reason;
    return finish(r);
  }
  auto left = std::chrono::duration_cast<Millis>(job_.deadline - std::chrono::steady_clock::now());
  stream_.expires_after(std::max(Millis(1), std::min(left, Millis(connect_timeout_ms_))));
  auto self = shared_from_this();
  stream_.async_connect(results, [self](beast::error_code cec, const tcp::endpoint&) { self->on_connect(cec); });
}

void Exchange::on_connect(beast::error_code ec) {
  if (finished_) return;
  if (ec == beast::error::timeout) {
    return finish(
        retryable("connect to " + where() + " timed out after " + std::to_string(connect_timeout_ms_) + " ms"));
  }
  if (ec == net::error::connection_refused) return finish(retryable("connection refused by " + where()));
  if (ec) return finish(retryable("cannot connect to " + where() + ": " + ec.message()));
  stream_.expires_never();  // from here the deadline timer bounds the exchange
  auto self = shared_from_this();
  bhttp::async_write(stream_, job_.request, [self](beast::error_code wec, size_t) {
    if (self->finished_) return;
    if (wec) return self->finish(retryable("sending to " + self->where() + " failed: " + wec.message()));
    bhttp::async_read(self->stream_, self->buffer_, self->parser_,
                      [self](beast::error_code rec, size_t) { self->on_read(rec); });
  });
}

void Exchange::on_read(beast::error_code ec) {
  if (finished_) return;
  // An oversized answer still told us its status.
  if (ec && !(ec == bhttp::error::body_limit && parser_.is_header_done())) {
    return finish(retryable("no valid HTTP answer from " + where() + ": " + ec.message()));
  }
  finish(classify(where(), parser_.get()));
}

void Exchange::finish(const WebhookResult& result) {
  if (finished_) return;
  finished_ = true;
  deadline_.cancel();
  resolver_.cancel();
  beast::error_code ignored;
  stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
  stream_.close();
  finished_callback_(job_, result);
}

}  // namespace tidewire::push::webhook_detail
