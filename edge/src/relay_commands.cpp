// Command fan-down: the cloud sends a CommandBatch for this edge; each Command goes QoS1 to
// its device's cmd topic, addressed through the known-devices table (filled from devices
// that spoke through this edge). The device's answer comes back as an Envelope{result}
// through the normal ingest path, so nothing here needs to remember a command.
#include "tidewire/common/log.hpp"
#include "tidewire/edge/relay.hpp"
#include "tidewire/protocols/codec.hpp"

namespace tidewire::edge {
namespace {
constexpr const char* kLog = "edge.commands";
}

void Relay::fan_out(const std::string& payload) {
  uint64_t suppressed = 0;
  auto batch = codec::decode<v1::CommandBatch>(payload, codec::kMaxBatchFrameBytes);
  if (!batch) {
    metrics_.cloud_rejects.inc();
    if (log_limit_.allow("cloud.cmd", suppressed)) {
      TW_WARN(kLog, "ignoring CommandBatch: " << batch.error().describe());
    }
    return;
  }
  for (const auto& cmd : batch->commands()) {
    std::string bytes = codec::encode(cmd);
    // The same rules a device applies (codec::decode_command), checked here so a bad
    // command is counted at the edge instead of silently failing on the device.
    auto checked = codec::decode_command(bytes);
    if (!checked || !topics::valid_id(cmd.device_id())) {
      metrics_.commands_invalid.inc();
      if (log_limit_.allow("cmd.invalid", suppressed)) {
        TW_WARN(kLog, "dropping invalid command '" << cmd.command_id().substr(0, 64) << "' for '"
                                                  << cmd.device_id().substr(0, 64) << "': "
                                                  << (checked ? "invalid device id" : checked.error().describe()));
      }
      continue;
    }
    auto known = known_.find(cmd.device_id());
    if (known == known_.end()) {
      metrics_.commands_unknown_device.inc();
      if (log_limit_.allow("cmd.unknown", suppressed)) {
        TW_WARN(kLog, "command " << cmd.command_id() << " for device '" << cmd.device_id()
                                 << "' which never spoke through this edge; dropped"
                                 << (suppressed ? " (" + std::to_string(suppressed) + " similar suppressed)" : ""));
      }
      continue;
    }
    auto topic = topics::device_topic(known->second, topics::Channel::kCommand);
    if (!topic) continue;  // cannot happen: known devices passed validation
    if (auto st = site_.publish({*topic, std::move(bytes), 1, false}); !st) {
      // The cloud keeps re-sending a command until it completes or expires.
      metrics_.commands_unsent.inc();
      if (log_limit_.allow("cmd.unsent", suppressed)) {
        TW_WARN(kLog, "command " << cmd.command_id() << " not published: " << st.error().describe());
      }
      continue;
    }
    metrics_.commands_forwarded.inc();
    TW_DEBUG(kLog, "command " << cmd.command_id() << " (" << cmd.name() << ") -> " << *topic);
  }
}

}  // namespace tidewire::edge
