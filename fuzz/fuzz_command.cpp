// Fuzzes what a device accepts from the edge: commands and cumulative acks.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "tidewire/protocols/codec.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto cmd = tidewire::codec::decode_command(bytes);
  if (cmd.ok() && (cmd->command_id().empty() || cmd->name().empty())) __builtin_trap();
  (void)tidewire::codec::decode_device_ack(bytes);
  return 0;
}
