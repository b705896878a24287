#include <google/protobuf/util/json_util.h>

#include "stack_fixture.hpp"
#include "tidewire/sim/verify.hpp"
#include "tidewire/v1/fleet.pb.h"

namespace tidewire::testing {
namespace {

template <typename T>
T from_json(const std::string& body) {
  T out;
  google::protobuf::util::JsonParseOptions o;
  o.ignore_unknown_fields = true;
  auto st = google::protobuf::util::JsonStringToMessage(body, &out, o);
  EXPECT_TRUE(st.ok()) << st.message() << " in " << body;
  return out;
}

class PipelineTest : public StackTest {};

TEST_F(PipelineTest, EveryEventReachesTheCloudExactlyOnceAndDevicesShowOnline) {
  start_stack();
  sim::FleetOptions fo;
  fo.posters = 4;
  fo.riders = 4;
  fo.encoders = 4;
  fo.event_interval_ms = 0;
  fo.status_interval_ms = 500;
  auto& fleet = start_fleet(fo);
  ASSERT_TRUE(process::wait_until([&] { return fleet.online() == 12; }, 20'000)) << fleet.summary();
  fleet.record_scripted_events(25, 1000);
  ASSERT_TRUE(process::wait_until([&] { return fleet.all_acked(); }, 30'000)) << fleet.summary();

  Expected<sim::VerifyReport> report = make_error(ErrorCode::kTimeout, "not run");
  bool ok = process::wait_until(
      [&] {
        report = sim::verify_in_cloud({"127.0.0.1", stack_->http_port(), stack_->operator_token()}, fleet.ledgers());
        return report.ok() && report->ok();
      },
      20'000);
  ASSERT_TRUE(report.ok()) << report.error().describe();
  EXPECT_TRUE(ok) << report->to_json();
  EXPECT_EQ(report->expected, 300u);
  EXPECT_EQ(report->found, 300u);

  bool all_online = process::wait_until(
      [&] {
        auto r = get("/v1/fleet/summary");
        if (!r || r->status != 200) return false;
        auto s = from_json<v1::FleetSummary>(r->body);
        return s.total() == 12 && s.online() == 12;
      },
      20'000);
  EXPECT_TRUE(all_online);
  auto riders = get("/v1/devices?kind=rider&page_size=10");
  ASSERT_TRUE(riders.ok());
  ASSERT_EQ(riders->status, 200) << riders->body;
  auto list = from_json<v1::DeviceList>(riders->body);
  ASSERT_EQ(list.devices_size(), 4);
  EXPECT_EQ(list.devices(0).kind(), v1::DEVICE_KIND_RIDER);
}

TEST_F(PipelineTest, CommandGoesDownThroughTheEdgeAndItsResultComesBack) {
  start_stack();
  sim::FleetOptions fo;
  fo.posters = 1;
  fo.event_interval_ms = 0;
  fo.status_interval_ms = 500;
  auto& fleet = start_fleet(fo);
  ASSERT_TRUE(process::wait_until([&] { return fleet.online() == 1; }, 20'000));
  const std::string device = "sim-poster-00001";
  // The cloud learns the device (and its edge) from the first batch.
  ASSERT_TRUE(process::wait_until(
      [&] {
        auto r = get("/v1/devices/" + device);
        return r.ok() && r->status == 200;
      },
      20'000));
  auto created = post("/v1/devices/" + device + "/commands", R"({"name":"set_brightness","args":{"pct":"40"}})");
  ASSERT_TRUE(created.ok()) << created.error().describe();
  ASSERT_EQ(created->status, 201) << created->body;
  auto view = from_json<v1::CommandView>(created->body);
  ASSERT_FALSE(view.command_id().empty());
  v1::CommandView done;
  bool completed = process::wait_until(
      [&] {
        auto r = get("/v1/commands/" + view.command_id());
        if (!r || r->status != 200) return false;
        done = from_json<v1::CommandView>(r->body);
        return done.state() == v1::COMMAND_STATE_COMPLETED;
      },
      20'000);
  ASSERT_TRUE(completed) << done.DebugString();
  EXPECT_EQ(done.result().outcome(), v1::COMMAND_OUTCOME_OK) << done.DebugString();
  // The poster reports the new brightness in its next status.
  bool reported = process::wait_until(
      [&] {
        auto r = get("/v1/devices/" + device);
        if (!r || r->status != 200) return false;
        auto d = from_json<v1::Device>(r->body);
        return d.last_status().poster().brightness_pct() == 40;
      },
      20'000);
  EXPECT_TRUE(reported);
}

}  // namespace
}  // namespace tidewire::testing
