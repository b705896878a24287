// TLS on the MQTT hop, both backends, against a real mosquitto with a TLS listener made
// from a throwaway CA: a client trusting that CA round-trips messages; one trusting
// another CA never connects; with mutual TLS a client without a certificate is refused
// and one with a certificate signed by the CA gets in.
#include <gtest/gtest.h>

#include "harness.hpp"
#include "process/throwaway_ca.hpp"

namespace tidewire::transport::testing {
namespace {

class TransportTls : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    dir_ = temp_dir_for_test();
    auto ca = process::ThrowawayCa::make(dir_ + "/ca");
    ASSERT_TRUE(ca.ok()) << ca.error().describe();
    ca_ = *ca;
  }
  void start(bool mutual) {
    process::LocalBroker::Options o;
    o.work_dir = dir_;
    o.tls_ca_file = ca_.ca.cert;
    o.tls_cert_file = ca_.server.cert;
    o.tls_key_file = ca_.server.key;
    o.require_client_certificate = mutual;
    auto b = process::LocalBroker::start(o);
    ASSERT_TRUE(b.ok()) << b.error().describe();
    broker_ = std::move(*b);
  }
  ConnectOptions tls_options(const std::string& client_id) {
    ConnectOptions o = options_for(broker_->port(), client_id);
    o.tls.ca_file = ca_.ca.cert;
    return o;
  }

  std::string dir_;
  process::ThrowawayCa ca_;
  process::LocalBrokerPtr broker_;
  ClientFactory clients_{GetParam()};
  Recorder recorder_;
};

TEST_P(TransportTls, AClientTrustingTheBrokersCaRoundTripsMessages) {
  start(false);
  Transport& t = clients_.make();
  recorder_.attach(t);
  ASSERT_TRUE(t.connect(tls_options("tls-client")).ok());
  ASSERT_TRUE(wait_until([&] { return t.is_connected(); }, 10'000)) << broker_->log_path();
  ASSERT_TRUE(t.subscribe("tls/#", 1).ok());
  ASSERT_TRUE(wait_subscribed(t, recorder_, "tls/probe"));
  ASSERT_TRUE(t.publish({"tls/x", "over tls", 1, false}).ok());
  ASSERT_TRUE(wait_until([&] { return recorder_.got("tls/x"); }, 5000));
  EXPECT_EQ(recorder_.on_topic("tls/x")[0].payload, "over tls");
}

TEST_P(TransportTls, AClientTrustingAnotherCaOrSpeakingPlainTcpNeverConnects) {
  start(false);
  auto other = process::ThrowawayCa::make(dir_ + "/other-ca");
  ASSERT_TRUE(other.ok());
  Transport& wrong_ca = clients_.make();
  ConnectOptions o = tls_options("wrong-ca");
  o.tls.ca_file = other->ca.cert;
  ASSERT_TRUE(wrong_ca.connect(o).ok());  // connecting is asynchronous: it keeps failing
  Transport& plain = clients_.make();
  ASSERT_TRUE(plain.connect(options_for(broker_->port(), "plain")).ok());
  // A good client proves the broker is up and accepting while the other two stay out.
  Transport& good = clients_.make();
  ASSERT_TRUE(good.connect(tls_options("good")).ok());
  ASSERT_TRUE(wait_until([&] { return good.is_connected(); }, 10'000));
  EXPECT_FALSE(wait_until([&] { return wrong_ca.is_connected() || plain.is_connected(); }, 2000));
}

TEST_P(TransportTls, MutualTlsRefusesAClientWithoutACertificateAndAdmitsOneWithIt) {
  start(true);
  auto cert = ca_.client("device.poster-7");
  ASSERT_TRUE(cert.ok()) << cert.error().describe();
  Transport& with_cert = clients_.make();
  ConnectOptions o = tls_options("poster-7");
  o.tls.cert_file = cert->cert;
  o.tls.key_file = cert->key;
  ASSERT_TRUE(with_cert.connect(o).ok());
  Transport& without = clients_.make();
  ASSERT_TRUE(without.connect(tls_options("anonymous")).ok());
  ASSERT_TRUE(wait_until([&] { return with_cert.is_connected(); }, 10'000)) << broker_->log_path();
  EXPECT_FALSE(wait_until([&] { return without.is_connected(); }, 2000));
}

#ifdef TW_HAVE_PAHO
INSTANTIATE_TEST_SUITE_P(Backends, TransportTls, ::testing::Values(Backend::kMosquitto, Backend::kPaho), backend_name);
#else
INSTANTIATE_TEST_SUITE_P(Backends, TransportTls, ::testing::Values(Backend::kMosquitto), backend_name);
#endif

}  // namespace
}  // namespace tidewire::transport::testing
