#include <atomic>
#include <chrono>
#include <filesystem>
#include <future>
#include <sstream>

#include "http/client.hpp"
#include "process/process.hpp"
#include "process/throwaway_ca.hpp"
#include "tidewire/common/clock.hpp"
#include "tidewire/common/log.hpp"
#include "tidewire/credentials/broker_files.hpp"
#include "tidewire/credentials/password_hash.hpp"
#include "tidewire/protocols/codec.hpp"
#include "tidewire/sim/bench.hpp"
#include "tidewire/sim/fleet.hpp"
#include "tidewire/sim/stack.hpp"
#include "tidewire/transport/mosquitto_client.hpp"

namespace tidewire::sim {
namespace {

int64_t steady_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// Size of a scripted event envelope as the fleet sends it, so both legs move the same bytes.
size_t event_payload_bytes() {
  v1::Envelope e;
  e.set_device_id("sim-poster-00001");
  e.set_kind(v1::DEVICE_KIND_POSTER);
  e.set_site("site-1");
  e.set_boot_id("0123456789abcdef");
  e.set_seq(12345);
  e.set_device_time_ms(1'700'000'000'000);
  e.mutable_event()->set_type("sim.scripted");
  (*e.mutable_event()->mutable_attributes())["n"] = "123";
  e.mutable_event()->set_outbox_floor_seq(12300);
  return codec::encode(e).size();
}

// Sum of a counter family in Prometheus text (all label sets).
double scrape_counter(const std::string& text, const std::string& name) {
  double total = 0;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(name, 0) != 0) continue;
    char next = line.size() > name.size() ? line[name.size()] : ' ';
    if (next != ' ' && next != '{') continue;
    total += std::stod(line.substr(line.rfind(' ') + 1));
  }
  return total;
}

}  // namespace

Expected<double> measure_raw_pubsub(int port, int messages, size_t payload_bytes, int max_inflight, int qos,
                                    const RawPubSubRoute& route) {
  transport::MosquittoLoop loop;
  if (auto st = loop.start_thread(); !st) return st.error();
  SeededRandom random(7);
  transport::MosquittoClientOptions quiet;
  quiet.log_edges = false;
  transport::MosquittoClient sub(loop, random, quiet), pub(loop, random, quiet);
  const std::string& topic = route.topic;
  std::atomic<int> received{0};
  std::atomic<bool> probe{false};
  std::promise<void> all_in;
  // The first message is a probe proving the subscription is active before timing starts.
  sub.set_message_handler([&](const transport::Message& m) {
    if (m.payload == "probe") {
      probe = true;
      return;
    }
    if (received.fetch_add(1) + 1 == messages) all_in.set_value();
  });
  transport::ConnectOptions co;
  co.port = port;
  co.max_inflight = max_inflight;
  co.tls = route.tls;
  co.client_id = "bench-sub";
  co.username = route.subscriber.username;
  co.password = route.subscriber.password;
  if (auto st = sub.connect(co); !st) return st.error();
  co.client_id = "bench-pub";
  co.username = route.publisher.username;
  co.password = route.publisher.password;
  if (auto st = pub.connect(co); !st) return st.error();
  if (auto st = sub.subscribe(topic, qos); !st) return st.error();
  if (!process::wait_until([&] { return sub.is_connected() && pub.is_connected(); }, 10'000)) {
    return make_error(ErrorCode::kTimeout, "bench clients did not connect");
  }
  if (!process::wait_until(
          [&] {
            (void)pub.publish({topic, "probe", qos, false});
            return probe.load();
          },
          10'000)) {
    return make_error(ErrorCode::kTimeout, "subscription never became active");
  }
  received = 0;
  std::string payload(payload_bytes, 'x');
  std::atomic<int> sent{0};
  // Publishing runs on the loop: fill the window, refill from each PUBACK.
  std::function<void()> pump = [&] {
    while (sent.load() < messages) {
      auto st = pub.publish({topic, payload, qos, false}, [&](const Status&) {
        if (qos > 0) (void)loop.post(pump);
      });
      if (!st) break;  // window full: the next PUBACK pumps again
      sent.fetch_add(1);
    }
    if (qos == 0 && sent.load() < messages) loop.schedule(1, pump);
  };
  int64_t t0 = steady_ms();
  (void)loop.post(pump);
  auto fut = all_in.get_future();
  if (fut.wait_for(std::chrono::seconds(60)) != std::future_status::ready) {
    return make_error(ErrorCode::kTimeout, "raw pub/sub: " + std::to_string(received.load()) + " of " +
                                               std::to_string(messages) + " arrived in 60 s");
  }
  double seconds = static_cast<double>(steady_ms() - t0) / 1000.0;
  pub.disconnect();
  sub.disconnect();
  return messages / std::max(seconds, 1e-3);
}

namespace {

// A broker locked like the stack's (docs/security.md) for the raw reference, holding one
// device and its site's edge: the device publishes its events, the edge reads them.
struct LockedRawBroker {
  process::LocalBrokerPtr broker;
  RawPubSubRoute route;
};

Expected<LockedRawBroker> start_locked_raw_broker(const std::string& dir, bool tls) {
  using credentials::Principal;
  using credentials::PrincipalKind;
  Principal device{PrincipalKind::kDevice, "raw-device", "raw-site", v1::DEVICE_KIND_POSTER, std::nullopt, "", 0, 0};
  Principal edge{PrincipalKind::kEdge, "raw-edge", "raw-site", v1::DEVICE_KIND_UNSPECIFIED, std::nullopt, "", 0, 0};
  LockedRawBroker out;
  for (auto* p : {&device, &edge}) {
    auto password = credentials::make_password();
    if (!password) return password.error();
    auto hash = credentials::hash_password(*password);
    if (!hash) return hash.error();
    p->password_hash = *hash;
    (p == &device ? out.route.publisher : out.route.subscriber) = {credentials::username(*p), *password};
  }
  auto files = credentials::render_site_broker({device, edge}, "raw-site");
  if (!files) return files.error();
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (auto st = credentials::write_broker_files(dir, *files); !st) return st.error();
  auto topic = topics::device_topic({"raw-site", v1::DEVICE_KIND_POSTER, "raw-device"}, topics::Channel::kEvent);
  if (!topic) return topic.error();
  out.route.topic = *topic;
  process::LocalBroker::Options bo;
  bo.work_dir = dir;
  bo.password_file = dir + "/passwords";
  bo.acl_file = dir + "/acl";
  if (tls) {
    auto ca = process::ThrowawayCa::make(dir + "/tls");
    if (!ca) return ca.error();
    out.route.tls.ca_file = ca->ca.cert;
    bo.tls_ca_file = ca->ca.cert;
    bo.tls_cert_file = ca->server.cert;
    bo.tls_key_file = ca->server.key;
  }
  auto broker = process::LocalBroker::start(bo);
  if (!broker) return broker.error();
  out.broker = std::move(*broker);
  return out;
}

// One leg of the bench: the raw reference and the pipeline, both plain TCP or both TLS.
struct PipelineLeg {
  double raw_msgs_per_s = 0;
  double pipeline_events_per_s = 0;
  double pipeline_seconds = 0;
  double total_events = 0;
  double fleet_connect_seconds = 0;  // start to every device connected (TLS: handshakes)
};

Expected<PipelineLeg> measure_leg(const PipelineBenchOptions& o, bool tls, size_t payload) {
  const std::string dir = o.run_dir + (tls ? "/tls" : "/plain");
  StackOptions so;
  so.run_dir = dir;
  so.log_level = "warn";
  so.tls = tls;
  // The edge's drain-rate cap protects a cloud after an outage; the bench measures what
  // the pipeline itself can carry, so the cap is lifted (and reported).
  so.edge_extra_config = "drain-rate = " + std::to_string(o.edge_drain_rate) + "\n";
  auto stack = Stack::start(so);
  if (!stack) return stack.error();

  PipelineLeg leg;
  // Reference: the same broker binary, locked the same way, the same transport and payload
  // size, in this run.
  {
    auto raw_broker = start_locked_raw_broker(dir + "/raw-broker", tls);
    if (!raw_broker) return raw_broker.error().with_context("raw reference broker");
    auto raw = measure_raw_pubsub(raw_broker->broker->port(), o.raw_messages, payload, o.max_inflight, 1,
                                  raw_broker->route);
    if (!raw) return raw.error().with_context("raw reference");
    leg.raw_msgs_per_s = *raw;
  }

  SystemClock clock;
  MetricsRegistry metrics;
  FleetOptions fo;
  fo.site = (*stack)->options().site;
  fo.broker_port = (*stack)->site_broker_port();
  fo.tls = (*stack)->client_tls();
  fo.posters = o.devices;
  fo.event_interval_ms = 0;
  fo.status_interval_ms = 600'000;
  fo.max_inflight = o.max_inflight;
  fo.tick_ms = 5;
  if (auto st = (*stack)->provision_fleet(fo); !st) return st.error().with_context("provision fleet");
  Fleet fleet(fo, clock, metrics);
  const int64_t connect_t0 = steady_ms();
  if (auto st = fleet.start(); !st) return st.error();
  if (!process::wait_until([&] { return fleet.online() == fleet.size(); }, 30'000)) {
    return make_error(ErrorCode::kTimeout, "fleet did not come online: " + fleet.summary());
  }
  leg.fleet_connect_seconds = static_cast<double>(steady_ms() - connect_t0) / 1000.0;
  const HttpEndpoint cloud{"127.0.0.1", (*stack)->http_port(), (*stack)->operator_token()};
  auto stored = [&]() -> double {
    auto r = http::http_request(cloud.host, cloud.port, "GET", "/metrics", "", 5000, cloud.auth());
    return r && r->status == 200 ? scrape_counter(r->body, "tw_cloud_events_stored_total") : -1;
  };
  double base = stored();
  leg.total_events = static_cast<double>(o.devices) * o.events_per_device;
  int64_t t0 = steady_ms();
  fleet.record_scripted_events(o.events_per_device, 0);
  bool done = process::wait_until([&] { return stored() - base >= leg.total_events; }, o.timeout_ms);
  leg.pipeline_seconds = static_cast<double>(steady_ms() - t0) / 1000.0;
  double got = stored() - base;
  fleet.stop();
  (*stack)->stop();
  if (!done) {
    return make_error(ErrorCode::kTimeout, std::string(tls ? "TLS" : "plain") + " pipeline stored " +
                                               std::to_string(static_cast<int64_t>(got)) + " of " +
                                               std::to_string(static_cast<int64_t>(leg.total_events)) + " events");
  }
  leg.pipeline_events_per_s = leg.total_events / std::max(leg.pipeline_seconds, 1e-3);
  return leg;
}

std::string leg_json(const PipelineLeg& leg) {
  std::ostringstream os;
  os << "\"raw_mosquitto_qos1_pubsub_msgs_per_s\":" << static_cast<int64_t>(leg.raw_msgs_per_s)
     << ",\"pipeline_events_per_s\":" << static_cast<int64_t>(leg.pipeline_events_per_s)
     << ",\"pipeline_seconds\":" << leg.pipeline_seconds << ",\"fleet_connect_seconds\":" << leg.fleet_connect_seconds
     << ",\"ratio_pipeline_to_raw\":" << leg.pipeline_events_per_s / leg.raw_msgs_per_s;
  return os.str();
}

}  // namespace

Expected<std::string> bench_pipeline(const PipelineBenchOptions& o) {
  size_t payload = event_payload_bytes();
  // A fresh stack every leg: an old spool or registry would change what is measured.
  std::error_code ec;
  std::filesystem::remove_all(o.run_dir, ec);
  auto plain = measure_leg(o, false, payload);
  if (!plain) return plain.error();
  std::ostringstream os;
  os << "{\"bench\":\"pipeline\",\"payload_bytes\":" << payload << ",\"max_inflight\":" << o.max_inflight
     << ",\"raw_messages\":" << o.raw_messages << ",\"pipeline_events\":" << static_cast<int64_t>(plain->total_events)
     << ",\"devices\":" << o.devices << ",\"edge_drain_rate\":" << o.edge_drain_rate << "," << leg_json(*plain);
  if (o.compare_tls) {
    // The same measurements again with every hop over TLS, in this run: what TLS costs.
    auto tls = measure_leg(o, true, payload);
    if (!tls) return tls.error();
    os << ",\"tls\":{" << leg_json(*tls) << "},\"tls_to_plain\":{\"raw\":"
       << tls->raw_msgs_per_s / plain->raw_msgs_per_s
       << ",\"pipeline\":" << tls->pipeline_events_per_s / plain->pipeline_events_per_s << "}";
  }
  os << "}";
  return os.str();
}

}  // namespace tidewire::sim
