// A SUBACK that refuses a filter or grants less than asked is an error (transport.hpp):
// logged, counted and listed by refused_subscriptions(), on both backends against a real
// mosquitto configured to refuse.
//
// How to make mosquitto 2.0 refuse: an acl_file never does; it accepts every SUBSCRIBE and
// only filters what it delivers (eclipse-mosquitto/mosquitto#2042). The dynamic-security
// plugin checks subscriptions and answers 0x80 (MQTT 3.1.1) for a denied one, and
// `max_qos 0` on the listener grants QoS 0 to a QoS 1 subscription.
#include <filesystem>
#include <fstream>

#include "harness.hpp"
#include "tidewire/common/metrics.hpp"

namespace tidewire::transport::testing {
namespace {

std::string dynsec_plugin() {
  for (const char* dir : {"/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib/arm-linux-gnueabihf",
                          "/usr/lib", "/usr/lib/mosquitto"}) {
    std::string path = std::string(dir) + "/mosquitto_dynamic_security.so";
    if (std::filesystem::exists(path)) return path;
  }
  return "";
}

class SubackContract : public BrokerFixture, public ::testing::WithParamInterface<Backend> {
 protected:
  SubackContract() : BrokerFixture(GetParam()) {}

  // Anonymous clients may subscribe to anything but denied/#; every grant is QoS 0 at most.
  process::LocalBrokerPtr refusing_broker(const std::string& plugin) {
    std::string config = dir_ + "/dynsec.json";
    std::ofstream(config) << R"({"defaultACLAccess":{"publishClientSend":true,"publishClientReceive":true,)"
                          << R"("subscribe":true,"unsubscribe":true},"clients":[],)"
                          << R"("groups":[{"groupname":"anonymous","roles":[{"rolename":"no-denied"}]}],)"
                          << R"("roles":[{"rolename":"no-denied","acls":[{"acltype":"subscribePattern",)"
                          << R"("topic":"denied/#","priority":0,"allow":false}]}],"anonymousGroup":"anonymous"})";
    process::LocalBroker::Options o;
    o.work_dir = dir_ + "/refusing";
    std::filesystem::create_directories(o.work_dir);
    o.extra_config = "max_qos 0\nplugin " + plugin + "\nplugin_opt_config_file " + config + "\n";
    auto b = process::LocalBroker::start(o);
    EXPECT_TRUE(b.ok()) << (b ? "" : b.error().describe());
    return b ? std::move(*b) : nullptr;
  }
};

TEST_P(SubackContract, RefusedAndDowngradedSubscriptionsAreCountedAndListed) {
  std::string plugin = dynsec_plugin();
  ASSERT_FALSE(plugin.empty()) << "mosquitto_dynamic_security.so not installed: scripts/install-deps.sh installs mosquitto, which ships it";
  auto broker = refusing_broker(plugin);
  ASSERT_NE(broker, nullptr);
  MetricsRegistry& metrics = metrics_;  // outlives the clients
  Transport& t = clients_.make(&metrics);
  Recorder& rec = recorder();
  rec.attach(t);
  ASSERT_TRUE(t.subscribe("denied/#", 1));
  ASSERT_TRUE(t.subscribe("ok/#", 1));
  ASSERT_TRUE(t.subscribe("fine/#", 0));
  EXPECT_TRUE(t.refused_subscriptions().empty());  // nothing answered yet
  ASSERT_TRUE(t.connect(options_for(broker->port(), "suback-1")));
  ASSERT_TRUE(wait_until([&] { return t.refused_subscriptions().size() == 2; }, 5000))
      << describe(t.refused_subscriptions());

  auto refused = t.refused_subscriptions();
  EXPECT_EQ(refused[0], (RefusedSubscription{"denied/#", 1, kSubackFailure}));
  EXPECT_EQ(refused[1], (RefusedSubscription{"ok/#", 1, 0}));
  EXPECT_EQ(describe(refused), "denied/# (SUBACK 0x80 for QoS 1), ok/# (SUBACK 0x00 for QoS 1)");
  const char* backend = GetParam() == Backend::kMosquitto ? "mosquitto" : "paho";
  EXPECT_EQ(
      metrics.counter_value("tw_transport_subscribe_refused_total", {{"backend", backend}, {"reason", "refused"}}), 1u);
  EXPECT_EQ(
      metrics.counter_value("tw_transport_subscribe_refused_total", {{"backend", backend}, {"reason", "downgraded"}}),
      1u);
  EXPECT_TRUE(t.is_connected());  // a refusal does not drop the connection: it is silent

  // Asking again for what the broker grants clears the entry; the refusal stays.
  ASSERT_TRUE(t.subscribe("ok/#", 0));
  ASSERT_TRUE(wait_until([&] { return t.refused_subscriptions().size() == 1; }, 5000));
  EXPECT_EQ(t.refused_subscriptions()[0].filter, "denied/#");

  // Re-applied on a reconnect, refused again, and counted again.
  ASSERT_TRUE(broker->restart());
  ASSERT_TRUE(wait_until(
      [&] {
        return metrics.counter_value("tw_transport_subscribe_refused_total",
                                     {{"backend", backend}, {"reason", "refused"}}) == 2;
      },
      15000));
  EXPECT_EQ(t.refused_subscriptions().size(), 1u);
}

TEST_P(SubackContract, AGrantedSubscriptionIsNotReported) {
  Recorder& rec = recorder();
  Transport& t = connected_client(rec, "suback-ok");
  ASSERT_TRUE(t.subscribe("all/#", 1));
  Transport& publisher = connected_client(recorder(), "suback-pub");
  ASSERT_TRUE(wait_subscribed(publisher, rec, "all/probe"));
  EXPECT_TRUE(t.refused_subscriptions().empty());
}

#ifdef TW_HAVE_PAHO
INSTANTIATE_TEST_SUITE_P(Backends, SubackContract, ::testing::Values(Backend::kMosquitto, Backend::kPaho),
                         backend_name);
#else
INSTANTIATE_TEST_SUITE_P(Backends, SubackContract, ::testing::Values(Backend::kMosquitto), backend_name);
#endif

}  // namespace
}  // namespace tidewire::transport::testing
