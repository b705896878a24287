// Simulated devices: deterministic, plausible, and obedient to their commands.
#include "sim/sim_hal.hpp"

#include <gtest/gtest.h>

#include <map>

#include "tidewire/firmware/geo.hpp"
#include "tidewire/protocols/codec.hpp"

namespace tidewire::firmware {
namespace {

struct Sim {
  explicit Sim(v1::DeviceKind kind, SimHalOptions options = {}, uint64_t seed = 7) : random(seed) {
    hal = make_sim_hal(kind, options, clock, random);
  }
  // Polls every step_ms for total_ms; returns the events.
  std::vector<HalEvent> run(int64_t total_ms, int64_t step_ms = 1000) {
    std::vector<HalEvent> out;
    for (int64_t t = 0; t < total_ms; t += step_ms) {
      clock.advance_ms(step_ms);
      hal->poll(out);
    }
    return out;
  }
  CommandReply command(const std::string& name, std::map<std::string, std::string> args = {}) {
    v1::Command c;
    c.set_command_id("c");
    c.set_name(name);
    for (const auto& [k, v] : args) (*c.mutable_args())[k] = v;
    return hal->execute(c, events);
  }
  // The status passes the edge's validation.
  void expect_valid_status() {
    v1::Envelope e;
    e.set_device_id("d1");
    e.set_site("s1");
    e.set_kind(hal->kind());
    *e.mutable_status() = hal->status();
    auto st = codec::validate_envelope(e);
    EXPECT_TRUE(st.ok()) << st.error().describe();
  }

  ManualClock clock;
  SeededRandom random;
  DeviceHalPtr hal;
  std::vector<HalEvent> events;
};

size_t count(const std::vector<HalEvent>& events, const std::string& type) {
  size_t n = 0;
  for (const auto& e : events) n += e.type == type;
  return n;
}

TEST(SimHal, SameSeedSameDevice) {
  Sim a(v1::DEVICE_KIND_RIDER), b(v1::DEVICE_KIND_RIDER);
  auto ea = a.run(600'000), eb = b.run(600'000);
  EXPECT_EQ(a.hal->status().SerializeAsString(), b.hal->status().SerializeAsString());
  ASSERT_EQ(ea.size(), eb.size());
  Sim c(v1::DEVICE_KIND_RIDER, {}, 8);
  c.run(600'000);
  EXPECT_NE(a.hal->status().SerializeAsString(), c.hal->status().SerializeAsString());
  EXPECT_EQ(make_sim_hal(v1::DEVICE_KIND_UNSPECIFIED, {}, a.clock, a.random), nullptr);
}

TEST(SimRider, RidesAtARealisticSpeedInsideItsArea) {
  SimHalOptions o;
  o.event_interval_ms = 0;
  Sim sim(v1::DEVICE_KIND_RIDER, o);
  auto prev = sim.hal->status().rider();
  double travelled = 0;
  int moving = 0;
  for (int i = 0; i < 1800; ++i) {
    sim.run(1000);
    auto now = sim.hal->status().rider();
    double d = geo::distance_m(prev.lat(), prev.lon(), now.lat(), now.lon());
    EXPECT_LE(d, 7.0 * 1.3 + 0.01) << "teleported at step " << i;
    EXPECT_LE(now.speed_mps(), 9.2f);
    EXPECT_GE(now.heading_deg(), 0.0f);
    EXPECT_LT(now.heading_deg(), 360.0f);
    EXPECT_LE(geo::distance_m(o.center_lat, o.center_lon, now.lat(), now.lon()), o.area_radius_m + 1);
    travelled += d;
    moving += now.speed_mps() > 0;
    prev = now;
  }
  // Half an hour of courier riding: several kilometres, with stops.
  EXPECT_GT(travelled, 3000);
  EXPECT_LT(travelled, 1800 * 9.1);
  EXPECT_GT(moving, 600);
  EXPECT_LT(moving, 1800);
  sim.expect_valid_status();
}

TEST(SimRider, DrainsItsBatteryGoesOffShiftAndComesBackCharged) {
  Sim sim(v1::DEVICE_KIND_RIDER);
  uint32_t start = sim.hal->status().rider().battery_pct();
  auto events = sim.run(3'600'000, 10'000);
  EXPECT_LT(sim.hal->status().rider().battery_pct(), start);
  events = sim.run(12 * 3'600'000LL, 10'000);
  ASSERT_GE(count(events, "shift.ended"), 1u);
  EXPECT_GE(count(events, "shift.started"), 1u);
  for (const auto& e : events) {
    if (e.type == "shift.ended") {
      EXPECT_EQ(e.attributes.at("reason"), "battery_low");
    }
  }
  sim.expect_valid_status();
}

TEST(SimRider, PicksUpAndDeliversOrdersAtTheConfiguredRate) {
  SimHalOptions o;
  o.event_interval_ms = 60'000;
  Sim sim(v1::DEVICE_KIND_RIDER, o);
  auto events = sim.run(3'600'000);
  size_t picked = count(events, "order.picked_up"), delivered = count(events, "order.delivered");
  // Poisson with mean 60 per hour; some arrivals find the rider full or off shift.
  EXPECT_GT(picked + delivered, 25u);
  EXPECT_LT(picked + delivered, 100u);
  EXPECT_LE(delivered, picked);
  EXPECT_LE(picked - delivered, 2u);  // carries at most two
  EXPECT_EQ(static_cast<size_t>(sim.hal->status().rider().carried_order_ids_size()), picked - delivered);
  EXPECT_EQ(events.front().priority, v1::PRIORITY_HIGH);
}

TEST(SimRider, SetAvailableCommand) {
  Sim sim(v1::DEVICE_KIND_RIDER);
  EXPECT_EQ(sim.command("set_available", {{"available", "false"}}).outcome, v1::COMMAND_OUTCOME_OK);
  EXPECT_FALSE(sim.hal->status().rider().available());
  EXPECT_EQ(sim.command("set_available", {{"available", "maybe"}}).outcome, v1::COMMAND_OUTCOME_FAILED);
  EXPECT_EQ(sim.command("fly").outcome, v1::COMMAND_OUTCOME_UNSUPPORTED);
  auto before = sim.hal->status();
  sim.command("set_available", {{"available", "true"}});
  EXPECT_TRUE(sim.hal->significant_change(before, sim.hal->status()));
}

TEST(SimPoster, CyclesCreativesWithPlausibleTemperature) {
  SimHalOptions o;
  o.event_interval_ms = 30'000;
  Sim sim(v1::DEVICE_KIND_POSTER, o);
  auto events = sim.run(3'600'000);
  size_t changes = count(events, "display.changed");
  EXPECT_GT(changes, 60u);
  EXPECT_LT(changes, 200u);
  auto now = sim.hal->status().poster();
  EXPECT_GT(now.temperature_c(), 30.0f);  // settled near the display-on temperature
  EXPECT_LT(now.temperature_c(), 50.0f);
  EXPECT_GT(now.free_storage_bytes(), 0u);
  sim.expect_valid_status();
}

TEST(SimPoster, Commands) {
  Sim sim(v1::DEVICE_KIND_POSTER);
  EXPECT_EQ(sim.command("set_brightness", {{"pct", "40"}}).outcome, v1::COMMAND_OUTCOME_OK);
  EXPECT_EQ(sim.hal->status().poster().brightness_pct(), 40u);
  EXPECT_EQ(sim.command("set_brightness", {{"pct", "140"}}).outcome, v1::COMMAND_OUTCOME_FAILED);
  EXPECT_EQ(sim.command("set_brightness").outcome, v1::COMMAND_OUTCOME_FAILED);
  auto reply = sim.command("show_creative", {{"creative_id", "summer-sale"}});
  EXPECT_EQ(reply.outcome, v1::COMMAND_OUTCOME_OK);
  EXPECT_EQ(sim.hal->status().poster().creative_id(), "summer-sale");
  EXPECT_EQ(sim.hal->status().poster().playlist_version(), 2u);
  ASSERT_EQ(count(sim.events, "display.changed"), 1u);
  EXPECT_EQ(sim.events.back().attributes.at("reason"), "command");
  EXPECT_EQ(sim.command("set_display", {{"on", "false"}}).outcome, v1::COMMAND_OUTCOME_OK);
  EXPECT_FALSE(sim.hal->status().poster().display_on());
  EXPECT_EQ(sim.command("reboot").outcome, v1::COMMAND_OUTCOME_UNSUPPORTED);
}

TEST(SimEncoder, GoesLiveReportsHealthAndObeysStartStop) {
  SimHalOptions o;
  o.event_interval_ms = 20'000;
  Sim sim(v1::DEVICE_KIND_ENCODER, o);
  auto events = sim.run(3000);
  EXPECT_EQ(count(events, "stream.started"), 1u);
  auto live = sim.hal->status().encoder();
  EXPECT_EQ(live.state(), v1::ENCODER_STATE_LIVE);
  events = sim.run(600'000);
  auto e = sim.hal->status().encoder();
  EXPECT_GT(e.bitrate_kbps(), 4500u * 3 / 10);
  EXPECT_LT(e.bitrate_kbps(), 4500u * 12 / 10 + 1);
  EXPECT_GT(e.fps(), 0.0f);
  EXPECT_LE(e.fps(), 30.0f);
  EXPECT_GE(e.rtt_ms(), 15u);
  EXPECT_GT(e.buffer_ms(), 0u);
  EXPECT_GE(e.uptime_s(), 590u);
  EXPECT_GT(count(events, "frames.dropped"), 10u);
  EXPECT_GT(e.dropped_frames(), 0u);
  sim.expect_valid_status();

  EXPECT_EQ(sim.command("stop_stream").outcome, v1::COMMAND_OUTCOME_OK);
  EXPECT_EQ(sim.hal->status().encoder().state(), v1::ENCODER_STATE_STOPPING);
  events = sim.run(2000);
  EXPECT_EQ(count(events, "stream.stopped"), 1u);
  EXPECT_EQ(sim.hal->status().encoder().state(), v1::ENCODER_STATE_IDLE);
  EXPECT_EQ(sim.hal->status().encoder().bitrate_kbps(), 0u);

  EXPECT_EQ(sim.command("start_stream", {{"bitrate_kbps", "99999999"}}).outcome, v1::COMMAND_OUTCOME_FAILED);
  EXPECT_EQ(sim.command("start_stream", {{"bitrate_kbps", "2000"}}).outcome, v1::COMMAND_OUTCOME_OK);
  events = sim.run(3000);
  EXPECT_EQ(count(events, "stream.started"), 1u);
  EXPECT_EQ(sim.hal->status().encoder().state(), v1::ENCODER_STATE_LIVE);
  EXPECT_NEAR(sim.hal->status().encoder().bitrate_kbps(), 2000u, 400u);
  EXPECT_EQ(sim.command("set_bitrate", {{"kbps", "50"}}).outcome, v1::COMMAND_OUTCOME_FAILED);
}

}  // namespace
}  // namespace tidewire::firmware
