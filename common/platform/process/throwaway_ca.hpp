#pragma once
// A throwaway certificate authority for TLS on loopback: the demo with TW_DEMO_TLS=1, the
// TLS tests and `bench pipeline --tls`. Made with the `openssl` command (Debian package
// openssl), EC P-256 keys, valid for 7 days. Never for production: docs/security.md says
// how to use a real CA.
#include <string>

#include "tidewire/common/expected.hpp"

namespace tidewire::process {

struct CertAndKey {
  std::string cert;  // PEM file
  std::string key;   // PEM file, mode 0600
};

struct ThrowawayCa {
  std::string dir;
  CertAndKey ca;      // the authority itself (clients and brokers trust ca.cert)
  CertAndKey server;  // for 127.0.0.1 and localhost (subjectAltName), signed by the CA

  // Makes dir/ca.{crt,key} and dir/server.{crt,key}; kUnavailable if openssl is missing.
  static Expected<ThrowawayCa> make(const std::string& dir);
  // A client certificate whose common name is `common_name` (the identity a broker with
  // use_identity_as_username takes as the user name), signed by this CA.
  Expected<CertAndKey> client(const std::string& common_name) const;
};

}  // namespace tidewire::process
