#pragma once
// A scripted DeviceHal for session tests: the test sets the status, queues events and
// decides what commands answer; the fake records what it was asked.
#include <string>
#include <vector>

#include "tidewire/firmware/hal.hpp"

namespace tidewire::firmware::testing {

class FakeHal final : public DeviceHal {
 public:
  FakeHal() { set_battery(80); }

  // Interface: DeviceHal
  v1::DeviceKind kind() const override { return v1::DEVICE_KIND_RIDER; }
  void poll(std::vector<HalEvent>& events) override {
    ++polls;
    for (auto& e : queued) events.push_back(std::move(e));
    queued.clear();
  }
  v1::Status status() const override { return current; }
  bool significant_change(const v1::Status& last_sent, const v1::Status& now) const override {
    return last_sent.rider().available() != now.rider().available();
  }
  CommandReply execute(const v1::Command& command, std::vector<HalEvent>& events) override {
    executed.push_back(command.name());
    if (command.name() == "set_available") {
      current.mutable_rider()->set_available(command.args().count("available") &&
                                             command.args().at("available") == "true");
      events.push_back({"availability.changed", v1::PRIORITY_NORMAL, {}});
      CommandReply reply = CommandReply::ok("done");
      reply.output["available"] = current.rider().available() ? "true" : "false";
      return reply;
    }
    if (command.name() == "ask") {  // a person has to answer: see `ready`
      asked.push_back(command.command_id());
      return CommandReply::later();
    }
    return CommandReply::unsupported(command.name());
  }
  void take_deferred_replies(std::vector<DeferredReply>& out) override {
    for (auto& r : ready) out.push_back(std::move(r));
    ready.clear();
  }

  void set_battery(uint32_t pct) { current.mutable_rider()->set_battery_pct(pct); }
  void set_available(bool on) { current.mutable_rider()->set_available(on); }

  v1::Status current;
  std::vector<HalEvent> queued;
  std::vector<std::string> executed;
  std::vector<std::string> asked;    // ids of deferred ("ask") commands
  std::vector<DeferredReply> ready;  // handed to the session at its next poll
  int polls = 0;
};

}  // namespace tidewire::firmware::testing
