#include "tidewire/firmware/rider_role.hpp"

#include <algorithm>

#include "command_args.hpp"
#include "tidewire/firmware/geo.hpp"
#include "tidewire/firmware/offer.hpp"

namespace tidewire::firmware {
namespace {

constexpr double kSignificantMoveM = 100.0;
// Offers waiting for the rider at once; beyond this a new one is declined.
constexpr size_t kMaxWaitingOffers = 8;

bool contains(const std::vector<std::string>& ids, const std::string& id) {
  return std::find(ids.begin(), ids.end(), id) != ids.end();
}

class RiderRole final : public DeviceHal {
 public:
  RiderRole(RiderHardwarePtr hardware, Clock& clock, MetricsRegistry* metrics)
      : hw_(std::move(hardware)), clock_(clock), metrics_(metrics), had_fix_(hw_->fix().valid) {}

  // Interface: DeviceHal
  v1::DeviceKind kind() const override { return v1::DEVICE_KIND_RIDER; }
  void poll(std::vector<HalEvent>& events) override;
  v1::Status status() const override;
  bool significant_change(const v1::Status& last_sent, const v1::Status& now) const override;
  CommandReply execute(const v1::Command& command, std::vector<HalEvent>& events) override;
  void take_deferred_replies(std::vector<DeferredReply>& out) override;

 private:
  class Taps;
  struct WaitingOffer {
    std::string command_id;
    v1::Offer offer;
  };

  bool available() const { return taking_orders_ && hw_->on_shift() && hw_->fix().valid && carried_.empty(); }
  void count(const char* answer);
  // The answer to an offer; an accepted one's new orders are carried from now on.
  CommandReply settle(const v1::Offer& offer, bool accept, const std::string& why);
  HalEvent report(const char* type, const std::string& order_id) const;
  void withdraw_expired();
  CommandReply offer(const v1::Command& command);
  CommandReply cancel(const v1::Command& command);
  CommandReply set_available(const v1::Command& command);

  RiderHardwarePtr hw_;
  Clock& clock_;
  MetricsRegistry* metrics_;
  bool had_fix_;
  bool taking_orders_ = true;
  std::vector<std::string> carried_;  // accepted or picked up, not yet delivered
  std::vector<WaitingOffer> waiting_;
  std::vector<DeferredReply> replies_;
};

// RiderTaps for one poll: the rider's actions become events in that poll's list.
class RiderRole::Taps final : public RiderTaps {
 public:
  Taps(RiderRole& role, std::vector<HalEvent>& events) : role_(role), events_(events) {}

  // Interface: RiderTaps
  bool answer(const std::string& offer_id, bool accept, const std::string& why) override {
    auto& w = role_.waiting_;
    auto it = std::find_if(w.begin(), w.end(), [&](const WaitingOffer& o) { return o.offer.offer_id() == offer_id; });
    if (it == w.end()) return false;
    WaitingOffer done = std::move(*it);
    w.erase(it);
    role_.replies_.push_back({done.command_id, role_.settle(done.offer, accept, why)});
    return true;
  }
  void decline_waiting(const std::string& why) override {
    while (!role_.waiting_.empty()) answer(role_.waiting_.front().offer.offer_id(), false, why);
  }
  bool picked_up(const std::string& order_id) override {
    if (!contains(role_.carried_, order_id)) return false;
    events_.push_back(role_.report(offer::kPickedUp, order_id));
    return true;
  }
  bool delivered(const std::string& order_id) override {
    if (!contains(role_.carried_, order_id)) return false;
    events_.push_back(role_.report(offer::kDelivered, order_id));
    std::erase(role_.carried_, order_id);
    return true;
  }
  void picked_up_unassigned(const std::string& order_id) override {
    if (!contains(role_.carried_, order_id)) role_.carried_.push_back(order_id);
    events_.push_back(role_.report(offer::kPickedUp, order_id));
  }
  void shift_changed(bool on_shift, const std::string& reason) override {
    std::string battery = std::to_string(role_.hw_->battery_pct().value_or(100));
    events_.push_back({on_shift ? "shift.started" : "shift.ended",
                       v1::PRIORITY_NORMAL,
                       {{"reason", reason}, {"battery_pct", battery}}});
  }
  bool taking_orders() const override { return role_.taking_orders_; }
  const std::vector<std::string>& carried() const override { return role_.carried_; }

 private:
  RiderRole& role_;
  std::vector<HalEvent>& events_;
};

void RiderRole::count(const char* answer) {
  if (metrics_)
    metrics_->counter("tw_agent_offers_total", "Dispatch offers, by how they were answered", {{"answer", answer}})
        .inc();
}

HalEvent RiderRole::report(const char* type, const std::string& order_id) const {
  PositionFix fix = hw_->fix();
  return offer::report(type, order_id, fix.lat, fix.lon);
}

CommandReply RiderRole::settle(const v1::Offer& offer, bool accept, const std::string& why) {
  count(accept ? "accepted" : "declined");
  if (accept) {
    std::vector<const v1::OfferLeg*> fresh;
    for (const auto& leg : offer.legs()) {
      // An order offered again (a re-sent offer under a new id) is not taken twice.
      if (contains(carried_, leg.order_id())) continue;
      carried_.push_back(leg.order_id());
      fresh.push_back(&leg);
    }
    hw_->accepted(offer, fresh);
  }
  return offer::answer(offer, accept, why);
}

void RiderRole::withdraw_expired() {
  int64_t wall = clock_.wall_ms();
  for (auto it = waiting_.begin(); it != waiting_.end();) {
    if (it->offer.expires_ms() > 0 && it->offer.expires_ms() <= wall) {
      // The session answers EXPIRED at the command's deadline; the rider stops seeing it.
      count("expired");
      hw_->withdrawn(it->offer.offer_id());
      it = waiting_.erase(it);
    } else {
      ++it;
    }
  }
}

void RiderRole::poll(std::vector<HalEvent>& events) {
  Taps taps(*this, events);
  hw_->poll(taps);
  bool fix = hw_->fix().valid;
  if (fix != had_fix_) {
    had_fix_ = fix;
    events.push_back({fix ? "gps.fix_acquired" : "gps.fix_lost", v1::PRIORITY_NORMAL, {}});
  }
  withdraw_expired();
}

void RiderRole::take_deferred_replies(std::vector<DeferredReply>& out) {
  for (auto& r : replies_) out.push_back(std::move(r));
  replies_.clear();
}

v1::Status RiderRole::status() const {
  v1::Status s;
  auto* r = s.mutable_rider();
  PositionFix fix = hw_->fix();
  r->set_lat(fix.lat);
  r->set_lon(fix.lon);
  r->set_speed_mps(static_cast<float>(fix.speed_mps));
  r->set_heading_deg(static_cast<float>(fix.heading_deg));
  r->set_accuracy_m(fix.valid ? static_cast<float>(fix.accuracy_m) : 0.0f);  // 0: unknown
  r->set_battery_pct(hw_->battery_pct().value_or(100));
  r->set_available(available());
  for (const auto& id : carried_) r->add_carried_order_ids(id);
  return s;
}

bool RiderRole::significant_change(const v1::Status& last_sent, const v1::Status& now) const {
  const auto& a = last_sent.rider();
  const auto& b = now.rider();
  if (a.available() != b.available() || a.carried_order_ids_size() != b.carried_order_ids_size()) return true;
  for (int i = 0; i < a.carried_order_ids_size(); ++i)
    if (a.carried_order_ids(i) != b.carried_order_ids(i)) return true;
  if (a.battery_pct() / 5 != b.battery_pct() / 5) return true;
  return geo::distance_m(a.lat(), a.lon(), b.lat(), b.lon()) >= kSignificantMoveM;
}

CommandReply RiderRole::offer(const v1::Command& command) {
  auto decoded = offer::decode(command);
  if (!decoded) {
    count("malformed");
    return offer::malformed(decoded.error());
  }
  // Declined at once rather than left to expire: dispatch can try the next rider now.
  if (!hw_->on_shift()) return settle(*decoded, false, "off shift");
  if (!taking_orders_) return settle(*decoded, false, "not taking orders");
  if (waiting_.size() >= kMaxWaitingOffers) return settle(*decoded, false, "too many offers waiting for the rider");
  OfferDecision d = hw_->present(*decoded, carried_);
  if (d.answer == OfferDecision::Answer::kLater) {
    waiting_.push_back({command.command_id(), std::move(*decoded)});
    return CommandReply::later();
  }
  return settle(*decoded, d.answer == OfferDecision::Answer::kAccept, d.why);
}

CommandReply RiderRole::cancel(const v1::Command& command) {
  auto id = roles::arg(command, "order_id");
  if (!id || id->empty()) return CommandReply::failed("dispatch.cancel needs order_id");
  bool had = contains(carried_, *id);
  std::erase(carried_, *id);
  hw_->cancelled(*id);
  CommandReply reply = CommandReply::ok(had ? "order dropped" : "order not carried; nothing to do");
  reply.output["dropped"] = had ? "true" : "false";
  return reply;
}

CommandReply RiderRole::set_available(const v1::Command& command) {
  auto on = roles::bool_arg(command, "available");
  if (!on) return CommandReply::failed("set_available needs available=true|false");
  taking_orders_ = *on;
  CommandReply reply = CommandReply::ok(*on ? "taking orders" : "not taking orders");
  reply.output["available"] = available() ? "true" : "false";
  return reply;
}

CommandReply RiderRole::execute(const v1::Command& command, std::vector<HalEvent>& events) {
  (void)events;
  if (command.name() == offer::kOfferCommand) return offer(command);
  if (command.name() == offer::kCancelCommand) return cancel(command);
  if (command.name() == "set_available") return set_available(command);
  return CommandReply::unsupported(command.name());
}

}  // namespace

DeviceHalPtr make_rider_role(RiderHardwarePtr hardware, Clock& clock, MetricsRegistry* metrics) {
  return std::make_unique<RiderRole>(std::move(hardware), clock, metrics);
}

}  // namespace tidewire::firmware
