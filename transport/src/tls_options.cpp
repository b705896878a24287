#include "tidewire/transport/tls_options.hpp"

#include <unistd.h>

namespace tidewire::transport {

std::vector<OptionSpec> tls_option_specs(const std::string& prefix, const std::string& what) {
  using T = OptionSpec::Type;
  return {
      {prefix + "tls-ca", T::kString, "",
       "PEM file of the CA that signed the " + what + "'s certificate: TLS on (empty = plain TCP)"},
      {prefix + "tls-cert", T::kString, "", "PEM client certificate for mutual TLS with the " + what + " (empty = none)"},
      {prefix + "tls-key", T::kString, "", "PEM private key of --" + prefix + "tls-cert (keep it mode 0600)"},
  };
}

Expected<ConnectOptions::Tls> tls_from_config(const Config& config, const std::string& prefix) {
  ConnectOptions::Tls tls;
  tls.ca_file = config.str(prefix + "tls-ca");
  tls.cert_file = config.str(prefix + "tls-cert");
  tls.key_file = config.str(prefix + "tls-key");
  auto bad = [&](const std::string& message) { return make_error(ErrorCode::kInvalidArgument, message); };
  if (tls.ca_file.empty() && (!tls.cert_file.empty() || !tls.key_file.empty())) {
    return bad("--" + prefix + "tls-cert needs --" + prefix + "tls-ca: a client certificate is only sent over TLS");
  }
  if (tls.cert_file.empty() != tls.key_file.empty()) {
    return bad("--" + prefix + "tls-cert and --" + prefix + "tls-key go together");
  }
  for (const auto& [option, file] : {std::pair{"tls-ca", tls.ca_file}, std::pair{"tls-cert", tls.cert_file},
                                     std::pair{"tls-key", tls.key_file}}) {
    if (!file.empty() && ::access(file.c_str(), R_OK) != 0) {
      return bad("--" + prefix + option + ": cannot read " + file);
    }
  }
  return tls;
}

}  // namespace tidewire::transport
