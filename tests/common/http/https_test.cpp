// tw_http over TLS: the server with a certificate from a throwaway CA (made with the
// openssl command in a temporary directory), the client trusting that CA, and the peers
// HTTPS must turn away: a client trusting another CA, a certificate naming another host,
// plain HTTP sent to the HTTPS port, a peer that never starts the handshake.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "http/client.hpp"
#include "http/server.hpp"
#include "process/process.hpp"
#include "process/throwaway_ca.hpp"
#include "tests/common/http/raw_socket.hpp"
#include "tests/common/http/test_routes.hpp"

namespace tidewire::http {
namespace {

namespace fs = std::filesystem;
using cloud::testing::RawSocket;

class HttpsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::temp_directory_path() / ("tw-https-" + std::to_string(::getpid()) + "-" + info->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    auto ca = process::ThrowawayCa::make((dir_ / "ca").string());
    ASSERT_TRUE(ca.ok()) << ca.error().describe();
    ca_ = *ca;
  }
  void TearDown() override {
    server_.reset();
    if (!HasFailure()) fs::remove_all(dir_);
  }

  void start(ServerOptions options = {}) {
    if (options.tls_cert_file.empty()) {
      options.tls_cert_file = ca_.server.cert;
      options.tls_key_file = ca_.server.key;
    }
    options.metrics = &metrics_;
    auto s = Server::start(options, testing::test_routes());
    ASSERT_TRUE(s.ok()) << s.error().describe();
    server_ = std::move(*s);
    port_ = server_->port();
  }
  ClientTls trusting_our_ca() const { return {ca_.ca.cert}; }
  Expected<Response> call(const std::string& method, const std::string& target, const std::string& body = "",
                          const HeaderList& headers = {}) {
    return http_request(trusting_our_ca(), "127.0.0.1", port_, method, target, body, 5000, headers);
  }
  uint64_t rejects(const std::string& reason) {
    return metrics_.counter_value("tw_http_rejects_total", {{"server", "http"}, {"reason", reason}});
  }
  int64_t open_connections() { return metrics_.gauge("tw_http_connections", "", {{"server", "http"}}).value(); }

  fs::path dir_;
  process::ThrowawayCa ca_;
  MetricsRegistry metrics_;
  ServerPtr server_;
  int port_ = 0;
};

TEST_F(HttpsTest, AnHttpsRequestIsServedByTheRouter) {
  start();
  EXPECT_TRUE(server_->tls());
  auto ping = call("GET", "/ping");
  ASSERT_TRUE(ping.ok()) << ping.error().describe();
  EXPECT_EQ(ping->status, 200);
  EXPECT_EQ(ping->body, "pong");
  auto echo = call("POST", "/echo", "{\"over\":\"tls\"}", {{"X-Test", "yes"}});
  ASSERT_TRUE(echo.ok()) << echo.error().describe();
  EXPECT_EQ(echo->body, "{\"over\":\"tls\"}");
  EXPECT_EQ(testing::header_of(*echo, "X-Seen-Header"), "yes");
  EXPECT_EQ(testing::header_of(*echo, "X-Peer"), "127.0.0.1");  // the TCP peer, under TLS
  EXPECT_EQ(metrics_.counter_value("tw_http_requests_total",
                                   {{"server", "http"}, {"method", "GET"}, {"route", "/ping"}, {"status", "200"}}),
            1u);
  EXPECT_EQ(rejects("tls_handshake"), 0u);
}

TEST_F(HttpsTest, AClientTrustingAnotherCaIsRefusedInTheHandshake) {
  start();
  auto other = process::ThrowawayCa::make((dir_ / "other-ca").string());
  ASSERT_TRUE(other.ok()) << other.error().describe();
  auto refused = http_request(ClientTls{other->ca.cert}, "127.0.0.1", port_, "GET", "/ping");
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ErrorCode::kUnavailable) << refused.error().describe();
  EXPECT_EQ(refused.error().reason, "tls_handshake") << refused.error().describe();
  // The client's alert ends the handshake on the server's side too, and is counted.
  EXPECT_TRUE(process::wait_until([&] { return rejects("tls_handshake") == 1; }, 5000)) << rejects("tls_handshake");
  auto good = call("GET", "/ping");
  ASSERT_TRUE(good.ok()) << good.error().describe();
  EXPECT_EQ(good->status, 200);
}

TEST_F(HttpsTest, ACertificateFromTheTrustedCaNamingAnotherHostIsRefused) {
  // Signed by the CA the client trusts, but for "elsewhere.example", not 127.0.0.1.
  auto elsewhere = ca_.client("elsewhere.example");
  ASSERT_TRUE(elsewhere.ok()) << elsewhere.error().describe();
  ServerOptions options;
  options.tls_cert_file = elsewhere->cert;
  options.tls_key_file = elsewhere->key;
  start(options);
  auto refused = call("GET", "/ping");
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().reason, "tls_handshake") << refused.error().describe();
}

TEST_F(HttpsTest, PlainHttpToTheHttpsPortGetsNoHttpResponseIsCountedAndHarmsNoOne) {
  ServerOptions options;
  options.threads = 1;
  start(options);
  RawSocket plain(port_);
  ASSERT_TRUE(plain.connected());
  auto meanwhile = call("GET", "/ping");  // served while the plain connection is open
  ASSERT_TRUE(meanwhile.ok()) << meanwhile.error().describe();
  EXPECT_EQ(meanwhile->status, 200);
  ASSERT_TRUE(plain.send("GET /ping HTTP/1.1\r\nHost: t\r\n\r\n"));
  std::string answer = plain.read(5000);  // until the server closes it
  EXPECT_TRUE(plain.peer_closed());
  EXPECT_EQ(answer.find("HTTP/"), std::string::npos) << answer;
  EXPECT_TRUE(process::wait_until([&] { return rejects("tls_handshake") == 1; }, 5000));
  auto after = call("GET", "/ping");
  ASSERT_TRUE(after.ok()) << after.error().describe();
  EXPECT_EQ(after->body, "pong");
  // And the other way round: an HTTPS client at a plain HTTP server fails its handshake.
  auto plain_server = Server::start({}, Router{});
  ASSERT_TRUE(plain_server.ok());
  auto mismatch = http_request(trusting_our_ca(), "127.0.0.1", (*plain_server)->port(), "GET", "/ping");
  ASSERT_FALSE(mismatch.ok());
  EXPECT_EQ(mismatch.error().reason, "tls_handshake") << mismatch.error().describe();
}

TEST_F(HttpsTest, APeerThatNeverSendsAClientHelloIsDroppedAfterTheReadTimeoutAndCounted) {
  ServerOptions options;
  options.read_timeout_ms = 200;
  start(options);
  RawSocket silent(port_);
  ASSERT_TRUE(silent.connected());
  EXPECT_EQ(silent.read(5000), "");  // returns when the server closes it, or at the deadline
  EXPECT_TRUE(silent.peer_closed());
  EXPECT_TRUE(process::wait_until([&] { return rejects("tls_handshake") == 1; }, 5000));
  EXPECT_TRUE(process::wait_until([&] { return open_connections() == 0; }, 5000));
}

// Two requests on one TLS connection; when the server drops it after its idle timeout,
// the client's next request makes a new connection (and handshake).
TEST_F(HttpsTest, KeepAliveServesTwoRequestsOnOneTlsConnection) {
  ServerOptions options;
  options.idle_timeout_ms = 300;
  start(options);
  Connection c("127.0.0.1", port_, trusting_our_ca());
  for (int i = 0; i < 2; ++i) {
    auto r = c.request("POST", "/echo", "n" + std::to_string(i));
    ASSERT_TRUE(r.ok()) << r.error().describe();
    EXPECT_EQ(r->body, "n" + std::to_string(i));
  }
  EXPECT_EQ(c.connects(), 1u);
  ASSERT_TRUE(process::wait_until([&] { return open_connections() == 0; }, 5000)) << "the idle connection stayed open";
  auto after = c.request("GET", "/ping");
  ASSERT_TRUE(after.ok()) << after.error().describe();
  EXPECT_EQ(after->body, "pong");
  EXPECT_EQ(c.connects(), 2u);
  EXPECT_EQ(rejects("tls_handshake"), 0u);
}

TEST_F(HttpsTest, TheBodyAndConnectionLimitsHoldOverHttps) {
  ServerOptions options;
  options.max_body_bytes = 1024;
  options.max_connections = 1;
  start(options);
  auto big = call("POST", "/echo", std::string(256 * 1024, 'a'));
  ASSERT_TRUE(big.ok()) << big.error().describe();
  EXPECT_EQ(big->status, 413);
  EXPECT_EQ(rejects("body_too_large"), 1u);
  ASSERT_TRUE(process::wait_until([&] { return open_connections() == 0; }, 5000));
  RawSocket holder(port_);  // connected, handshake pending: it holds the only slot
  ASSERT_TRUE(holder.connected());
  ASSERT_TRUE(process::wait_until([&] { return open_connections() == 1; }, 5000));
  EXPECT_FALSE(call("GET", "/ping").ok());
  EXPECT_EQ(rejects("too_many_connections"), 1u);
}

TEST_F(HttpsTest, StartRefusesHalfAMissingOrMismatchedCertificateAndKey) {
  ServerOptions only_cert;
  only_cert.tls_cert_file = ca_.server.cert;
  auto half = Server::start(only_cert, Router{});
  ASSERT_FALSE(half.ok());
  EXPECT_EQ(half.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(half.error().message.find("both a certificate and its private key"), std::string::npos)
      << half.error().message;

  const std::string missing = (dir_ / "missing.crt").string();
  auto absent = check_tls_files(missing, ca_.server.key);
  ASSERT_FALSE(absent.ok());
  EXPECT_NE(absent.error().message.find(missing), std::string::npos) << absent.error().message;

  auto other_key = ca_.client("someone");
  ASSERT_TRUE(other_key.ok());
  auto mismatched = check_tls_files(ca_.server.cert, other_key->key);
  ASSERT_FALSE(mismatched.ok());
  EXPECT_NE(mismatched.error().message.find(other_key->key), std::string::npos) << mismatched.error().message;

  EXPECT_TRUE(check_tls_files(ca_.server.cert, ca_.server.key).ok());
  auto bad_ca = http_request(ClientTls{missing}, "127.0.0.1", 1, "GET", "/");
  ASSERT_FALSE(bad_ca.ok());
  EXPECT_EQ(bad_ca.error().code, ErrorCode::kInvalidArgument) << bad_ca.error().describe();
}

}  // namespace
}  // namespace tidewire::http
