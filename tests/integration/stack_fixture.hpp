#pragma once
// A local stack (brokers, tidewire-cloud, tidewire-edge) per test, in a fresh folder, plus
// helpers to talk to the cloud's HTTP API.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "http/client.hpp"
#include "process/process.hpp"
#include "tidewire/common/clock.hpp"
#include "tidewire/common/metrics.hpp"
#include "tidewire/sim/fleet.hpp"
#include "tidewire/sim/stack.hpp"

namespace tidewire::testing {

class StackTest : public ::testing::Test {
 protected:
  // `cloud_extra_config`: `key = value` lines for the cloud (push, alert, dispatch tuning).
  // `tls`: every MQTT hop over TLS (StackOptions::tls); start_fleet's devices too.
  void start_stack(const std::string& cloud_extra_config = "", bool tls = false) {
    const char* bin = std::getenv("TW_BIN_DIR");
    ASSERT_NE(bin, nullptr) << "TW_BIN_DIR is set by ctest; run through ctest";
    auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = std::filesystem::temp_directory_path() /
           ("tw-it-" + std::to_string(::getpid()) + "-" + info->test_suite_name() + "-" + info->name());
    std::filesystem::remove_all(dir_);
    sim::StackOptions so;
    so.run_dir = dir_.string();
    so.bin_dir = bin;
    so.log_level = "info";
    so.cloud_extra_config = cloud_extra_config;
    so.tls = tls;
    auto s = sim::Stack::start(so);
    ASSERT_TRUE(s.ok()) << s.error().describe();
    stack_ = std::move(*s);
  }

  void TearDown() override {
    fleet_.reset();
    if (stack_) stack_->stop();
    if (!HasFailure()) std::filesystem::remove_all(dir_);
    else std::cerr << "logs kept in " << dir_ << "\n";
  }

  sim::Fleet& start_fleet(sim::FleetOptions fo) {
    fo.site = stack_->options().site;
    fo.broker_port = stack_->site_broker_port();
    fo.tls = stack_->client_tls();
    auto provisioned = stack_->provision_fleet(fo);  // the brokers are locked
    EXPECT_TRUE(provisioned.ok()) << provisioned.error().describe();
    fleet_ = std::make_unique<sim::Fleet>(fo, clock_, metrics_);
    auto st = fleet_->start();
    EXPECT_TRUE(st.ok()) << st.error().describe();
    return *fleet_;
  }

  // As the stack's operator (Stack::operator_token()).
  http::HeaderList operator_auth() const { return {{"Authorization", "Bearer " + stack_->operator_token()}}; }
  Expected<http::Response> get(const std::string& target) {
    return http::http_request("127.0.0.1", stack_->http_port(), "GET", target, "", 10'000, operator_auth());
  }
  Expected<http::Response> post(const std::string& target, const std::string& body) {
    return http::http_request("127.0.0.1", stack_->http_port(), "POST", target, body, 10'000, operator_auth());
  }

  std::filesystem::path dir_;
  SystemClock clock_;
  MetricsRegistry metrics_;
  std::unique_ptr<sim::Stack> stack_;
  std::unique_ptr<sim::Fleet> fleet_;
};

}  // namespace tidewire::testing
