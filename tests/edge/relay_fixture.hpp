#pragma once
// The relay's domain core with FakeTransports, a ManualClock and a real SqliteSpool on a
// scratch file: every step is driven by the test, nothing waits on the wall clock.
#include <gtest/gtest.h>

#include <algorithm>

#include "sqlite/sqlite_spool.hpp"
#include "tests/edge/edge_test_support.hpp"
#include "tests/fakes/fake_transport.hpp"
#include "tests/fakes/flaky_spool.hpp"
#include "tidewire/edge/relay.hpp"
#include "tidewire/protocols/batch_frame.hpp"

namespace tidewire::edge::testing {

using tidewire::testing::FakeTransport;

class RelayTest : public ::testing::Test {
 protected:
  RelayTest() {
    options.edge_id = "e1";
    options.site = "s1";
    options.group_commit_ms = 5;
    options.uplink.max_items = 100;
    options.uplink.max_delay_ms = 200;
    options.uplink.window = 4;
    options.uplink.ack_timeout_ms = 10'000;
    options.uplink.drain_rate = 0;
    options.uplink.zstd_level = 3;
    open();
  }

  void open(uint64_t max_bytes = 64 << 20) {
    relay.reset();
    flaky.reset();
    sqlite.reset();
    auto s = SqliteSpool::open({dir.file("spool.db"), max_bytes});
    ASSERT_TRUE(s.ok()) << s.error().describe();
    sqlite = std::move(*s);
    flaky = std::make_unique<FlakySpool>(*sqlite);
  }

  // Builds and starts the relay with both transports wired straight to it (the
  // RelayHost's strand is replaced by the test thread).
  void start(bool site_up = true, bool cloud_up = true) {
    relay = std::make_unique<Relay>(options, *flaky, site, cloud, clock, metrics);
    site.set_message_handler([this](const transport::Message& m) { relay->on_site_message(m); });
    cloud.set_message_handler([this](const transport::Message& m) { relay->on_cloud_message(m); });
    site.set_connection_handler([this](bool up) { relay->on_site_connection(up); });
    cloud.set_connection_handler([this](bool up) { relay->on_cloud_connection(up); });
    auto st = relay->start();
    ASSERT_TRUE(st.ok()) << st.error().describe();
    site.set_connected(site_up);
    cloud.set_connected(cloud_up);
  }

  void send(const Wire& w) { site.deliver(w.topic, w.payload); }
  // Moves time forward the way the RelayHost's loop does: tick, sleep until the wake-up
  // time the relay asked for (or the target), tick again.
  void advance(int64_t ms) {
    const int64_t target = clock.steady_ms() + ms;
    while (true) {
      int64_t wake = relay->tick();
      int64_t now = clock.steady_ms();
      if (now >= target) break;
      clock.advance_ms(std::clamp<int64_t>(wake, now + 1, target) - now);
    }
  }

  std::vector<uint64_t> acks_for(const topics::DeviceAddress& a) {
    std::vector<uint64_t> out;
    for (const auto& m : site.sent_on(*topics::device_topic(a, topics::Channel::kAck))) {
      auto ack = codec::decode_device_ack(m.payload);
      EXPECT_TRUE(ack.ok());
      EXPECT_EQ(ack->device_id(), a.device_id);
      out.push_back(ack->up_to_seq());
    }
    return out;
  }

  std::string batch_topic() const { return "tw/v1/edge/e1/batch"; }

  std::vector<v1::EdgeBatch> batches() {
    std::vector<v1::EdgeBatch> out;
    for (const auto& m : cloud.sent_on(batch_topic())) {
      auto b = codec::decode_batch_frame(m.payload);
      EXPECT_TRUE(b.ok()) << b.error().describe();
      if (b) out.push_back(*b);
    }
    return out;
  }

  void cloud_acks(const v1::EdgeBatch& b) {
    v1::BatchAck ack;
    ack.set_edge_id("e1");
    ack.set_batch_id(b.batch_id());
    for (auto id : b.spool_ids()) ack.add_spool_ids(id);
    ack.set_accepted(static_cast<uint32_t>(b.items_size()));
    cloud.deliver("tw/v1/edge/e1/ack", codec::encode(ack));
  }

  uint64_t counter(const std::string& name, const Labels& labels = {}) const {
    return labels.empty() ? registry.counter_total(name) : registry.counter_value(name, labels);
  }

  ScratchDir dir;
  ManualClock clock;
  MetricsRegistry registry;
  EdgeMetrics metrics{registry};
  FakeTransport site;
  FakeTransport cloud;
  RelayOptions options;
  std::unique_ptr<SqliteSpool> sqlite;
  std::unique_ptr<FlakySpool> flaky;
  std::unique_ptr<Relay> relay;
  topics::DeviceAddress d1 = address("d1");
  topics::DeviceAddress d2 = address("d2", "s1", v1::DEVICE_KIND_RIDER);
};

}  // namespace tidewire::edge::testing
