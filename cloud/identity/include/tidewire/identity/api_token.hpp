#pragma once
// API tokens as text: "tw_<id>_<secret>".
//   id      12 characters of [a-z0-9]: public, the store's key, shown in lists and the audit log
//   secret  43 characters of base64url: 32 bytes from the operating system's CSPRNG
// The store keeps SHA-256 of the secret, never the secret. A slow KDF (Argon2id, PBKDF2)
// protects low-entropy passwords against guessing from a stolen hash; a 256-bit random
// secret cannot be guessed either way, so a fast hash costs nothing in safety and keeps
// every request cheap to check (docs/security.md).
#include <optional>
#include <string>
#include <string_view>

#include "tidewire/common/expected.hpp"

namespace tidewire::identity {

struct IssuedToken {
  std::string text;         // what the holder sends: "tw_<id>_<secret>"
  std::string id;
  std::string secret_hash;  // hex SHA-256 of the secret: what the store keeps
};

// A fresh token from the OS's random source; kInternal if that source fails.
Expected<IssuedToken> issue_token();

struct PresentedToken {
  std::string id;
  std::string secret;
};

// The token in an Authorization header value ("Bearer tw_..."), if it is well formed.
// Nothing is looked up here: a well-formed token may still be unknown or wrong.
std::optional<PresentedToken> parse_bearer(std::string_view authorization);

// Hex SHA-256, and a comparison whose time does not depend on where two hashes differ.
std::string sha256_hex(std::string_view bytes);
bool same_hash(std::string_view a, std::string_view b);

}  // namespace tidewire::identity
