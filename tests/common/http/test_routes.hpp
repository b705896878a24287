#pragma once
// The routes the server tests serve, in plain HTTP and over TLS: GET /ping answers
// "pong", POST /echo returns the body with what it saw of the request in headers, and
// GET /boom throws.
#include <stdexcept>
#include <string>

#include "http/router.hpp"

namespace tidewire::http::testing {

inline Router test_routes() {
  Router router;
  auto must = [](Status added) {
    if (!added) throw std::logic_error("test route refused: " + added.error().message);
  };
  must(router.add("GET", "/ping", Access::anyone(), [](const Request&) { return Response::text(200, "pong"); }));
  must(router.add("POST", "/echo", Access::anyone(), [](const Request& r) {
    Response res = Response::text(200, r.body);
    res.headers.emplace_back("X-Seen-Header", r.header("x-test"));
    res.headers.emplace_back("X-Peer", r.remote_address);
    return res;
  }));
  must(router.add("GET", "/boom", Access::anyone(), [](const Request&) -> Response { throw std::logic_error("bug"); }));
  return router;
}

inline std::string header_of(const Response& r, const std::string& name) {
  for (const auto& [k, v] : r.headers)
    if (k == name) return v;
  return "";
}

}  // namespace tidewire::http::testing
