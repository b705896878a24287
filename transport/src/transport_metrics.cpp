#include "tidewire/transport/transport_metrics.hpp"

namespace tidewire::transport {

TransportMetrics bind_transport_metrics(MetricsRegistry* registry, Labels labels, const char* backend) {
  static MetricsRegistry unexported;
  MetricsRegistry& r = registry ? *registry : unexported;
  labels.emplace_back("backend", backend);
  auto with = [&](const char* key, const char* value) {
    Labels l = labels;
    l.emplace_back(key, value);
    return l;
  };
  const char* rejected_help = "Publishes refused by the transport, by reason";
  const char* refused_sub_help = "SUBACKs that refused a filter (0x80) or granted a lower QoS than asked";
  return {
      &r.counter("tw_transport_published_total", "Messages handed to the broker connection", labels),
      &r.counter("tw_transport_publish_rejected_total", rejected_help, with("reason", "disconnected")),
      &r.counter("tw_transport_publish_rejected_total", rejected_help, with("reason", "window_full")),
      &r.counter("tw_transport_publish_rejected_total", rejected_help, with("reason", "queue_full")),
      &r.counter("tw_transport_publish_rejected_total", rejected_help, with("reason", "invalid")),
      &r.counter("tw_transport_acked_total", "QoS1 publishes acknowledged by the broker", labels),
      &r.counter("tw_transport_publish_failed_total", "QoS1 publishes failed because the connection dropped", labels),
      &r.counter("tw_transport_received_total", "Messages received from the broker", labels),
      &r.counter("tw_transport_connect_attempts_total", "TCP/MQTT connection attempts", labels),
      &r.counter("tw_transport_connect_failures_total", "Connection attempts that never got a CONNACK", labels),
      &r.counter("tw_transport_connections_lost_total", "Established connections that went down", labels),
      &r.gauge("tw_transport_connected", "Broker connections currently up", labels),
      &r.gauge("tw_transport_inflight", "QoS1 publishes waiting for PUBACK", labels),
      &r.gauge("tw_transport_qos0_queued", "QoS0 publishes queued but not yet written to the socket", labels),
      &r.counter("tw_transport_subscribe_refused_total", refused_sub_help, with("reason", "refused")),
      &r.counter("tw_transport_subscribe_refused_total", refused_sub_help, with("reason", "downgraded")),
  };
}

}  // namespace tidewire::transport
