#pragma once
// How every HTTP route of the cloud answers (fleet, commands, dispatch, push, alerts):
// bodies are protobuf's JSON mapping of a tidewire.v1 message with every field printed
// (protocols/json.hpp), errors are tidewire.v1.ErrorBody through the same mapping:
//   {"status":409,"error":"conflict","message":"...","reason":"idempotency_conflict"}
// `reason` is the Error's own (set where it was created); the status comes from
// status_for(code), the one mapping from an ErrorCode to an HTTP status.
#include <google/protobuf/message.h>

#include <initializer_list>
#include <string_view>

#include "http/http.hpp"
#include "tidewire/common/expected.hpp"

namespace tidewire::cloud::http_json {

// kInvalidArgument, kMalformed 400; kNotFound 404; kConflict 409; kTooLarge 413;
// kUnavailable 503; kTimeout 504; kIo, kInternal 500.
int status_for(ErrorCode code);

http::Response message(int status, const google::protobuf::Message& body);
http::Response error(const Error& error);

// Parses a request body into `out` (protocols::from_json): an unknown key is an error
// (reason unknown_key), so typos do not pass silently; anything else invalid_json.
Status parse(std::string_view body, google::protobuf::Message& out);

// Query parameters are checked like JSON bodies: one not in `allowed` is an error (reason
// unknown_query_parameter) naming the allowed ones, not silently ignored.
Status only_known_params(const http::Request& req, std::initializer_list<const char*> allowed);

}  // namespace tidewire::cloud::http_json
