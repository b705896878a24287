#pragma once
// The rider terminal, written once for boards and the simulator (src/roles/rider_role.cpp):
// what it reports (position, battery, availability, the orders it carries), the events it
// raises and how it answers
//   set_available{available}  whether the rider takes orders
//   dispatch.offer            docs/dispatch.md, "On the wire": a malformed offer FAILS; the
//                             terminal declines at once off shift, when not taking orders
//                             or with 8 offers already waiting; otherwise the rider decides
//                             (RiderHardware::present), now or later. Unanswered by its
//                             deadline, the session answers EXPIRED and the offer is withdrawn.
//   dispatch.cancel{order_id} drops a carried order (output dropped=true|false)
// Available = taking orders, on shift, with a GPS fix and carrying nothing. Events:
// gps.fix_acquired / gps.fix_lost, order.picked_up / order.delivered (HIGH, at the current
// position), shift.started / shift.ended{reason, battery_pct}.
//
// RiderHardware is all that differs: a board reads a GPS tty and sysfs and asks a person
// through a local UI (platform/board/offer_desk.hpp); the simulator rides a modelled
// courier who answers at once and rides the trips it accepted.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tidewire/common/clock.hpp"
#include "tidewire/common/metrics.hpp"
#include "tidewire/firmware/hal.hpp"
#include "tidewire/v1/dispatch.pb.h"

namespace tidewire::firmware {

struct PositionFix {
  bool valid = false;  // without a fix the position is the last one known
  double lat = 0, lon = 0;
  double speed_mps = 0;
  double heading_deg = 0;
  double accuracy_m = 0;
};

// The rider's answer to an offer shown to them.
struct OfferDecision {
  enum class Answer { kAccept, kDecline, kLater };
  Answer answer = Answer::kLater;
  std::string why;

  static OfferDecision accept(std::string why) { return {Answer::kAccept, std::move(why)}; }
  static OfferDecision decline(std::string why) { return {Answer::kDecline, std::move(why)}; }
  // The rider answers through RiderTaps::answer (or never: the offer expires).
  static OfferDecision later() { return {Answer::kLater, ""}; }
};

// The terminal as its hardware sees it during RiderHardware::poll: what the rider did.
class RiderTaps {
 public:
  virtual ~RiderTaps() = default;
  // The rider answered a waiting offer; false when none by that id waits (answered,
  // withdrawn or never shown).
  virtual bool answer(const std::string& offer_id, bool accept, const std::string& why) = 0;
  // Declines every waiting offer (the rider can no longer see them).
  virtual void decline_waiting(const std::string& why) = 0;
  // A carried order was picked up / delivered here; false when the order is not carried.
  virtual bool picked_up(const std::string& order_id) = 0;
  virtual bool delivered(const std::string& order_id) = 0;
  // The rider picked up an order that did not come through dispatch (the simulator's
  // roaming courier makes them up); it is carried from now on.
  virtual void picked_up_unassigned(const std::string& order_id) = 0;
  virtual void shift_changed(bool on_shift, const std::string& reason) = 0;

  virtual bool taking_orders() const = 0;
  virtual const std::vector<std::string>& carried() const = 0;
};

class RiderHardware {
 public:
  virtual ~RiderHardware() = default;
  // Reads the devices (or advances the simulated ride) up to now; what the rider did
  // meanwhile goes to `taps`, in order.
  virtual void poll(RiderTaps& taps) = 0;
  virtual PositionFix fix() const = 0;
  virtual std::optional<uint32_t> battery_pct() const = 0;  // empty: no battery readable
  // Boards have no shift; a simulated courier goes off shift to charge or when its
  // shift window closes (and says so through RiderTaps::shift_changed).
  virtual bool on_shift() const { return true; }
  // Shows an offer the terminal is willing to take. `carried`: the orders carried now.
  virtual OfferDecision present(const v1::Offer& offer, const std::vector<std::string>& carried) = 0;
  // The rider accepted `offer`; `fresh` are its legs not carried before (the simulated
  // courier plans its trip from them).
  virtual void accepted(const v1::Offer& offer, const std::vector<const v1::OfferLeg*>& fresh) {
    (void)offer;
    (void)fresh;
  }
  // An offer left unanswered until its deadline is no longer shown.
  virtual void withdrawn(const std::string& offer_id) { (void)offer_id; }
  // Dispatch took an order back.
  virtual void cancelled(const std::string& order_id) { (void)order_id; }
};
using RiderHardwarePtr = std::unique_ptr<RiderHardware>;

// `metrics`: where offers are counted (tw_agent_offers_total{answer}); nullptr counts
// nothing (the simulator's fleets).
DeviceHalPtr make_rider_role(RiderHardwarePtr hardware, Clock& clock, MetricsRegistry* metrics);

}  // namespace tidewire::firmware
