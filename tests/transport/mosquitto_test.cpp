// What only the mosquitto backend promises: one loop drives many clients, and a client
// can be killed like a crashed device.
#include "harness.hpp"

namespace tidewire::transport::testing {
namespace {

class MosquittoBackend : public BrokerFixture {
 protected:
  MosquittoBackend() : BrokerFixture(Backend::kMosquitto) {}
};

TEST_F(MosquittoBackend, OneLoopDrivesTwoHundredClientsEachGettingItsOwnMessage) {
  constexpr int kClients = 200;
  std::vector<Transport*> fleet;
  std::vector<Recorder*> recs;
  for (int i = 0; i < kClients; ++i) {
    Transport& t = clients_.make(&metrics_);
    recs.push_back(&recorder());
    recs.back()->attach(t);
    // Subscribed before connecting: the subscription goes out ahead of anything published
    // after the up edge, so each device's own publish comes back to it.
    ASSERT_TRUE(t.subscribe("fleet/" + std::to_string(i), 1));
    ASSERT_TRUE(t.connect(options_for(broker_->port(), "dev-" + std::to_string(i))));
    fleet.push_back(&t);
  }
  ASSERT_TRUE(wait_until(
      [&] {
        for (auto* t : fleet) {
          if (!t->is_connected()) return false;
        }
        return true;
      },
      20000));
  EXPECT_EQ(clients_.loop()->client_count(), static_cast<size_t>(kClients));

  DoneProbe& done = probe();
  for (int i = 0; i < kClients; ++i) {
    ASSERT_TRUE(fleet[i]->publish({"fleet/" + std::to_string(i), std::to_string(i), 1, false}, done.callback()));
  }
  ASSERT_TRUE(wait_until([&] { return done.count() == kClients; }, 20000));
  EXPECT_EQ(done.oks(), kClients);
  ASSERT_TRUE(wait_until(
      [&] {
        for (auto* r : recs) {
          if (r->message_count() < 1) return false;
        }
        return true;
      },
      20000));
  for (int i = 0; i < kClients; ++i) {
    auto got = recs[i]->on_topic("fleet/" + std::to_string(i));
    ASSERT_EQ(got.size(), 1u) << "client " << i;
    EXPECT_EQ(got[0].payload, std::to_string(i));
    EXPECT_EQ(recs[i]->message_count(), 1u) << "client " << i << " got someone else's message";
  }
  EXPECT_EQ(metrics_.counter_total("tw_transport_acked_total"), static_cast<uint64_t>(kClients));
}

TEST_F(MosquittoBackend, AbortForTestPublishesTheWillAndStaysDown) {
  Recorder& obs_rec = recorder();
  Transport& watcher = observer(obs_rec, "will/#");
  ASSERT_TRUE(wait_subscribed(watcher, obs_rec, "will/probe"));

  MosquittoClientOptions mo;
  mo.metrics = &metrics_;
  SeededRandom random(1);
  MosquittoClient victim(*clients_.loop(), random, mo);
  Recorder& victim_rec = recorder();
  victim_rec.attach(victim);
  auto o = options_for(broker_->port(), "crashing-device");
  o.will = Message{"will/crashing-device", "offline", 1, false};
  ASSERT_TRUE(victim.connect(o));
  ASSERT_TRUE(wait_until([&] { return victim.is_connected(); }, 5000));

  victim.abort_for_test();
  EXPECT_FALSE(victim.is_connected());
  ASSERT_TRUE(wait_until([&] { return obs_rec.got("will/crashing-device"); }, 5000));
  EXPECT_EQ(obs_rec.on_topic("will/crashing-device")[0].payload, "offline");
  EXPECT_EQ(victim_rec.downs(), 1);
  EXPECT_EQ(metrics_.counter_total("tw_transport_connect_attempts_total"), 1u);  // no reconnect
}

TEST_F(MosquittoBackend, Qos0SendQueueIsBounded) {
  MosquittoClientOptions mo;
  mo.max_qos0_queued = 3;
  mo.metrics = &metrics_;
  SeededRandom random(5);
  MosquittoClient c(*clients_.loop(), random, mo);
  ASSERT_TRUE(c.connect(options_for(broker_->port(), "chatty")));
  ASSERT_TRUE(wait_until([&] { return c.is_connected(); }, 5000));
  // Published from a task on the loop thread: the loop cannot write meanwhile, so the
  // queue fills deterministically.
  std::atomic<int> accepted{0};
  std::atomic<int> refused{0};
  std::atomic<bool> ran{false};
  ASSERT_TRUE(clients_.loop()->post([&] {
    for (int i = 0; i < 5; ++i) {
      auto st = c.publish({"chatty/x", "m", 0, false});
      (st ? accepted : refused).fetch_add(1);
      if (!st) {
        EXPECT_NE(st.error().message.find("send queue full"), std::string::npos) << st.error().message;
      }
    }
    ran = true;
  }));
  ASSERT_TRUE(wait_until([&] { return ran.load(); }, 5000));
  EXPECT_EQ(accepted.load(), 3);
  EXPECT_EQ(refused.load(), 2);
  // Counted before the retry below, whose own early refusals (the loop may not have
  // written yet on a busy machine) count too.
  EXPECT_EQ(metrics_.counter_value("tw_transport_publish_rejected_total",
                                   {{"backend", "mosquitto"}, {"reason", "queue_full"}}),
            2u);
  // Once the loop has written them, there is room again.
  EXPECT_TRUE(wait_until([&] { return c.publish({"chatty/x", "again", 0, false}).ok(); }, 5000));
}

TEST_F(MosquittoBackend, ClientMayBeDestroyedFromItsOwnHandler) {
  RandomPtr random = make_os_seeded_random();
  auto owned = std::make_unique<MosquittoClient>(*clients_.loop(), *random);
  MosquittoClient* raw = owned.get();
  std::atomic<bool> destroyed{false};
  raw->set_connection_handler([&](bool up) {
    if (!up) return;
    owned.reset();  // inside libmosquitto's callback: teardown must be deferred to the loop
    destroyed = true;
  });
  ASSERT_TRUE(raw->connect(options_for(broker_->port(), "self-destruct")));
  ASSERT_TRUE(wait_until([&] { return destroyed.load(); }, 5000));
  EXPECT_TRUE(wait_until([&] { return clients_.loop()->client_count() == 0; }, 5000));
}

TEST_F(MosquittoBackend, ClientOnAStoppedLoopTearsDownWithoutHanging) {
  MosquittoLoop idle_loop;  // never started
  SeededRandom random(3);
  auto c = std::make_unique<MosquittoClient>(idle_loop, random);
  ASSERT_TRUE(c->connect(options_for(broker_->port(), "never-runs")));
  EXPECT_FALSE(c->is_connected());
  c.reset();
  EXPECT_EQ(idle_loop.client_count(), 0u);
}

}  // namespace
}  // namespace tidewire::transport::testing
