#include <cmath>
#include <cstdio>

#include "board/board_devices.hpp"
#include "tidewire/common/log.hpp"

namespace tidewire::firmware::board {
namespace {
constexpr const char* kLog = "hal";

// Quotes a string for JSON (offer and order ids, merchant names).
std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(static_cast<char>(c));
    } else if (c < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  return out + "\"";
}

std::string json_number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.7f", std::isfinite(v) ? v : 0.0);
  return buf;
}

// {"offer_id":..,"orders":[{order_id, merchant_id, merchant_name, pickup_lat, ...}],"expires_ms":..}
std::string offer_json(const v1::Offer& offer) {
  std::string j = "{\"offer_id\":" + json_string(offer.offer_id()) + ",\"orders\":[";
  for (int i = 0; i < offer.legs_size(); ++i) {
    const auto& l = offer.legs(i);
    if (i > 0) j += ",";
    j += "{\"order_id\":" + json_string(l.order_id()) + ",\"merchant_id\":" + json_string(l.merchant_id()) +
         ",\"merchant_name\":" + json_string(l.merchant_name()) + ",\"pickup_lat\":" + json_number(l.pickup_lat()) +
         ",\"pickup_lon\":" + json_number(l.pickup_lon()) + ",\"dropoff_lat\":" + json_number(l.dropoff_lat()) +
         ",\"dropoff_lon\":" + json_number(l.dropoff_lon()) + ",\"ready_ms\":" + std::to_string(l.ready_ms()) +
         ",\"promised_ms\":" + std::to_string(l.promised_ms()) + "}";
  }
  return j + "],\"expires_ms\":" + std::to_string(offer.expires_ms()) + "}";
}
}  // namespace

BoardRider::BoardRider(const BoardHalOptions& options, Clock& clock, Counter& bad_lines, Counter& ui_bad_lines)
    : options_(options),
      clock_(clock),
      bad_lines_(bad_lines),
      ui_bad_lines_(ui_bad_lines),
      desk_(options.offer_socket_path.empty() ? nullptr : std::make_unique<OfferDesk>(options.offer_socket_path)),
      gps_(options.gps_path) {}

PositionFix BoardRider::fix() const {
  const auto& f = tracker_.fix();
  return {f.valid, f.lat_deg, f.lon_deg, f.speed_mps, f.heading_deg, f.accuracy_m};
}

void BoardRider::read_gps(int64_t now) {
  uint64_t bad = 0;
  std::string last_error;
  auto st = gps_.read(
      [&](std::string_view line) {
        if (line.empty()) return;
        if (auto fed = tracker_.feed(line); !fed) {
          ++bad;
          last_error = fed.error().message;
        }
      },
      now);
  if (!st) TW_WARN(kLog, "GPS: " << st.error().message);
  if (bad > 0) {
    bad_lines_.inc(bad);
    if (now >= next_warn_ms_) {
      next_warn_ms_ = now + 60'000;
      TW_WARN(kLog,
              "GPS: dropped " << bad << " bad NMEA lines from " << gps_.path() << " (last: " << last_error << ")");
    }
  }
}

void BoardRider::read_battery(int64_t now) {
  if (now < next_battery_ms_) return;
  next_battery_ms_ = now + options_.sysfs_period_ms;
  battery_pct_.reset();
  for (const auto& supply : list_dir(options_.power_supply_dir)) {
    std::string dir = options_.power_supply_dir + "/" + supply;
    if (read_first_line(dir + "/type").value_or("") != "Battery") continue;
    auto capacity = read_int(dir + "/capacity");
    if (capacity && *capacity >= 0 && *capacity <= 100) {
      battery_pct_ = static_cast<uint32_t>(*capacity);
      break;
    }
  }
}

void BoardRider::on_ui_line(const std::string& line, RiderTaps& taps) {
  auto space = line.find(' ');
  std::string verb = line.substr(0, space);
  std::string id = space == std::string::npos ? "" : line.substr(space + 1);
  bool known = false;
  if (verb == "accept")
    known = taps.answer(id, true, "accepted by the rider");
  else if (verb == "decline")
    known = taps.answer(id, false, "declined by the rider");
  else if (verb == "picked_up")
    known = taps.picked_up(id);
  else if (verb == "delivered")
    known = taps.delivered(id);
  if (known) return;
  // An unknown verb, or an offer / order this terminal does not hold (answered already,
  // expired, cancelled): the UI hears why, and it is counted.
  ui_bad_lines_.inc();
  desk_->send("{\"error\":" + json_string("not understood or unknown id: " + line.substr(0, 80)) + "}");
}

void BoardRider::serve_ui(int64_t now, RiderTaps& taps) {
  if (!desk_) return;
  ui_lines_.clear();
  auto st = desk_->poll(ui_lines_, now);
  if (!st && now >= next_ui_warn_ms_) {
    next_ui_warn_ms_ = now + 60'000;
    TW_WARN(kLog, "offer UI: " << st.error().message);
  }
  for (const auto& line : ui_lines_) on_ui_line(line, taps);
  // Nobody is looking at the offers any more: give them back now rather than at expiry.
  if (desk_->take_disconnect() || !desk_->connected()) taps.decline_waiting("offer UI disconnected");
}

void BoardRider::poll(RiderTaps& taps) {
  int64_t now = clock_.steady_ms();
  read_gps(now);
  read_battery(now);
  serve_ui(now, taps);
}

OfferDecision BoardRider::present(const v1::Offer& offer, const std::vector<std::string>& carried) {
  (void)carried;
  // Declined at once rather than left to expire: dispatch can try the next rider now.
  if (!desk_ || !desk_->connected()) return OfferDecision::decline("no offer UI connected");
  if (!desk_->send(offer_json(offer))) return OfferDecision::decline("offer UI stopped reading");
  return OfferDecision::later();
}

void BoardRider::withdrawn(const std::string& offer_id) {
  if (desk_) desk_->send("{\"withdrawn\":" + json_string(offer_id) + "}");
}

void BoardRider::cancelled(const std::string& order_id) {
  if (desk_) desk_->send("{\"cancelled\":" + json_string(order_id) + "}");
}

}  // namespace tidewire::firmware::board
