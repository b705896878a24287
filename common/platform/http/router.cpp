#include "http/router.hpp"

#include <algorithm>
#include <exception>

#include "tidewire/common/log.hpp"

namespace tidewire::http {
namespace {

std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> out;
  // path starts with '/': every segment follows a slash.
  size_t start = 1;
  while (true) {
    size_t slash = path.find('/', start);
    out.push_back(path.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start));
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return out;
}

}  // namespace

Status Router::add(const std::string& method, const std::string& pattern, Handler handler) {
  if (pattern.empty() || pattern[0] != '/') {
    return make_error(ErrorCode::kInvalidArgument, "route pattern '" + pattern + "' must start with '/'");
  }
  for (const auto& r : routes_) {
    // Two handlers for one route would hide the second: the cloud's modules would
    // otherwise take each other's routes without a word.
    if (r.method == method && r.pattern == pattern) {
      return make_error(ErrorCode::kConflict, "route " + method + " " + pattern + " is already taken");
    }
  }
  Route route{method, pattern, {}, std::move(handler)};
  for (auto part : split_path(pattern)) {
    bool open = !part.empty() && part.front() == '{';
    bool close = !part.empty() && part.back() == '}';
    if (open != close || (open && part.size() < 3)) {
      return make_error(ErrorCode::kInvalidArgument,
                        "route pattern '" + pattern + "': bad capture '" + std::string(part) + "' (use {name})");
    }
    if (open)
      route.segments.push_back({std::string(part.substr(1, part.size() - 2)), true});
    else
      route.segments.push_back({std::string(part), false});
  }
  routes_.push_back(std::move(route));
  return {};
}

std::vector<std::pair<std::string, std::string>> Router::routes() const {
  std::vector<std::pair<std::string, std::string>> out;
  out.reserve(routes_.size());
  for (const auto& r : routes_) out.emplace_back(r.method, r.pattern);
  return out;
}

bool Router::matches(const Route& route, const std::vector<std::string>& segments,
                     std::map<std::string, std::string>* params) {
  if (route.segments.size() != segments.size()) return false;
  for (size_t i = 0; i < segments.size(); ++i) {
    const auto& s = route.segments[i];
    if (s.capture) {
      if (segments[i].empty()) return false;
      if (params) (*params)[s.text] = segments[i];
    } else if (s.text != segments[i]) {
      return false;
    }
  }
  return true;
}

Response Router::dispatch(Request& request, std::string& route) const {
  route = "unmatched";
  std::string_view target = request.target;
  size_t q = target.find('?');
  request.path = std::string(target.substr(0, q));
  if (request.path.empty() || request.path[0] != '/') {
    return error_response(400, "invalid_target", "request target must be an absolute path such as /v1/devices");
  }
  if (q != std::string_view::npos) {
    auto query = parse_query(target.substr(q + 1));
    if (!query) return error_response(400, "invalid_query", query.error().message);
    request.query = std::move(*query);
  }
  std::vector<std::string> segments;
  for (auto part : split_path(request.path)) {
    auto decoded = percent_decode(part, false);
    if (!decoded) return error_response(400, "invalid_path", "path: " + decoded.error().message);
    segments.push_back(std::move(*decoded));
  }

  std::vector<std::string> allowed;
  for (const auto& r : routes_) {
    if (!matches(r, segments, nullptr)) continue;
    if (r.method != request.method) {
      if (std::find(allowed.begin(), allowed.end(), r.method) == allowed.end()) allowed.push_back(r.method);
      route = r.pattern;
      continue;
    }
    route = r.pattern;
    request.params.clear();
    matches(r, segments, &request.params);
    try {
      return r.handler(request);
    } catch (const std::exception& e) {
      TW_ERROR("http", request.method << " " << r.pattern << " failed: " << e.what());
    } catch (...) {
      TW_ERROR("http", request.method << " " << r.pattern << " failed with a non-standard exception");
    }
    return error_response(500, "internal", "the server failed while handling this request; see its log");
  }
  // Echoed paths are cut short: the answer to a huge target need not be huge.
  std::string shown = request.path.size() > 200 ? request.path.substr(0, 200) + "..." : request.path;
  if (!allowed.empty()) {
    std::string allow;
    for (const auto& m : allowed) allow += (allow.empty() ? "" : ", ") + m;
    Response res =
        error_response(405, "method_not_allowed",
                       request.method.substr(0, 32) + " is not supported on " + shown + " (allowed: " + allow + ")");
    res.headers.emplace_back("Allow", allow);
    return res;
  }
  return error_response(404, "no_route", "no route for " + shown);
}

}  // namespace tidewire::http
