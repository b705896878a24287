#pragma once
// Builders for device messages and a scratch directory, shared by the edge suites.
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "tidewire/protocols/codec.hpp"
#include "tidewire/protocols/topics.hpp"

namespace tidewire::edge::testing {

struct Wire {
  std::string topic;
  std::string payload;
};

inline topics::DeviceAddress address(const std::string& device, const std::string& site = "s1",
                                     v1::DeviceKind kind = v1::DEVICE_KIND_POSTER) {
  return {site, kind, device};
}

inline v1::Envelope envelope(const topics::DeviceAddress& a, const std::string& boot, uint64_t seq) {
  v1::Envelope e;
  e.set_device_id(a.device_id);
  e.set_site(a.site);
  e.set_kind(a.kind);
  e.set_boot_id(boot);
  e.set_seq(seq);
  e.set_device_time_ms(1'700'000'000'000);
  return e;
}

inline Wire wire(const topics::DeviceAddress& a, topics::Channel channel, const v1::Envelope& e) {
  return {*topics::device_topic(a, channel), codec::encode(e)};
}

inline Wire event(const topics::DeviceAddress& a, const std::string& boot, uint64_t seq, uint64_t floor = 0,
                  v1::Priority priority = v1::PRIORITY_NORMAL, const std::string& type = "display.changed") {
  v1::Envelope e = envelope(a, boot, seq);
  e.mutable_event()->set_type(type);
  e.mutable_event()->set_priority(priority);
  e.mutable_event()->set_outbox_floor_seq(floor);
  (*e.mutable_event()->mutable_attributes())["creative"] = "c-" + std::to_string(seq);
  return wire(a, topics::Channel::kEvent, e);
}

inline Wire status(const topics::DeviceAddress& a, uint32_t brightness) {
  v1::Envelope e = envelope(a, "boot", 0);
  e.mutable_status()->mutable_poster()->set_brightness_pct(brightness);
  return wire(a, topics::Channel::kStatus, e);
}

inline Wire presence(const topics::DeviceAddress& a, bool online, uint64_t session_seq) {
  v1::Envelope e = envelope(a, "boot", 0);
  e.mutable_presence()->set_online(online);
  e.mutable_presence()->set_session_seq(session_seq);
  return wire(a, topics::Channel::kPresence, e);
}

inline Wire result(const topics::DeviceAddress& a, const std::string& boot, uint64_t seq, const std::string& cmd_id) {
  v1::Envelope e = envelope(a, boot, seq);
  e.mutable_result()->set_command_id(cmd_id);
  e.mutable_result()->set_outcome(v1::COMMAND_OUTCOME_OK);
  return wire(a, topics::Channel::kResult, e);
}

// A fresh directory under $TMPDIR, removed when the test ends.
class ScratchDir {
 public:
  ScratchDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "tw-edge-test-XXXXXX").string();
    char* made = ::mkdtemp(tmpl.data());
    path_ = made ? made : tmpl;
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string file(const std::string& name) const { return (std::filesystem::path(path_) / name).string(); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace tidewire::edge::testing
