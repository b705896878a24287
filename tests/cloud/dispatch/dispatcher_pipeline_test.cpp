// The Dispatcher wired to the real cloud pieces, in process: batches through BatchIngest
// (SQLite registry) reach it through its DeviceFeed subscription, offers leave as "dispatch.offer"
// commands with an Offer body through the CommandService, order updates go out on the
// order update topics. MQTT is the FakeTransport.
#include <gtest/gtest.h>

#include "dispatcher_test_support.hpp"
#include "sqlite/sqlite_registry.hpp"
#include "tests/cloud/cloud_test_support.hpp"
#include "tests/fakes/fake_transport.hpp"
#include "tidewire/cloud/batch_ingest.hpp"
#include "tidewire/cloud/command_service.hpp"
#include "tidewire/dispatch/dispatcher_outputs.hpp"
#include "tidewire/protocols/batch_frame.hpp"
#include "tidewire/protocols/codec.hpp"
#include "tidewire/protocols/topics.hpp"

namespace tidewire::dispatch {
namespace {

namespace ct = cloud::testing;

class PipelineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = cloud::SqliteRegistry::open({ct::temp_db_path(), 120'000}, clock);
    ASSERT_TRUE(opened) << opened.error().message;
    registry = std::move(*opened);
    mqtt.set_connected(true);
    commands = std::make_unique<cloud::CommandService>(*registry, mqtt, clock, random, metrics);
    ingest = std::make_unique<cloud::BatchIngest>(*registry, mqtt, metrics, clock);
    sender = std::make_unique<CommandOfferSender>(*commands);
    publisher = std::make_unique<TransportUpdatePublisher>(mqtt);
    dispatcher = std::make_unique<Dispatcher>(store, *sender, *publisher, nullptr, clock, random, metrics);
    // The dispatcher's own subscription, posting inline instead of to its thread.
    auto subscription = device_subscription(
        [this](DispatchTask task) {
          task(*dispatcher);
          return true;
        },
        nullptr);
    auto on_item = subscription.on_item;
    subscription.on_item = [this, on_item](const cloud::DeviceItem& item) {
      if (!item.command_name.empty()) names.push_back(std::string(item.command_name));
      return on_item(item);
    };
    feed.subscribe(std::move(subscription));
    ingest->set_feed(feed);
  }
  void deliver(std::vector<v1::BatchItem> items) {
    auto b = ct::batch("edge-1", ++batch_id, std::move(items));
    ingest->process(
        {*topics::edge_topic("edge-1", topics::EdgeChannel::kBatch), codec::encode_batch_frame(b, 0), 1, false});
  }
  std::vector<v1::Command> commands_sent() {
    std::vector<v1::Command> out;
    for (const auto& m : mqtt.sent_on(*topics::edge_topic("edge-1", topics::EdgeChannel::kCommand))) {
      v1::CommandBatch b;
      EXPECT_TRUE(b.ParseFromString(m.payload));
      for (const auto& c : b.commands()) out.push_back(c);
    }
    return out;
  }

  ManualClock clock{ct::kT0};
  SeededRandom random{3};
  MetricsRegistry metrics;
  tidewire::testing::FakeTransport mqtt;
  std::unique_ptr<cloud::SqliteRegistry> registry;
  std::unique_ptr<cloud::CommandService> commands;
  cloud::DeviceFeed feed{metrics};
  std::unique_ptr<cloud::BatchIngest> ingest;
  MemoryOrderStore store;
  std::unique_ptr<CommandOfferSender> sender;
  std::unique_ptr<TransportUpdatePublisher> publisher;
  std::unique_ptr<Dispatcher> dispatcher;
  std::vector<std::string> names;
  uint64_t batch_id = 0;
  ct::Who rider{"rider-1", "site-a", v1::DEVICE_KIND_RIDER, "boot-1"};
};

TEST_F(PipelineTest, StatusOfferAnswerAndReportsFlowThroughTheCloud) {
  auto status = ct::envelope(rider, 0, ct::kT0);
  *status.mutable_status()->mutable_rider() = testing::rider_status(52.001, 13.0);
  deliver({ct::item(status, ct::kT0)});
  ASSERT_TRUE(dispatcher->riders().find("rider-1"));

  ASSERT_TRUE(dispatcher->put_merchant({"m1", "Noodles", 52.0, 13.0}));
  ASSERT_TRUE(dispatcher->create_order(testing::order_request("o1", "m1"), ""));
  auto sent = commands_sent();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].name(), "dispatch.offer");
  EXPECT_EQ(sent[0].device_id(), "rider-1");
  v1::Offer offer;
  ASSERT_TRUE(offer.ParseFromString(sent[0].body()));
  EXPECT_EQ(offer.legs(0).order_id(), "o1");
  EXPECT_EQ(sent[0].deadline_ms(), offer.expires_ms());
  auto customer_topic = *topics::order_update_topic(topics::Audience::kCustomer, "cust-o1");
  EXPECT_GE(mqtt.sent_on(customer_topic).size(), 2u);  // created, offered

  // A re-send (no result yet) still carries the body.
  clock.advance_ms(10'000);
  commands->tick();
  sent = commands_sent();
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_EQ(sent[1].body(), sent[0].body());

  // The rider accepts: a CommandResult with an OfferAnswer body.
  auto result = ct::envelope(rider, 1, clock.wall_ms());
  *result.mutable_result() = testing::answer(sent[0].command_id(), offer.offer_id(), "rider-1", true);
  deliver({ct::item(result, clock.wall_ms())});
  EXPECT_EQ(names, std::vector<std::string>{"dispatch.offer"});
  EXPECT_EQ(dispatcher->book().find("o1")->state, OrderState::kAssigned);
  auto merchant_topic = *topics::order_update_topic(topics::Audience::kMerchant, "m1");
  ASSERT_EQ(mqtt.sent_on(merchant_topic).size(), 1u);
  v1::OrderUpdate update;
  ASSERT_TRUE(update.ParseFromString(mqtt.sent_on(merchant_topic)[0].payload));
  EXPECT_EQ(update.state(), v1::ORDER_STATE_ASSIGNED);
  EXPECT_EQ(update.rider_id(), "rider-1");

  // Pickup and delivery as events; the delivery batch arrives twice (re-sent by the edge).
  auto pickup = ct::envelope(rider, 2, clock.wall_ms());
  pickup.mutable_event()->set_type("order.picked_up");
  (*pickup.mutable_event()->mutable_attributes())["order_id"] = "o1";
  deliver({ct::item(pickup, clock.wall_ms())});
  EXPECT_EQ(dispatcher->book().find("o1")->state, OrderState::kPickedUp);
  auto drop = pickup;
  drop.set_seq(3);
  drop.mutable_event()->set_type("order.delivered");
  deliver({ct::item(drop, clock.wall_ms())});
  deliver({ct::item(drop, clock.wall_ms())});
  EXPECT_EQ(dispatcher->book().find("o1")->state, OrderState::kDelivered);
  EXPECT_EQ(dispatcher->view_rider("rider-1")->orders_delivered(), 1u);
}

TEST_F(PipelineTest, ResultsOfOtherCommandsAreNotDispatchAnswers) {
  auto status = ct::envelope(rider, 0, ct::kT0);
  *status.mutable_status()->mutable_rider() = testing::rider_status(52.001, 13.0);
  deliver({ct::item(status, ct::kT0)});
  v1::CommandRequest req;
  req.set_name("reboot");
  auto created = commands->create("rider-1", req, "");
  ASSERT_TRUE(created);
  deliver({ct::result_item(rider, 1, created->view.command_id())});
  EXPECT_TRUE(names.empty());
}

}  // namespace
}  // namespace tidewire::dispatch
