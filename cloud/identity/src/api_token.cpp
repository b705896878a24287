#include "tidewire/identity/api_token.hpp"

#include <cctype>
#include <cstdint>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

namespace tidewire::identity {
namespace {

constexpr size_t kIdLength = 12;
constexpr size_t kSecretBytes = 32;
constexpr size_t kSecretLength = 43;  // base64url of 32 bytes, unpadded
constexpr std::string_view kPrefix = "tw_";

bool random_bytes(unsigned char* out, size_t n) { return RAND_bytes(out, static_cast<int>(n)) == 1; }

std::string base64url(const unsigned char* data, size_t n) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (size_t i = 0; i < n; ++i) {
    acc = (acc << 8) | data[i];
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out.push_back(kAlphabet[(acc >> bits) & 0x3f]);
    }
  }
  if (bits > 0) out.push_back(kAlphabet[(acc << (6 - bits)) & 0x3f]);
  return out;
}

bool is_id_char(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
bool is_secret_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

}  // namespace

Expected<IssuedToken> issue_token() {
  unsigned char id_bytes[kIdLength];
  unsigned char secret[kSecretBytes];
  if (!random_bytes(id_bytes, sizeof id_bytes) || !random_bytes(secret, sizeof secret)) {
    return make_error(ErrorCode::kInternal, "the system's random source failed; no token was made");
  }
  static constexpr char kIdAlphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  IssuedToken t;
  for (unsigned char b : id_bytes) t.id.push_back(kIdAlphabet[b % 36]);  // bias is irrelevant: the id is public
  std::string s = base64url(secret, sizeof secret);
  t.secret_hash = sha256_hex(s);
  t.text = std::string(kPrefix) + t.id + "_" + s;
  return t;
}

std::optional<PresentedToken> parse_bearer(std::string_view value) {
  constexpr std::string_view kScheme = "Bearer ";
  if (value.size() < kScheme.size()) return std::nullopt;
  for (size_t i = 0; i < kScheme.size(); ++i) {  // the scheme is case-insensitive (RFC 9110)
    if (std::tolower(static_cast<unsigned char>(value[i])) != std::tolower(static_cast<unsigned char>(kScheme[i]))) {
      return std::nullopt;
    }
  }
  std::string_view token = value.substr(kScheme.size());
  if (token.size() != kPrefix.size() + kIdLength + 1 + kSecretLength || token.substr(0, kPrefix.size()) != kPrefix) {
    return std::nullopt;
  }
  std::string_view id = token.substr(kPrefix.size(), kIdLength);
  if (token[kPrefix.size() + kIdLength] != '_') return std::nullopt;
  std::string_view secret = token.substr(kPrefix.size() + kIdLength + 1);
  for (char c : id) {
    if (!is_id_char(c)) return std::nullopt;
  }
  for (char c : secret) {
    if (!is_secret_char(c)) return std::nullopt;
  }
  return PresentedToken{std::string(id), std::string(secret)};
}

std::string sha256_hex(std::string_view bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(bytes.data(), bytes.size(), digest, &len, EVP_sha256(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < len; ++i) {
    out.push_back(kHex[digest[i] >> 4]);
    out.push_back(kHex[digest[i] & 0xf]);
  }
  return out;
}

bool same_hash(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace tidewire::identity
