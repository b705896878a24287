#include "tidewire/protocols/codec.hpp"

#include <cmath>

namespace tidewire::codec {
namespace {

Error invalid(const std::string& why) { return make_error(ErrorCode::kInvalidArgument, why); }

Status validate_status(const v1::Status& s) {
  switch (s.kind_case()) {
    case v1::Status::kPoster:
      if (s.poster().brightness_pct() > 100) return invalid("poster brightness_pct over 100");
      if (!std::isfinite(s.poster().temperature_c())) return invalid("poster temperature_c not finite");
      return {};
    case v1::Status::kRider: {
      const auto& r = s.rider();
      if (!std::isfinite(r.lat()) || !std::isfinite(r.lon()) || std::abs(r.lat()) > 90 || std::abs(r.lon()) > 180)
        return invalid("rider lat/lon out of range");
      if (r.battery_pct() > 100) return invalid("rider battery_pct over 100");
      if (r.carried_order_ids_size() > 32) return invalid("rider carries more than 32 orders");
      return {};
    }
    case v1::Status::kEncoder:
      if (!std::isfinite(s.encoder().fps())) return invalid("encoder fps not finite");
      return {};
    case v1::Status::KIND_NOT_SET: return invalid("status has no kind");
  }
  return {};
}

v1::Status::KindCase status_case_for(v1::DeviceKind kind) {
  switch (kind) {
    case v1::DEVICE_KIND_POSTER: return v1::Status::kPoster;
    case v1::DEVICE_KIND_RIDER: return v1::Status::kRider;
    case v1::DEVICE_KIND_ENCODER: return v1::Status::kEncoder;
    // A merchant terminal has no telemetry: any status it sends is refused.
    case v1::DEVICE_KIND_MERCHANT: return v1::Status::KIND_NOT_SET;
    default: return v1::Status::KIND_NOT_SET;
  }
}

v1::Envelope::BodyCase body_for(topics::Channel channel) {
  switch (channel) {
    case topics::Channel::kStatus: return v1::Envelope::kStatus;
    case topics::Channel::kEvent: return v1::Envelope::kEvent;
    case topics::Channel::kPresence: return v1::Envelope::kPresence;
    case topics::Channel::kResult: return v1::Envelope::kResult;
    default: return v1::Envelope::BODY_NOT_SET;
  }
}

}  // namespace

std::string encode(const google::protobuf::MessageLite& message) {
  std::string out;
  message.SerializeToString(&out);
  return out;
}

Status validate_envelope(const v1::Envelope& e) {
  if (!topics::valid_id(e.device_id())) return invalid(std::string("device_id missing or not ") + topics::kIdRule);
  if (!topics::valid_id(e.site())) return invalid(std::string("site missing or not ") + topics::kIdRule);
  if (e.kind() == v1::DEVICE_KIND_UNSPECIFIED || !v1::DeviceKind_IsValid(e.kind())) return invalid("kind not set");
  switch (e.body_case()) {
    case v1::Envelope::kStatus: {
      if (e.status().kind_case() != status_case_for(e.kind())) return invalid("status payload does not match device kind");
      return validate_status(e.status());
    }
    case v1::Envelope::kEvent:
      if (e.seq() == 0 || e.boot_id().empty()) return invalid("event without seq or boot_id");
      if (e.event().type().empty() || e.event().type().size() > 128) return invalid("event type empty or over 128 bytes");
      if (static_cast<size_t>(e.event().attributes_size()) > kMaxEventAttributes) return invalid("too many event attributes");
      if (e.event().body().size() > kMaxEventBodyBytes) return invalid("event body over kMaxEventBodyBytes");
      if (e.event().outbox_floor_seq() > e.seq()) return invalid("outbox_floor_seq above seq");
      return {};
    case v1::Envelope::kPresence:
      if (e.boot_id().empty()) return invalid("presence without boot_id");
      return {};
    case v1::Envelope::kResult:
      if (e.seq() == 0 || e.boot_id().empty()) return invalid("result without seq or boot_id");
      if (e.result().command_id().empty()) return invalid("result without command_id");
      return {};
    case v1::Envelope::BODY_NOT_SET: return invalid("envelope has no body");
  }
  return {};
}

Expected<v1::Envelope> decode_device_message(const topics::DeviceTopic& topic, std::string_view bytes,
                                             size_t max_bytes) {
  auto env = decode<v1::Envelope>(bytes, max_bytes);
  if (!env) return env.error();
  const auto& a = topic.address;
  if (env->device_id() != a.device_id || env->site() != a.site || env->kind() != a.kind) {
    return make_error(ErrorCode::kConflict, "envelope identity (" + env->site() + "/" +
                                                topics::kind_name(env->kind()) + "/" + env->device_id() +
                                                ") does not match topic");
  }
  if (env->body_case() != body_for(topic.channel)) {
    return invalid(std::string("body does not match channel '") + topics::channel_name(topic.channel) + "'");
  }
  if (auto st = validate_envelope(*env); !st) return st.error();
  return env;
}

Expected<v1::Command> decode_command(std::string_view bytes) {
  auto cmd = decode<v1::Command>(bytes, kMaxCommandBytes);
  if (!cmd) return cmd.error();
  if (cmd->command_id().empty() || cmd->command_id().size() > 64) return invalid("command_id missing or too long");
  if (cmd->name().empty()) return invalid("command name missing");
  return cmd;
}

Expected<v1::DeviceAck> decode_device_ack(std::string_view bytes) { return decode<v1::DeviceAck>(bytes, 1024); }

}  // namespace tidewire::codec
