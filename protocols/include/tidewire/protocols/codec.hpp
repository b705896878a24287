#pragma once
// Bytes <-> messages, with size limits checked before parsing and field rules checked
// after. Every decoder here has a libFuzzer target under fuzz/.
//
// Errors use ErrorCode to say why, which the edge and cloud count as reject reasons:
//   kTooLarge -> "oversize", kMalformed -> "malformed", kInvalidArgument -> "invalid_field",
//   kConflict -> "identity_mismatch".
#include <string>
#include <string_view>

#include "tidewire/common/expected.hpp"
#include "tidewire/protocols/topics.hpp"
#include "tidewire/v1/device.pb.h"
#include "tidewire/v1/edge.pb.h"

namespace tidewire::codec {

// A device message larger than this is refused at the edge without parsing.
inline constexpr size_t kMaxEnvelopeBytes = 64 * 1024;
// Uplink frames and their decompressed batches.
inline constexpr size_t kMaxBatchFrameBytes = 8 * 1024 * 1024;
inline constexpr size_t kMaxBatchRawBytes = 32 * 1024 * 1024;
inline constexpr size_t kMaxCommandBytes = 16 * 1024;
inline constexpr size_t kMaxEventAttributes = 64;
// Event.body (a merchant's OrderRequest is ~100 bytes): generous, yet far below the
// envelope limit so one event can never crowd a batch.
inline constexpr size_t kMaxEventBodyBytes = 8 * 1024;

std::string encode(const google::protobuf::MessageLite& message);

// Parses a message of type T, refusing input over max_bytes.
template <typename T>
Expected<T> decode(std::string_view bytes, size_t max_bytes) {
  if (bytes.size() > max_bytes) {
    return make_error(ErrorCode::kTooLarge,
                      std::to_string(bytes.size()) + " bytes exceeds the limit of " + std::to_string(max_bytes));
  }
  T out;
  if (!out.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return make_error(ErrorCode::kMalformed, "not a valid " + out.GetTypeName());
  }
  return out;
}

// Field rules every envelope must satisfy whatever topic it came on: valid ids, a body,
// events and results numbered (seq > 0, boot id set), status values in range.
Status validate_envelope(const v1::Envelope& envelope);

// Decodes and validates a message from a device topic, checking that the envelope says
// who the topic says (a device may not speak for another) and that the body matches
// the channel.
Expected<v1::Envelope> decode_device_message(const topics::DeviceTopic& topic, std::string_view bytes,
                                             size_t max_bytes = kMaxEnvelopeBytes);

Expected<v1::Command> decode_command(std::string_view bytes);
Expected<v1::DeviceAck> decode_device_ack(std::string_view bytes);

}  // namespace tidewire::codec
