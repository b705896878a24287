#include <algorithm>
#include <cmath>
#include <cstdio>

#include "board/board_devices.hpp"
#include "tidewire/common/log.hpp"
#include "tidewire/firmware/geo.hpp"
#include "tidewire/firmware/offer.hpp"

namespace tidewire::firmware::board {
namespace {
constexpr const char* kLog = "hal";
constexpr double kSignificantMoveM = 100.0;
// Offers shown to the UI at once; beyond this a new one is declined.
constexpr size_t kMaxPendingOffers = 8;

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

BoardRider::BoardRider(const BoardHalOptions& options, Clock& clock, Counter& bad_lines, MetricsRegistry& metrics)
    : options_(options),
      clock_(clock),
      bad_lines_(bad_lines),
      metrics_(metrics),
      ui_bad_lines_(metrics.counter("tw_agent_hal_bad_lines_total", "Lines from the board's devices that did not parse",
                                    {{"source", "offer_ui"}})),
      desk_(options.offer_socket_path.empty() ? nullptr : std::make_unique<OfferDesk>(options.offer_socket_path)),
      gps_(options.gps_path) {}

Counter& BoardRider::offers(const char* answer) {
  return metrics_.counter("tw_agent_offers_total", "Dispatch offers, by how they were answered", {{"answer", answer}});
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

void BoardRider::resolve(const std::string& offer_id, bool accept, const std::string& why) {
  auto it = std::find_if(pending_.begin(), pending_.end(),
                         [&](const PendingOffer& p) { return p.offer.offer_id() == offer_id; });
  if (it == pending_.end()) return;
  if (accept)
    for (const auto& leg : it->offer.legs())
      if (std::find(carried_.begin(), carried_.end(), leg.order_id()) == carried_.end())
        carried_.push_back(leg.order_id());
  offers(accept ? "accepted" : "declined").inc();
  replies_.push_back({it->command_id, offer::answer(it->offer, accept, why)});
  pending_.erase(it);
}

void BoardRider::on_ui_line(const std::string& line, std::vector<HalEvent>& events) {
  auto space = line.find(' ');
  std::string verb = line.substr(0, space);
  std::string id = space == std::string::npos ? "" : line.substr(space + 1);
  bool known = false;
  if (verb == "accept" || verb == "decline") {
    known =
        std::any_of(pending_.begin(), pending_.end(), [&](const PendingOffer& p) { return p.offer.offer_id() == id; });
    if (known) resolve(id, verb == "accept", verb == "accept" ? "accepted by the rider" : "declined by the rider");
  } else if (verb == "picked_up" || verb == "delivered") {
    known = std::find(carried_.begin(), carried_.end(), id) != carried_.end();
    if (known) {
      const auto& fix = tracker_.fix();
      events.push_back(
          offer::report(verb == "picked_up" ? offer::kPickedUp : offer::kDelivered, id, fix.lat_deg, fix.lon_deg));
      if (verb == "delivered") carried_.erase(std::remove(carried_.begin(), carried_.end(), id), carried_.end());
    }
  }
  if (known) return;
  // An unknown verb, or an offer / order this terminal does not hold (answered already,
  // expired, cancelled): the UI hears why, and it is counted.
  ui_bad_lines_.inc();
  desk_->send("{\"error\":" + json_string("not understood or unknown id: " + line.substr(0, 80)) + "}");
}

void BoardRider::serve_ui(int64_t now, std::vector<HalEvent>& events) {
  if (!desk_) return;
  ui_lines_.clear();
  auto st = desk_->poll(ui_lines_, now);
  if (!st && now >= next_ui_warn_ms_) {
    next_ui_warn_ms_ = now + 60'000;
    TW_WARN(kLog, "offer UI: " << st.error().message);
  }
  for (const auto& line : ui_lines_) on_ui_line(line, events);
  if (desk_->take_disconnect() || !desk_->connected()) {
    // Nobody is looking at the offers any more: give them back now rather than at expiry.
    while (!pending_.empty()) resolve(pending_.front().offer.offer_id(), false, "offer UI disconnected");
  }
  int64_t wall = clock_.wall_ms();
  for (auto it = pending_.begin(); it != pending_.end();) {
    if (it->offer.expires_ms() > 0 && it->offer.expires_ms() <= wall) {
      // The session answers EXPIRED at the command's deadline; the UI stops showing it.
      offers("expired").inc();
      desk_->send("{\"withdrawn\":" + json_string(it->offer.offer_id()) + "}");
      it = pending_.erase(it);
    } else {
      ++it;
    }
  }
}

void BoardRider::poll(std::vector<HalEvent>& events) {
  int64_t now = clock_.steady_ms();
  read_gps(now);
  const auto& fix = tracker_.fix();
  if (fix.valid != had_fix_) {
    had_fix_ = fix.valid;
    events.push_back({fix.valid ? "gps.fix_acquired" : "gps.fix_lost", v1::PRIORITY_NORMAL, {}});
  }
  read_battery(now);
  serve_ui(now, events);
}

void BoardRider::take_deferred_replies(std::vector<DeferredReply>& out) {
  for (auto& r : replies_) out.push_back(std::move(r));
  replies_.clear();
}

v1::Status BoardRider::status() const {
  v1::Status s;
  auto* r = s.mutable_rider();
  const auto& fix = tracker_.fix();
  r->set_lat(fix.lat_deg);
  r->set_lon(fix.lon_deg);
  r->set_speed_mps(static_cast<float>(fix.speed_mps));
  r->set_heading_deg(static_cast<float>(fix.heading_deg));
  // No fix: accuracy 0 says "unknown", and the position is the last one known.
  r->set_accuracy_m(fix.valid ? static_cast<float>(fix.accuracy_m) : 0.0f);
  r->set_battery_pct(battery_pct_.value_or(100));
  r->set_available(wants_orders_ && fix.valid && carried_.empty());
  for (const auto& id : carried_) r->add_carried_order_ids(id);
  return s;
}

bool BoardRider::significant_change(const v1::Status& last_sent, const v1::Status& now) const {
  const auto& a = last_sent.rider();
  const auto& b = now.rider();
  return a.available() != b.available() || a.battery_pct() / 5 != b.battery_pct() / 5 ||
         a.carried_order_ids_size() != b.carried_order_ids_size() ||
         geo::distance_m(a.lat(), a.lon(), b.lat(), b.lon()) >= kSignificantMoveM;
}

CommandReply BoardRider::offer(const v1::Command& command) {
  auto decoded = offer::decode(command);
  if (!decoded) {
    offers("malformed").inc();
    return offer::malformed(decoded.error());
  }
  // Declined at once rather than left to expire: dispatch can try the next rider now.
  const char* no = nullptr;
  if (!desk_ || !desk_->connected())
    no = "no offer UI connected";
  else if (!wants_orders_)
    no = "not taking orders";
  else if (pending_.size() >= kMaxPendingOffers)
    no = "too many offers waiting for the rider";
  if (no) {
    offers("declined").inc();
    return offer::answer(*decoded, false, no);
  }
  if (!desk_->send(offer_json(*decoded))) {
    offers("declined").inc();
    return offer::answer(*decoded, false, "offer UI stopped reading");
  }
  pending_.push_back({command.command_id(), std::move(*decoded)});
  return CommandReply::later();
}

CommandReply BoardRider::cancel(const v1::Command& command) {
  auto it = command.args().find("order_id");
  if (it == command.args().end() || it->second.empty()) return CommandReply::failed("dispatch.cancel needs order_id");
  const std::string& id = it->second;
  bool had = std::find(carried_.begin(), carried_.end(), id) != carried_.end();
  carried_.erase(std::remove(carried_.begin(), carried_.end(), id), carried_.end());
  if (desk_) desk_->send("{\"cancelled\":" + json_string(id) + "}");
  CommandReply reply = CommandReply::ok(had ? "order dropped" : "order not carried; nothing to do");
  reply.output["dropped"] = had ? "true" : "false";
  return reply;
}

CommandReply BoardRider::execute(const v1::Command& command, std::vector<HalEvent>& events) {
  (void)events;
  if (command.name() == offer::kOfferCommand) return offer(command);
  if (command.name() == offer::kCancelCommand) return cancel(command);
  if (command.name() != "set_available") return CommandReply::unsupported(command.name());
  auto it = command.args().find("available");
  if (it == command.args().end() || (it->second != "true" && it->second != "false"))
    return CommandReply::failed("set_available needs available=true|false");
  wants_orders_ = it->second == "true";
  return CommandReply::ok(wants_orders_ ? "taking orders" : "not taking orders");
}

}  // namespace tidewire::firmware::board
