#pragma once
// A Gate for tests of handlers (not of authentication): every request is admitted as
// `caller` (an operator unless a test says otherwise). Authentication itself is tested
// against the real AuthGate in tests/cloud/identity.
#include <memory>

#include "http/router.hpp"

namespace tidewire::testing {

class FakeGate final : public http::Gate {
 public:
  explicit FakeGate(http::Caller caller = operator_caller()) : caller_(std::move(caller)) {}

  static http::Caller operator_caller() {
    http::Caller c;
    c.token_id = "test-token";
    c.principal = "test-operator";
    c.scopes = {"operator"};
    return c;
  }
  static http::Caller caller(const std::string& principal, const std::string& scope) {
    http::Caller c;
    c.token_id = "test-token-" + principal;
    c.principal = principal;
    c.scopes = {scope};
    return c;
  }

  std::optional<http::Response> admit(http::Request& request, const http::RouteInfo&) override {
    request.caller = caller_;
    return std::nullopt;
  }
  void set_caller(http::Caller caller) { caller_ = std::move(caller); }

 private:
  http::Caller caller_;
};

// Installs a FakeGate admitting everyone as an operator into `router`.
inline std::shared_ptr<FakeGate> admit_all(http::Router& router) {
  auto gate = std::make_shared<FakeGate>();
  router.set_gate(gate);
  return gate;
}

}  // namespace tidewire::testing
