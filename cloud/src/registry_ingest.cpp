// apply_batch: the registry's ingest rules (registry_ingest.hpp), for every backend.
#include "tidewire/cloud/registry_ingest.hpp"

#include <algorithm>
#include <map>

#include "tidewire/protocols/codec.hpp"

namespace tidewire::cloud {
namespace {

const char* item_type(const v1::Envelope& e) {
  switch (e.body_case()) {
    case v1::Envelope::kEvent: return "event";
    case v1::Envelope::kStatus: return "status";
    case v1::Envelope::kPresence: return "presence";
    case v1::Envelope::kResult: return "result";
    case v1::Envelope::BODY_NOT_SET: break;
  }
  return "none";
}

// The reject reasons the edge uses (docs/protocol.md), from the codec's error codes.
const char* reject_reason(ErrorCode code) {
  switch (code) {
    case ErrorCode::kTooLarge: return "oversize";
    case ErrorCode::kMalformed: return "malformed";
    case ErrorCode::kConflict: return "identity_mismatch";
    default: return "invalid_field";
  }
}

int64_t clamp_to_i64(uint64_t v) {
  return static_cast<int64_t>(std::min<uint64_t>(v, INT64_MAX));
}

void count(IngestOutcome& out, const char* type, const char* outcome) {
  out.items[{type, outcome}]++;
  std::string_view o(outcome);
  if (o == "accepted")
    out.accepted++;
  else if (o == "rejected")
    out.rejected++;
  else
    out.duplicates++;  // duplicate or stale: absorbed
}

void reject(IngestOutcome& out, const char* type, const char* reason) {
  count(out, type, "rejected");
  out.rejects[reason]++;
}

// One valid item's effect on its device (and through the target, on events and commands).
Status apply_item(const v1::Envelope& env, DeviceRecord& dev, IngestTarget& target, int64_t received_ms, int64_t now_ms,
                  IngestOutcome& out) {
  const char* type = item_type(env);
  switch (env.body_case()) {
    case v1::Envelope::kEvent: {
      auto fresh = target.insert_event(env, received_ms, now_ms);
      if (!fresh) return fresh.error().with_context("store event");
      if (*fresh) dev.events_stored++;
      count(out, type, *fresh ? "accepted" : "duplicate");
      dev.highest_seq = std::max(dev.highest_seq, clamp_to_i64(env.seq()));
      return {};
    }
    case v1::Envelope::kStatus: {
      if (dev.has_status && env.device_time_ms() <= dev.last_status_device_ms) {
        count(out, type, "stale");
        return {};
      }
      dev.has_status = true;
      dev.last_status = codec::encode(env.status());
      dev.last_status_ms = received_ms;
      dev.last_status_device_ms = env.device_time_ms();
      count(out, type, "accepted");
      return {};
    }
    case v1::Envelope::kPresence: {
      // Newer means a higher session, or the same session going from online to offline
      // (its will arriving after its hello). (S, offline) orders above (S, online).
      const auto& p = env.presence();
      int64_t session = clamp_to_i64(p.session_seq());
      int incoming_rank = p.online() ? 0 : 1;
      int stored_rank = dev.online ? 0 : 1;
      if (!(session > dev.session_seq || (session == dev.session_seq && incoming_rank > stored_rank))) {
        count(out, type, "stale");
        return {};
      }
      dev.session_seq = session;
      dev.online = p.online();
      count(out, type, "accepted");
      return {};
    }
    case v1::Envelope::kResult: {
      dev.highest_seq = std::max(dev.highest_seq, clamp_to_i64(env.seq()));
      auto done = target.complete_command(env.device_id(), env.result(), now_ms);
      if (!done) return done.error().with_context("complete command");
      switch (*done) {
        case IngestTarget::Completion::kCompleted:
          out.commands_completed++;
          count(out, type, "accepted");
          break;
        case IngestTarget::Completion::kAlreadyDone: count(out, type, "duplicate"); break;
        case IngestTarget::Completion::kUnknown: reject(out, type, "unknown_command"); break;  // not this device's
      }
      return {};
    }
    case v1::Envelope::BODY_NOT_SET: break;
  }
  reject(out, type, "invalid_field");  // validate_envelope already refuses this
  return {};
}

}  // namespace

Expected<IngestOutcome> apply_batch(const v1::EdgeBatch& batch, IngestTarget& target, int64_t now_ms) {
  IngestOutcome out;
  std::map<std::string, DeviceRecord> touched;
  for (const auto& item : batch.items()) {
    const auto& env = item.envelope();
    const char* type = item_type(env);
    if (auto valid = codec::validate_envelope(env); !valid) {
      reject(out, type, reject_reason(valid.error().code));
      continue;
    }
    // An edge relays its own site only; anything else is a device speaking for another.
    if (!batch.site().empty() && env.site() != batch.site()) {
      reject(out, type, "identity_mismatch");
      continue;
    }
    auto it = touched.find(env.device_id());
    if (it == touched.end()) {
      auto loaded = target.load_device(env.device_id());
      if (!loaded) return loaded.error().with_context("load device " + env.device_id());
      it = touched.emplace(env.device_id(), std::move(*loaded)).first;
    }
    DeviceRecord& dev = it->second;
    // An edge without a clock reading still saw the message around the batch's time.
    int64_t received_ms = item.edge_received_ms() > 0 ? item.edge_received_ms()
                          : batch.edge_time_ms() > 0  ? batch.edge_time_ms()
                                                      : now_ms;
    if (auto st = apply_item(env, dev, target, received_ms, now_ms, out); !st) return st.error();
    if (received_ms >= dev.last_seen_ms || dev.edge_id.empty()) {
      dev.last_seen_ms = std::max(dev.last_seen_ms, received_ms);
      dev.edge_id = batch.edge_id();
      dev.site = env.site();
      dev.kind = static_cast<int64_t>(env.kind());
      if (!env.boot_id().empty()) dev.boot_id = env.boot_id();
    }
    if (dev.session_seq < 0 && env.body_case() != v1::Envelope::kPresence) dev.online = true;
  }
  for (const auto& [id, dev] : touched) {
    if (auto st = target.store_device(dev); !st) return st.error().with_context("store device " + id);
  }
  return out;
}

}  // namespace tidewire::cloud
