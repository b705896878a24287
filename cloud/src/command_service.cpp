#include "tidewire/cloud/command_service.hpp"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

#include <cstdio>
#include <map>
#include <unordered_map>

#include "tidewire/common/log.hpp"
#include "tidewire/protocols/codec.hpp"
#include "tidewire/protocols/topics.hpp"

namespace tidewire::cloud {
namespace {

// Byte-stable encoding (maps sorted), so equal requests give equal fingerprints.
std::string fingerprint(const std::string& device_id, const v1::CommandRequest& request) {
  std::string out = device_id;
  out.push_back('\0');
  {
    google::protobuf::io::StringOutputStream sos(&out);
    google::protobuf::io::CodedOutputStream cos(&sos);
    cos.SetSerializationDeterministic(true);
    request.SerializeToCodedStream(&cos);
  }
  return out;
}

bool printable_ascii(const std::string& s) {
  for (char c : s)
    if (c < 0x21 || c > 0x7E) return false;
  return true;
}

v1::Command bare_command(const CommandRecord& r) {
  v1::Command c;
  c.set_command_id(r.view.command_id());
  c.set_device_id(r.view.device_id());
  c.set_name(r.view.name());
  *c.mutable_args() = r.view.args();
  c.set_deadline_ms(r.view.deadline_ms());
  return c;
}

Error invalid(const char* reason, const std::string& why) {
  return make_error(ErrorCode::kInvalidArgument, why, reason);
}

}  // namespace

CommandService::CommandService(FleetRegistry& registry, transport::Transport& transport, Clock& clock, Random& random,
                               MetricsRegistry& metrics, CommandOptions options)
    : registry_(registry),
      transport_(transport),
      clock_(clock),
      random_(random),
      metrics_(metrics),
      options_(options) {}

Status CommandService::validate(const v1::CommandRequest& req, const std::string& key) const {
  if (req.name().empty() || req.name().size() > options_.max_name_bytes || !topics::valid_name(req.name())) {
    return invalid("invalid_command_name", "command name must be 1-" + std::to_string(options_.max_name_bytes) +
                                               " characters of [A-Za-z0-9_.-], e.g. \"reboot\" or \"dispatch.offer\"");
  }
  if (static_cast<size_t>(req.args_size()) > options_.max_args) {
    return invalid("invalid_args", "at most " + std::to_string(options_.max_args) + " args per command, got " +
                                       std::to_string(req.args_size()));
  }
  for (const auto& [k, v] : req.args()) {
    if (k.empty() || k.size() > options_.max_arg_key_bytes) {
      return invalid("invalid_args", "arg names must be 1-" + std::to_string(options_.max_arg_key_bytes) + " bytes");
    }
    if (v.size() > options_.max_arg_value_bytes) {
      return invalid("invalid_args",
                     "arg '" + k + "' is over " + std::to_string(options_.max_arg_value_bytes) + " bytes");
    }
  }
  if (req.timeout_s() < 0 || req.timeout_s() > options_.max_timeout_ms / 1000) {
    return invalid("invalid_timeout",
                   "timeout_s must be 0 (server default) to " + std::to_string(options_.max_timeout_ms / 1000));
  }
  if (key.size() > options_.max_idempotency_key_bytes || !printable_ascii(key)) {
    return invalid("invalid_idempotency_key", "Idempotency-Key must be at most " +
                                                  std::to_string(options_.max_idempotency_key_bytes) +
                                                  " printable ASCII characters without spaces");
  }
  return {};
}

std::string CommandService::new_command_id() {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%016llx%016llx", static_cast<unsigned long long>(random_.uniform(0, UINT64_MAX)),
                static_cast<unsigned long long>(random_.uniform(0, UINT64_MAX)));
  return std::string("cmd-") + buf;
}

Expected<CommandService::Created> CommandService::create(const std::string& device_id,
                                                         const v1::CommandRequest& request,
                                                         const std::string& idempotency_key) {
  // The id goes into the device's cmd topic: a '.' or a wildcard could never be delivered.
  if (!topics::valid_id(device_id)) {
    return invalid("invalid_device_id", "device id '" + device_id.substr(0, 64) + "' must be " + topics::kIdRule);
  }
  if (auto st = validate(request, idempotency_key); !st) return st.error();
  auto device = registry_.device(device_id);
  if (!device) {
    if (device.error().code == ErrorCode::kNotFound) {
      return make_error(
          ErrorCode::kNotFound,
          "unknown device '" + device_id + "' (a device is known once its first message reached the cloud)",
          "unknown_device");
    }
    return device.error();
  }

  int64_t now = clock_.wall_ms();
  int64_t timeout_ms = request.timeout_s() > 0 ? request.timeout_s() * 1000 : options_.default_timeout_ms;
  CommandRecord record;
  auto& v = record.view;
  v.set_command_id(new_command_id());
  v.set_device_id(device_id);
  v.set_name(request.name());
  *v.mutable_args() = request.args();
  v.set_state(v1::COMMAND_STATE_PENDING);
  v.set_created_ms(now);
  v.set_deadline_ms(now + timeout_ms);
  record.idempotency_key = idempotency_key;
  record.request_fingerprint = fingerprint(device_id, request);
  record.edge_id = device->edge_id();

  if (codec::encode(bare_command(record)).size() > codec::kMaxCommandBytes) {
    return make_error(
        ErrorCode::kTooLarge,
        "command encodes to more than " + std::to_string(codec::kMaxCommandBytes) + " bytes; send smaller args",
        "command_too_large");
  }
  return store_and_send(std::move(record), "deadline in " + std::to_string(timeout_ms) + " ms");
}

Expected<CommandService::Created> CommandService::create_with_body(const std::string& device_id,
                                                                   const std::string& name, std::string body,
                                                                   int64_t deadline_ms) {
  v1::CommandRequest request;
  request.set_name(name);
  if (auto st = validate(request, ""); !st) return st.error();
  int64_t now = clock_.wall_ms();
  if (deadline_ms <= now || deadline_ms > now + options_.max_timeout_ms) {
    return invalid("invalid_deadline", "deadline must be in the future and at most " +
                                           std::to_string(options_.max_timeout_ms / 1000) + " s ahead");
  }
  auto device = registry_.device(device_id);
  if (!device) {
    if (device.error().code == ErrorCode::kNotFound) {
      return make_error(ErrorCode::kNotFound, "unknown device '" + device_id + "'", "unknown_device");
    }
    return device.error();
  }
  CommandRecord record;
  auto& v = record.view;
  v.set_command_id(new_command_id());
  v.set_device_id(device_id);
  v.set_name(name);
  v.set_state(v1::COMMAND_STATE_PENDING);
  v.set_created_ms(now);
  v.set_deadline_ms(deadline_ms);
  record.edge_id = device->edge_id();
  v1::Command full = bare_command(record);
  full.set_body(body);  // the size check covers what will be published
  if (codec::encode(full).size() > codec::kMaxCommandBytes) {
    return make_error(
        ErrorCode::kTooLarge,
        "command with its body encodes to more than " + std::to_string(codec::kMaxCommandBytes) + " bytes",
        "command_too_large");
  }
  record.body = std::move(body);
  return store_and_send(std::move(record), "with a body, deadline at " + std::to_string(deadline_ms));
}

v1::Command CommandService::to_command(const CommandRecord& record) {
  v1::Command c = bare_command(record);
  c.set_body(record.body);
  return c;
}

Expected<CommandService::Created> CommandService::store_and_send(CommandRecord record, const std::string& log_detail) {
  const auto& v = record.view;
  const std::string& device_id = v.device_id();
  auto inserted = registry_.insert_command(record);
  if (!inserted) return inserted.error();
  if (!inserted->inserted) {
    if (inserted->record.request_fingerprint != record.request_fingerprint) {
      metrics_.key_conflicts.inc();
      return make_error(ErrorCode::kConflict,
                        "Idempotency-Key '" + record.idempotency_key +
                            "' was already used for a different request (command " +
                            inserted->record.view.command_id() + "); use a new key",
                        "idempotency_conflict");
    }
    metrics_.replays.inc();
    return Created{inserted->record.view, false};
  }
  metrics_.created.inc();
  TW_INFO("cloud", "command " << v.command_id() << " '" << v.name() << "' for " << device_id << " via edge "
                              << record.edge_id << ", " << log_detail);
  publish({record});
  auto stored = registry_.command(v.command_id());
  if (!stored) return Created{record.view, true};  // stored fine; only the re-read failed
  return Created{stored->view, true};
}

Expected<v1::CommandView> CommandService::get(const std::string& command_id) {
  auto record = registry_.command(command_id);
  if (!record) return record.error();
  return record->view;
}

void CommandService::publish(const std::vector<CommandRecord>& records) {
  if (records.empty()) return;
  if (!transport_.is_connected()) {
    metrics_.send_disconnected.inc(records.size());
    return;
  }

  std::map<std::string, std::vector<const CommandRecord*>> by_edge;
  std::unordered_map<std::string, v1::Command> commands;
  for (const auto& r : records) {
    v1::Command c = to_command(r);
    if (r.edge_id.empty()) {
      metrics_.send_no_edge.inc();
    } else {
      by_edge[r.edge_id].push_back(&r);
      commands[r.view.command_id()] = std::move(c);
    }
  }
  std::vector<std::string> sent;
  for (const auto& [edge, list] : by_edge) {
    auto topic = topics::edge_topic(edge, topics::EdgeChannel::kCommand);
    if (!topic) {
      metrics_.send_bad_edge_id.inc(list.size());
      continue;
    }
    for (size_t i = 0; i < list.size(); i += static_cast<size_t>(options_.max_commands_per_batch)) {
      v1::CommandBatch batch;
      size_t end = std::min(list.size(), i + static_cast<size_t>(options_.max_commands_per_batch));
      for (size_t k = i; k < end; ++k) *batch.add_commands() = commands[list[k]->view.command_id()];
      auto* not_acknowledged = &metrics_.send_not_acknowledged;
      auto st = transport_.publish({*topic, codec::encode(batch), 1, false}, [not_acknowledged](const Status& done) {
        // Runs on the transport's thread, possibly late: touch only the counter (it lives
        // as long as the metrics registry, not this service).
        if (!done) not_acknowledged->inc();
      });
      if (!st) {
        // Window full or connection lost: these stay due and go out on a later tick.
        metrics_.send_publish_refused.inc(end - i);
        TW_DEBUG("cloud", "command publish to " << edge << " refused: " << st.error().message);
        continue;
      }
      for (size_t k = i; k < end; ++k) sent.push_back(list[k]->view.command_id());
    }
  }
  if (sent.empty()) return;
  metrics_.sends.inc(sent.size());
  if (auto st = registry_.mark_sent(sent, clock_.wall_ms()); !st) {
    TW_WARN("cloud", "could not mark " << sent.size() << " commands sent: " << st.error().message);
  }
}

void CommandService::tick() {
  int64_t now = clock_.wall_ms();
  auto expired = registry_.expire_commands(now);
  if (!expired) {
    TW_WARN("cloud", "expiring commands failed: " << expired.error().message);
  } else if (*expired > 0) {
    metrics_.expired.inc(*expired);
    TW_INFO("cloud", *expired << " command(s) expired without a result");
  }
  auto due = registry_.due_commands(now - options_.resend_interval_ms, now, options_.max_due_per_tick);
  if (!due) {
    TW_WARN("cloud", "reading due commands failed: " << due.error().message);
    return;
  }
  publish(*due);
}

}  // namespace tidewire::cloud
