#pragma once
// HTTP bodies of the fleet API: protobuf's JSON mapping of fleet.proto messages
// (snake_case field names as in the .proto, enums by name, 64-bit integers as strings,
// every field printed), errors as tidewire.v1.ErrorBody.
#include <google/protobuf/message.h>

#include <string>
#include <vector>

#include "http/http.hpp"
#include "tidewire/common/expected.hpp"

namespace tidewire::cloud::json {

http::Response message(int status, const google::protobuf::Message& body);
http::Response error(int status, const std::string& code, const std::string& message);
// Maps an Error to its HTTP status (kNotFound -> 404, kConflict -> 409, ...).
http::Response error(const Error& error);

// Parses a request body into `out`; unknown fields are errors, so typos do not pass silently.
Status parse(const std::string& body, google::protobuf::Message& out);

// Opaque paging tokens (base64url of a versioned cursor).
std::string page_token(const std::string& last_device_id);
Expected<std::string> parse_page_token(const std::string& token);

}  // namespace tidewire::cloud::json
