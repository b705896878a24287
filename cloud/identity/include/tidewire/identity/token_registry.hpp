#pragma once
// API tokens: made, listed, revoked, and checked on every request (docs/security.md).
// Domain code over the IdentityStore: no sockets, no SQL.
//
// Checking reads the store on every request (a point query by id), so a token revoked by
// another process (`tidewire-cloud token revoke` next to a running server) stops working
// with the next request, not after a cache expires.
#include <string>
#include <vector>

#include "http/http.hpp"
#include "tidewire/common/clock.hpp"
#include "tidewire/identity/identity_store.hpp"

namespace tidewire::identity {

struct NewToken {
  std::string principal;            // 1..64 of [A-Za-z0-9_-]: an operator's name, a merchant or recipient id
  std::vector<std::string> scopes;  // from cloud/scopes.hpp; at least one
  std::string note;                 // at most 200 bytes
  std::string created_by;           // the principal creating it, or "cli"
};

struct CreatedToken {
  std::string text;  // shown once
  TokenRecord record;
};

// Why a credential was refused: the reason of the Error authenticate() returns and the
// label of tw_http_auth_failures_total.
namespace auth_failure {
inline constexpr const char* kMissing = "missing_token";      // no Authorization header
inline constexpr const char* kMalformed = "malformed_token";  // not "Bearer tw_<id>_<secret>"
inline constexpr const char* kUnknown = "unknown_token";      // no such id
inline constexpr const char* kBadSecret = "bad_secret";       // the id exists, the secret is wrong
inline constexpr const char* kRevoked = "revoked_token";
inline constexpr const char* kWrongScope = "wrong_scope";     // authenticated, not allowed here (403)
inline constexpr const char* kRateLimited = "rate_limited";   // too many failures from the address (429)
}  // namespace auth_failure

class TokenRegistry {
 public:
  TokenRegistry(IdentityStore& store, Clock& clock) : store_(store), clock_(clock) {}

  // kInvalidArgument naming what is wrong with the request.
  Expected<CreatedToken> create(const NewToken& request);
  Expected<std::vector<TokenRecord>> list();
  // false: no such token. Revoking twice is not an error.
  Expected<bool> revoke(const std::string& token_id);

  // The caller behind an Authorization header value; an Error whose reason is one of
  // auth_failure (kUnavailable with reason "identity_store" if the store failed).
  Expected<http::Caller> authenticate(const std::string& authorization);

 private:
  IdentityStore& store_;
  Clock& clock_;
};

}  // namespace tidewire::identity
