#pragma once
// The push HTTP API (docs/push.md, "HTTP API"):
//   PUT /v1/recipients/{id}, GET /v1/recipients/{id}, DELETE /v1/recipients/{id}
//   POST /v1/push (Idempotency-Key header), GET /v1/push/{id}
#include "http/router.hpp"
#include "tidewire/push/push_service.hpp"

namespace tidewire::push {

class PushApi {
 public:
  explicit PushApi(PushService& service) : service_(service) {}
  Status install(http::Router& router);

 private:
  PushService& service_;
};

}  // namespace tidewire::push
