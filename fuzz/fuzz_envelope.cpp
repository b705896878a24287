// Fuzzes the edge's first contact with untrusted bytes: topic + envelope decoding.
// The first byte picks the channel so every body/channel combination is reachable.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "tidewire/protocols/codec.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  using tidewire::topics::Channel;
  static constexpr Channel kChannels[] = {Channel::kStatus, Channel::kEvent, Channel::kPresence, Channel::kResult};
  tidewire::topics::DeviceTopic topic{{"site1", tidewire::v1::DEVICE_KIND_RIDER, "r1"}, kChannels[data[0] % 4]};
  std::string_view bytes(reinterpret_cast<const char*>(data + 1), size - 1);
  auto decoded = tidewire::codec::decode_device_message(topic, bytes);
  // A decoded envelope must satisfy the rules the codec promises.
  if (decoded.ok() && !tidewire::codec::validate_envelope(*decoded).ok()) __builtin_trap();
  return 0;
}
