#include "tidewire/protocols/json.hpp"

#include <google/protobuf/util/json_util.h>

namespace tidewire::protocols {

std::string to_json(const google::protobuf::Message& message) {
  std::string out;
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  // Fails only for Any with an unknown type, which these schemas do not use.
  (void)google::protobuf::util::MessageToJsonString(message, &out, options);
  return out;
}

}  // namespace tidewire::protocols
