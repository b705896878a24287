#include "tidewire/protocols/json.hpp"

#include <google/protobuf/util/json_util.h>

#include <memory>

#include "json_keys.hpp"

namespace tidewire::protocols {

std::string to_json(const google::protobuf::Message& message, JsonFields fields) {
  std::string out;
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  options.always_print_primitive_fields = fields == JsonFields::kAll;
  // Fails only for Any with an unknown type, which these schemas do not use.
  (void)google::protobuf::util::MessageToJsonString(message, &out, options);
  return out;
}

Status from_json(std::string_view json_view, google::protobuf::Message& out) {
  if (auto st = check_duplicate_keys(json_view, out.GetDescriptor()); !st) return st;
  const std::string json(json_view);  // this protobuf takes a StringPiece, not a string_view
  google::protobuf::util::JsonParseOptions strict;
  strict.ignore_unknown_fields = false;
  auto st = google::protobuf::util::JsonStringToMessage(json, &out, strict);
  if (st.ok()) return {};
  // The parser appends a caret diagram on later lines; the first line says it all.
  std::string why(st.message());
  why = why.substr(0, why.find('\n'));
  // Parsing again without the unknown keys tells a misspelt key from broken JSON without
  // reading the parser's words.
  google::protobuf::util::JsonParseOptions lenient;
  lenient.ignore_unknown_fields = true;
  std::unique_ptr<google::protobuf::Message> scratch(out.New());
  bool only_unknown_keys = google::protobuf::util::JsonStringToMessage(json, scratch.get(), lenient).ok();
  return make_error(ErrorCode::kMalformed,
                    "body is not a valid " + out.GetTypeName() + " JSON object: " + why +
                        (only_unknown_keys ? " (a key this type does not have; see its .proto for the names)" : ""),
                    only_unknown_keys ? "unknown_key" : "invalid_json");
}

}  // namespace tidewire::protocols
