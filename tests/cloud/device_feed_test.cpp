// The DeviceFeed alone: which items reach which subscriber, and when a batch may be acked.
#include "tidewire/cloud/device_feed.hpp"

#include <gtest/gtest.h>

#include "tests/cloud/cloud_test_support.hpp"

namespace tidewire::cloud {
namespace {

using namespace testing;

std::string no_command(const std::string&, const std::string&) {
  return "";
}

TEST(DeviceFeed, ItemsGoToTheSubscribersWhoseFiltersMatchOnlyValidOnesAndOnlyOnce) {
  MetricsRegistry metrics;
  DeviceFeed feed(metrics);
  std::vector<std::string> posters, riders;
  feed.subscribe({"posters",
                  {{DeviceItemType::kEvent, v1::DEVICE_KIND_POSTER, "display.", false},
                   {DeviceItemType::kEvent, std::nullopt, "", false}},  // overlaps the first: still once
                  [&](const DeviceItem& i) {
                    posters.push_back(i.envelope.device_id() + ":" + i.envelope.event().type());
                    return true;
                  },
                  nullptr});
  feed.subscribe({"riders",
                  {{DeviceItemType::kStatus, v1::DEVICE_KIND_RIDER, "", false}},
                  [&](const DeviceItem& i) {
                    riders.push_back(i.envelope.device_id() + "@" + std::to_string(i.received_ms));
                    return true;
                  },
                  nullptr});
  Who poster;
  Who other_site{"poster-2", "site-b"};
  Who rider{"rider-1", "site-a", v1::DEVICE_KIND_RIDER};
  auto status = envelope(rider, 0, kT0 - 50);
  status.mutable_status()->mutable_rider()->set_available(true);
  auto invalid = event_item(poster, 3);
  invalid.mutable_envelope()->clear_device_id();
  auto b = batch("edge-1", 1, {event_item(poster, 1), event_item(other_site, 1), invalid, item(status, 0)});
  EXPECT_TRUE(feed.deliver(b, no_command));
  EXPECT_EQ(posters, (std::vector<std::string>{"poster-1:display.changed"}));
  EXPECT_EQ(riders, (std::vector<std::string>{"rider-1@" + std::to_string(kT0 - 50)}));  // no edge time: device time
  EXPECT_EQ(metrics.counter_value("tw_cloud_feed_items_total", {{"subscriber", "posters"}}), 1u);
}

TEST(DeviceFeed, OnlyAckHoldingSubscribersCanHoldTheBatch) {
  MetricsRegistry metrics;
  DeviceFeed feed(metrics);
  bool take_best_effort = false, take_decisive = true, settled = true;
  int settles = 0;
  feed.subscribe({"best-effort",
                  {{DeviceItemType::kEvent, std::nullopt, "display.", false}},
                  [&](const DeviceItem&) { return take_best_effort; },
                  [&] {
                    ADD_FAILURE() << "settle of a subscriber that took no ack-holding item";
                    return true;
                  }});
  feed.subscribe({"decisive",
                  {{DeviceItemType::kCommandResult, std::nullopt, "dispatch.", true}},
                  [&](const DeviceItem& i) {
                    EXPECT_EQ(i.command_name, "dispatch.offer");
                    return take_decisive;
                  },
                  [&] {
                    ++settles;
                    return settled;
                  }});
  Who rider{"rider-1", "site-a", v1::DEVICE_KIND_RIDER};
  auto b = batch("edge-1", 1, {event_item(Who{}, 1), result_item(rider, 2, "cmd-1")});
  auto names = [](const std::string& device, const std::string& command) {
    return device == "rider-1" && command == "cmd-1" ? std::string("dispatch.offer") : std::string();
  };
  EXPECT_TRUE(feed.deliver(b, names));  // the best-effort refusal is counted, not held
  EXPECT_EQ(metrics.counter_value("tw_cloud_feed_refused_total", {{"subscriber", "best-effort"}}), 1u);
  settled = false;
  EXPECT_FALSE(feed.deliver(b, names));
  take_decisive = false;
  settled = true;
  EXPECT_FALSE(feed.deliver(b, names));
  EXPECT_EQ(settles, 3);
  EXPECT_EQ(metrics.counter_value("tw_cloud_feed_unsettled_total", {{"subscriber", "decisive"}}), 1u);
  // A result whose command is unknown (or another device's) reaches no result subscriber.
  take_decisive = true;
  EXPECT_TRUE(feed.deliver(b, no_command));
  EXPECT_EQ(settles, 3);
}

}  // namespace
}  // namespace tidewire::cloud
