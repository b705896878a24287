#pragma once
// One protobuf message as one line of JSON, with the .proto's field names (snake_case),
// enums by name and fields at their default left out: what tools print, what a webhook
// receives. The cloud's HTTP bodies print every field instead (cloud/src/json_body.hpp).
// Its own object file: linking tw_protocols does not pull JSON into the agent.
#include <google/protobuf/message.h>

#include <string>

namespace tidewire::protocols {

std::string to_json(const google::protobuf::Message& message);

}  // namespace tidewire::protocols
