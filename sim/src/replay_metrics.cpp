// The replay's figures, computed from the orders' final views (GET /v1/orders/{id}), so
// they measure what the cloud recorded, not what the simulator believes happened.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <sstream>

#include "tidewire/dispatch/geo.hpp"
#include "tidewire/sim/replay.hpp"

namespace tidewire::sim {
namespace {

struct Summary {
  double mean = 0, p50 = 0, p90 = 0, max = 0;
};

// Nearest-rank percentiles over seconds.
Summary summarize(std::vector<double> v) {
  Summary s;
  if (v.empty()) return s;
  std::sort(v.begin(), v.end());
  double sum = 0;
  for (double x : v) sum += x;
  s.mean = sum / static_cast<double>(v.size());
  auto rank = [&](double p) {
    size_t k = static_cast<size_t>(std::ceil(p * static_cast<double>(v.size())));
    return v[std::clamp<size_t>(k, 1, v.size()) - 1];
  };
  s.p50 = rank(0.5);
  s.p90 = rank(0.9);
  s.max = v.back();
  return s;
}

std::string num(double x) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.3f", x);
  std::string s(buf);
  // "12.500" -> "12.5", "3.000" -> "3": shorter and still exact to the millisecond.
  s.erase(s.find_last_not_of('0') + 1);
  if (s.back() == '.') s.pop_back();
  return s;
}

// Total length of the union of [begin, end) intervals.
int64_t union_length(std::vector<std::pair<int64_t, int64_t>> spans) {
  std::sort(spans.begin(), spans.end());
  int64_t total = 0, cur_b = 0, cur_e = 0;
  bool open = false;
  for (auto [b, e] : spans) {
    if (e <= b) continue;
    if (!open || b > cur_e) {
      if (open) total += cur_e - cur_b;
      cur_b = b;
      cur_e = e;
      open = true;
    } else {
      cur_e = std::max(cur_e, e);
    }
  }
  if (open) total += cur_e - cur_b;
  return total;
}

}  // namespace

std::string replay_metrics_json(const ReplayMetricsInput& in, const std::string& extra_fields) {
  size_t placed = 0, delivered = 0, cancelled = 0, open = 0, refused = 0, on_time = 0;
  uint64_t declined = 0, timed_out = 0, offers = 0;
  std::vector<double> click_to_door, ready_to_pickup;
  double lower_bound_sum = 0;
  std::map<std::string, std::vector<std::pair<int64_t, int64_t>>> busy;  // rider -> [assigned, delivered)

  for (const auto& r : in.orders) {
    if (!r.accepted) {
      ++refused;
      continue;
    }
    ++placed;
    const auto& v = r.view;
    offers += v.offers_made();
    for (const auto& e : v.timeline()) {
      if (e.event() == "offer_declined") ++declined;
      if (e.event() == "offer_timed_out") ++timed_out;
    }
    if (v.state() == v1::ORDER_STATE_CANCELLED) {
      ++cancelled;
      continue;
    }
    if (v.state() != v1::ORDER_STATE_DELIVERED) {
      ++open;
      if (!v.rider_id().empty() && v.assigned_ms() > 0) busy[v.rider_id()].push_back({v.assigned_ms(), in.window_end_ms});
      continue;
    }
    ++delivered;
    click_to_door.push_back(static_cast<double>(v.delivered_ms() - v.placed_ms()) / 1000.0);
    ready_to_pickup.push_back(static_cast<double>(v.picked_up_ms() - v.ready_ms()) / 1000.0);
    if (v.delivered_ms() <= v.promised_ms()) ++on_time;
    double direct_m = dispatch::haversine_m({v.pickup_lat(), v.pickup_lon()}, {v.dropoff_lat(), v.dropoff_lon()});
    lower_bound_sum += static_cast<double>(v.ready_ms() - v.placed_ms()) / 1000.0 + direct_m / in.speed_mpm * 60.0 +
                       in.service_s;
    if (!v.rider_id().empty()) busy[v.rider_id()].push_back({v.assigned_ms(), v.delivered_ms()});
  }

  int64_t shift_ms = 0;
  for (const auto& s : in.shifts) {
    shift_ms += std::max<int64_t>(0, std::min(s.off_ms, in.window_end_ms) - std::max(s.on_ms, in.window_start_ms));
  }
  int64_t busy_ms = 0;
  for (auto& [rider, spans] : busy) {
    for (auto& span : spans) span.second = std::min(span.second, in.window_end_ms);
    busy_ms += union_length(spans);
  }

  Summary ctd = summarize(click_to_door);
  Summary rtp = summarize(ready_to_pickup);
  double lower_bound_mean = delivered > 0 ? lower_bound_sum / static_cast<double>(delivered) : 0;
  std::ostringstream out;
  out << "{\n"
      << "  \"orders_in_file\": " << in.orders.size() << ",\n"
      << "  \"orders_placed\": " << placed << ",\n"
      << "  \"orders_refused\": " << refused << ",\n"
      << "  \"orders_delivered\": " << delivered << ",\n"
      << "  \"orders_cancelled\": " << cancelled << ",\n"
      << "  \"orders_open_at_end\": " << open << ",\n"
      << "  \"click_to_door_s\": {\"mean\": " << num(ctd.mean) << ", \"p50\": " << num(ctd.p50)
      << ", \"p90\": " << num(ctd.p90) << ", \"max\": " << num(ctd.max) << "},\n"
      << "  \"ready_to_pickup_mean_s\": " << num(rtp.mean) << ",\n"
      << "  \"on_time_rate\": " << num(delivered > 0 ? static_cast<double>(on_time) / static_cast<double>(delivered) : 0)
      << ",\n"
      << "  \"rider_utilisation\": "
      << num(shift_ms > 0 ? static_cast<double>(busy_ms) / static_cast<double>(shift_ms) : 0) << ",\n"
      << "  \"rider_shift_hours\": " << num(static_cast<double>(shift_ms) / 3.6e6) << ",\n"
      << "  \"offers_made\": " << offers << ",\n"
      << "  \"offers_declined\": " << declined << ",\n"
      << "  \"offers_timed_out\": " << timed_out << ",\n"
      << "  \"lower_bound_mean_s\": " << num(lower_bound_mean) << ",\n"
      << "  \"lower_bound_ratio\": " << num(lower_bound_mean > 0 ? ctd.mean / lower_bound_mean : 0);
  if (!extra_fields.empty()) out << ",\n" << extra_fields;
  out << "\n}\n";
  return out.str();
}

}  // namespace tidewire::sim
