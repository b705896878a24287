#pragma once
// Requests and responses of the small HTTP/1.1 server and client in this folder
// (tw_http). Nothing here includes Boost: Beast stays inside server.cpp and client.cpp,
// so code that serves or calls HTTP compiles without it.
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tidewire/common/expected.hpp"

namespace tidewire::http {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

// Who may call a route. Every route declares one when it is added (Router::add), so an
// open route is a choice written next to its pattern, never an omission. Scope names
// (operator, merchant, rider, ...) mean nothing here: the Router's Gate gives them meaning.
struct Access {
  std::vector<std::string> scopes;  // a caller holding any one of these is admitted
  bool open = false;                // no credential needed at all (/healthz)

  static Access anyone();
  static Access to(std::initializer_list<const char*> scopes);
  // "open" or the scopes joined by '|': for index pages, logs and test names.
  std::string describe() const;
};

// The caller of a request, filled in by the Gate before the handler runs.
struct Caller {
  std::string token_id;    // empty: nobody authenticated (an open route)
  std::string principal;   // whom the credential speaks for: an operator's name, a merchant or recipient id
  std::vector<std::string> scopes;

  bool has(std::string_view scope) const;
  bool is_operator() const { return has("operator"); }
  // Object-level check: operators act on every object, anyone else only on objects
  // owned by their own principal.
  bool acts_for(std::string_view owner) const;
};

struct Request {
  std::string method;                          // "GET", "POST", ...
  std::string target;                          // as received: path plus query string
  std::string path;                            // target without the query string, still percent-encoded
  std::map<std::string, std::string> params;   // {name} captures of the matched route, decoded
  std::map<std::string, std::string> query;    // decoded; a repeated key keeps its last value
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
  std::string remote_address;                  // the peer's IP address, as text ("" when not from a socket)
  Caller caller;                               // set by the Router's Gate

  // Empty when absent; `name` must be lower-case.
  std::string header(const std::string& name) const;
  bool has_query(const std::string& name) const { return query.count(name) > 0; }
  std::string query_or(const std::string& name, const std::string& fallback) const;
};

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  HeaderList headers;

  static Response json(int status, std::string body);
  static Response text(int status, std::string body, std::string content_type = "text/plain; charset=utf-8");
};

using Handler = std::function<Response(const Request&)>;

// JSON string literal (with the quotes) for arbitrary bytes: control characters are
// \u-escaped and invalid UTF-8 is replaced by U+FFFD, so the output always parses.
std::string json_quote(std::string_view text);

// The short name of an HTTP status, ErrorBody.error: 400 "bad_request", 404 "not_found",
// 405 "method_not_allowed", 409 "conflict", 413 "payload_too_large", 500 "internal", ...
const char* status_name(int status);

// The error body every tidewire HTTP service answers with, the JSON mapping of
// tidewire.v1.ErrorBody: {"status":404,"error":"not_found","message":"...","reason":"no_route"}.
// This is for the server's and router's own refusals (no route, bad target, body too
// large): tw_http does not link protobuf, so it writes the same bytes by hand. Handlers
// answer an Error through cloud::http_json::error (tidewire/cloud/http_json.hpp), which
// prints that message through protobuf; tests/cloud/http_json_test.cpp holds the two equal.
Response error_response(int status, std::string_view reason, std::string_view message);

// RFC 3986 percent-decoding; `plus_as_space` for query strings (form encoding).
// A '%' not followed by two hex digits is an error, not passed through.
Expected<std::string> percent_decode(std::string_view text, bool plus_as_space);
Expected<std::map<std::string, std::string>> parse_query(std::string_view query);
std::string percent_encode(std::string_view text);

}  // namespace tidewire::http
