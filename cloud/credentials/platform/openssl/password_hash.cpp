// mosquitto's $7$ password hashes with OpenSSL's libcrypto: PBKDF2-HMAC-SHA512, base64.
#include "tidewire/credentials/password_hash.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <optional>
#include <vector>

namespace tidewire::credentials {
namespace {

constexpr size_t kSaltBytes = 12;  // what mosquitto_passwd uses
constexpr size_t kHashBytes = 64;  // SHA-512's output
constexpr std::string_view kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::string base64(const unsigned char* data, size_t n) {
  std::string out(4 * ((n + 2) / 3) + 1, '\0');
  int len = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data, static_cast<int>(n));
  out.resize(static_cast<size_t>(len));
  return out;
}

std::optional<std::string> unbase64(const std::string& text) {
  if (text.empty() || text.size() % 4 != 0) return std::nullopt;
  std::string out(3 * text.size() / 4, '\0');
  int len = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                            reinterpret_cast<const unsigned char*>(text.data()), static_cast<int>(text.size()));
  if (len < 0) return std::nullopt;
  // EVP_DecodeBlock counts the '=' padding as zero bytes.
  size_t pad = text.back() == '=' ? (text[text.size() - 2] == '=' ? 2 : 1) : 0;
  out.resize(static_cast<size_t>(len) - pad);
  return out;
}

Expected<std::string> pbkdf2(const std::string& password, const std::string& salt, int iterations) {
  unsigned char hash[kHashBytes];
  if (PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()),
                        reinterpret_cast<const unsigned char*>(salt.data()), static_cast<int>(salt.size()), iterations,
                        EVP_sha512(), sizeof hash, hash) != 1) {
    return make_error(ErrorCode::kInternal, "PBKDF2 failed");
  }
  return std::string(reinterpret_cast<const char*>(hash), sizeof hash);
}

}  // namespace

Expected<std::string> make_password() {
  unsigned char bytes[32];
  if (RAND_bytes(bytes, sizeof bytes) != 1) return make_error(ErrorCode::kInternal, "no randomness (RAND_bytes)");
  std::string out;
  for (unsigned char b : bytes) out += kAlphabet[b % kAlphabet.size()];  // 256 % 64 == 0: unbiased
  return out;
}

Expected<std::string> hash_password_with_salt(const std::string& password, const std::string& salt, int iterations) {
  if (iterations < 1) return make_error(ErrorCode::kInvalidArgument, "iterations must be >= 1");
  auto hash = pbkdf2(password, salt, iterations);
  if (!hash) return hash.error();
  return "$7$" + std::to_string(iterations) + "$" +
         base64(reinterpret_cast<const unsigned char*>(salt.data()), salt.size()) + "$" +
         base64(reinterpret_cast<const unsigned char*>(hash->data()), hash->size());
}

Expected<std::string> hash_password(const std::string& password, int iterations) {
  unsigned char salt[kSaltBytes];
  if (RAND_bytes(salt, sizeof salt) != 1) return make_error(ErrorCode::kInternal, "no randomness (RAND_bytes)");
  return hash_password_with_salt(password, std::string(reinterpret_cast<const char*>(salt), sizeof salt), iterations);
}

bool verify_password(const std::string& password, const std::string& hash) {
  // $7$<iterations>$<salt>$<hash>
  if (hash.rfind("$7$", 0) != 0) return false;
  size_t a = 3, b = hash.find('$', a);
  if (b == std::string::npos) return false;
  size_t c = hash.find('$', b + 1);
  if (c == std::string::npos) return false;
  int iterations = 0;
  for (size_t i = a; i < b; ++i) {
    if (hash[i] < '0' || hash[i] > '9' || iterations > 10'000'000) return false;
    iterations = iterations * 10 + (hash[i] - '0');
  }
  auto salt = unbase64(hash.substr(b + 1, c - b - 1));
  auto expected = unbase64(hash.substr(c + 1));
  if (!salt || !expected || iterations < 1) return false;
  auto got = pbkdf2(password, *salt, iterations);
  if (!got || got->size() != expected->size()) return false;
  return CRYPTO_memcmp(got->data(), expected->data(), got->size()) == 0;
}

}  // namespace tidewire::credentials
