#pragma once
// tidewire-edge's options: declared once (help text and defaults come from here), then
// checked and turned into the relay's settings with errors that say what to change.
#include <cstdint>
#include <string>
#include <vector>

#include "tidewire/common/config.hpp"
#include "tidewire/transport/transport.hpp"
#include "tidewire/edge/relay.hpp"
#include "tidewire/edge/relay_host.hpp"

namespace tidewire::edge {

struct EdgeSettings {
  RelayOptions relay;
  HostOptions host;
  std::string site_host;
  int site_port = 1883;
  std::string cloud_host;
  int cloud_port = 1884;
  std::string site_username, site_password;
  std::string cloud_username, cloud_password;
  transport::ConnectOptions::Tls site_tls, cloud_tls;  // TLS per broker (on when the CA is set)
  std::string spool_path;
  uint64_t spool_max_bytes = 0;
  std::string log_level;
  std::string metrics_host;
  int metrics_port = 0;
};

std::vector<OptionSpec> edge_option_specs();
Expected<EdgeSettings> edge_settings(const Config& config);

// "1048576", "512KiB", "256MiB", "1GiB" (also K/M/G and KB/MB/GB, all powers of 1024).
Expected<uint64_t> parse_size(const std::string& text);

}  // namespace tidewire::edge
