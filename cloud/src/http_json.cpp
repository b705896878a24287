#include "tidewire/cloud/http_json.hpp"

#include "tidewire/protocols/json.hpp"
#include "tidewire/v1/fleet.pb.h"

namespace tidewire::cloud::http_json {

int status_for(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidArgument:
    case ErrorCode::kMalformed: return 400;
    case ErrorCode::kNotFound: return 404;
    case ErrorCode::kConflict: return 409;
    case ErrorCode::kForbidden: return 403;
    case ErrorCode::kTooLarge: return 413;
    case ErrorCode::kUnavailable: return 503;
    case ErrorCode::kTimeout: return 504;
    case ErrorCode::kIo:
    case ErrorCode::kInternal: break;
  }
  return 500;
}

http::Response message(int status, const google::protobuf::Message& body) {
  return http::Response::json(status, protocols::to_json(body, protocols::JsonFields::kAll));
}

http::Response error(const Error& e) {
  v1::ErrorBody body;
  int status = status_for(e.code);
  body.set_status(status);
  body.set_error(http::status_name(status));
  body.set_message(e.message);
  // A default-constructed Error has no reason yet; every other one has.
  body.set_reason(e.reason.empty() ? to_string(e.code) : e.reason);
  return message(status, body);
}

Status parse(std::string_view body, google::protobuf::Message& out) {
  return protocols::from_json(body, out);
}

Status only_known_params(const http::Request& req, std::initializer_list<const char*> allowed) {
  for (const auto& [name, value] : req.query) {
    bool known = false;
    std::string list;
    for (const char* a : allowed) {
      known = known || name == a;
      list += (list.empty() ? "" : ", ") + std::string(a);
    }
    if (!known) {
      return make_error(ErrorCode::kInvalidArgument,
                        "unknown query parameter '" + name.substr(0, 64) +
                            "' (allowed: " + (list.empty() ? std::string("none") : list) + ")",
                        "unknown_query_parameter");
    }
  }
  return {};
}

}  // namespace tidewire::cloud::http_json
