#include "tidewire/edge/validator.hpp"

namespace tidewire::edge {
namespace {

Validation reject(RejectReason reason, std::string detail) {
  Validation v;
  v.reason = reason;
  v.detail = std::move(detail);
  return v;
}

}  // namespace

const char* reject_reason_name(RejectReason reason) {
  switch (reason) {
    case RejectReason::kBadTopic: return "bad_topic";
    case RejectReason::kOversize: return "oversize";
    case RejectReason::kMalformed: return "malformed";
    case RejectReason::kIdentityMismatch: return "identity_mismatch";
    case RejectReason::kInvalidField: return "invalid_field";
  }
  return "unknown";
}

Validation Validator::check(std::string_view topic, std::string_view payload) const {
  auto parsed = topics::parse_device_topic(topic);
  if (!parsed) return reject(RejectReason::kBadTopic, parsed.error().message);
  // The subscription filters only cover this site's uplink channels, but a broker bridge
  // or a misconfigured ACL could still hand us anything: check rather than trust.
  if (parsed->address.site != site_) {
    return reject(RejectReason::kBadTopic, "topic site '" + parsed->address.site + "' is not this edge's site '" +
                                               site_ + "'");
  }
  if (!topics::is_uplink(parsed->channel)) {
    return reject(RejectReason::kBadTopic,
                  std::string("channel '") + topics::channel_name(parsed->channel) + "' is not a device uplink");
  }
  // Checked here as well as in the codec so the reason never depends on the codec's
  // error-code mapping for the most common abuse (a huge payload).
  if (payload.size() > max_bytes_) {
    return reject(RejectReason::kOversize,
                  std::to_string(payload.size()) + " bytes exceeds the limit of " + std::to_string(max_bytes_));
  }
  auto env = codec::decode_device_message(*parsed, payload, max_bytes_);
  if (!env) {
    switch (env.error().code) {
      case ErrorCode::kTooLarge: return reject(RejectReason::kOversize, env.error().message);
      case ErrorCode::kMalformed: return reject(RejectReason::kMalformed, env.error().message);
      case ErrorCode::kConflict: return reject(RejectReason::kIdentityMismatch, env.error().message);
      default: return reject(RejectReason::kInvalidField, env.error().message);
    }
  }
  Validation v;
  v.message = DeviceMessage{std::move(*parsed), std::move(*env)};
  return v;
}

}  // namespace tidewire::edge
