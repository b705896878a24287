// Fuzzes the topic parsers: a parsed topic must rebuild to the same string.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "tidewire/protocols/topics.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto t = tidewire::topics::parse_device_topic(text);
  if (t.ok()) {
    auto rebuilt = tidewire::topics::device_topic(t->address, t->channel);
    if (!rebuilt.ok() || *rebuilt != text) __builtin_trap();
  }
  auto e = tidewire::topics::parse_edge_topic(text);
  if (e.ok()) {
    auto rebuilt = tidewire::topics::edge_topic(e->edge_id, e->channel);
    if (!rebuilt.ok() || *rebuilt != text) __builtin_trap();
  }
  return 0;
}
