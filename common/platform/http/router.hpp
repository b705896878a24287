#pragma once
// Method + path-pattern routing. Patterns are literal segments and `{name}` captures:
// "/v1/devices/{id}/events". Paths are matched segment by segment after
// percent-decoding each segment, so an encoded '/' inside an id stays inside the capture.
#include <string>
#include <utility>
#include <vector>

#include "http/http.hpp"

namespace tidewire::http {

class Router {
 public:
  // Fails on a pattern that does not start with '/' or has a malformed capture, and
  // (kConflict) on a method and pattern already added.
  Status add(const std::string& method, const std::string& pattern, Handler handler);
  // (method, pattern) of every route, in the order added: for index pages.
  std::vector<std::pair<std::string, std::string>> routes() const;

  // Parses the request's target (path, query), finds the route and runs its handler.
  // Unknown path -> 404, known path with another method -> 405 (with Allow), a bad
  // target or query -> 400, a handler that throws -> 500; never throws itself.
  // `route` receives the matched pattern (or "unmatched"), a bounded label for metrics.
  Response dispatch(Request& request, std::string& route) const;

 private:
  struct Segment {
    std::string text;
    bool capture = false;
  };
  struct Route {
    std::string method;
    std::string pattern;
    std::vector<Segment> segments;
    Handler handler;
  };
  static bool matches(const Route& route, const std::vector<std::string>& segments,
                      std::map<std::string, std::string>* params);

  std::vector<Route> routes_;
};

}  // namespace tidewire::http
