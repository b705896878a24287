#include "tidewire/identity/identity_api.hpp"

#include <cerrno>
#include <cstdlib>

#include "tidewire/cloud/http_json.hpp"
#include "tidewire/cloud/scopes.hpp"

namespace tidewire::identity {

namespace http_json = cloud::http_json;

namespace {

// A non-negative integer query parameter, or kInvalidArgument naming it.
Expected<int64_t> int_param(const http::Request& req, const char* name, int64_t fallback, int64_t lo, int64_t hi) {
  if (!req.has_query(name)) return fallback;
  const std::string text = req.query_or(name, "");
  errno = 0;
  char* end = nullptr;
  long long v = std::strtoll(text.c_str(), &end, 10);
  if (text.empty() || errno != 0 || *end != '\0' || v < lo || v > hi) {
    return make_error(ErrorCode::kInvalidArgument,
                      std::string(name) + " must be an integer " + std::to_string(lo) + ".." + std::to_string(hi),
                      "bad_parameter");
  }
  return static_cast<int64_t>(v);
}

}  // namespace

v1::ApiToken to_proto(const TokenRecord& t) {
  v1::ApiToken p;
  p.set_token_id(t.id);
  p.set_principal(t.principal);
  for (const auto& s : t.scopes) p.add_scopes(s);
  p.set_note(t.note);
  p.set_created_ms(t.created_ms);
  p.set_created_by(t.created_by);
  p.set_revoked_ms(t.revoked_ms);
  return p;
}

v1::AuditEntry to_proto(const AuditRecord& e) {
  v1::AuditEntry p;
  p.set_at_ms(e.at_ms);
  p.set_principal(e.principal);
  p.set_token_id(e.token_id);
  p.set_method(e.method);
  p.set_route(e.route);
  p.set_target(e.target);
  p.set_status(static_cast<uint32_t>(e.status));
  p.set_remote_address(e.remote_address);
  return p;
}

Status IdentityApi::install(http::Router& router) {
  const auto operators = http::Access::to({cloud::scope::kOperator});
  if (auto st = router.add("POST", "/v1/tokens", operators, [this](const http::Request& r) { return create(r); });
      !st) {
    return st;
  }
  if (auto st = router.add("GET", "/v1/tokens", operators, [this](const http::Request& r) { return list(r); }); !st) {
    return st;
  }
  if (auto st = router.add("DELETE", "/v1/tokens/{id}", operators,
                           [this](const http::Request& r) { return revoke(r); });
      !st) {
    return st;
  }
  return router.add("GET", "/v1/audit", operators, [this](const http::Request& r) { return audit(r); });
}

http::Response IdentityApi::create(const http::Request& req) {
  v1::TokenRequest body;
  if (auto st = http_json::parse(req.body, body); !st) return http_json::error(st.error());
  NewToken request;
  request.principal = body.principal();
  request.scopes.assign(body.scopes().begin(), body.scopes().end());
  request.note = body.note();
  request.created_by = req.caller.principal;
  auto created = tokens_.create(request);
  if (!created) return http_json::error(created.error());
  v1::TokenCreated out;
  out.set_token(created->text);
  *out.mutable_info() = to_proto(created->record);
  return http_json::message(201, out);
}

http::Response IdentityApi::list(const http::Request& req) {
  if (auto st = http_json::only_known_params(req, {}); !st) return http_json::error(st.error());
  auto tokens = tokens_.list();
  if (!tokens) return http_json::error(tokens.error());
  v1::TokenList out;
  for (const auto& t : *tokens) *out.add_tokens() = to_proto(t);
  return http_json::message(200, out);
}

http::Response IdentityApi::revoke(const http::Request& req) {
  const std::string& id = req.params.at("id");
  auto revoked = tokens_.revoke(id);
  if (!revoked) return http_json::error(revoked.error());
  if (!*revoked) {
    return http_json::error(make_error(ErrorCode::kNotFound, "no token '" + id.substr(0, 64) + "'", "unknown_token"));
  }
  return http::Response::json(204, "");
}

http::Response IdentityApi::audit(const http::Request& req) {
  if (auto st = http_json::only_known_params(req, {"principal", "target", "since_ms", "limit"}); !st) {
    return http_json::error(st.error());
  }
  AuditQuery q;
  q.principal = req.query_or("principal", "");
  q.target = req.query_or("target", "");
  auto since = int_param(req, "since_ms", 0, 0, INT64_MAX);
  if (!since) return http_json::error(since.error());
  auto limit = int_param(req, "limit", 100, 1, 1000);
  if (!limit) return http_json::error(limit.error());
  q.since_ms = *since;
  q.limit = static_cast<size_t>(*limit);
  auto entries = store_.audit(q);
  if (!entries) return http_json::error(entries.error());
  v1::AuditList out;
  for (const auto& e : *entries) *out.add_entries() = to_proto(e);
  return http_json::message(200, out);
}

}  // namespace tidewire::identity
