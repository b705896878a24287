#include "tidewire/protocols/topics.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace tidewire::topics {
namespace {

TEST(Topics, DeviceTopicRoundTrips) {
  DeviceAddress a{"site-1", v1::DEVICE_KIND_RIDER, "r_42"};
  auto t = device_topic(a, Channel::kEvent);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(*t, "tw/v1/site/site-1/rider/r_42/event");
  auto p = parse_device_topic(*t);
  ASSERT_TRUE(p.ok()) << p.error().message;
  EXPECT_EQ(p->address.site, "site-1");
  EXPECT_EQ(p->address.kind, v1::DEVICE_KIND_RIDER);
  EXPECT_EQ(p->address.device_id, "r_42");
  EXPECT_EQ(p->channel, Channel::kEvent);
}

TEST(Topics, RefusesWildcardsAndBadShapes) {
  EXPECT_FALSE(device_topic({"s", v1::DEVICE_KIND_POSTER, "a+b"}, Channel::kStatus).ok());
  EXPECT_FALSE(device_topic({"s/x", v1::DEVICE_KIND_POSTER, "a"}, Channel::kStatus).ok());
  EXPECT_FALSE(device_topic({"s", v1::DEVICE_KIND_UNSPECIFIED, "a"}, Channel::kStatus).ok());
  EXPECT_FALSE(device_topic({"s", v1::DEVICE_KIND_POSTER, std::string(65, 'a')}, Channel::kStatus).ok());
  for (const char* bad : {"", "tw/v1/site/s/poster/d", "tw/v1/site/s/poster/d/status/x", "tw/v2/site/s/poster/d/status",
                          "tw/v1/site/s/toaster/d/status", "tw/v1/site/s/poster/d/nope", "tw/v1/site//poster/d/status",
                          "tw/v1/site/s/poster/#/status"}) {
    EXPECT_FALSE(parse_device_topic(bad).ok()) << bad;
  }
}

// NATS (MQTT listener) refuses a topic with '.', RabbitMQ reads '.' as a level: an id with
// one broke delivery silently, so no id that travels in a topic may have one.
TEST(Topics, IdsInTopicsArePortableToNatsAndRabbitmq) {
  for (const char* good : {"a", "rider-43", "gw_01", "A-z_0-9"}) EXPECT_TRUE(valid_id(good)) << good;
  for (const std::string& bad : std::vector<std::string>{"", "rider.43", ".", "..", "a/b", "a+b", "a#", "a b",
                                                         "\xc3\xa9", std::string(65, 'a')}) {
    EXPECT_FALSE(valid_id(bad)) << bad;
  }
  EXPECT_TRUE(valid_id(std::string(64, 'a')));
  EXPECT_NE(std::string(kIdRule).find("no '.'"), std::string::npos);

  EXPECT_FALSE(device_topic({"site-1", v1::DEVICE_KIND_RIDER, "r.42"}, Channel::kEvent).ok());
  EXPECT_FALSE(device_topic({"site.1", v1::DEVICE_KIND_RIDER, "r-42"}, Channel::kEvent).ok());
  EXPECT_FALSE(parse_device_topic("tw/v1/site/site-1/rider/r.42/event").ok());
  EXPECT_FALSE(edge_topic("gw.1", EdgeChannel::kBatch).ok());
  EXPECT_FALSE(parse_edge_topic("tw/v1/edge/gw.1/batch").ok());
  EXPECT_FALSE(push_topic("rider.43", PushChannel::kInbox).ok());
  EXPECT_FALSE(parse_push_topic("tw/v1/push/rider.43/receipt").ok());
  EXPECT_FALSE(order_update_topic(Audience::kRider, "rider.43").ok());
}

TEST(Topics, NamesThatNeverTravelInTopicsKeepTheDot) {
  for (const char* good : {"dispatch.offer", "city.sh", "a", "a-b_c.d"}) EXPECT_TRUE(valid_name(good)) << good;
  for (const std::string& bad : std::vector<std::string>{"", ".", "..", "a/b", "a+b", "a b", std::string(65, 'a')}) {
    EXPECT_FALSE(valid_name(bad)) << bad;
  }
}

TEST(Topics, MerchantIsAKindLikeTheOthers) {
  auto t = device_topic({"site-1", v1::DEVICE_KIND_MERCHANT, "m-7"}, Channel::kEvent);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(*t, "tw/v1/site/site-1/merchant/m-7/event");
  auto p = parse_device_topic(*t);
  ASSERT_TRUE(p.ok()) << p.error().message;
  EXPECT_EQ(p->address.kind, v1::DEVICE_KIND_MERCHANT);
  // Kind names are exact: a near miss is still an unknown kind.
  EXPECT_FALSE(parse_device_topic("tw/v1/site/s/merchants/m/event").ok());
  EXPECT_FALSE(parse_device_topic("tw/v1/site/s/Merchant/m/event").ok());
}

TEST(Topics, UplinkFiltersCoverOnlyUplinkChannels) {
  auto f = site_uplink_filters("s1");
  ASSERT_EQ(f.size(), 4u);
  EXPECT_EQ(f[0], "tw/v1/site/s1/+/+/status");
  for (const auto& filter : f) EXPECT_EQ(filter.find("/cmd"), std::string::npos);
}

TEST(Topics, EdgeTopics) {
  auto t = edge_topic("edge-a", EdgeChannel::kAck);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(*t, "tw/v1/edge/edge-a/ack");
  auto p = parse_edge_topic("tw/v1/edge/edge-a/batch");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->edge_id, "edge-a");
  EXPECT_EQ(p->channel, EdgeChannel::kBatch);
  EXPECT_FALSE(parse_edge_topic("tw/v1/edge/+/batch").ok());
  EXPECT_EQ(cloud_batch_filter(), "tw/v1/edge/+/batch");
}

TEST(Topics, OrderUpdateTopics) {
  auto t = order_update_topic(Audience::kMerchant, "m-7");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(*t, "tw/v1/dispatch/merchant/m-7/order");
  EXPECT_FALSE(order_update_topic(Audience::kCustomer, "a/b").ok());
}

}  // namespace
}  // namespace tidewire::topics

namespace tidewire::topics {
namespace {

TEST(Topics, PushTopicsRoundTripAndRefuseBadOnes) {
  auto inbox = push_topic("rider-7", PushChannel::kInbox);
  ASSERT_TRUE(inbox.ok());
  EXPECT_EQ(*inbox, "tw/v1/push/rider-7/inbox");
  auto parsed = parse_push_topic("tw/v1/push/rider-7/receipt");
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->recipient_id, "rider-7");
  EXPECT_EQ(parsed->channel, PushChannel::kReceipt);
  EXPECT_EQ(parse_push_topic("tw/v1/push/a/sync")->channel, PushChannel::kSync);
  EXPECT_FALSE(push_topic("has/slash", PushChannel::kInbox).ok());
  EXPECT_FALSE(push_topic("", PushChannel::kInbox).ok());
  for (const char* bad : {"tw/v1/push/a", "tw/v1/push/a/other", "tw/v1/push/+/receipt", "tw/v1/site/a/receipt",
                          "tw/v1/push/a/receipt/extra"}) {
    EXPECT_FALSE(parse_push_topic(bad).ok()) << bad;
  }
  auto filters = push_uplink_filters();
  ASSERT_EQ(filters.size(), 2u);
  EXPECT_EQ(filters[0], "tw/v1/push/+/receipt");
  EXPECT_EQ(push_inbox_filter(), "tw/v1/push/+/inbox");
}

}  // namespace
}  // namespace tidewire::topics

namespace tidewire::topics {
namespace {

TEST(Topics, FilterMatchingFollowsMqtt) {
  EXPECT_TRUE(filter_matches("tw/edge/+/batch", "tw/edge/e1/batch"));
  EXPECT_FALSE(filter_matches("tw/edge/+/batch", "tw/edge/e1/ack"));
  EXPECT_FALSE(filter_matches("tw/edge/+/batch", "tw/edge/e1/batch/x"));
  EXPECT_TRUE(filter_matches("tw/#", "tw/a/b/c"));
  EXPECT_TRUE(filter_matches("tw/#", "tw"));  // '#' covers the parent level too
  EXPECT_TRUE(filter_matches("#", "a/b"));
  EXPECT_FALSE(filter_matches("#", "$SYS/broker"));
  EXPECT_FALSE(filter_matches("+/broker", "$SYS/broker"));
  EXPECT_TRUE(filter_matches("a/+/+", "a//"));
  EXPECT_FALSE(filter_matches("a/b", "a"));
  EXPECT_FALSE(filter_matches("a", "a/b"));
}

}  // namespace
}  // namespace tidewire::topics
