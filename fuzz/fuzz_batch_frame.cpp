// Fuzzes the cloud's uplink decoder: protobuf frame + zstd + nested batch, with size bounds.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "tidewire/protocols/batch_frame.hpp"
#include "tidewire/protocols/codec.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto batch = tidewire::codec::decode_batch_frame(bytes);
  if (batch.ok()) {
    for (const auto& item : batch->items()) (void)tidewire::codec::validate_envelope(item.envelope());
  }
  return 0;
}
