#pragma once
// End-to-end check: every scripted event a virtual device recorded is stored in the
// cloud exactly once, read back over the cloud's HTTP API; plus delivery latency
// (cloud commit time - device time; one machine, one clock).
#include <cstdint>
#include <string>
#include <vector>

#include "tidewire/common/expected.hpp"
#include "tidewire/sim/fleet.hpp"
#include "tidewire/sim/stack.hpp"

namespace tidewire::sim {

struct VerifyReport {
  uint64_t devices = 0;
  uint64_t expected = 0;    // scripted events recorded by the devices
  uint64_t found = 0;       // of those, stored in the cloud
  uint64_t missing = 0;
  uint64_t duplicated = 0;  // stored more than once (must be 0)
  uint64_t device_drops = 0;
  double latency_p50_ms = 0;
  double latency_p99_ms = 0;
  double latency_max_ms = 0;
  bool ok() const { return missing == 0 && duplicated == 0 && device_drops == 0 && found == expected; }
  std::string to_json() const;
};

// Reads the events back from the cloud's HTTP API (with cloud.token: scope operator or installer).
Expected<VerifyReport> verify_in_cloud(const HttpEndpoint& cloud, const std::vector<DeviceLedger>& ledgers);

// Percentile of a sample (nearest rank); 0 for an empty sample. Sorts `values`.
double percentile(std::vector<double>& values, double q);

}  // namespace tidewire::sim
