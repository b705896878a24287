// tw_http: message helpers, router, server behaviour under hostile peers, client errors.
#include <gtest/gtest.h>

#include <stdexcept>

#include "http/client.hpp"
#include "http/server.hpp"
#include "process/process.hpp"
#include "tests/common/http/raw_socket.hpp"
#include "tests/common/http/test_routes.hpp"

namespace tidewire::http {
namespace {

using cloud::testing::RawSocket;

TEST(HttpMessage, PercentDecodingAndQueryParsing) {
  EXPECT_EQ(*percent_decode("a%20b%2Fc", false), "a b/c");
  EXPECT_EQ(*percent_decode("a+b", false), "a+b");
  EXPECT_EQ(*percent_decode("a+b", true), "a b");
  EXPECT_FALSE(percent_decode("100%", false).ok());
  EXPECT_FALSE(percent_decode("%4", false).ok());
  EXPECT_FALSE(percent_decode("%zz", false).ok());

  auto q = parse_query("kind=rider&site=s%2D1&empty=&flag&x=1&x=2");
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->at("kind"), "rider");
  EXPECT_EQ(q->at("site"), "s-1");
  EXPECT_EQ(q->at("empty"), "");
  EXPECT_EQ(q->at("flag"), "");
  EXPECT_EQ(q->at("x"), "2");
  EXPECT_FALSE(parse_query("a=%G0").ok());
  EXPECT_EQ(percent_encode("a b/ü"), "a%20b%2F%C3%BC");
}

TEST(HttpMessage, JsonQuoteEscapesControlCharactersAndRepairsBadUtf8) {
  EXPECT_EQ(json_quote("plain"), "\"plain\"");
  EXPECT_EQ(json_quote("a\"b\\c\nd\x01"), "\"a\\\"b\\\\c\\nd\\u0001\"");
  EXPECT_EQ(json_quote("caf\xc3\xa9"), "\"caf\xc3\xa9\"");             // valid UTF-8 kept
  EXPECT_EQ(json_quote("bad\xff\xc3"), "\"bad\\ufffd\\ufffd\"");       // invalid replaced
  EXPECT_EQ(json_quote("\xed\xa0\x80"), "\"\\ufffd\\ufffd\\ufffd\"");  // surrogate refused
}

Request request(const std::string& method, const std::string& target) {
  Request r;
  r.method = method;
  r.target = target;
  return r;
}

TEST(HttpRouter, MatchesCapturesAndExplains404And405) {
  Router router;
  ASSERT_TRUE(router
                  .add("GET", "/v1/devices/{id}/events", Access::anyone(),
                       [](const Request& r) {
                         return Response::text(200, r.params.at("id") + "|" + r.query_or("after_seq", "-"));
                       })
                  .ok());
  ASSERT_TRUE(
      router.add("POST", "/v1/devices/{id}/commands", Access::anyone(), [](const Request&) { return Response::text(201, ""); }).ok());
  EXPECT_FALSE(router.add("GET", "no-slash", Access::anyone(), nullptr).ok());
  EXPECT_FALSE(router.add("GET", "/a/{oops", Access::anyone(), nullptr).ok());

  std::string route;
  auto req = request("GET", "/v1/devices/d%2F1/events?after_seq=5");
  auto ok = router.dispatch(req, route);
  EXPECT_EQ(ok.status, 200);
  EXPECT_EQ(ok.body, "d/1|5");
  EXPECT_EQ(route, "/v1/devices/{id}/events");

  auto wrong_method = request("DELETE", "/v1/devices/x/commands");
  auto r405 = router.dispatch(wrong_method, route);
  EXPECT_EQ(r405.status, 405);
  ASSERT_EQ(r405.headers.size(), 1u);
  EXPECT_EQ(r405.headers[0].second, "POST");
  EXPECT_NE(r405.body.find("\"error\":\"method_not_allowed\""), std::string::npos);

  auto unknown = request("GET", "/v2/nothing");
  auto r404 = router.dispatch(unknown, route);
  EXPECT_EQ(r404.status, 404);
  EXPECT_EQ(route, "unmatched");
  EXPECT_EQ(r404.content_type, "application/json");

  auto empty_capture = request("GET", "/v1/devices//events");
  EXPECT_EQ(router.dispatch(empty_capture, route).status, 404);
  auto bad_query = request("GET", "/v1/devices/x/events?after_seq=%ZZ");
  EXPECT_EQ(router.dispatch(bad_query, route).status, 400);
}

// Records what it saw and refuses callers without the right header.
class HeaderGate final : public Gate {
 public:
  std::optional<Response> admit(Request& request, const RouteInfo& route) override {
    admitted_routes.push_back(route.pattern + " " + route.access.describe());
    if (route.access.open) return std::nullopt;
    if (request.header("x-key") != "k") return error_response(401, "missing_token", "no key");
    request.caller.token_id = "t";
    request.caller.principal = "p";
    request.caller.scopes = {"operator"};
    return std::nullopt;
  }
  void served(const Request& request, const RouteInfo& route, const Response& response) override {
    served_log.push_back(request.caller.principal + " " + route.pattern + " " + std::to_string(response.status));
  }
  std::vector<std::string> admitted_routes;
  std::vector<std::string> served_log;
};

TEST(HttpRouter, EveryRouteDeclaresWhoMayCallItAndTheGateDecides) {
  Router router;
  EXPECT_FALSE(router.add("GET", "/nobody", Access{}, [](const Request&) { return Response::text(200, ""); }).ok());
  ASSERT_TRUE(router.add("GET", "/open", Access::anyone(), [](const Request&) { return Response::text(200, "o"); }).ok());
  ASSERT_TRUE(router
                  .add("POST", "/v1/things/{id}", Access::to({"operator", "merchant"}),
                       [](const Request& r) { return Response::text(201, r.caller.principal); })
                  .ok());
  auto routes = router.routes();
  ASSERT_EQ(routes.size(), 2u);
  EXPECT_EQ(routes[1].access.describe(), "operator|merchant");

  // Without a gate only the open route answers: a server that forgot its gate is closed.
  std::string route;
  auto open = request("GET", "/open");
  EXPECT_EQ(router.dispatch(open, route).status, 200);
  auto closed = request("POST", "/v1/things/1");
  auto r401 = router.dispatch(closed, route);
  EXPECT_EQ(r401.status, 401);
  EXPECT_NE(r401.body.find("\"reason\":\"no_gate\""), std::string::npos);

  auto gate = std::make_shared<HeaderGate>();
  router.set_gate(gate);
  auto refused = request("POST", "/v1/things/1");
  EXPECT_EQ(router.dispatch(refused, route).status, 401);
  auto admitted = request("POST", "/v1/things/1");
  admitted.headers["x-key"] = "k";
  auto r201 = router.dispatch(admitted, route);
  EXPECT_EQ(r201.status, 201);
  EXPECT_EQ(r201.body, "p");  // the handler sees the caller the gate set
  // The refused request never reached the handler nor served(); the admitted one did.
  EXPECT_EQ(gate->served_log, std::vector<std::string>{"p /v1/things/{id} 201"});
  EXPECT_EQ(gate->admitted_routes.size(), 2u);
}

TEST(HttpRouter, HandlerExceptionBecomes500Json) {
  Router router;
  ASSERT_TRUE(router.add("GET", "/boom", Access::anyone(), [](const Request&) -> Response { throw std::runtime_error("kaput"); }).ok());
  std::string route;
  auto req = request("GET", "/boom");
  auto res = router.dispatch(req, route);
  EXPECT_EQ(res.status, 500);  // open route, no gate needed
  EXPECT_NE(res.body.find("\"error\":\"internal\""), std::string::npos);
}

class HttpServerTest : public ::testing::Test {
 protected:
  void start(ServerOptions options = {}) {
    options.metrics = &metrics_;
    auto s = Server::start(options, testing::test_routes());
    ASSERT_TRUE(s.ok()) << s.error().describe();
    server_ = std::move(*s);
    port_ = server_->port();
    ASSERT_GT(port_, 0);
  }
  Expected<Response> call(const std::string& method, const std::string& target, const std::string& body = "",
                          const HeaderList& headers = {}) {
    return http_request("127.0.0.1", port_, method, target, body, 5000, headers);
  }
  MetricsRegistry metrics_;
  ServerPtr server_;
  int port_ = 0;
};

TEST_F(HttpServerTest, ServesRoutesHeadersAndBodies) {
  start();
  auto ping = call("GET", "/ping");
  ASSERT_TRUE(ping.ok()) << ping.error().describe();
  EXPECT_EQ(ping->status, 200);
  EXPECT_EQ(ping->body, "pong");
  auto echo = call("POST", "/echo", "{\"a\":1}", {{"X-Test", "yes"}});
  ASSERT_TRUE(echo.ok());
  EXPECT_EQ(echo->body, "{\"a\":1}");
  EXPECT_EQ(testing::header_of(*echo, "X-Seen-Header"), "yes");
  EXPECT_EQ(testing::header_of(*echo, "X-Peer"), "127.0.0.1");  // the peer address a gate rate-limits by
  auto missing = call("GET", "/nope");
  ASSERT_TRUE(missing.ok());
  EXPECT_EQ(missing->status, 404);
  auto boom = call("GET", "/boom");
  ASSERT_TRUE(boom.ok());
  EXPECT_EQ(boom->status, 500);
  EXPECT_EQ(call("GET", "/ping")->status, 200);  // still serving
  EXPECT_EQ(metrics_.counter_value("tw_http_requests_total",
                                   {{"server", "http"}, {"method", "GET"}, {"route", "/ping"}, {"status", "200"}}),
            2u);
  EXPECT_EQ(metrics_.counter_value("tw_http_requests_total",
                                   {{"server", "http"}, {"method", "GET"}, {"route", "unmatched"}, {"status", "404"}}),
            1u);
}

TEST_F(HttpServerTest, BodyOverTheLimitIs413) {
  ServerOptions options;
  options.max_body_bytes = 1024;
  start(options);
  auto small = call("POST", "/echo", std::string(1024, 'a'));
  ASSERT_TRUE(small.ok());
  EXPECT_EQ(small->status, 200);
  auto big = call("POST", "/echo", std::string(256 * 1024, 'a'));
  ASSERT_TRUE(big.ok()) << big.error().describe();
  EXPECT_EQ(big->status, 413);
  EXPECT_NE(big->body.find("payload_too_large"), std::string::npos);
  EXPECT_EQ(metrics_.counter_value("tw_http_rejects_total", {{"server", "http"}, {"reason", "body_too_large"}}), 1u);
}

TEST_F(HttpServerTest, ChunkedBodyOverTheLimitIs413) {
  ServerOptions options;
  options.max_body_bytes = 1000;
  start(options);
  RawSocket s(port_);
  ASSERT_TRUE(s.connected());
  std::string chunk(600, 'x');
  ASSERT_TRUE(s.send("POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n258\r\n" + chunk +
                     "\r\n258\r\n" + chunk + "\r\n0\r\n\r\n"));
  EXPECT_NE(s.read(5000, "payload_too_large").find("HTTP/1.1 413"), std::string::npos);
}

TEST_F(HttpServerTest, KeepAliveServesSeveralRequestsOnOneConnection) {
  start();
  RawSocket s(port_);
  ASSERT_TRUE(s.connected());
  ASSERT_TRUE(s.send("GET /ping HTTP/1.1\r\nHost: t\r\n\r\n"));
  EXPECT_NE(s.read(5000, "pong").find("pong"), std::string::npos);
  s.clear();
  ASSERT_TRUE(s.send("GET /ping HTTP/1.1\r\nHost: t\r\n\r\n"));
  EXPECT_NE(s.read(5000, "pong").find("HTTP/1.1 200"), std::string::npos);
  EXPECT_FALSE(s.peer_closed());
}

// The kept-alive client sends many requests over one TCP connection, and when the server
// has dropped that connection (here: its idle timeout) the next request goes out again on
// a fresh one instead of failing.
TEST_F(HttpServerTest, KeptAliveClientReusesItsConnectionAndReconnectsWhenDropped) {
  ServerOptions options;
  options.idle_timeout_ms = 300;
  start(options);
  Connection c("127.0.0.1", port_);
  for (int i = 0; i < 5; ++i) {
    auto r = c.request("POST", "/echo", "n" + std::to_string(i), 5000, {{"X-Test", "k"}});
    ASSERT_TRUE(r.ok()) << r.error().describe();
    EXPECT_EQ(r->body, "n" + std::to_string(i));
  }
  EXPECT_EQ(c.connects(), 1u);
  auto open_connections = [&] {
    std::string text = metrics_.render_prometheus();
    return text.find("tw_http_connections{server=\"http\"} 0") == std::string::npos;
  };
  ASSERT_TRUE(process::wait_until([&] { return !open_connections(); }, 5000)) << "the idle connection was not closed";
  auto after = c.request("GET", "/ping");
  ASSERT_TRUE(after.ok()) << after.error().describe();
  EXPECT_EQ(after->body, "pong");
  EXPECT_EQ(c.connects(), 2u);
  server_.reset();  // kept-alive connections close when the Server is destroyed
  auto down = c.request("GET", "/ping", "", 2000);
  ASSERT_FALSE(down.ok());
  EXPECT_EQ(down.error().code, ErrorCode::kUnavailable) << down.error().describe();
}

TEST_F(HttpServerTest, StalledClientDoesNotBlockOthersAndIsDroppedAfterTheReadTimeout) {
  ServerOptions options;
  options.threads = 1;  // even the only thread is not held by the stalled peer
  options.read_timeout_ms = 300;
  start(options);
  RawSocket stalled(port_);
  ASSERT_TRUE(stalled.connected());
  ASSERT_TRUE(stalled.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\nonly part"));
  for (int i = 0; i < 3; ++i) {
    auto other = call("GET", "/ping");
    ASSERT_TRUE(other.ok()) << other.error().describe();
    EXPECT_EQ(other->status, 200);
  }
  stalled.read(5000);  // until the server closes it
  EXPECT_TRUE(stalled.peer_closed());
  EXPECT_TRUE(process::wait_until(
      [&] {
        return metrics_.counter_value("tw_http_rejects_total", {{"server", "http"}, {"reason", "timeout"}}) == 1;
      },
      5000));
}

TEST_F(HttpServerTest, SilentConnectionIsClosedAfterTheReadTimeout) {
  ServerOptions options;
  options.read_timeout_ms = 200;
  start(options);
  RawSocket silent(port_);
  ASSERT_TRUE(silent.connected());
  EXPECT_EQ(silent.read(5000), "");
  EXPECT_TRUE(silent.peer_closed());
}

TEST_F(HttpServerTest, ExpectContinueGetsA100BeforeTheBody) {
  start();
  RawSocket s(port_);
  ASSERT_TRUE(s.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n"));
  EXPECT_NE(s.read(5000, "100 Continue").find("HTTP/1.1 100 Continue"), std::string::npos);
  ASSERT_TRUE(s.send("hello"));
  EXPECT_NE(s.read(5000, "hello").find("HTTP/1.1 200"), std::string::npos);
}

TEST_F(HttpServerTest, MalformedRequestGets400AndIsCounted) {
  start();
  RawSocket s(port_);
  ASSERT_TRUE(s.send("GET /ping HTTP/1.1\r\nBad Header Line\r\n\r\n"));
  std::string answer = s.read(5000);
  EXPECT_NE(answer.find("HTTP/1.1 400"), std::string::npos) << answer;
  EXPECT_TRUE(s.peer_closed());
  EXPECT_EQ(metrics_.counter_value("tw_http_rejects_total", {{"server", "http"}, {"reason", "bad_request"}}), 1u);
}

TEST_F(HttpServerTest, ConnectionsBeyondTheLimitAreRefusedAndCounted) {
  ServerOptions options;
  options.max_connections = 1;
  start(options);
  RawSocket holder(port_);
  ASSERT_TRUE(holder.connected());
  ASSERT_TRUE(process::wait_until(
      [&] {
        return metrics_.gauge("tw_http_connections", "", {{"server", "http"}}).value() == 1;
      },
      5000));
  EXPECT_FALSE(call("GET", "/ping").ok());
  EXPECT_EQ(metrics_.counter_value("tw_http_rejects_total", {{"server", "http"}, {"reason", "too_many_connections"}}),
            1u);
}

TEST_F(HttpServerTest, StopClosesTheListenerAndIsIdempotent) {
  start();
  ASSERT_TRUE(call("GET", "/ping").ok());
  server_->stop();
  server_->stop();
  auto after = call("GET", "/ping");
  ASSERT_FALSE(after.ok());
  EXPECT_EQ(after.error().code, ErrorCode::kUnavailable);
}

TEST(HttpServer, ListeningTwiceOnOnePortFailsWithAClearMessage) {
  auto first = Server::start({}, Router{});
  ASSERT_TRUE(first.ok());
  ServerOptions options;
  options.port = (*first)->port();
  auto second = Server::start(options, Router{});
  ASSERT_FALSE(second.ok());
  EXPECT_NE(second.error().message.find("cannot listen on 127.0.0.1:" + std::to_string(options.port)),
            std::string::npos);
  options.host = "not a host";
  EXPECT_FALSE(Server::start(options, Router{}).ok());
}

TEST(HttpClient, TimesOutOnAServerThatNeverAnswers) {
  // A listening socket nobody accepts on: the kernel completes the connection, then silence.
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = 0;
  ::inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(fd, 4), 0);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  auto res = http_request("127.0.0.1", ntohs(addr.sin_port), "GET", "/", "", 200);
  ::close(fd);
  ASSERT_FALSE(res.ok());
  EXPECT_EQ(res.error().code, ErrorCode::kTimeout);
}

TEST(HttpClient, RefusedConnectionIsUnavailable) {
  auto port = process::free_loopback_port();
  ASSERT_TRUE(port.ok());
  auto res = http_request("127.0.0.1", *port, "GET", "/", "", 1000);
  ASSERT_FALSE(res.ok());
  EXPECT_EQ(res.error().code, ErrorCode::kUnavailable);
}

}  // namespace
}  // namespace tidewire::http
