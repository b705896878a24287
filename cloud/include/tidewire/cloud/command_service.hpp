#pragma once
// Commands to devices: stored first (PENDING), then published to the edge the device was
// last seen through (SENT), re-sent until a result arrives (COMPLETED, applied by the
// registry's ingest) or the deadline passes (EXPIRED). Creation takes an optional
// idempotency key: the same key with the same request returns the first command, with a
// different request it is a conflict.
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "tidewire/cloud/command_metrics.hpp"
#include "tidewire/cloud/fleet_registry.hpp"
#include "tidewire/common/clock.hpp"
#include "tidewire/common/expected.hpp"
#include "tidewire/common/metrics.hpp"
#include "tidewire/common/random.hpp"
#include "tidewire/transport/transport.hpp"

namespace tidewire::cloud {

struct CommandOptions {
  int64_t default_timeout_ms = 60'000;
  int64_t max_timeout_ms = 24 * 3600 * 1000;
  // A SENT command without a result is published again after this long.
  int64_t resend_interval_ms = 10'000;
  size_t max_args = 32;
  size_t max_arg_key_bytes = 64;
  size_t max_arg_value_bytes = 1024;
  size_t max_name_bytes = 64;
  size_t max_idempotency_key_bytes = 128;
  // Commands handled per tick(), bounding the work (and the publishes) of one pass.
  int max_due_per_tick = 500;
  int max_commands_per_batch = 64;
};

class CommandService {
 public:
  CommandService(FleetRegistry& registry, transport::Transport& transport, Clock& clock, Random& random,
                 MetricsRegistry& metrics, CommandOptions options = {});

  struct Created {
    v1::CommandView view;
    bool created = false;  // false: an earlier command with the same idempotency key
  };
  // Errors: kNotFound (unknown device), kInvalidArgument (bad name/args/timeout/key),
  // kTooLarge (command over codec::kMaxCommandBytes), kConflict (key reused for another
  // request), kIo (store failed).
  Expected<Created> create(const std::string& device_id, const v1::CommandRequest& request,
                           const std::string& idempotency_key);
  Expected<v1::CommandView> get(const std::string& command_id);

  // For services inside the cloud (the dispatcher's "dispatch.offer"): a command with a
  // binary body (Command.body) and an absolute deadline, without an idempotency key. Same
  // checks, storage and delivery as create(); the body is stored with the command, so
  // re-sends after a cloud restart carry it too.
  Expected<Created> create_with_body(const std::string& device_id, const std::string& name, std::string body,
                                     int64_t deadline_ms);

  // Expires overdue commands, then publishes PENDING ones and re-sends SENT ones that are
  // due. Call it every second or so (the cloud's housekeeping loop does).
  void tick();

 private:
  Status validate(const v1::CommandRequest& request, const std::string& idempotency_key) const;
  // Groups commands by edge and publishes CommandBatches; marks the published ones SENT.
  void publish(const std::vector<CommandRecord>& records);
  std::string new_command_id();
  Expected<Created> store_and_send(CommandRecord record, const std::string& log_detail);
  static v1::Command to_command(const CommandRecord& record);

  FleetRegistry& registry_;
  transport::Transport& transport_;
  Clock& clock_;
  Random& random_;
  CommandMetrics metrics_;
  CommandOptions options_;
};

}  // namespace tidewire::cloud
