#include "tidewire/identity/token_registry.hpp"

#include <algorithm>

#include "tidewire/cloud/scopes.hpp"
#include "tidewire/identity/api_token.hpp"
#include "tidewire/protocols/topics.hpp"

namespace tidewire::identity {
namespace {

constexpr size_t kMaxNote = 200;
constexpr int kIdAttempts = 4;  // 36^12 ids: a collision is all but impossible, but cheap to retry

Error refused(const char* reason, const std::string& message) {
  return make_error(ErrorCode::kInvalidArgument, message, reason);
}

}  // namespace

Expected<CreatedToken> TokenRegistry::create(const NewToken& request) {
  if (!topics::valid_id(request.principal)) {
    return refused("invalid_principal", "principal '" + request.principal.substr(0, 80) +
                                            "' must be 1-64 characters of A-Z a-z 0-9 _ -");
  }
  if (request.scopes.empty()) {
    return refused("no_scope", "a token needs at least one scope (operator, metrics, merchant, rider, customer, "
                               "installer, streamer, viewer)");
  }
  std::vector<std::string> scopes;
  for (const auto& s : request.scopes) {
    if (!cloud::scope::known(s)) {
      return refused("unknown_scope", "unknown scope '" + s.substr(0, 40) +
                                          "' (known: operator, metrics, merchant, rider, customer, installer, "
                                          "streamer, viewer)");
    }
    if (std::find(scopes.begin(), scopes.end(), s) == scopes.end()) scopes.push_back(s);
  }
  if (request.note.size() > kMaxNote) return refused("note_too_long", "note is longer than 200 bytes");

  for (int attempt = 0; attempt < kIdAttempts; ++attempt) {
    auto issued = issue_token();
    if (!issued) return issued.error();
    TokenRecord r;
    r.id = issued->id;
    r.secret_hash = issued->secret_hash;
    r.principal = request.principal;
    r.scopes = scopes;
    r.note = request.note;
    r.created_by = request.created_by;
    r.created_ms = clock_.wall_ms();
    auto st = store_.insert_token(r);
    if (st) return CreatedToken{issued->text, std::move(r)};
    if (st.error().code != ErrorCode::kConflict) return st.error();
  }
  return make_error(ErrorCode::kInternal, "could not find a free token id");
}

Expected<std::vector<TokenRecord>> TokenRegistry::list() { return store_.list_tokens(); }

Expected<bool> TokenRegistry::revoke(const std::string& token_id) {
  return store_.revoke_token(token_id, clock_.wall_ms());
}

Expected<http::Caller> TokenRegistry::authenticate(const std::string& authorization) {
  using namespace auth_failure;
  if (authorization.empty()) {
    return make_error(ErrorCode::kInvalidArgument, "this route needs \"Authorization: Bearer <token>\"", kMissing);
  }
  auto presented = parse_bearer(authorization);
  if (!presented) {
    return make_error(ErrorCode::kInvalidArgument, "the Authorization header is not \"Bearer tw_<id>_<secret>\"",
                      kMalformed);
  }
  auto found = store_.find_token(presented->id);
  if (!found) {
    return make_error(ErrorCode::kUnavailable, "cannot check the token: " + found.error().message, "identity_store");
  }
  // Unknown id and wrong secret read the same to the caller; only the metric tells them apart.
  if (!*found) return make_error(ErrorCode::kInvalidArgument, "the token is not valid", kUnknown);
  const TokenRecord& t = **found;
  if (!same_hash(t.secret_hash, sha256_hex(presented->secret))) {
    return make_error(ErrorCode::kInvalidArgument, "the token is not valid", kBadSecret);
  }
  if (t.revoked_ms != 0) return make_error(ErrorCode::kInvalidArgument, "the token was revoked", kRevoked);
  http::Caller caller;
  caller.token_id = t.id;
  caller.principal = t.principal;
  caller.scopes = t.scopes;
  return caller;
}

}  // namespace tidewire::identity
