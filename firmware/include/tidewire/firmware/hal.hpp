#pragma once
// The device, as the session sees it: one interface for every role, with a role-specific
// status and command set. Each role's behaviour is written once (poster_role.hpp,
// rider_role.hpp, encoder_role.hpp) over a small interface to the hardware it runs on:
//   platform/board/   real boards: sysfs thermal + statvfs, NMEA GPS, ffmpeg progress
//   platform/sim/     simulated devices (tests, tidewire-sim, tidewire-agent-sim)
// A HAL is called from one thread (the session's) and must never block: board hardware is
// read from files and ttys non-blockingly.
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "tidewire/v1/device.pb.h"

namespace tidewire::firmware {

// Something that happened on the device and must reach the cloud (an outbox event).
struct HalEvent {
  std::string type;  // e.g. "display.changed", "order.picked_up", "stream.started"
  v1::Priority priority = v1::PRIORITY_NORMAL;
  std::map<std::string, std::string> attributes;
};

struct CommandReply {
  v1::CommandOutcome outcome = v1::COMMAND_OUTCOME_OK;
  std::string message;
  std::map<std::string, std::string> output;
  // Goes into CommandResult.body: an encoded message the command's contract names
  // (dispatch.offer answers with an encoded v1::OfferAnswer).
  std::string body;
  // The answer comes later (a person has to decide): the session answers nothing now,
  // keeps the command pending, and sends the reply the HAL hands back through
  // take_deferred_replies(). Only meaningful as execute()'s return value.
  bool deferred = false;

  static CommandReply make(v1::CommandOutcome outcome, std::string message) {
    CommandReply r;
    r.outcome = outcome;
    r.message = std::move(message);
    return r;
  }
  static CommandReply ok(std::string message = "") { return make(v1::COMMAND_OUTCOME_OK, std::move(message)); }
  static CommandReply failed(std::string message) { return make(v1::COMMAND_OUTCOME_FAILED, std::move(message)); }
  static CommandReply unsupported(const std::string& name) {
    return make(v1::COMMAND_OUTCOME_UNSUPPORTED, "unknown command '" + name + "'");
  }
  static CommandReply expired(std::string message) { return make(v1::COMMAND_OUTCOME_EXPIRED, std::move(message)); }
  static CommandReply later() {
    CommandReply r;
    r.deferred = true;
    return r;
  }
};

// A reply to a command the HAL deferred (CommandReply::later()).
struct DeferredReply {
  std::string command_id;
  CommandReply reply;
};

class DeviceHal {
 public:
  virtual ~DeviceHal() = default;

  virtual v1::DeviceKind kind() const = 0;
  // Advances the device to now (the HAL's clock) and appends what happened since the
  // previous call.
  virtual void poll(std::vector<HalEvent>& events) = 0;
  // Current telemetry; its oneof matches kind().
  virtual v1::Status status() const = 0;
  // True when `now` differs enough from `last_sent` to publish before the regular
  // interval (a rider moved far, a stream went down).
  virtual bool significant_change(const v1::Status& last_sent, const v1::Status& now) const = 0;
  // Runs a validated, unexpired command addressed to this device. Commands it does not
  // know answer UNSUPPORTED. Events the command causes are appended to `events`.
  virtual CommandReply execute(const v1::Command& command, std::vector<HalEvent>& events) = 0;
  // Replies to deferred commands that are ready, appended to `out`; called after poll().
  // A command still pending at its deadline is answered EXPIRED by the session, which
  // then ignores a late reply for it.
  virtual void take_deferred_replies(std::vector<DeferredReply>& out) { (void)out; }
};
using DeviceHalPtr = std::unique_ptr<DeviceHal>;

}  // namespace tidewire::firmware
