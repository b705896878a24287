#pragma once
// Passwords and their hashes in mosquitto's password-file form (mosquitto 2.0,
// mosquitto_passwd's default): $7$<iterations>$<base64 salt>$<base64 hash>, the hash being
// PBKDF2-HMAC-SHA512(password, salt, iterations) of 64 bytes, the salt 12 random bytes.
//
// The passwords are made here, 32 characters from a 64-letter alphabet (192 bits), so no
// dictionary or brute force can reach them whatever the hash's cost: the KDF's iterations
// only slow the broker's check on every connect. We keep mosquitto_passwd's default (101).
// Implemented with OpenSSL's libcrypto (platform/openssl).
#include <string>

#include "tidewire/common/expected.hpp"

namespace tidewire::credentials {

inline constexpr int kHashIterations = 101;

// A new random password (OS randomness).
Expected<std::string> make_password();
// The hash of `password` with a fresh random salt.
Expected<std::string> hash_password(const std::string& password, int iterations = kHashIterations);
// The hash with a given salt (tests compare against known vectors).
Expected<std::string> hash_password_with_salt(const std::string& password, const std::string& salt, int iterations);
// True when `password` matches a $7$ hash (constant-time compare).
bool verify_password(const std::string& password, const std::string& hash);

}  // namespace tidewire::credentials
