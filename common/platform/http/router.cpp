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

Status Router::add(const std::string& method, const std::string& pattern, Access access, Handler handler) {
  if (pattern.empty() || pattern[0] != '/') {
    return make_error(ErrorCode::kInvalidArgument, "route pattern '" + pattern + "' must start with '/'");
  }
  if (!access.open && access.scopes.empty()) {
    return make_error(ErrorCode::kInvalidArgument,
                      "route " + method + " " + pattern + " names no scope: give Access::to({...}) or Access::anyone()");
  }
  for (const auto& r : routes_) {
    // Two handlers for one route would hide the second: the cloud's modules would
    // otherwise take each other's routes without a word.
    if (r.info.method == method && r.info.pattern == pattern) {
      return make_error(ErrorCode::kConflict, "route " + method + " " + pattern + " is already taken");
    }
  }
  Route route{{method, pattern, std::move(access)}, {}, std::move(handler)};
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

std::vector<RouteInfo> Router::routes() const {
  std::vector<RouteInfo> out;
  out.reserve(routes_.size());
  for (const auto& r : routes_) out.push_back(r.info);
  return out;
}

Response Router::serve(const Route& r, Request& request) const {
  if (gate_) {
    if (auto refused = gate_->admit(request, r.info)) return std::move(*refused);
  } else if (!r.info.access.open) {
    return error_response(401, "no_gate", "this server checks no credentials, so it serves only its open routes");
  }
  Response res;
  try {
    res = r.handler(request);
  } catch (const std::exception& e) {
    TW_ERROR("http", request.method << " " << r.info.pattern << " failed: " << e.what());
    res = error_response(500, "internal", "the server failed while handling this request; see its log");
  } catch (...) {
    TW_ERROR("http", request.method << " " << r.info.pattern << " failed with a non-standard exception");
    res = error_response(500, "internal", "the server failed while handling this request; see its log");
  }
  if (gate_) gate_->served(request, r.info, res);
  return res;
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
    if (r.info.method != request.method) {
      if (std::find(allowed.begin(), allowed.end(), r.info.method) == allowed.end()) allowed.push_back(r.info.method);
      route = r.info.pattern;
      continue;
    }
    route = r.info.pattern;
    request.params.clear();
    matches(r, segments, &request.params);
    return serve(r, request);
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
