#pragma once
// Internal to tw_push_webhook (it includes Boost): one webhook post on the wire. The
// sender (webhook_sender.cpp) owns queues and limits; an Exchange only talks HTTP.
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "webhook/webhook_sender.hpp"
#include "webhook/webhook_target.hpp"
#include "webhook/webhook_url.hpp"

namespace tidewire::push::webhook_detail {

namespace net = boost::asio;
namespace bhttp = boost::beast::http;
using SteadyTime = std::chrono::steady_clock::time_point;
using Strand = net::strand<net::io_context::executor_type>;

// One post from post() to done(). `deadline` is fixed when post() accepts it.
struct Job {
  uint64_t id = 0;
  std::string host_key;  // host:port, the unit of in-flight limits
  WebhookUrl url;
  bhttp::request<bhttp::string_body> request;
  std::function<void(const WebhookResult&)> done;
  SteadyTime posted;
  SteadyTime deadline;
};

WebhookResult retryable(std::string detail);
WebhookResult permanent(std::string detail);

// The network side of one job: resolve, connect, write, read, each step ending in
// finish() at the first error, at the deadline timer, or at abort(); finish() runs once
// and hands the job and its result to `finished`. All of it runs on the exchange's
// strand, so `finished_` needs no lock.
class Exchange : public std::enable_shared_from_this<Exchange> {
 public:
  using Finished = std::function<void(Job&, const WebhookResult&)>;
  // `targets` must outlive the exchange (the sender's options).
  Exchange(net::io_context& ioc, Job job, const WebhookTargetPolicy& targets, int64_t connect_timeout_ms,
           int64_t request_timeout_ms, Finished finished);

  const Strand& strand() const { return strand_; }
  void run();
  void abort(const std::string& why) { finish(retryable(why)); }

 private:
  std::string where() const { return job_.url.authority(); }
  void on_resolve(boost::beast::error_code ec, const net::ip::tcp::resolver::results_type& results);
  void on_connect(boost::beast::error_code ec);
  void on_read(boost::beast::error_code ec);
  void finish(const WebhookResult& result);

  Job job_;
  const WebhookTargetPolicy& targets_;
  int64_t connect_timeout_ms_;
  int64_t request_timeout_ms_;
  Finished finished_callback_;
  Strand strand_;
  net::ip::tcp::resolver resolver_;
  boost::beast::tcp_stream stream_;
  net::steady_timer deadline_;
  boost::beast::flat_buffer buffer_;
  bhttp::response_parser<bhttp::string_body> parser_;
  bool finished_ = false;
};

}  // namespace tidewire::push::webhook_detail
