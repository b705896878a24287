#include "tidewire/push/push_api.hpp"

#include "tidewire/cloud/http_json.hpp"
#include "tidewire/cloud/scopes.hpp"

namespace tidewire::push {

namespace http_json = cloud::http_json;
namespace scope = cloud::scope;

namespace {

// A recipient record is its own app's and the operator's; to anyone else it does not exist.
Error unknown_recipient(const std::string& id) {
  return make_error(ErrorCode::kNotFound, "no recipient '" + id + "'", "unknown_recipient");  // as the service words it
}

}  // namespace

Status PushApi::install(http::Router& router) {
  // Apps (of any audience) register and read their own recipient record; sending and
  // reading notifications across recipients is the operator's (services call with it).
  const auto own = http::Access::to(
      {scope::kOperator, scope::kRider, scope::kCustomer, scope::kMerchant, scope::kStreamer, scope::kViewer});
  const auto operators = http::Access::to({scope::kOperator});
  auto add = [&](const char* method, const char* pattern, const http::Access& access, http::Handler h) {
    return router.add(method, pattern, access, std::move(h));
  };
  Status st = add("PUT", "/v1/recipients/{id}", own, [this](const http::Request& req) {
    if (!req.caller.acts_for(req.params.at("id"))) {
      return http_json::error(make_error(ErrorCode::kForbidden, "this token speaks for another recipient", "not_owner"));
    }
    v1::Recipient body;
    if (auto p = http_json::parse(req.body, body); !p) return http_json::error(p.error());
    auto put = service_.put_recipient(req.params.at("id"), std::move(body));
    if (!put) return http_json::error(put.error());
    return http_json::message(put->second ? 201 : 200, put->first);
  });
  if (!st) return st;
  st = add("GET", "/v1/recipients/{id}", own, [this](const http::Request& req) {
    if (!req.caller.acts_for(req.params.at("id"))) return http_json::error(unknown_recipient(req.params.at("id")));
    auto r = service_.recipient(req.params.at("id"));
    return r ? http_json::message(200, *r) : http_json::error(r.error());
  });
  if (!st) return st;
  st = add("DELETE", "/v1/recipients/{id}", own, [this](const http::Request& req) {
    if (!req.caller.acts_for(req.params.at("id"))) return http_json::error(unknown_recipient(req.params.at("id")));
    auto r = service_.delete_recipient(req.params.at("id"));
    return r ? http::Response::json(204, "") : http_json::error(r.error());
  });
  if (!st) return st;
  st = add("POST", "/v1/push", operators, [this](const http::Request& req) {
    v1::PushRequest body;
    if (auto p = http_json::parse(req.body, body); !p) return http_json::error(p.error());
    auto accepted = service_.push(body, req.header("idempotency-key"));
    if (!accepted) return http_json::error(accepted.error());
    return http_json::message(accepted->duplicate() ? 200 : 202, *accepted);
  });
  if (!st) return st;
  return add("GET", "/v1/push/{id}", operators, [this](const http::Request& req) {
    auto v = service_.view(req.params.at("id"));
    return v ? http_json::message(200, *v) : http_json::error(v.error());
  });
}

}  // namespace tidewire::push
