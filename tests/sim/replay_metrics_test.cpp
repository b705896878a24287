#include <gtest/gtest.h>

#include <string>

#include "tidewire/sim/replay.hpp"

namespace tidewire::sim {
namespace {

constexpr int64_t kMin = 60'000;

// A delivered order whose pickup and drop-off are the same point, so the direct travel
// term is zero and the lower bound is ready - placed + drop-off service.
ReplayOrder delivered(const std::string& id, const std::string& rider, int64_t placed, int64_t ready,
                      int64_t assigned, int64_t picked, int64_t delivered_at, int64_t promised) {
  ReplayOrder r;
  r.order.id = id;
  r.accepted = true;
  auto& v = r.view;
  v.set_order_id(id);
  v.set_state(v1::ORDER_STATE_DELIVERED);
  v.set_rider_id(rider);
  v.set_pickup_lat(31.2);
  v.set_pickup_lon(121.4);
  v.set_dropoff_lat(31.2);
  v.set_dropoff_lon(121.4);
  v.set_placed_ms(placed);
  v.set_ready_ms(ready);
  v.set_assigned_ms(assigned);
  v.set_picked_up_ms(picked);
  v.set_delivered_ms(delivered_at);
  v.set_promised_ms(promised);
  v.set_offers_made(1);
  return r;
}

std::string field(const std::string& json, const std::string& key) {
  auto at = json.find("\"" + key + "\": ");
  if (at == std::string::npos) return "<missing>";
  at += key.size() + 4;
  return json.substr(at, json.find_first_of(",\n}", at) - at);
}

TEST(ReplayMetrics, ComputesClickToDoorOnTimeUtilisationAndTheLowerBound) {
  ReplayMetricsInput in;
  in.service_s = 240;
  // Two orders of rider A: 30 and 50 minutes click to door.
  in.orders.push_back(delivered("o1", "A", 0, 10 * kMin, 0, 12 * kMin, 30 * kMin, 45 * kMin));
  in.orders.push_back(delivered("o2", "A", 0, 10 * kMin, 10 * kMin, 20 * kMin, 50 * kMin, 45 * kMin));
  auto declined = delivered("o3", "B", 0, 0, 0, 0, 0, 0);
  declined.view.set_state(v1::ORDER_STATE_CANCELLED);
  declined.view.add_timeline()->set_event("offer_declined");
  declined.view.add_timeline()->set_event("offer_timed_out");
  in.orders.push_back(declined);
  ReplayOrder refused;
  refused.order.id = "o4";
  in.orders.push_back(refused);
  in.shifts = {{"A", 0, 60 * kMin}, {"B", 0, 60 * kMin}};
  in.window_start_ms = 0;
  in.window_end_ms = 60 * kMin;

  std::string json = replay_metrics_json(in, "  \"policy\": \"batch\"");
  EXPECT_EQ(field(json, "orders_in_file"), "4");
  EXPECT_EQ(field(json, "orders_placed"), "3");
  EXPECT_EQ(field(json, "orders_refused"), "1");
  EXPECT_EQ(field(json, "orders_delivered"), "2");
  EXPECT_EQ(field(json, "orders_cancelled"), "1");
  EXPECT_NE(json.find("\"click_to_door_s\": {\"mean\": 2400, \"p50\": 1800, \"p90\": 3000, \"max\": 3000}"),
            std::string::npos)
      << json;
  EXPECT_EQ(field(json, "ready_to_pickup_mean_s"), "360");  // (2 + 10) / 2 minutes
  EXPECT_EQ(field(json, "on_time_rate"), "0.5");
  // Rider A busy 0..30 and 10..50 -> 50 minutes of 120 shift minutes.
  EXPECT_EQ(field(json, "rider_utilisation"), "0.417");
  EXPECT_EQ(field(json, "offers_declined"), "1");
  EXPECT_EQ(field(json, "offers_timed_out"), "1");
  // Lower bound per order: 600 s to ready + 0 travel + 240 s service = 840 s.
  EXPECT_EQ(field(json, "lower_bound_mean_s"), "840");
  EXPECT_EQ(field(json, "lower_bound_ratio"), "2.857");
  EXPECT_EQ(field(json, "policy"), "\"batch\"");
}

TEST(ReplayMetrics, NothingDeliveredGivesZerosNotNaN) {
  ReplayMetricsInput in;
  std::string json = replay_metrics_json(in);
  EXPECT_EQ(json.find("nan"), std::string::npos);
  EXPECT_EQ(field(json, "lower_bound_ratio"), "0");
}

}  // namespace
}  // namespace tidewire::sim
