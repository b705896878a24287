#pragma once
// The tw_transport_* series every backend exports, bound once per client. Clients given
// the same registry and labels share series, so a simulated fleet adds up into one.
#include "tidewire/common/metrics.hpp"

namespace tidewire::transport {

struct TransportMetrics {
  Counter* published;
  Counter* rejected_disconnected;
  Counter* rejected_window;
  Counter* rejected_queue;
  Counter* rejected_invalid;
  Counter* acked;
  Counter* failed;
  Counter* received;
  Counter* connect_attempts;
  Counter* connect_failures;
  Counter* connections_lost;
  Gauge* connected;
  Gauge* inflight;
  Gauge* qos0_queued;
  Counter* subscribe_refused;     // SUBACK 0x80
  Counter* subscribe_downgraded;  // SUBACK granted a lower QoS than asked
};

// registry == nullptr: the metrics still count, in a registry nobody renders.
// `backend` becomes the label backend="...".
TransportMetrics bind_transport_metrics(MetricsRegistry* registry, Labels labels, const char* backend);

}  // namespace tidewire::transport
