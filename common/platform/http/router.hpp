#pragma once
// Method + path-pattern routing. Patterns are literal segments and `{name}` captures:
// "/v1/devices/{id}/events". Paths are matched segment by segment after
// percent-decoding each segment, so an encoded '/' inside an id stays inside the capture.
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "http/http.hpp"

namespace tidewire::http {

// A route as declared: for index pages, and for tests that walk every route.
struct RouteInfo {
  std::string method;
  std::string pattern;
  Access access;
};

// Who stands at the door: checks the credential of every request to a route that is not
// open, before its handler runs. The cloud's identity module is one (bearer tokens).
class Gate {
 public:
  virtual ~Gate() = default;
  // Sets request.caller and returns nothing to let the request through, or returns the
  // refusal to send instead (401 no or bad credential, 403 wrong scope, 429 too many
  // failures). Called on the server's threads, for open routes too (they may carry a token).
  virtual std::optional<Response> admit(Request& request, const RouteInfo& route) = 0;
  // After the handler answered an admitted request: for the audit log of writes.
  virtual void served(const Request&, const RouteInfo&, const Response&) {}
};

class Router {
 public:
  // Fails on a pattern that does not start with '/' or has a malformed capture, on an
  // Access that is neither open nor names a scope, and (kConflict) on a method and pattern
  // already added.
  Status add(const std::string& method, const std::string& pattern, Access access, Handler handler);
  // Every route, in the order added.
  std::vector<RouteInfo> routes() const;

  // Without a gate only open routes are served: every other answers 401, so a server
  // that forgot its gate is closed, not open.
  void set_gate(std::shared_ptr<Gate> gate) { gate_ = std::move(gate); }

  // Parses the request's target (path, query), finds the route, lets the gate check the
  // caller and runs its handler. Unknown path -> 404, known path with another method ->
  // 405 (with Allow), a bad target or query -> 400, refused by the gate -> its answer, a
  // handler that throws -> 500; never throws itself.
  // `route` receives the matched pattern (or "unmatched"), a bounded label for metrics.
  Response dispatch(Request& request, std::string& route) const;

 private:
  struct Segment {
    std::string text;
    bool capture = false;
  };
  struct Route {
    RouteInfo info;
    std::vector<Segment> segments;
    Handler handler;
  };
  static bool matches(const Route& route, const std::vector<std::string>& segments,
                      std::map<std::string, std::string>* params);

  Response serve(const Route& route, Request& request) const;

  std::vector<Route> routes_;
  std::shared_ptr<Gate> gate_;
};

}  // namespace tidewire::http
