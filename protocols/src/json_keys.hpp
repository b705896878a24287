#pragma once
// A walk over a JSON text, before protobuf parses it, that refuses an object naming the
// same field twice: literally, through escapes ("na\u006de"), or once by its proto name
// and once by its JSON name (device_id / deviceId). Protobuf's parser keeps the last one,
// so `{"name":"ping","name":"reboot"}` would run what a proxy, a log line or a reviewer
// reading the first one never saw. Map keys repeated in one map are refused the same way.
#include <google/protobuf/descriptor.h>

#include <string_view>

#include "tidewire/common/expected.hpp"

namespace tidewire::protocols {

// kMalformed with reason "duplicate_key" naming the key; any other flaw in the text is
// left for the parser to report (this walk stops there and says nothing).
Status check_duplicate_keys(std::string_view json, const google::protobuf::Descriptor* type);

}  // namespace tidewire::protocols
