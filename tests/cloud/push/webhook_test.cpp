// The webhook sender against real HTTP receivers on loopback: outcomes, classification,
// a receiver that never answers, the queue bound and shutdown.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "http/server.hpp"
#include "process/process.hpp"
#include "webhook/webhook_sender.hpp"
#include "webhook/webhook_url.hpp"

namespace tidewire::push {
namespace {

using process::wait_until;

// What the done callbacks reported, by the tag each post was given.
class Outcomes {
 public:
  std::function<void(const WebhookResult&)> callback(const std::string& tag) {
    return [this, tag](const WebhookResult& r) {
      std::lock_guard lock(mu_);
      ++calls_[tag];
      results_[tag] = r;
      order_.push_back(tag);
    };
  }
  size_t size() const {
    std::lock_guard lock(mu_);
    return order_.size();
  }
  bool has(const std::string& tag) const {
    std::lock_guard lock(mu_);
    return results_.count(tag) > 0;
  }
  WebhookResult get(const std::string& tag) const {
    std::lock_guard lock(mu_);
    return results_.at(tag);
  }
  int calls(const std::string& tag) const {
    std::lock_guard lock(mu_);
    auto it = calls_.find(tag);
    return it == calls_.end() ? 0 : it->second;
  }
  std::vector<std::string> order() const {
    std::lock_guard lock(mu_);
    return order_;
  }

 private:
  mutable std::mutex mu_;
  std::map<std::string, int> calls_;
  std::map<std::string, WebhookResult> results_;
  std::vector<std::string> order_;
};

// A tw_http server standing in for a recipient's webhook endpoint.
class Receiver {
 public:
  Receiver() {
    http::Router router;
    auto record = [this](const http::Request& r) {
      std::lock_guard lock(mu_);
      received_.push_back(r);
    };
    EXPECT_TRUE(router
                    .add("POST", "/hook", http::Access::anyone(),
                         [record](const http::Request& r) {
                           record(r);
                           return http::Response::json(200, R"({"received":true})");
                         })
                    .ok());
    EXPECT_TRUE(router
                    .add("POST", "/status/{code}", http::Access::anyone(),
                         [record](const http::Request& r) {
                           record(r);
                           auto res = http::Response::text(std::stoi(r.params.at("code")), "receiver says no");
                           res.headers.emplace_back("Retry-After", "7");
                           return res;
                         })
                    .ok());
    http::ServerOptions options;
    options.threads = 1;
    auto server = http::Server::start(options, std::move(router));
    EXPECT_TRUE(server.ok()) << (server.ok() ? "" : server.error().describe());
    if (server.ok()) server_ = std::move(*server);
  }

  std::string url(const std::string& target) const {
    return "http://127.0.0.1:" + std::to_string(server_->port()) + target;
  }
  std::vector<http::Request> received() const {
    std::lock_guard lock(mu_);
    return received_;
  }

 private:
  mutable std::mutex mu_;
  std::vector<http::Request> received_;
  http::ServerPtr server_;
};

// Listens and never accepts: the kernel completes the TCP handshake from its backlog, so
// the sender connects and sends, and then nobody ever answers.
class SilentListener {
 public:
  SilentListener() {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    socklen_t len = sizeof addr;
    bool ok = fd_ >= 0 && ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 && ::listen(fd_, 64) == 0 &&
              ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) == 0;
    EXPECT_TRUE(ok) << "cannot listen on a loopback port";
    port_ = ntohs(addr.sin_port);
  }
  ~SilentListener() {
    if (fd_ >= 0) ::close(fd_);
  }
  SilentListener(const SilentListener&) = delete;
  SilentListener& operator=(const SilentListener&) = delete;

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/hook"; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

using HeaderList = std::vector<std::pair<std::string, std::string>>;

HeaderList delivery_headers(const std::string& notification_id) {
  return {{"Idempotency-Key", notification_id}, {"X-Tidewire-Recipient", "merchant-7"}};
}

// The receivers of these tests listen on 127.0.0.1, which a sender refuses unless the
// operator allows it (push-webhook-allow).
WebhookTargetPolicy loopback_allowed() {
  return *WebhookTargetPolicy::parse("127.0.0.0/8");
}

uint64_t count(const MetricsRegistry& metrics, const std::string& result) {
  return metrics.counter_value("tw_push_webhook_requests_total", {{"result", result}});
}

TEST(WebhookUrl, AcceptsHttpUrlsAndSaysWhatIsWrongWithOthers) {
  auto url = parse_webhook_url("http://hooks.example.com:8080/tw/in?token=abc#frag");
  ASSERT_TRUE(url.ok()) << url.error().describe();
  EXPECT_EQ(url->host, "hooks.example.com");
  EXPECT_EQ(url->port, 8080);
  EXPECT_EQ(url->target, "/tw/in?token=abc");
  EXPECT_EQ(url->authority(), "hooks.example.com:8080");  // no path or token in errors

  auto bare = parse_webhook_url("HTTP://10.0.0.5");
  ASSERT_TRUE(bare.ok());
  EXPECT_EQ(bare->port, 80);
  EXPECT_EQ(bare->target, "/");
  auto v6 = parse_webhook_url("http://[::1]:9000?x=1");
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->host_header(), "[::1]:9000");
  EXPECT_EQ(v6->target, "/?x=1");

  auto https = WebhookSender::validate_url("https://hooks.example.com/in");
  ASSERT_FALSE(https.ok());
  EXPECT_NE(https.error().message.find("does not support yet"), std::string::npos) << https.error().message;
  EXPECT_EQ(https.error().code, ErrorCode::kInvalidArgument);

  for (const char* bad : {"", "hooks.example.com/in", "ftp://h/x", "http://", "http:///path", "http://h:0/",
                          "http://h:65536/", "http://h:80x/", "http://h:/", "http://user:pw@h/", "http://h/a b",
                          "http://[::1/", "http://-h/", "http://h_1/", "http://h/\r\nX-Evil: 1"}) {
    EXPECT_FALSE(WebhookSender::validate_url(bad).ok()) << "accepted '" << bad << "'";
  }
  EXPECT_FALSE(WebhookSender::validate_url("http://h/" + std::string(3000, 'a')).ok());
}

TEST(WebhookSender, PostsTheJsonBodyWithDeliveryHeadersAndReportsOk) {
  Receiver receiver;
  MetricsRegistry metrics;
  Outcomes outcomes;
  WebhookSender sender({.metrics = &metrics, .targets = loopback_allowed()});
  ASSERT_TRUE(sender
                  .post(receiver.url("/hook"), R"({"title":"Rider arriving"})", delivery_headers("n-1"),
                        outcomes.callback("n-1"))
                  .ok());
  ASSERT_TRUE(wait_until([&] { return outcomes.has("n-1"); }, 10'000));

  WebhookResult r = outcomes.get("n-1");
  EXPECT_TRUE(r.ok) << r.detail;
  EXPECT_EQ(r.http_status, 200);
  EXPECT_FALSE(r.permanent);
  auto got = receiver.received();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].path, "/hook");
  EXPECT_EQ(got[0].body, R"({"title":"Rider arriving"})");
  EXPECT_EQ(got[0].header("content-type"), "application/json");
  EXPECT_EQ(got[0].header("idempotency-key"), "n-1");
  EXPECT_EQ(got[0].header("x-tidewire-recipient"), "merchant-7");
  EXPECT_EQ(count(metrics, "ok"), 1u);
  EXPECT_EQ(metrics.gauge("tw_push_webhook_in_flight", "").value(), 0);
  EXPECT_EQ(metrics.histogram("tw_push_webhook_latency_ms", "", default_ms_buckets()).snapshot().count, 1u);
}

TEST(WebhookSender, ServerErrorsAndThrottlingAreRetryableOtherClientErrorsPermanent) {
  Receiver receiver;
  MetricsRegistry metrics;
  Outcomes outcomes;
  WebhookSender sender({.metrics = &metrics, .targets = loopback_allowed()});
  for (const char* code : {"500", "503", "408", "429", "404", "400", "301"}) {
    ASSERT_TRUE(sender.post(receiver.url(std::string("/status/") + code), "{}", {}, outcomes.callback(code)).ok());
  }
  ASSERT_TRUE(wait_until([&] { return outcomes.size() == 7; }, 10'000));

  for (const char* code : {"500", "503", "408", "429"}) {
    WebhookResult r = outcomes.get(code);
    EXPECT_FALSE(r.ok) << code;
    EXPECT_FALSE(r.permanent) << code << " should be retryable";
    EXPECT_EQ(r.http_status, std::stoi(code));
    EXPECT_NE(r.detail.find("receiver says no"), std::string::npos) << r.detail;
  }
  EXPECT_EQ(outcomes.get("429").retry_after_ms, 7000);
  EXPECT_EQ(outcomes.get("503").retry_after_ms, 7000);
  EXPECT_EQ(outcomes.get("500").retry_after_ms, 0);
  for (const char* code : {"404", "400", "301"}) {
    WebhookResult r = outcomes.get(code);
    EXPECT_FALSE(r.ok) << code;
    EXPECT_TRUE(r.permanent) << code << " should be permanent";
    EXPECT_EQ(r.http_status, std::stoi(code));
  }
  EXPECT_EQ(count(metrics, "retryable"), 4u);
  EXPECT_EQ(count(metrics, "permanent"), 3u);
}

TEST(WebhookSender, ConnectionRefusedIsRetryable) {
  auto port = process::free_loopback_port();
  ASSERT_TRUE(port.ok());
  MetricsRegistry metrics;
  Outcomes outcomes;
  WebhookSender sender({.metrics = &metrics, .targets = loopback_allowed()});
  ASSERT_TRUE(
      sender.post("http://127.0.0.1:" + std::to_string(*port) + "/hook", "{}", {}, outcomes.callback("x")).ok());
  ASSERT_TRUE(wait_until([&] { return outcomes.has("x"); }, 10'000));
  WebhookResult r = outcomes.get("x");
  EXPECT_FALSE(r.ok);
  EXPECT_FALSE(r.permanent);
  EXPECT_EQ(r.http_status, 0);
  EXPECT_NE(r.detail.find("refused"), std::string::npos) << r.detail;
  EXPECT_EQ(count(metrics, "retryable"), 1u);
}

TEST(WebhookSender, UnsendablePostsArePermanentAndNeverReachTheReceiver) {
  Receiver receiver;
  MetricsRegistry metrics;
  Outcomes outcomes;
  WebhookSender sender({.max_body_bytes = 64, .metrics = &metrics, .targets = loopback_allowed()});
  ASSERT_TRUE(sender.post("https://hooks.example.com/in", "{}", {}, outcomes.callback("https")).ok());
  ASSERT_TRUE(sender.post("not a url", "{}", {}, outcomes.callback("garbage")).ok());
  ASSERT_TRUE(sender
                  .post(receiver.url("/hook"), "{}", {{"X-Tidewire-Recipient", "r1\r\nX-Injected: yes"}},
                        outcomes.callback("injected"))
                  .ok());
  ASSERT_TRUE(sender.post(receiver.url("/hook"), std::string(65, 'x'), {}, outcomes.callback("big")).ok());
  ASSERT_TRUE(wait_until([&] { return outcomes.size() == 4; }, 10'000));

  for (const char* tag : {"https", "garbage", "injected", "big"}) {
    WebhookResult r = outcomes.get(tag);
    EXPECT_FALSE(r.ok) << tag;
    EXPECT_TRUE(r.permanent) << tag;
    EXPECT_EQ(r.http_status, 0) << tag;
  }
  EXPECT_NE(outcomes.get("https").detail.find("https"), std::string::npos);
  EXPECT_NE(outcomes.get("injected").detail.find("CR, LF"), std::string::npos) << outcomes.get("injected").detail;
  EXPECT_TRUE(receiver.received().empty());
  EXPECT_EQ(count(metrics, "permanent"), 4u);
}

TEST(WebhookSender, HangingReceiverTimesOutWithoutDelayingOtherHosts) {
  SilentListener hanging;
  Receiver healthy;
  MetricsRegistry metrics;
  Outcomes outcomes;
  // One thread, so the healthy post cannot be served by a thread the hang left free: it
  // completes only if nothing ever blocks on the hanging receiver.
  WebhookSender sender({.threads = 1,
                        .request_timeout_ms = 3'000,
                        .max_in_flight_per_host = 2,
                        .metrics = &metrics,
                        .targets = loopback_allowed()});
  // Two connections hang, two more posts wait behind them in that host's queue.
  for (const char* tag : {"hang-1", "hang-2", "hang-3", "hang-4"}) {
    ASSERT_TRUE(sender.post(hanging.url(), "{}", delivery_headers(tag), outcomes.callback(tag)).ok());
  }
  ASSERT_TRUE(wait_until([&] { return metrics.gauge("tw_push_webhook_in_flight", "").value() == 2; }, 10'000));
  EXPECT_EQ(metrics.gauge("tw_push_webhook_queued", "").value(), 2);
  ASSERT_TRUE(sender.post(healthy.url("/hook"), "{}", delivery_headers("fine"), outcomes.callback("fine")).ok());

  ASSERT_TRUE(wait_until([&] { return outcomes.has("fine"); }, 10'000));
  EXPECT_TRUE(outcomes.get("fine").ok) << outcomes.get("fine").detail;
  // Every hanging post is answered, the queued ones too, by the whole-post deadline.
  ASSERT_TRUE(wait_until([&] { return outcomes.size() == 5; }, 3'000 + 10'000));
  auto order = outcomes.order();
  EXPECT_EQ(order.front(), "fine") << "the healthy receiver waited for the hanging one";
  for (const char* tag : {"hang-1", "hang-2", "hang-3", "hang-4"}) {
    WebhookResult r = outcomes.get(tag);
    EXPECT_FALSE(r.ok) << tag;
    EXPECT_FALSE(r.permanent) << tag << " a timeout is retryable";
    EXPECT_EQ(r.http_status, 0);
    EXPECT_NE(r.detail.find("3000 ms"), std::string::npos) << r.detail;
    EXPECT_EQ(r.detail.find("/hook"), std::string::npos) << "the URL path leaked into: " << r.detail;
    EXPECT_EQ(outcomes.calls(tag), 1);
  }
  EXPECT_EQ(count(metrics, "ok"), 1u);
  EXPECT_EQ(count(metrics, "retryable"), 4u);
  EXPECT_EQ(metrics.gauge("tw_push_webhook_in_flight", "").value(), 0);
  EXPECT_EQ(metrics.gauge("tw_push_webhook_queued", "").value(), 0);
}

TEST(WebhookSender, AFullQueueRefusesAndCountsWithoutCallingDone) {
  SilentListener hanging;
  MetricsRegistry metrics;
  Outcomes outcomes;
  {
    WebhookSender sender({.max_queued = 2,
                          .request_timeout_ms = 60'000,
                          .max_in_flight_per_host = 1,
                          .metrics = &metrics,
                          .targets = loopback_allowed()});
    ASSERT_TRUE(sender.post(hanging.url(), "{}", {}, outcomes.callback("a")).ok());
    ASSERT_TRUE(sender.post(hanging.url(), "{}", {}, outcomes.callback("b")).ok());
    Status third = sender.post(hanging.url(), "{}", {}, outcomes.callback("c"));
    ASSERT_FALSE(third.ok());
    EXPECT_EQ(third.error().code, ErrorCode::kUnavailable);
    EXPECT_NE(third.error().message.find("max_queued=2"), std::string::npos) << third.error().message;
    EXPECT_EQ(count(metrics, "refused"), 1u);
  }
  // The destructor answered what it held; the refused post was never taken.
  EXPECT_EQ(outcomes.calls("a"), 1);
  EXPECT_EQ(outcomes.calls("b"), 1);
  EXPECT_EQ(outcomes.calls("c"), 0);
}

TEST(WebhookSender, DestructorAnswersEveryPostExactlyOnce) {
  SilentListener hanging;
  Receiver healthy;
  MetricsRegistry metrics;
  Outcomes outcomes;
  std::vector<std::string> tags;
  {
    WebhookSender sender({.request_timeout_ms = 60'000,
                          .max_in_flight_per_host = 2,
                          .metrics = &metrics,
                          .targets = loopback_allowed()});
    for (int i = 0; i < 5; ++i) {
      tags.push_back("hang-" + std::to_string(i));
      ASSERT_TRUE(sender.post(hanging.url(), "{}", {}, outcomes.callback(tags.back())).ok());
    }
    tags.push_back("bad-url");
    ASSERT_TRUE(sender.post("http://", "{}", {}, outcomes.callback("bad-url")).ok());
    tags.push_back("healthy");
    ASSERT_TRUE(sender.post(healthy.url("/hook"), "{}", {}, outcomes.callback("healthy")).ok());
    ASSERT_TRUE(wait_until([&] { return metrics.gauge("tw_push_webhook_in_flight", "").value() >= 2; }, 10'000));
  }
  EXPECT_EQ(outcomes.size(), tags.size());
  for (const auto& tag : tags) EXPECT_EQ(outcomes.calls(tag), 1) << tag;
  for (int i = 0; i < 5; ++i) {
    WebhookResult r = outcomes.get("hang-" + std::to_string(i));
    EXPECT_FALSE(r.permanent);
    EXPECT_NE(r.detail.find("shutting down"), std::string::npos) << r.detail;
  }
  EXPECT_TRUE(outcomes.get("bad-url").permanent);
  EXPECT_EQ(metrics.gauge("tw_push_webhook_in_flight", "").value(), 0);
}

TEST(WebhookSender, PostsAfterShutdownBeganFromADoneCallbackAreRefused) {
  // The push service reschedules from inside done; during shutdown that must fail cleanly
  // instead of queueing work nobody will run.
  SilentListener hanging;
  MetricsRegistry metrics;
  std::optional<Status> repost;
  {
    WebhookSender sender({.request_timeout_ms = 60'000, .metrics = &metrics, .targets = loopback_allowed()});
    ASSERT_TRUE(sender
                    .post(hanging.url(), "{}", {},
                          [&](const WebhookResult&) { repost = sender.post(hanging.url(), "{}", {}, [](auto&) {}); })
                    .ok());
    ASSERT_TRUE(wait_until([&] { return metrics.gauge("tw_push_webhook_in_flight", "").value() == 1; }, 10'000));
  }
  ASSERT_TRUE(repost.has_value());
  EXPECT_FALSE(repost->ok());
  EXPECT_NE(repost->error().message.find("shutting down"), std::string::npos);
  EXPECT_EQ(count(metrics, "refused"), 1u);
}

}  // namespace
}  // namespace tidewire::push

namespace tidewire::push {
namespace {

// Every class of internal address, at its edges, with its IPv4-mapped and NAT64 forms; and
// public neighbours just outside each range, which must pass.
TEST(WebhookTarget, ClassifiesEveryInternalRangeAndNothingElse) {
  struct Row {
    const char* address;
    const char* cls;  // nullptr: public
  };
  const Row rows[] = {
      {"127.0.0.1", "loopback"},
      {"127.255.255.254", "loopback"},
      {"::1", "loopback"},
      {"::ffff:127.0.0.1", "loopback"},
      {"64:ff9b::7f00:1", "loopback"},
      {"128.0.0.1", nullptr},
      {"126.255.255.255", nullptr},
      {"169.254.169.254", "link_local"},
      {"169.254.0.0", "link_local"},
      {"169.253.255.255", nullptr},
      {"169.255.0.0", nullptr},
      {"fe80::1", "link_local"},
      {"febf:ffff::1", "link_local"},
      {"fec0::1", "private"},
      {"::ffff:169.254.169.254", "link_local"},
      {"10.0.0.0", "private"},
      {"10.255.255.255", "private"},
      {"11.0.0.0", nullptr},
      {"9.255.255.255", nullptr},
      {"172.16.0.0", "private"},
      {"172.31.255.255", "private"},
      {"172.15.255.255", nullptr},
      {"172.32.0.0", nullptr},
      {"192.168.0.1", "private"},
      {"192.168.255.255", "private"},
      {"192.169.0.0", nullptr},
      {"192.167.255.255", nullptr},
      {"fc00::1", "private"},
      {"fd12:3456::1", "private"},
      {"fbff:ffff::1", nullptr},
      {"::ffff:10.1.2.3", "private"},
      {"100.64.0.0", "cgnat"},
      {"100.127.255.255", "cgnat"},
      {"100.63.255.255", nullptr},
      {"100.128.0.0", nullptr},
      {"0.0.0.0", "unspecified"},
      {"0.255.255.255", "unspecified"},
      {"::", "unspecified"},
      {"::ffff:0.0.0.0", "unspecified"},
      {"224.0.0.1", "multicast"},
      {"239.255.255.255", "multicast"},
      {"ff02::1", "multicast"},
      {"223.255.255.255", nullptr},
      {"240.0.0.1", "reserved"},
      {"255.255.255.255", "reserved"},
      {"::7f00:1", "reserved"},
      {"8.8.8.8", nullptr},
      {"1.1.1.1", nullptr},
      {"2001:4860:4860::8888", nullptr},
      {"::ffff:8.8.8.8", nullptr},
      {"64:ff9b::808:808", nullptr},
      {"2606:4700::1111", nullptr},
      {"fe7f:ffff::1", nullptr},
      {"fec0::", "private"},
  };
  for (const auto& row : rows) {
    auto a = IpAddress::parse(row.address);
    ASSERT_TRUE(a.has_value()) << row.address;
    const char* got = internal_address_class(*a);
    EXPECT_STREQ(got ? got : "public", row.cls ? row.cls : "public") << row.address;
  }
}

TEST(WebhookTarget, TheAllowListOpensOnlyItsRanges) {
  auto none = WebhookTargetPolicy::parse("");
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->refusal(*IpAddress::parse("127.0.0.1")), "loopback");
  EXPECT_EQ(none->refusal(*IpAddress::parse("8.8.8.8")), std::nullopt);

  auto some = WebhookTargetPolicy::parse(" 127.0.0.0/8 , 10.1.2.3/24,fd00::/8");
  ASSERT_TRUE(some.ok()) << some.error().message;
  ASSERT_EQ(some->allowed().size(), 3u);
  EXPECT_EQ(some->allowed()[1].text(), "10.1.2.0/24");  // host bits cleared
  EXPECT_EQ(some->refusal(*IpAddress::parse("127.9.9.9")), std::nullopt);
  EXPECT_EQ(some->refusal(*IpAddress::parse("::ffff:127.0.0.1")), std::nullopt);  // the same address
  EXPECT_EQ(some->refusal(*IpAddress::parse("10.1.2.200")), std::nullopt);
  EXPECT_EQ(some->refusal(*IpAddress::parse("10.1.3.1")), "private");
  EXPECT_EQ(some->refusal(*IpAddress::parse("fd00::5")), std::nullopt);
  EXPECT_EQ(some->refusal(*IpAddress::parse("::1")), "loopback");  // 127/8 is not ::1
  EXPECT_EQ(some->refusal(*IpAddress::parse("169.254.169.254")), "link_local");

  for (const char* bad : {"127.0.0.0/33", "10.0.0.0/x", "localhost", "fd00::/129", "10.0.0.0/", "1.2.3.4/8,nope"}) {
    auto p = WebhookTargetPolicy::parse(bad);
    ASSERT_FALSE(p.ok()) << bad;
    EXPECT_NE(p.error().message.find("CIDR"), std::string::npos) << p.error().message;
  }
}

TEST(WebhookTarget, RegistrationRefusesLiteralsAndLoopbackNames) {
  auto none = *WebhookTargetPolicy::parse("");
  auto check = [&](const WebhookTargetPolicy& p, const std::string& url) -> std::string {
    auto parsed = parse_webhook_url(url);
    EXPECT_TRUE(parsed.ok()) << url;
    auto refused = p.check_registered(*parsed);
    return refused ? refused->reason : "ok";
  };
  EXPECT_EQ(check(none, "http://127.0.0.1/"), "loopback");
  EXPECT_EQ(check(none, "http://127.1/"), "loopback");  // getaddrinfo reads these as 127.0.0.1
  EXPECT_EQ(check(none, "http://2130706433/"), "loopback");
  EXPECT_EQ(check(none, "http://0x7f.1/"), "loopback");
  EXPECT_EQ(check(none, "http://[::1]/"), "loopback");
  EXPECT_EQ(check(none, "http://[::ffff:169.254.169.254]/"), "link_local");
  EXPECT_EQ(check(none, "http://LOCALHOST./x"), "loopback");
  EXPECT_EQ(check(none, "http://api.localhost/x"), "loopback");
  EXPECT_EQ(check(none, "http://ip6-localhost/x"), "loopback");
  EXPECT_EQ(check(none, "http://hooks.example.com/x"), "ok");  // names are judged after resolution
  EXPECT_EQ(check(none, "http://8.8.8.8/x"), "ok");
  auto loopback = *WebhookTargetPolicy::parse("127.0.0.0/8");
  EXPECT_EQ(check(loopback, "http://localhost/x"), "ok");
  EXPECT_EQ(check(loopback, "http://127.0.0.1/x"), "ok");
  EXPECT_EQ(check(loopback, "http://10.0.0.1/x"), "private");
}

// At call time every address the name resolved to is checked before connecting: with no
// allow-list, `localhost` (127.0.0.1 from /etc/hosts) and a literal are never connected to.
TEST(WebhookSender, RefusesInternalTargetsAfterResolutionWithoutConnecting) {
  Receiver receiver;
  MetricsRegistry metrics;
  Outcomes outcomes;
  {
    WebhookSender sender({.metrics = &metrics, .targets = {}});  // nothing allowed
    std::string literal = receiver.url("/hook");
    EXPECT_FALSE(sender.check_url(literal).ok());
    std::string by_name = "http://localhost:" + literal.substr(literal.rfind(':') + 1);
    ASSERT_TRUE(sender.post(by_name, "{}", {}, outcomes.callback("name")).ok());
    ASSERT_TRUE(sender.post(literal, "{}", {}, outcomes.callback("literal")).ok());
    ASSERT_TRUE(wait_until([&] { return outcomes.size() == 2; }, 10'000));
  }
  for (const char* key : {"name", "literal"}) {
    auto r = outcomes.get(key);
    EXPECT_TRUE(r.permanent) << key;
    EXPECT_EQ(r.http_status, 0) << key;
    EXPECT_EQ(r.refused_target, "loopback") << key;
    EXPECT_NE(r.detail.find("a loopback address: refused, not connected"), std::string::npos) << r.detail;
  }
  EXPECT_TRUE(receiver.received().empty());
  EXPECT_EQ(metrics.counter_value("tw_push_webhook_target_refused_total", {{"stage", "call"}, {"reason", "loopback"}}),
            2u);
  EXPECT_EQ(
      metrics.counter_value("tw_push_webhook_target_refused_total", {{"stage", "register"}, {"reason", "loopback"}}),
      1u);
}

}  // namespace
}  // namespace tidewire::push
