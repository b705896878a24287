#include "tidewire/edge/relay_host.hpp"

#include <future>
#include <limits>
#include <sstream>

#include "tidewire/common/log.hpp"

namespace tidewire::edge {
namespace {
constexpr const char* kLog = "edge";
}

RelayHost::RelayHost(Relay& relay, transport::Transport& site, transport::Transport& cloud, const Clock& clock,
                     EdgeMetrics& metrics, HostOptions options)
    : relay_(relay), site_(site), cloud_(cloud), clock_(clock), metrics_(metrics), options_(options),
      strand_(std::make_shared<Strand>(options.max_queued, options.max_queued_bytes)) {}

RelayHost::~RelayHost() { shutdown(); }

Status RelayHost::start(const transport::ConnectOptions& site, const transport::ConnectOptions& cloud) {
  if (auto st = relay_.start(); !st) return st;
  // The callbacks hold the strand, not this object: a late callback from a transport
  // thread after shutdown finds a stopped strand and is dropped.
  std::shared_ptr<Strand> strand = strand_;
  Relay* relay = &relay_;
  EdgeMetrics* metrics = &metrics_;
  site_.set_message_handler([strand, relay, metrics](const transport::Message& m) {
    size_t bytes = m.topic.size() + m.payload.size();
    if (!strand->post([relay, m] { relay->on_site_message(m); }, bytes)) metrics->inbox_dropped.inc();
  });
  site_.set_connection_handler(
      [strand, relay](bool up) { strand->post_control([relay, up] { relay->on_site_connection(up); }); });
  cloud_.set_message_handler([strand, relay, metrics](const transport::Message& m) {
    size_t bytes = m.topic.size() + m.payload.size();
    if (!strand->post([relay, m] { relay->on_cloud_message(m); }, bytes)) metrics->inbox_dropped.inc();
  });
  cloud_.set_connection_handler(
      [strand, relay](bool up) { strand->post_control([relay, up] { relay->on_cloud_connection(up); }); });

  next_summary_ms_ = clock_.steady_ms() + options_.summary_interval_ms;
  thread_ = std::thread([this] { strand_->run([this] { return on_idle(); }, clock_); });
  started_ = true;
  if (auto st = site_.connect(site); !st) {
    shutdown();
    return st.error().with_context("site broker " + site.host + ":" + std::to_string(site.port));
  }
  if (auto st = cloud_.connect(cloud); !st) {
    shutdown();
    return st.error().with_context("cloud broker " + cloud.host + ":" + std::to_string(cloud.port));
  }
  return {};
}

int64_t RelayHost::on_idle() {
  metrics_.inbox_depth.set(static_cast<int64_t>(strand_->depth()));
  int64_t wake = relay_.tick();
  if (options_.summary_interval_ms > 0) {
    int64_t now = clock_.steady_ms();
    if (now >= next_summary_ms_) {
      TW_INFO(kLog, summary());
      next_summary_ms_ = now + options_.summary_interval_ms;
    }
    wake = std::min(wake, next_summary_ms_);
  }
  return wake;
}

std::string RelayHost::summary() const {
  const auto& r = metrics_.registry;
  std::ostringstream os;
  os << "received=" << r.counter_total("tw_edge_received_total")
     << " rejects=" << r.counter_total("tw_edge_rejects_total") << " duplicates=" << metrics_.duplicates.value()
     << " spool_rows=" << metrics_.spool_rows.value() << " spool_bytes=" << metrics_.spool_bytes.value()
     << " spool_dropped=" << r.counter_total("tw_edge_spool_dropped_total")
     << " batches_sent=" << metrics_.batches_sent.value() << " acked=" << metrics_.batches_acked.value()
     << " resent=" << metrics_.batches_resent.value() << " inflight=" << metrics_.batches_inflight.value()
     << " uplink=" << (metrics_.uplink_connected.value() ? "up" : "down")
     << " site=" << (metrics_.site_connected.value() ? "up" : "down")
     << " device_acks=" << metrics_.acks_sent.value() << " commands=" << metrics_.commands_forwarded.value()
     << " commands_unknown=" << metrics_.commands_unknown_device.value()
     << " inbox_dropped=" << metrics_.inbox_dropped.value();
  return os.str();
}

void RelayHost::shutdown(int64_t timeout_ms) {
  if (!started_ || stopped_) return;
  stopped_ = true;
  auto done = std::make_shared<std::promise<void>>();
  auto flushed = done->get_future();
  Relay* relay = &relay_;
  strand_->post_control([relay, done] {
    relay->stop_input();
    if (auto st = relay->flush(); !st) TW_ERROR(kLog, "final spool commit failed: " << st.error().describe());
    done->set_value();
  });
  if (flushed.wait_for(std::chrono::milliseconds(timeout_ms)) != std::future_status::ready) {
    TW_ERROR(kLog, "relay thread did not finish its final commit within " << timeout_ms << " ms");
  }
  site_.disconnect();
  strand_->stop();
  if (thread_.joinable()) thread_.join();
  cloud_.disconnect();
  TW_INFO(kLog, "stopped: " << summary());
}

}  // namespace tidewire::edge
