#pragma once
// Protobuf's JSON mapping, configured once for the whole project: the .proto's field names
// (snake_case), enums by name, one line. Tools, webhooks and stored rules print only the
// fields that are set; HTTP bodies (cloud/include/tidewire/cloud/http_json.hpp) print
// every field. Parsing is strict: a key the schema does not have is an error, so a typo
// does not pass silently.
// Its own object file: linking tw_protocols does not pull JSON into the agent.
#include <google/protobuf/message.h>

#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

#include "tidewire/common/expected.hpp"

namespace tidewire::protocols {

enum class JsonFields {
  kSet,  // fields at their default left out
  kAll,  // every field without presence printed, e.g. "total": 0
};

std::string to_json(const google::protobuf::Message& message, JsonFields fields = JsonFields::kSet);

// Fills `out` from one JSON object. Errors are kMalformed with reason "duplicate_key" when
// an object names a field twice (src/json_keys.hpp), "unknown_key" when the only problem
// is a key `out`'s type does not have, else "invalid_json"; the message names the type
// and protobuf's first line of explanation.
Status from_json(std::string_view json, google::protobuf::Message& out);

// A count for a uint32 field (a number in JSON): saturates instead of wrapping should a
// count ever outgrow it.
constexpr uint32_t count32(uint64_t n) {
  return n > std::numeric_limits<uint32_t>::max() ? std::numeric_limits<uint32_t>::max() : static_cast<uint32_t>(n);
}

}  // namespace tidewire::protocols
