#pragma once
// The TLS options every binary offers for each of its MQTT connections, declared once:
// `<prefix>tls-ca`, `<prefix>tls-cert`, `<prefix>tls-key` (the agent's prefix is "", the
// edge's "site-" and "cloud-", the cloud's "mqtt-"). docs/security.md, "TLS".
#include <string>
#include <vector>

#include "tidewire/common/config.hpp"
#include "tidewire/transport/transport.hpp"

namespace tidewire::transport {

// The three option specs, with `what` naming the broker in their help ("site broker").
std::vector<OptionSpec> tls_option_specs(const std::string& prefix, const std::string& what);

// The options' values, checked: a certificate needs the CA and the key (and the other way
// round), and every file named must be readable. kInvalidArgument naming the option.
Expected<ConnectOptions::Tls> tls_from_config(const Config& config, const std::string& prefix);

}  // namespace tidewire::transport
