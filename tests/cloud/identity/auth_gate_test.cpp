// The AuthGate and the identity API over a real HTTP server: who gets in, who is told no
// and why, the per-address limit on bad tokens, and the audit log of writes.
#include "tidewire/identity/auth_gate.hpp"

#include <google/protobuf/util/json_util.h>
#include <gtest/gtest.h>

#include "http/client.hpp"
#include "http/server.hpp"
#include "sqlite/sqlite_identity_store.hpp"
#include "tests/cloud/cloud_test_support.hpp"
#include "tidewire/cloud/http_json.hpp"
#include "tidewire/identity/api_token.hpp"
#include "tidewire/identity/identity_api.hpp"

namespace tidewire::identity {
namespace {

using cloud::testing::temp_db_path;

template <class M>
M parse(const std::string& json) {
  M m;
  EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(json, &m).ok()) << json;
  return m;
}

class AuthGateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = SqliteIdentityStore::open(temp_db_path());
    ASSERT_TRUE(s.ok()) << s.error().describe();
    store_ = std::move(*s);
    tokens_ = std::make_unique<TokenRegistry>(*store_, clock_);
    GateOptions options;
    options.max_failures = 5;
    options.failure_window_ms = 60'000;
    gate_ = std::make_shared<AuthGate>(*tokens_, *store_, clock_, metrics_, options);
    api_ = std::make_unique<IdentityApi>(*tokens_, *store_);

    http::Router router;
    ASSERT_TRUE(api_->install(router).ok());
    ASSERT_TRUE(router
                    .add("POST", "/v1/shops/{id}/close", http::Access::to({"merchant"}),
                         [](const http::Request&) { return http::Response::json(200, "{}"); })
                    .ok());
    ASSERT_TRUE(router
                    .add("GET", "/v1/shops/{id}", http::Access::to({"merchant", "customer"}),
                         [](const http::Request& r) {
                           return http::Response::json(200, "{\"who\":\"" + r.caller.principal + "\"}");
                         })
                    .ok());
    ASSERT_TRUE(
        router.add("GET", "/up", http::Access::anyone(), [](const http::Request&) { return http::Response::json(200, "{}"); })
            .ok());
    router.set_gate(gate_);
    auto server = http::Server::start(http::ServerOptions{}, std::move(router));
    ASSERT_TRUE(server.ok()) << server.error().describe();
    server_ = std::move(*server);
    operator_ = make("ops", {"operator"});
  }

  std::string make(const std::string& principal, std::vector<std::string> scopes) {
    auto t = tokens_->create({principal, std::move(scopes), "", "cli"});
    EXPECT_TRUE(t.ok());
    return t.ok() ? t->text : "";
  }
  http::Response call(const std::string& method, const std::string& target, const std::string& token,
                      const std::string& body = "") {
    http::HeaderList h;
    if (!token.empty()) h.emplace_back("Authorization", "Bearer " + token);
    auto r = http::http_request("127.0.0.1", server_->port(), method, target, body, 5000, h);
    EXPECT_TRUE(r.ok());
    return r.ok() ? *r : http::Response{};
  }
  static std::string header(const http::Response& r, const std::string& name) {
    for (const auto& [k, v] : r.headers) {
      if (k == name) return v;
    }
    return "";
  }
  double failures(const std::string& reason) {
    return static_cast<double>(metrics_
                                   .counter("tw_http_auth_failures_total", "Requests refused for their credential, by reason",
                                            {{"reason", reason}})
                                   .value());
  }

  ManualClock clock_;
  MetricsRegistry metrics_;
  std::unique_ptr<SqliteIdentityStore> store_;
  std::unique_ptr<TokenRegistry> tokens_;
  std::shared_ptr<AuthGate> gate_;
  std::unique_ptr<IdentityApi> api_;
  http::ServerPtr server_;
  std::string operator_;
};

TEST_F(AuthGateTest, NoTokenIs401WrongScopeIs403AndTheRightScopeOrAnOperatorGetsIn) {
  auto none = call("GET", "/v1/shops/s1", "");
  EXPECT_EQ(none.status, 401);
  EXPECT_EQ(header(none, "WWW-Authenticate"), "Bearer realm=\"tidewire\"");
  EXPECT_NE(none.body.find("\"reason\":\"missing_token\""), std::string::npos) << none.body;
  EXPECT_EQ(call("GET", "/v1/shops/s1", "tw_garbage").status, 401);

  const std::string viewer = make("v-1", {"viewer"});
  auto wrong = call("GET", "/v1/shops/s1", viewer);
  EXPECT_EQ(wrong.status, 403);
  EXPECT_NE(wrong.body.find("needs a token with scope merchant|customer"), std::string::npos) << wrong.body;

  const std::string merchant = make("m-1", {"merchant"});
  auto in = call("GET", "/v1/shops/s1", merchant);
  EXPECT_EQ(in.status, 200);
  EXPECT_EQ(in.body, "{\"who\":\"m-1\"}");
  EXPECT_EQ(call("GET", "/v1/shops/s1", operator_).status, 200);  // operators pass every scope check
  EXPECT_EQ(call("GET", "/up", "").status, 200);                   // open routes need nothing

  EXPECT_EQ(failures("missing_token"), 1);
  EXPECT_EQ(failures("malformed_token"), 1);
  EXPECT_EQ(failures("wrong_scope"), 1);
  EXPECT_EQ(failures("unknown_token"), 0);
}

TEST_F(AuthGateTest, AnAddressThatKeepsGuessingIsRefusedUntilItsWindowEnds) {
  // Forgetting the header is not guessing: any number of those changes nothing.
  for (int i = 0; i < 10; ++i) EXPECT_EQ(call("GET", "/v1/shops/s1", "").status, 401);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(call("GET", "/v1/shops/s1", issue_token()->text).status, 401) << i;
  // The sixth request is refused before its token is looked at, even a good one.
  auto limited = call("GET", "/v1/shops/s1", operator_);
  EXPECT_EQ(limited.status, 429);
  EXPECT_EQ(header(limited, "Retry-After"), "60");
  EXPECT_EQ(failures("unknown_token"), 5);
  EXPECT_EQ(failures("rate_limited"), 1);
  EXPECT_EQ(call("GET", "/up", "").status, 200);  // open routes still answer

  clock_.advance_ms(30'000);
  EXPECT_EQ(header(call("GET", "/v1/shops/s1", operator_), "Retry-After"), "30");
  clock_.advance_ms(30'000);
  EXPECT_EQ(call("GET", "/v1/shops/s1", operator_).status, 200);
}

TEST_F(AuthGateTest, FailureLimiterForgetsExpiredWindowsFirstAndStaysBounded) {
  GateOptions o;
  o.max_failures = 2;
  o.failure_window_ms = 1000;
  o.max_addresses = 3;
  FailureLimiter limiter(clock_, o);
  EXPECT_FALSE(limiter.record_failure("a"));
  EXPECT_TRUE(limiter.record_failure("a"));  // the second one blocks
  EXPECT_EQ(limiter.blocked_for("a"), 1000);
  clock_.advance_ms(10);
  limiter.record_failure("b");
  limiter.record_failure("c");
  limiter.record_failure("d");  // full: the oldest window ("a") goes
  EXPECT_EQ(limiter.tracked(), 3u);
  EXPECT_EQ(limiter.blocked_for("a"), 0);
  EXPECT_EQ(limiter.blocked_for("b"), 0);  // one failure of two: not blocked, but tracked
  clock_.advance_ms(1000);
  limiter.record_failure("e");  // every window expired: all are dropped before "e" comes in
  EXPECT_EQ(limiter.tracked(), 1u);
}

TEST_F(AuthGateTest, WritesAreAuditedWithWhoWhatAndHowItEndedAndReadsAreNot) {
  const std::string merchant = make("m-9", {"merchant"});
  EXPECT_EQ(call("POST", "/v1/shops/s-42/close", merchant).status, 200);
  EXPECT_EQ(call("GET", "/v1/shops/s-42", merchant).status, 200);
  EXPECT_EQ(call("POST", "/v1/shops/s-43/close", "").status, 401);  // refused: never reached the handler

  auto audit = call("GET", "/v1/audit?principal=m-9", operator_);
  ASSERT_EQ(audit.status, 200) << audit.body;
  auto list = parse<v1::AuditList>(audit.body);
  ASSERT_EQ(list.entries_size(), 1);
  const auto& e = list.entries(0);
  EXPECT_EQ(e.principal(), "m-9");
  EXPECT_EQ(e.method(), "POST");
  EXPECT_EQ(e.route(), "/v1/shops/{id}/close");
  EXPECT_EQ(e.target(), "s-42");
  EXPECT_EQ(e.status(), 200u);
  EXPECT_EQ(e.remote_address(), "127.0.0.1");
  EXPECT_EQ(e.at_ms(), clock_.wall_ms());
  EXPECT_EQ(call("GET", "/v1/audit", merchant).status, 403);  // the log is the operator's
  EXPECT_EQ(call("GET", "/v1/audit?limit=0", operator_).status, 400);
  EXPECT_EQ(call("GET", "/v1/audit?who=x", operator_).status, 400);
}

TEST_F(AuthGateTest, OperatorsMakeListAndRevokeTokensOverTheApiAndRevocationIsImmediate) {
  auto made = call("POST", "/v1/tokens", operator_, R"({"principal":"rider-7","scopes":["rider"],"note":"app"})");
  ASSERT_EQ(made.status, 201) << made.body;
  auto created = parse<v1::TokenCreated>(made.body);
  EXPECT_EQ(created.info().principal(), "rider-7");
  EXPECT_EQ(created.info().created_by(), "ops");
  const std::string rider = created.token();
  EXPECT_EQ(call("GET", "/v1/shops/s1", rider).status, 403);  // a rider token, known but not allowed here

  auto listed = call("GET", "/v1/tokens", operator_);
  ASSERT_EQ(listed.status, 200);
  EXPECT_EQ(listed.body.find(rider.substr(16)), std::string::npos);  // no secret in lists
  EXPECT_EQ(parse<v1::TokenList>(listed.body).tokens_size(), 2);

  EXPECT_EQ(call("POST", "/v1/tokens", operator_, R"({"principal":"x","scopes":["root"]})").status, 400);
  EXPECT_EQ(call("POST", "/v1/tokens", rider, R"({"principal":"x","scopes":["operator"]})").status, 403);

  const std::string merchant = make("m-1", {"merchant"});
  EXPECT_EQ(call("GET", "/v1/shops/s1", merchant).status, 200);
  const std::string id = merchant.substr(3, 12);
  EXPECT_EQ(call("DELETE", "/v1/tokens/" + id, operator_).status, 204);
  auto gone = call("GET", "/v1/shops/s1", merchant);
  EXPECT_EQ(gone.status, 401);
  EXPECT_NE(gone.body.find("\"reason\":\"revoked_token\""), std::string::npos) << gone.body;
  EXPECT_EQ(call("DELETE", "/v1/tokens/nosuchtoken0", operator_).status, 404);
}

}  // namespace
}  // namespace tidewire::identity
