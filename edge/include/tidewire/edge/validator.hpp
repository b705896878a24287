#pragma once
// First gate for everything a device publishes on the site broker: the topic must be an
// uplink topic of this site, the payload within the size limit, a valid Envelope whose
// identity equals the topic's, with fields that pass the codec's rules. Every refusal has
// exactly one reason, which the relay counts as tw_edge_rejects_total{reason}.
#include <optional>
#include <string>
#include <string_view>

#include "tidewire/protocols/codec.hpp"
#include "tidewire/protocols/topics.hpp"

namespace tidewire::edge {

enum class RejectReason { kBadTopic, kOversize, kMalformed, kIdentityMismatch, kInvalidField };
inline constexpr RejectReason kAllRejectReasons[] = {RejectReason::kBadTopic, RejectReason::kOversize,
                                                     RejectReason::kMalformed, RejectReason::kIdentityMismatch,
                                                     RejectReason::kInvalidField};
const char* reject_reason_name(RejectReason reason);

struct DeviceMessage {
  topics::DeviceTopic topic;
  v1::Envelope envelope;
};

struct Validation {
  std::optional<DeviceMessage> message;  // set when accepted
  RejectReason reason = RejectReason::kMalformed;
  std::string detail;  // why, for the (rate-limited) log line

  bool ok() const { return message.has_value(); }
};

class Validator {
 public:
  explicit Validator(std::string site, size_t max_bytes = codec::kMaxEnvelopeBytes)
      : site_(std::move(site)), max_bytes_(max_bytes) {}

  Validation check(std::string_view topic, std::string_view payload) const;

 private:
  std::string site_;
  size_t max_bytes_;
};

}  // namespace tidewire::edge
