// Every route of every module tidewire-cloud runs (all_modules(), the list main.cpp runs),
// walked over real HTTP against the real identity module: without a token each answers
// 401, with a token of a scope the route does not name 403, so no route can be left open
// by accident. Then the object-level checks: merchants and recipients see only their own.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <regex>
#include <set>

#include "all_modules.hpp"
#include "http/client.hpp"
#include "process/process.hpp"
#include "sqlite/sqlite_identity_store.hpp"
#include "tidewire/cloud/cloud_host.hpp"
#include "tidewire/cloud/scopes.hpp"
#include "tidewire/identity/token_registry.hpp"

namespace tidewire::identity {
namespace {

namespace fs = std::filesystem;

class RouteWalkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::temp_directory_path() / ("tw-route-walk-" + std::to_string(::getpid()) + "-" + info->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    process::LocalBroker::Options bo;
    bo.work_dir = dir_.string();
    auto broker = process::LocalBroker::start(bo);
    ASSERT_TRUE(broker.ok()) << broker.error().describe();
    broker_ = std::move(*broker);

    host_ = std::make_unique<cloud::CloudHost>(cloud::all_modules());
    Config c = host_->make_config();
    const std::string db = (dir_ / "cloud.db").string();
    for (auto [k, v] : std::initializer_list<std::pair<const char*, std::string>>{
             {"http-port", "0"}, {"mqtt-port", std::to_string(broker_->port())}, {"store", "sqlite:" + db}}) {
      ASSERT_TRUE(c.set(k, v, "test").ok()) << k;
    }
    config_ = std::make_unique<Config>(c);
    auto started = host_->start(*config_);
    ASSERT_TRUE(started.ok()) << started.error().describe();

    // Tokens made straight in the store the identity module reads, as `token create` does.
    auto store = SqliteIdentityStore::open(db);
    ASSERT_TRUE(store.ok());
    store_ = std::move(*store);
    tokens_ = std::make_unique<TokenRegistry>(*store_, clock_);
  }
  void TearDown() override {
    host_.reset();
    broker_.reset();
    if (!HasFailure()) fs::remove_all(dir_);
  }

  std::string token(const std::string& principal, const std::string& scope) {
    auto t = tokens_->create({principal, {scope}, "", "test"});
    EXPECT_TRUE(t.ok()) << (t.ok() ? "" : t.error().describe());
    return t.ok() ? t->text : "";
  }
  http::Response call(const std::string& method, const std::string& target, const std::string& bearer,
                      const std::string& body = "") {
    http::HeaderList h;
    if (!bearer.empty()) h.emplace_back("Authorization", "Bearer " + bearer);
    auto r = http::http_request("127.0.0.1", host_->http_port(), method, target, body, 10'000, h);
    EXPECT_TRUE(r.ok()) << method << " " << target;
    return r.ok() ? *r : http::Response{599, "", "", {}};
  }

  fs::path dir_;
  SystemClock clock_;
  process::LocalBrokerPtr broker_;
  std::unique_ptr<Config> config_;
  std::unique_ptr<cloud::CloudHost> host_;
  std::unique_ptr<SqliteIdentityStore> store_;
  std::unique_ptr<TokenRegistry> tokens_;
};

TEST_F(RouteWalkTest, EveryRouteRefusesNoTokenAndEveryScopeItDoesNotName) {
  std::map<std::string, std::string> by_scope;
  for (const char* s : cloud::scope::kAll) by_scope[s] = token(std::string("walk-") + s, s);

  auto routes = host_->routes();
  ASSERT_GT(routes.size(), 20u);  // every module's routes, not an empty list passing vacuously
  std::set<std::string> open;
  for (const auto& r : routes) {
    const std::string target = std::regex_replace(r.pattern, std::regex("\\{[a-z_]+\\}"), "walk-1");
    const std::string name = r.method + " " + r.pattern;
    if (r.access.open) {
      open.insert(name);
      continue;
    }
    auto none = call(r.method, target, "");
    EXPECT_EQ(none.status, 401) << name << " without a token: " << none.body;
    for (const auto& [scope, bearer] : by_scope) {
      bool named = scope == cloud::scope::kOperator;
      for (const auto& s : r.access.scopes) named = named || s == scope;
      auto res = call(r.method, target, bearer);
      // A named scope gets past the gate; the handler may still refuse someone else's
      // object (403 not_owner), which is the object-level check, tested below.
      const bool gate_refused = res.body.find("\"reason\":\"wrong_scope\"") != std::string::npos;
      if (named) {
        EXPECT_NE(res.status, 401) << name << " as " << scope;
        EXPECT_FALSE(gate_refused) << name << " as " << scope << ": " << res.body;
      } else {
        EXPECT_EQ(res.status, 403) << name << " as " << scope << ": " << res.body;
        EXPECT_TRUE(gate_refused) << name << " as " << scope << ": " << res.body;
      }
    }
  }
  EXPECT_EQ(open, std::set<std::string>{"GET /healthz"});
  EXPECT_EQ(call("GET", "/healthz", "").status == 401, false);
}

TEST_F(RouteWalkTest, MerchantsSeeAndCancelOnlyTheirOwnOrders) {
  const std::string ops = token("ops", "operator");
  const std::string alice = token("m-alice", "merchant");
  const std::string bob = token("m-bob", "merchant");
  const std::string carol = token("c-carol", "customer");
  const std::string dave = token("c-dave", "customer");
  const char* alice_shop = R"({"merchant_id":"m-alice","name":"Alice's","lat":31.23,"lon":121.47})";
  EXPECT_EQ(call("POST", "/v1/merchants", bob, alice_shop).status, 403);  // bob cannot rewrite alice's shop
  ASSERT_EQ(call("POST", "/v1/merchants", alice, alice_shop).status, 201);
  const char* order = R"({"order_id":"o-1","merchant_id":"m-alice","dropoff_lat":31.24,"dropoff_lon":121.48,"customer_id":"c-carol"})";
  EXPECT_EQ(call("POST", "/v1/orders", bob, order).status, 403);  // nor place orders in its name
  auto placed = call("POST", "/v1/orders", alice, order);
  ASSERT_EQ(placed.status, 201) << placed.body;

  EXPECT_EQ(call("GET", "/v1/orders/o-1", alice).status, 200);
  EXPECT_EQ(call("GET", "/v1/orders/o-1", carol).status, 200);  // its customer reads it
  auto hidden = call("GET", "/v1/orders/o-1", bob);
  EXPECT_EQ(hidden.status, 404);                      // someone else's order reads as no order at all
  // Word for word the answer about an order that does not exist.
  EXPECT_EQ(std::regex_replace(hidden.body, std::regex("o-1"), "o-404"), call("GET", "/v1/orders/o-404", bob).body);
  EXPECT_EQ(call("GET", "/v1/orders/o-1", dave).status, 404);
  EXPECT_EQ(call("POST", "/v1/orders/o-1/cancel", bob).status, 404);
  EXPECT_EQ(call("POST", "/v1/orders/o-1/cancel", carol).status, 403);  // customers read, merchants cancel
  auto still = call("GET", "/v1/orders/o-1", ops);
  EXPECT_EQ(still.body.find("CANCELLED"), std::string::npos) << still.body;
  EXPECT_EQ(call("POST", "/v1/orders/o-1/cancel", alice).status, 200);

  auto audit = call("GET", "/v1/audit?principal=m-bob", ops);
  ASSERT_EQ(audit.status, 200);
  // Bob's refused writes are on record, with what they answered.
  EXPECT_NE(audit.body.find("\"route\":\"/v1/orders/{id}/cancel\""), std::string::npos) << audit.body;
  EXPECT_NE(audit.body.find("\"status\":404"), std::string::npos) << audit.body;
}

TEST_F(RouteWalkTest, RecipientsSeeOnlyTheirOwnRecordAndNotOthersNotifications) {
  const std::string ops = token("ops", "operator");
  const std::string r1 = token("rider-1", "rider");
  const std::string r2 = token("rider-2", "rider");
  EXPECT_EQ(call("PUT", "/v1/recipients/rider-1", r1, R"({"kind":"RECIPIENT_KIND_RIDER"})").status / 100, 2);
  EXPECT_EQ(call("PUT", "/v1/recipients/rider-1", r2, R"({"kind":"RECIPIENT_KIND_RIDER"})").status, 403);
  EXPECT_EQ(call("GET", "/v1/recipients/rider-1", r1).status, 200);
  EXPECT_EQ(call("GET", "/v1/recipients/rider-1", r2).status, 404);
  EXPECT_EQ(call("DELETE", "/v1/recipients/rider-1", r2).status, 404);
  auto pushed = call("POST", "/v1/push", ops, R"({"recipient_ids":["rider-1"],"title":"t","body":"b"})");
  ASSERT_EQ(pushed.status, 202) << pushed.body;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(pushed.body, m, std::regex("\"notificationId\":\"([^\"]+)\"|\"notification_id\":\"([^\"]+)\"")));
  const std::string id = m[1].matched ? m[1].str() : m[2].str();
  EXPECT_EQ(call("GET", "/v1/push/" + id, r1).status, 403);  // a notification's view lists every recipient
  EXPECT_EQ(call("POST", "/v1/push", r1, R"({"recipient_ids":["rider-2"],"title":"t","body":"b"})").status, 403);
  EXPECT_EQ(call("GET", "/v1/push/" + id, ops).status, 200);
}

}  // namespace
}  // namespace tidewire::identity
