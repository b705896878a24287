// The Transport contract (transport.hpp), run against every backend and a real mosquitto.
#include <dirent.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <atomic>
#include <cstdlib>
#include <thread>

#include "harness.hpp"

namespace tidewire::transport::testing {
namespace {

class TransportContract : public BrokerFixture, public ::testing::WithParamInterface<Backend> {
 protected:
  TransportContract() : BrokerFixture(GetParam()) {}
};

TEST_P(TransportContract, ConnectReportsTheUpEdgeAndRefusesASecondConnect) {
  Transport& t = clients_.make();
  Recorder& rec = recorder();
  rec.attach(t);
  EXPECT_FALSE(t.is_connected());
  ASSERT_TRUE(t.connect(options_for(broker_->port(), "edge-1")));
  ASSERT_TRUE(wait_until([&] { return t.is_connected() && rec.ups() == 1; }, 5000));
  auto again = t.connect(options_for(broker_->port(), "edge-1"));
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(rec.downs(), 0);
}

// {sockets of this process connected to `port`, of those with Nagle off}.
std::pair<int, int> sockets_to(int port) {
  int total = 0, nodelay = 0;
  DIR* dir = opendir("/proc/self/fd");
  if (!dir) return {0, 0};
  while (dirent* e = readdir(dir)) {
    char* end = nullptr;
    long fd = std::strtol(e->d_name, &end, 10);
    if (end == e->d_name || *end != '\0') continue;
    sockaddr_in peer{};
    socklen_t len = sizeof peer;
    if (getpeername(static_cast<int>(fd), reinterpret_cast<sockaddr*>(&peer), &len) != 0) continue;
    if (peer.sin_family != AF_INET || ntohs(peer.sin_port) != port) continue;
    ++total;
    int on = 0;
    socklen_t olen = sizeof on;
    if (getsockopt(static_cast<int>(fd), IPPROTO_TCP, TCP_NODELAY, &on, &olen) == 0 && on) ++nodelay;
  }
  closedir(dir);
  return {total, nodelay};
}

// With tcp_nodelay, small MQTT packets (a PUBACK, then a receipt or a command result) do
// not wait for the broker's delayed ACK; without it, the backend leaves Nagle on.
TEST_P(TransportContract, TcpNodelayTurnsNagleOffOnTheBrokerConnection) {
  Recorder& rec = recorder();
  Transport& t = clients_.make();
  rec.attach(t);
  auto o = options_for(broker_->port(), "nodelay");
  o.tcp_nodelay = true;
  ASSERT_TRUE(t.connect(o));
  ASSERT_TRUE(wait_until([&] { return t.is_connected() && rec.ups() == 1; }, 5000));
  auto [total, nodelay] = sockets_to(broker_->port());
  EXPECT_EQ(total, 1);
  EXPECT_EQ(nodelay, 1);
  t.disconnect();
  ASSERT_TRUE(wait_until([&] { return sockets_to(broker_->port()).first == 0; }, 5000));

  Recorder& plain_rec = recorder();
  connected_client(plain_rec, "nagle");
  auto [plain_total, plain_nodelay] = sockets_to(broker_->port());
  EXPECT_EQ(plain_total, 1);
  EXPECT_EQ(plain_nodelay, 0);
}

TEST_P(TransportContract, RejectsBadArgumentsWithClearErrors) {
  Transport& t = clients_.make();
  auto o = options_for(broker_->port(), "bad");
  o.host = "";
  EXPECT_EQ(t.connect(o).error().code, ErrorCode::kInvalidArgument);
  o = options_for(0, "bad");
  EXPECT_EQ(t.connect(o).error().code, ErrorCode::kInvalidArgument);
  o = options_for(broker_->port(), "bad");
  o.reconnect_max_ms = 1;
  EXPECT_EQ(t.connect(o).error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(t.subscribe("a/b", 2).error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(t.subscribe("", 0).error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(t.publish({"a/b", "x", 3, false}).error().code, ErrorCode::kInvalidArgument);
}

TEST_P(TransportContract, RoundTripsQos0AndQos1AndAcknowledgesQos1) {
  Recorder& sub_rec = recorder();
  Recorder& pub_rec = recorder();
  Transport& sub = connected_client(sub_rec, "sub");
  Transport& pub = connected_client(pub_rec, "pub");
  ASSERT_TRUE(sub.subscribe("rt/#", 1));
  ASSERT_TRUE(wait_subscribed(pub, sub_rec, "rt/probe"));

  DoneProbe& q0_done = probe();
  DoneProbe& q1_done = probe();
  ASSERT_TRUE(pub.publish({"rt/zero", "payload-0", 0, false}, q0_done.callback()));
  ASSERT_TRUE(pub.publish({"rt/one", std::string("bin\0ary", 7), 1, false}, q1_done.callback()));
  ASSERT_TRUE(wait_until([&] { return sub_rec.got("rt/zero") && sub_rec.got("rt/one"); }, 5000));
  ASSERT_TRUE(wait_until([&] { return q1_done.count() == 1; }, 5000));
  EXPECT_EQ(q1_done.oks(), 1);
  EXPECT_EQ(q0_done.oks(), 1);
  EXPECT_EQ(sub_rec.on_topic("rt/zero")[0].payload, "payload-0");
  auto one = sub_rec.on_topic("rt/one");
  EXPECT_EQ(one[0].payload, std::string("bin\0ary", 7));
  EXPECT_EQ(one[0].qos, 1);
  EXPECT_TRUE(wait_until([&] { return pub.inflight() == 0; }, 5000));
}

// The edge answers a burst of device events with a burst of QoS0 acks: a backend must
// take a burst far larger than paho's default buffer of 100 while connected.
TEST_P(TransportContract, TakesABurstOfQos0PublishesWhileConnected) {
  Recorder& sub_rec = recorder();
  Recorder& pub_rec = recorder();
  Transport& sub = connected_client(sub_rec, "burst-sub");
  Transport& pub = connected_client(pub_rec, "burst-pub");
  ASSERT_TRUE(sub.subscribe("burst/#", 0));
  ASSERT_TRUE(wait_subscribed(pub, sub_rec, "burst/probe"));
  int accepted = 0;
  for (int i = 0; i < 1000; ++i) {
    if (pub.publish({"burst/x", std::to_string(i), 0, false})) ++accepted;
  }
  EXPECT_EQ(accepted, 1000);
  EXPECT_TRUE(wait_until([&] { return sub_rec.on_topic("burst/x").size() == 1000; }, 10'000))
      << sub_rec.on_topic("burst/x").size();
}

TEST_P(TransportContract, PublishWhileDisconnectedIsUnavailable) {
  Transport& t = clients_.make();
  Recorder& rec = recorder();
  rec.attach(t);
  DoneProbe& done = probe();
  auto before = t.publish({"d/x", "early", 1, false}, done.callback());
  ASSERT_FALSE(before.ok());
  EXPECT_EQ(before.error().code, ErrorCode::kUnavailable);

  ASSERT_TRUE(t.connect(options_for(broker_->port(), "dis")));
  ASSERT_TRUE(wait_until([&] { return t.is_connected(); }, 5000));
  t.disconnect();
  t.disconnect();  // idempotent
  EXPECT_FALSE(t.is_connected());
  auto after = t.publish({"d/x", "late", 0, false}, done.callback());
  ASSERT_FALSE(after.ok());
  EXPECT_EQ(after.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(done.count(), 0);
  EXPECT_TRUE(wait_until([&] { return rec.downs() == 1; }, 5000));
}

TEST_P(TransportContract, WindowRefusesBeyondMaxInflightAndADropFailsThePending) {
  // This broker acknowledges nothing, so the window fills deterministically.
  LoopbackServer& silent = silent_broker();
  Transport& t = clients_.make();
  Recorder& rec = recorder();
  rec.attach(t);
  auto o = options_for(silent.port(), "window");
  o.max_inflight = 3;
  ASSERT_TRUE(t.connect(o));
  ASSERT_TRUE(wait_until([&] { return t.is_connected(); }, 5000));

  DoneProbe& done = probe();
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(t.publish({"w/x", "m" + std::to_string(i), 1, false}, done.callback()));
  EXPECT_EQ(t.inflight(), 3);
  auto full = t.publish({"w/x", "one too many", 1, false}, done.callback());
  ASSERT_FALSE(full.ok());
  EXPECT_EQ(full.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(full.error().message.find("window full"), std::string::npos) << full.error().message;
  EXPECT_TRUE(t.publish({"w/x", "qos0 is not windowed", 0, false}));
  EXPECT_EQ(done.count(), 0);

  silent.cut_all();  // the broker dies with three messages unacknowledged
  ASSERT_TRUE(wait_until([&] { return done.count() == 3; }, 5000));
  EXPECT_EQ(done.oks(), 0);
  {
    std::lock_guard lock(done.mu);
    for (const auto& e : done.errors) EXPECT_EQ(e.code, ErrorCode::kUnavailable);
  }
  EXPECT_EQ(t.inflight(), 0);
  EXPECT_TRUE(wait_until([&] { return rec.downs() >= 1; }, 5000));
}

TEST_P(TransportContract, WillIsPublishedWhenTheConnectionDiesWithoutDisconnect) {
  Recorder& obs_rec = recorder();
  Transport& watcher = observer(obs_rec, "will/#");
  ASSERT_TRUE(wait_subscribed(watcher, obs_rec, "will/probe"));

  // The victim reaches the broker through a proxy that can cut it like a dead network.
  LoopbackServer& proxy = proxy_to(broker_->port());
  Transport& victim = clients_.make();
  Recorder& victim_rec = recorder();
  victim_rec.attach(victim);
  auto o = options_for(proxy.port(), "victim");
  o.will = Message{"will/victim", "gone", 1, false};
  ASSERT_TRUE(victim.connect(o));
  ASSERT_TRUE(wait_until([&] { return victim.is_connected(); }, 5000));

  proxy.cut_all();
  ASSERT_TRUE(wait_until([&] { return obs_rec.got("will/victim"); }, 5000));
  EXPECT_EQ(obs_rec.on_topic("will/victim")[0].payload, "gone");
  EXPECT_TRUE(wait_until([&] { return victim_rec.downs() == 1; }, 5000));  // it saw the drop too
}

TEST_P(TransportContract, CleanDisconnectPublishesNoWill) {
  Recorder& obs_rec = recorder();
  Transport& watcher = observer(obs_rec, "will/#");
  ASSERT_TRUE(wait_subscribed(watcher, obs_rec, "will/probe"));

  Transport& leaver = clients_.make();
  Recorder& leaver_rec = recorder();
  leaver_rec.attach(leaver);
  auto o = options_for(broker_->port(), "leaver");
  o.will = Message{"will/leaver", "gone", 1, false};
  ASSERT_TRUE(leaver.connect(o));
  ASSERT_TRUE(wait_until([&] { return leaver.is_connected(); }, 5000));
  leaver.disconnect();
  ASSERT_TRUE(wait_until([&] { return leaver_rec.downs() == 1; }, 5000));
  clients_.destroy(leaver);

  // The leaver's socket is closed by now, so the broker handles it no later than the
  // first marker; the second marker arrives after anything that handling published.
  DoneProbe& m1 = probe();
  DoneProbe& m2 = probe();
  ASSERT_TRUE(watcher.publish({"will/marker1", "1", 1, false}, m1.callback()));
  ASSERT_TRUE(wait_until([&] { return obs_rec.got("will/marker1"); }, 5000));
  ASSERT_TRUE(watcher.publish({"will/marker2", "2", 1, false}, m2.callback()));
  ASSERT_TRUE(wait_until([&] { return obs_rec.got("will/marker2"); }, 5000));
  EXPECT_FALSE(obs_rec.got("will/leaver"));
}

TEST_P(TransportContract, ReconnectsAfterBrokerRestartAndReappliesSubscriptions) {
  Recorder& sub_rec = recorder();
  Recorder& pub_rec = recorder();
  Transport& sub = connected_client(sub_rec, "sub");
  Transport& pub = connected_client(pub_rec, "pub");
  ASSERT_TRUE(sub.subscribe("rs/#", 1));
  ASSERT_TRUE(wait_subscribed(pub, sub_rec, "rs/probe"));

  ASSERT_TRUE(broker_->restart());  // a new broker knows nothing of the old subscriptions
  ASSERT_TRUE(wait_until([&] { return sub_rec.downs() == 1 && pub_rec.downs() == 1; }, 10000));
  // is_connected() may flip a moment before the up edge reaches the observer, so wait
  // for the edge itself: a reconnect must be reported exactly once.
  ASSERT_TRUE(wait_until(
      [&] { return sub.is_connected() && pub.is_connected() && sub_rec.ups() >= 2; }, 10000));
  EXPECT_EQ(sub_rec.ups(), 2);

  DoneProbe& done = probe();
  int polls = 0;
  ASSERT_TRUE(wait_until(
      [&] {
        if (sub_rec.got("rs/after")) return true;
        if (polls++ % 20 == 0) (void)pub.publish({"rs/after", "x", 1, false}, done.callback());
        return false;
      },
      5000))
      << "no message arrived after the restart: subscriptions not re-applied";
  EXPECT_TRUE(wait_until([&] { return done.oks() >= 1; }, 5000));
}

TEST_P(TransportContract, KeepsRetryingUntilTheBrokerComesUp) {
  auto port = process::free_loopback_port();
  ASSERT_TRUE(port.ok());
  Transport& t = clients_.make(&metrics_);
  Recorder& rec = recorder();
  rec.attach(t);
  ASSERT_TRUE(t.connect(options_for(*port, "early-bird")));
  ASSERT_TRUE(wait_until([&] { return metrics_.counter_total("tw_transport_connect_failures_total") >= 1; }, 5000));
  EXPECT_FALSE(t.is_connected());

  auto late = start_broker(dir_ + "/late", *port);
  ASSERT_NE(late, nullptr);
  ASSERT_TRUE(wait_until([&] { return t.is_connected() && rec.ups() == 1; }, 10000));
}

TEST_P(TransportContract, ConcurrentPublishersAreAllAcknowledged) {
  Recorder& rec = recorder();
  Transport& t = connected_client(rec, "busy");
  constexpr int kThreads = 4;
  constexpr int kEach = 300;
  std::atomic<int> acked{0};
  std::atomic<int> failed{0};
  std::vector<std::thread> threads;
  for (int th = 0; th < kThreads; ++th) {
    threads.emplace_back([&, th] {
      for (int i = 0; i < kEach;) {
        auto st = t.publish({"busy/" + std::to_string(th), std::to_string(i), 1, false}, [&](const Status& s) {
          (s ? acked : failed).fetch_add(1);
        });
        if (st) {
          ++i;
        } else if (st.error().code == ErrorCode::kUnavailable) {
          std::this_thread::yield();  // window full: the caller keeps it and tries again
        } else {
          ADD_FAILURE() << st.error().describe();
          return;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  ASSERT_TRUE(wait_until([&] { return acked.load() + failed.load() == kThreads * kEach; }, 20000))
      << "acked " << acked.load() << ", failed " << failed.load() << ", in flight " << t.inflight();
  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ(t.inflight(), 0);
}

#ifdef TW_HAVE_PAHO
INSTANTIATE_TEST_SUITE_P(Backends, TransportContract, ::testing::Values(Backend::kMosquitto, Backend::kPaho),
                         backend_name);
#else
// Board builds carry only libmosquitto.
INSTANTIATE_TEST_SUITE_P(Backends, TransportContract, ::testing::Values(Backend::kMosquitto), backend_name);
#endif

}  // namespace
}  // namespace tidewire::transport::testing
