#include "tidewire/push/push_api.hpp"

#include "json_body.hpp"

namespace tidewire::push {
namespace {

// "reason: detail" errors from the service become ErrorBody{error: reason, message}, with
// the status the cloud maps every ErrorCode to.
http::Response refuse(const Error& e) {
  auto colon = e.message.find(": ");
  std::string reason = e.code == ErrorCode::kMalformed       ? "invalid_json"
                       : colon == std::string::npos ? "invalid"
                                                    : e.message.substr(0, colon);
  return cloud::json::error(cloud::json::error(e).status, reason, e.message);
}

}  // namespace

Status PushApi::install(http::Router& router) {
  auto add = [&](const char* method, const char* pattern, http::Handler h) { return router.add(method, pattern, std::move(h)); };
  Status st = add("PUT", "/v1/recipients/{id}", [this](const http::Request& req) {
    v1::Recipient body;
    if (auto p = cloud::json::parse(req.body, body); !p) return refuse(p.error());
    auto put = service_.put_recipient(req.params.at("id"), std::move(body));
    if (!put) return refuse(put.error());
    return cloud::json::message(put->second ? 201 : 200, put->first);
  });
  if (!st) return st;
  st = add("GET", "/v1/recipients/{id}", [this](const http::Request& req) {
    auto r = service_.recipient(req.params.at("id"));
    return r ? cloud::json::message(200, *r) : refuse(r.error());
  });
  if (!st) return st;
  st = add("DELETE", "/v1/recipients/{id}", [this](const http::Request& req) {
    auto r = service_.delete_recipient(req.params.at("id"));
    return r ? http::Response::json(204, "") : refuse(r.error());
  });
  if (!st) return st;
  st = add("POST", "/v1/push", [this](const http::Request& req) {
    v1::PushRequest body;
    if (auto p = cloud::json::parse(req.body, body); !p) return refuse(p.error());
    auto accepted = service_.push(body, req.header("idempotency-key"));
    if (!accepted) return refuse(accepted.error());
    return cloud::json::message(accepted->duplicate() ? 200 : 202, *accepted);
  });
  if (!st) return st;
  return add("GET", "/v1/push/{id}", [this](const http::Request& req) {
    auto v = service_.view(req.params.at("id"));
    return v ? cloud::json::message(200, *v) : refuse(v.error());
  });
}

}  // namespace tidewire::push
