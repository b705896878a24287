#pragma once
// The identity module's HTTP API, operator only (docs/security.md):
//   POST   /v1/tokens        TokenRequest -> 201 TokenCreated (the secret, this once)
//   GET    /v1/tokens        TokenList (never secrets)
//   DELETE /v1/tokens/{id}   204; stops working with the next request
//   GET    /v1/audit         AuditList, newest first; ?principal= ?target= ?since_ms= ?limit= (1-1000, default 100)
#include "http/router.hpp"
#include "tidewire/identity/identity_store.hpp"
#include "tidewire/identity/token_registry.hpp"
#include "tidewire/v1/identity.pb.h"

namespace tidewire::identity {

class IdentityApi {
 public:
  IdentityApi(TokenRegistry& tokens, IdentityStore& store) : tokens_(tokens), store_(store) {}
  Status install(http::Router& router);

 private:
  http::Response create(const http::Request& req);
  http::Response list(const http::Request& req);
  http::Response revoke(const http::Request& req);
  http::Response audit(const http::Request& req);

  TokenRegistry& tokens_;
  IdentityStore& store_;
};

// The listed form of a token (no secret hash), shared by the API and the command line.
v1::ApiToken to_proto(const TokenRecord& token);
v1::AuditEntry to_proto(const AuditRecord& entry);

}  // namespace tidewire::identity
