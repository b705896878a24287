#include "tidewire/edge/relay.hpp"

#include <algorithm>
#include <limits>

#include "tidewire/common/log.hpp"
#include "tidewire/protocols/codec.hpp"

namespace tidewire::edge {
namespace {

constexpr int64_t kNever = std::numeric_limits<int64_t>::max();
constexpr const char* kLog = "edge.relay";
// Upper bound for what the cloud may send us in one message (acks, command batches).
constexpr size_t kMaxCloudMessageBytes = codec::kMaxBatchFrameBytes;

RowKind kind_of(const v1::Envelope& e) {
  switch (e.body_case()) {
    case v1::Envelope::kStatus: return RowKind::kStatus;
    case v1::Envelope::kPresence: return RowKind::kPresence;
    case v1::Envelope::kResult: return RowKind::kResult;
    default: return RowKind::kEvent;
  }
}

// Under the byte bound, status (latest-wins, replaced soon anyway) goes first; command
// results go last because someone is waiting for them.
DropRank rank_of(const v1::Envelope& e) {
  switch (e.body_case()) {
    case v1::Envelope::kStatus: return DropRank::kLow;
    case v1::Envelope::kPresence: return DropRank::kNormal;
    case v1::Envelope::kResult: return DropRank::kHigh;
    case v1::Envelope::kEvent:
      switch (e.event().priority()) {
        case v1::PRIORITY_LOW: return DropRank::kLow;
        case v1::PRIORITY_HIGH: return DropRank::kHigh;
        default: return DropRank::kNormal;
      }
    default: return DropRank::kNormal;
  }
}

std::string suffix(uint64_t suppressed) {
  return suppressed ? " (" + std::to_string(suppressed) + " similar suppressed)" : "";
}

}  // namespace

Relay::Relay(RelayOptions options, Spool& spool, transport::Transport& site, transport::Transport& cloud,
             const Clock& clock, EdgeMetrics& metrics)
    : options_(std::move(options)), spool_(spool), site_(site), cloud_(cloud), clock_(clock), metrics_(metrics),
      validator_(options_.site),
      uplink_(
          [this] {
            UplinkOptions u = options_.uplink;
            u.edge_id = options_.edge_id;
            u.site = options_.site;
            return u;
          }(),
          spool, cloud, clock, metrics),
      log_limit_(clock) {}

Status Relay::start() {
  if (!topics::valid_id(options_.edge_id)) {
    return make_error(ErrorCode::kInvalidArgument, "edge id '" + options_.edge_id + "' must be " + topics::kIdRule);
  }
  if (!topics::valid_id(options_.site)) {
    return make_error(ErrorCode::kInvalidArgument, "site '" + options_.site + "' must be " + topics::kIdRule);
  }
  auto cursors = spool_.load_cursors();
  if (!cursors) return cursors.error().with_context("relay start");
  size_t n_cursors = cursors->size();
  cursors_.load(std::move(*cursors));
  auto devices = spool_.load_devices();
  if (!devices) return devices.error().with_context("relay start");
  for (auto& d : *devices) known_[d.device_id] = d;
  if (auto st = uplink_.start(); !st) return st;

  cloud_ack_topic_ = *topics::edge_topic(options_.edge_id, topics::EdgeChannel::kAck);
  cloud_cmd_topic_ = *topics::edge_topic(options_.edge_id, topics::EdgeChannel::kCommand);
  for (const auto& filter : topics::site_uplink_filters(options_.site)) {
    if (auto st = site_.subscribe(filter, 1); !st) return st.error().with_context("subscribe " + filter);
  }
  for (const auto& topic : {cloud_ack_topic_, cloud_cmd_topic_}) {
    if (auto st = cloud_.subscribe(topic, 1); !st) return st.error().with_context("subscribe " + topic);
  }
  next_expire_ms_ = clock_.steady_ms();
  update_spool_gauges();
  SpoolStats stats = spool_.stats();
  TW_INFO(kLog, "edge " << options_.edge_id << " for site " << options_.site << ": spool holds " << stats.rows
                        << " rows (" << stats.bytes << " bytes), " << n_cursors << " device cursors, "
                        << known_.size() << " known devices");
  return {};
}

void Relay::on_site_connection(bool up) {
  metrics_.site_connected.set(up ? 1 : 0);
  if (up) TW_INFO(kLog, "connected to site broker");
  else if (input_stopped_) TW_INFO(kLog, "disconnected from site broker (shutting down)");
  else TW_WARN(kLog, "site broker connection lost; devices keep their outboxes until it is back");
}

void Relay::on_cloud_connection(bool up) { uplink_.on_connection(up); }

void Relay::on_site_message(const transport::Message& message) {
  if (input_stopped_) {
    metrics_.input_refused.inc();
    return;
  }
  Validation v = validator_.check(message.topic, message.payload);
  if (!v.ok()) {
    metrics_.rejects[static_cast<size_t>(v.reason)]->inc();
    uint64_t suppressed = 0;
    const char* reason = reject_reason_name(v.reason);
    if (log_limit_.allow(std::string("reject.") + reason, suppressed)) {
      TW_WARN(kLog, "rejected message on '" << message.topic.substr(0, 200) << "': " << reason << ": " << v.detail
                                            << suffix(suppressed));
    }
    return;
  }
  ingest(std::move(*v.message), message.payload);
  if (pending_.messages >= options_.group_commit_max) (void)commit_group();
}

void Relay::ingest(DeviceMessage m, const std::string& payload) {
  const v1::Envelope& e = m.envelope;
  const topics::DeviceAddress& addr = m.topic.address;
  RowKind kind = kind_of(e);
  metrics_.received[static_cast<size_t>(kind)]->inc();
  int64_t wall = clock_.wall_ms();
  if (pending_.messages == 0) {
    cursors_.begin_group();
    pending_.first_ms = clock_.steady_ms();
  }
  pending_.messages++;

  auto known = known_.find(addr.device_id);
  if (known == known_.end() || known->second.kind != addr.kind || known->second.site != addr.site) {
    pending_.devices[addr.device_id] = addr;
  }

  NewRow row{e.device_id(), e.boot_id(), e.seq(), kind, rank_of(e), wall, {}};
  switch (kind) {
    case RowKind::kStatus: {
      auto it = pending_.status_row.find(addr.device_id);
      if (it != pending_.status_row.end()) {
        // Latest wins already in memory: only the newest status of the group is written.
        metrics_.status_coalesced.inc();
        pending_.rows[it->second].bytes = payload;
        pending_.rows[it->second].received_ms = wall;
        return;
      }
      break;
    }
    case RowKind::kPresence: break;
    case RowKind::kEvent:
    case RowKind::kResult: {
      CursorKey key{e.device_id(), e.boot_id()};
      uint64_t floor = kind == RowKind::kEvent ? e.event().outbox_floor_seq() : 0;
      auto verdict = cursors_.observe(key, e.seq(), floor, wall);
      pending_.acks[key] = addr;  // re-acking duplicates repairs lost acks
      if (verdict == DeviceCursors::Verdict::kDuplicate) {
        metrics_.duplicates.inc();
        return;
      }
      if (verdict == DeviceCursors::Verdict::kOverflow) {
        metrics_.cursor_overflow.inc();
        uint64_t suppressed = 0;
        if (log_limit_.allow("overflow." + addr.device_id, suppressed)) {
          TW_WARN(kLog, "device " << addr.device_id << ": too many seqs waiting above a gap at "
                                  << cursors_.watermark(key) << "; refusing seq " << e.seq()
                                  << " until the gap closes" << suffix(suppressed));
        }
        return;
      }
      break;
    }
  }
  row.bytes = payload;  // exactly the bytes that passed validation
  if (kind == RowKind::kStatus) pending_.status_row[addr.device_id] = pending_.rows.size();
  pending_.rows.push_back(std::move(row));
}

Status Relay::commit_group() {
  if (pending_.messages == 0) return {};
  Pending group = std::move(pending_);
  pending_ = Pending{};

  SpoolWrite write;
  write.rows = std::move(group.rows);
  write.cursors = cursors_.dirty();
  for (auto& [id, addr] : group.devices) write.devices.push_back(addr);

  size_t bytes = 0;
  for (const auto& r : write.rows) bytes += r.bytes.size();
  int64_t t0 = clock_.steady_ms();
  auto result = spool_.append(write);
  if (!result) {
    cursors_.rollback_group();
    metrics_.spool_errors.inc();
    metrics_.group_commit_failures.inc();
    metrics_.group_lost.inc(group.messages);
    uint64_t suppressed = 0;
    if (log_limit_.allow("commit", suppressed)) {
      TW_ERROR(kLog, "spool commit failed, " << group.messages
                                             << " messages not acked (devices re-send events; status/presence lost): "
                                             << result.error().describe() << suffix(suppressed));
    }
    return result.error();
  }
  cursors_.commit_group();
  for (auto& [id, addr] : group.devices) known_[id] = addr;
  metrics_.group_commits.inc();
  metrics_.group_commit_ms.observe(static_cast<double>(clock_.steady_ms() - t0));
  metrics_.group_size.observe(static_cast<double>(group.messages));
  metrics_.status_coalesced.inc(result->status_replaced);
  for (DropRank rank : kDropOrder) {
    uint64_t n = result->dropped.by_rank[static_cast<size_t>(rank)];
    if (n == 0) continue;
    metrics_.spool_dropped_full[static_cast<size_t>(rank)]->inc(n);
    uint64_t suppressed = 0;
    if (log_limit_.allow(std::string("full.") + drop_rank_name(rank), suppressed)) {
      TW_WARN(kLog, "spool full: dropped " << n << " " << drop_rank_name(rank) << "-priority rows (oldest first)"
                                           << suffix(suppressed));
    }
  }
  update_spool_gauges();
  uplink_.on_rows_appended(result->ids.size(), bytes);
  send_acks(group.acks);
  return {};
}

void Relay::send_acks(const std::map<CursorKey, topics::DeviceAddress>& acks) {
  for (const auto& [key, addr] : acks) {
    v1::DeviceAck ack;
    ack.set_device_id(key.device);
    ack.set_up_to_seq(cursors_.watermark(key));
    auto topic = topics::device_topic(addr, topics::Channel::kAck);
    if (!topic) continue;  // cannot happen: the address passed validation
    if (auto st = site_.publish({*topic, codec::encode(ack), 0, false}); !st) {
      // QoS0 and cumulative: the device re-sends and the duplicate is re-acked.
      metrics_.acks_unsent.inc();
      continue;
    }
    metrics_.acks_sent.inc();
  }
}

void Relay::on_cloud_message(const transport::Message& message) {
  uint64_t suppressed = 0;
  if (message.topic == cloud_ack_topic_) {
    auto ack = codec::decode<v1::BatchAck>(message.payload, kMaxCloudMessageBytes);
    if (!ack || ack->edge_id() != options_.edge_id) {
      metrics_.cloud_rejects.inc();
      if (log_limit_.allow("cloud.ack", suppressed)) {
        TW_WARN(kLog, "ignoring BatchAck: " << (ack ? "for edge '" + ack->edge_id() + "'" : ack.error().describe())
                                            << suffix(suppressed));
      }
      return;
    }
    uplink_.on_ack(*ack);
    return;
  }
  if (message.topic == cloud_cmd_topic_) {
    if (input_stopped_) return;  // the cloud re-sends commands until their deadline
    fan_out(message.payload);
    return;
  }
  metrics_.cloud_rejects.inc();
  if (log_limit_.allow("cloud.topic", suppressed)) {
    TW_WARN(kLog, "ignoring cloud message on unexpected topic '" << message.topic.substr(0, 200) << "'"
                                                                 << suffix(suppressed));
  }
}

int64_t Relay::tick() {
  int64_t now = clock_.steady_ms();
  if (pending_.messages > 0 && now - pending_.first_ms >= options_.group_commit_ms) (void)commit_group();
  if (now >= next_expire_ms_) {
    expire_spool();
    next_expire_ms_ = now + options_.expire_interval_ms;
  }
  int64_t wake = std::min(uplink_.tick(), next_expire_ms_);
  if (pending_.messages > 0) wake = std::min(wake, pending_.first_ms + options_.group_commit_ms);
  return wake;
}

Status Relay::flush() { return commit_group(); }

void Relay::expire_spool() {
  int64_t cutoff = clock_.wall_ms() - options_.spool_max_age_ms;
  auto dropped = spool_.expire(cutoff);
  if (!dropped) {
    metrics_.spool_errors.inc();
    TW_ERROR(kLog, "spool expiry failed: " << dropped.error().describe());
    return;
  }
  cursors_.prune(cutoff);
  for (DropRank rank : kDropOrder) {
    uint64_t n = dropped->by_rank[static_cast<size_t>(rank)];
    if (n == 0) continue;
    metrics_.spool_dropped_age[static_cast<size_t>(rank)]->inc(n);
    TW_WARN(kLog, "spool: dropped " << n << " " << drop_rank_name(rank) << "-priority rows older than "
                                    << options_.spool_max_age_ms / 1000 << " s");
  }
  update_spool_gauges();
}

void Relay::update_spool_gauges() {
  SpoolStats stats = spool_.stats();
  metrics_.spool_rows.set(static_cast<int64_t>(stats.rows));
  metrics_.spool_bytes.set(static_cast<int64_t>(stats.bytes));
}

}  // namespace tidewire::edge
