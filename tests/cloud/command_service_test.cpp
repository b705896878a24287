#include "tidewire/cloud/command_service.hpp"

#include <gtest/gtest.h>

#include "sqlite/sqlite.hpp"
#include "sqlite/sqlite_registry.hpp"
#include "tests/cloud/cloud_test_support.hpp"
#include "tests/fakes/fake_transport.hpp"
#include "tidewire/protocols/topics.hpp"

namespace tidewire::cloud {
namespace {

using namespace testing;

class CommandServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_path_ = temp_db_path();
    auto r = SqliteRegistry::open({db_path_, 120'000}, clock_);
    ASSERT_TRUE(r.ok()) << r.error().describe();
    registry_ = std::move(*r);
    ASSERT_TRUE(registry_->ingest(batch("edge-1", 1, {event_item(who_, 1)})).ok());
    transport_.set_connected(true);
    CommandOptions options;
    options.default_timeout_ms = 60'000;
    options.resend_interval_ms = 10'000;
    service_ = std::make_unique<CommandService>(*registry_, transport_, clock_, random_, metrics_, options);
  }

  v1::CommandRequest request(const std::string& name, std::map<std::string, std::string> args = {}) {
    v1::CommandRequest r;
    r.set_name(name);
    for (auto& [k, v] : args) (*r.mutable_args())[k] = v;
    return r;
  }

  // Commands published to edge-1 so far, in order.
  std::vector<v1::Command> published() {
    std::vector<v1::Command> out;
    auto topic = topics::edge_topic("edge-1", topics::EdgeChannel::kCommand);
    for (const auto& m : transport_.sent_on(*topic)) {
      v1::CommandBatch b;
      EXPECT_TRUE(b.ParseFromString(m.payload));
      for (const auto& c : b.commands()) out.push_back(c);
    }
    return out;
  }

  std::string db_path_;
  ManualClock clock_{kT0};
  SeededRandom random_{7};
  MetricsRegistry metrics_;
  testing::Who who_;
  tidewire::testing::FakeTransport transport_;
  std::unique_ptr<SqliteRegistry> registry_;
  std::unique_ptr<CommandService> service_;
};

TEST_F(CommandServiceTest, CreateStoresPublishesToTheDevicesEdgeAndMarksSent) {
  auto created = service_->create(who_.device, request("set_brightness", {{"pct", "40"}}), "");
  ASSERT_TRUE(created.ok()) << created.error().describe();
  EXPECT_TRUE(created->created);
  const auto& view = created->view;
  EXPECT_EQ(view.state(), v1::COMMAND_STATE_SENT);
  EXPECT_EQ(view.created_ms(), kT0);
  EXPECT_EQ(view.deadline_ms(), kT0 + 60'000);
  EXPECT_EQ(view.command_id().rfind("cmd-", 0), 0u);

  auto sent = published();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].command_id(), view.command_id());
  EXPECT_EQ(sent[0].device_id(), who_.device);
  EXPECT_EQ(sent[0].name(), "set_brightness");
  EXPECT_EQ(sent[0].args().at("pct"), "40");
  EXPECT_EQ(sent[0].deadline_ms(), kT0 + 60'000);
  EXPECT_EQ(transport_.sent.back().message.qos, 1);
}

// A dispatch offer's body is stored with the command: a cloud restarted before the rider
// answered re-sends the same offer, body included.
TEST_F(CommandServiceTest, CommandBodySurvivesARestartAndIsResent) {
  std::string body("\x0a\x03off\x00bin", 9);
  auto created = service_->create_with_body(who_.device, "dispatch.offer", body, kT0 + 30'000);
  ASSERT_TRUE(created.ok()) << created.error().describe();
  ASSERT_EQ(published().size(), 1u);
  EXPECT_EQ(published()[0].body(), body);

  service_.reset();
  registry_.reset();
  auto reopened = SqliteRegistry::open({db_path_, 120'000}, clock_);
  ASSERT_TRUE(reopened.ok()) << reopened.error().describe();
  registry_ = std::move(*reopened);
  CommandOptions options;
  options.resend_interval_ms = 10'000;
  service_ = std::make_unique<CommandService>(*registry_, transport_, clock_, random_, metrics_, options);
  auto stored = registry_->command(created->view.command_id());
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->body, body);

  clock_.advance_ms(10'001);
  service_->tick();
  auto sent = published();
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_EQ(sent[1].command_id(), created->view.command_id());
  EXPECT_EQ(sent[1].body(), body);
}

// A registry file from before command bodies (schema 1) is upgraded in place on open.
TEST_F(CommandServiceTest, SchemaOneFileIsUpgradedForCommandBodies) {
  service_.reset();
  registry_.reset();
  {
    auto db = sqlite::Database::open(db_path_);
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE((*db)->exec("ALTER TABLE commands DROP COLUMN body"));
    ASSERT_TRUE((*db)->exec("PRAGMA user_version=1"));
  }
  auto reopened = SqliteRegistry::open({db_path_, 120'000}, clock_);
  ASSERT_TRUE(reopened.ok()) << reopened.error().describe();
  registry_ = std::move(*reopened);
  service_ = std::make_unique<CommandService>(*registry_, transport_, clock_, random_, metrics_, CommandOptions{});
  auto created = service_->create_with_body(who_.device, "dispatch.offer", "body", kT0 + 30'000);
  ASSERT_TRUE(created.ok()) << created.error().describe();
  auto stored = registry_->command(created->view.command_id());
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->body, "body");
}

TEST_F(CommandServiceTest, RequestTimeoutOverridesTheDefault) {
  auto r = request("reboot");
  r.set_timeout_s(5);
  auto created = service_->create(who_.device, r, "");
  ASSERT_TRUE(created.ok());
  EXPECT_EQ(created->view.deadline_ms(), kT0 + 5000);
}

TEST_F(CommandServiceTest, UnknownDeviceIsNotFound) {
  auto created = service_->create("ghost", request("reboot"), "");
  ASSERT_FALSE(created.ok());
  EXPECT_EQ(created.error().code, ErrorCode::kNotFound);
  EXPECT_TRUE(published().empty());
}

TEST_F(CommandServiceTest, BadRequestsAreRefusedWithReasons) {
  EXPECT_EQ(service_->create(who_.device, request(""), "").error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(service_->create(who_.device, request("has space"), "").error().code, ErrorCode::kInvalidArgument);
  auto negative = request("reboot");
  negative.set_timeout_s(-1);
  EXPECT_EQ(service_->create(who_.device, negative, "").error().code, ErrorCode::kInvalidArgument);
  std::map<std::string, std::string> many;
  for (int i = 0; i < 33; ++i) many["k" + std::to_string(i)] = "v";
  EXPECT_EQ(service_->create(who_.device, request("reboot", many), "").error().code, ErrorCode::kInvalidArgument);
  std::map<std::string, std::string> big;
  for (int i = 0; i < 20; ++i) big["k" + std::to_string(i)] = std::string(1000, 'x');
  auto too_large = service_->create(who_.device, request("reboot", big), "");
  ASSERT_FALSE(too_large.ok());
  EXPECT_EQ(too_large.error().code, ErrorCode::kTooLarge);
  EXPECT_EQ(service_->create(who_.device, request("reboot"), "bad key").error().code, ErrorCode::kInvalidArgument);
  EXPECT_TRUE(published().empty());
}

TEST_F(CommandServiceTest, IdempotencyKeyReplaysTheSameCommandAndRefusesAnotherRequest) {
  auto first = service_->create(who_.device, request("reboot", {{"delay", "1"}}), "op-42");
  ASSERT_TRUE(first.ok());
  auto replay = service_->create(who_.device, request("reboot", {{"delay", "1"}}), "op-42");
  ASSERT_TRUE(replay.ok());
  EXPECT_FALSE(replay->created);
  EXPECT_EQ(replay->view.command_id(), first->view.command_id());
  EXPECT_EQ(published().size(), 1u);  // the replay sent nothing

  auto conflict = service_->create(who_.device, request("reboot", {{"delay", "2"}}), "op-42");
  ASSERT_FALSE(conflict.ok());
  EXPECT_EQ(conflict.error().code, ErrorCode::kConflict);
  EXPECT_NE(conflict.error().message.find(first->view.command_id()), std::string::npos);
  EXPECT_EQ(metrics_.counter_total("tw_cloud_command_key_conflicts_total"), 1u);
}

TEST_F(CommandServiceTest, CommandCreatedWhileDisconnectedIsSentOnALaterTick) {
  transport_.set_connected(false);
  auto created = service_->create(who_.device, request("reboot"), "");
  ASSERT_TRUE(created.ok());
  EXPECT_EQ(created->view.state(), v1::COMMAND_STATE_PENDING);
  service_->tick();
  EXPECT_EQ(service_->get(created->view.command_id())->state(), v1::COMMAND_STATE_PENDING);
  transport_.set_connected(true);
  service_->tick();
  EXPECT_EQ(service_->get(created->view.command_id())->state(), v1::COMMAND_STATE_SENT);
  ASSERT_EQ(published().size(), 1u);
}

TEST_F(CommandServiceTest, SentCommandIsResentAfterTheIntervalUntilItsDeadlineThenExpires) {
  auto r = request("reboot");
  r.set_timeout_s(25);
  auto created = service_->create(who_.device, r, "");
  ASSERT_TRUE(created.ok());
  ASSERT_EQ(published().size(), 1u);
  clock_.advance_ms(9'000);
  service_->tick();
  EXPECT_EQ(published().size(), 1u);  // not yet due
  clock_.advance_ms(1'000);
  service_->tick();
  EXPECT_EQ(published().size(), 2u);
  clock_.advance_ms(10'000);
  service_->tick();
  EXPECT_EQ(published().size(), 3u);
  clock_.advance_ms(5'000);  // deadline reached
  service_->tick();
  EXPECT_EQ(published().size(), 3u);
  EXPECT_EQ(service_->get(created->view.command_id())->state(), v1::COMMAND_STATE_EXPIRED);
  EXPECT_EQ(metrics_.counter_total("tw_cloud_commands_expired_total"), 1u);
}

TEST_F(CommandServiceTest, CompletedCommandIsNotResent) {
  auto created = service_->create(who_.device, request("reboot"), "");
  ASSERT_TRUE(created.ok());
  ASSERT_TRUE(registry_->ingest(batch("edge-1", 2, {result_item(who_, 2, created->view.command_id())})).ok());
  clock_.advance_ms(30'000);
  service_->tick();
  EXPECT_EQ(published().size(), 1u);
  auto view = service_->get(created->view.command_id());
  ASSERT_TRUE(view.ok());
  EXPECT_EQ(view->state(), v1::COMMAND_STATE_COMPLETED);
  EXPECT_EQ(view->result().message(), "done");
}

TEST_F(CommandServiceTest, FullPublishWindowLeavesCommandsPendingAndCounted) {
  transport_.max_inflight = 0;
  auto created = service_->create(who_.device, request("reboot"), "");
  ASSERT_TRUE(created.ok());
  EXPECT_EQ(created->view.state(), v1::COMMAND_STATE_PENDING);
  EXPECT_EQ(metrics_.counter_value("tw_cloud_command_send_failures_total", {{"reason", "publish_refused"}}), 1u);
  transport_.max_inflight = 10;
  service_->tick();
  EXPECT_EQ(service_->get(created->view.command_id())->state(), v1::COMMAND_STATE_SENT);
}

}  // namespace
}  // namespace tidewire::cloud
