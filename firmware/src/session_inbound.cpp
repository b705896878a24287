// DeviceSession, what comes down from the edge: cumulative acks and commands. Every
// payload is decoded with the codec; bad ones are counted by reason and dropped.
#include "session_internal.hpp"
#include "tidewire/firmware/device_session.hpp"
#include "tidewire/protocols/codec.hpp"

namespace tidewire::firmware {
namespace {

RejectReason reason_for(const Error& e) {
  switch (e.code) {
    case ErrorCode::kTooLarge: return RejectReason::kOversize;
    case ErrorCode::kMalformed: return RejectReason::kMalformed;
    case ErrorCode::kConflict: return RejectReason::kIdentityMismatch;
    default: return RejectReason::kInvalidField;
  }
}

const char* outcome_text(v1::CommandOutcome outcome) {
  switch (outcome) {
    case v1::COMMAND_OUTCOME_OK: return "OK";
    case v1::COMMAND_OUTCOME_FAILED: return "FAILED";
    case v1::COMMAND_OUTCOME_UNSUPPORTED: return "UNSUPPORTED";
    case v1::COMMAND_OUTCOME_EXPIRED: return "EXPIRED";
    default: return "UNSPECIFIED";
  }
}

}  // namespace

using session_internal::clip;
using session_internal::kLog;
using session_internal::kNumberingRoom;

void DeviceSession::on_message(const transport::Message& message) {
  if (message.topic == topics_.command) return handle_command(message.payload);
  if (message.topic == topics_.ack) return handle_ack(message.payload);
  reject(RejectReason::kBadTopic, "message on unexpected topic '" + clip(message.topic) + "'");
}

void DeviceSession::reject(RejectReason reason, const std::string& what) {
  metrics_.rejected(reason);
  if (!reject_log_.allow(clock_.steady_ms())) return;
  TW_WARN(kLog, device_id() << ": dropped " << what << " [" << reject_reason_name(reason) << "]"
                            << (reject_log_.suppressed() ? " (" + std::to_string(reject_log_.suppressed()) +
                                                               " more dropped since the last report)"
                                                         : std::string()));
}

void DeviceSession::handle_ack(const std::string& payload) {
  auto ack = codec::decode_device_ack(payload);
  if (!ack) return reject(reason_for(ack.error()), "ack: " + ack.error().message);
  if (!ack->device_id().empty() && ack->device_id() != device_id())
    return reject(RejectReason::kIdentityMismatch, "ack addressed to '" + clip(ack->device_id()) + "'");
  uint64_t up_to = ack->up_to_seq();
  if (up_to > outbox_.last_seq()) {
    // The edge knows seqs this device never issued (its state dir was wiped?). Only what
    // exists here can be acked.
    if (reject_log_.allow(clock_.steady_ms()))
      TW_WARN(kLog, device_id() << ": edge acked up to seq " << up_to << " but the last seq issued here is "
                                << outbox_.last_seq());
    up_to = outbox_.last_seq();
  }
  auto deleted = outbox_.ack_up_to(up_to);
  if (!deleted) {
    // The rows stay and go out again; the next ack repeats this one.
    if (store_log_.allow(clock_.steady_ms()))
      TW_ERROR(kLog, device_id() << ": outbox ack failed: " << deleted.error().describe());
    return;
  }
  metrics_.acks.inc();
  forget_sent_up_to(up_to);
  pump();
}

void DeviceSession::handle_command(const std::string& payload) {
  auto cmd = codec::decode_command(payload);
  if (!cmd) return reject(reason_for(cmd.error()), "command: " + cmd.error().message);
  if (!cmd->device_id().empty() && cmd->device_id() != device_id())
    return reject(RejectReason::kIdentityMismatch, "command addressed to '" + clip(cmd->device_id()) + "'");

  if (auto prior = outbox_.recall_result(cmd->command_id())) {
    metrics_.duplicate_commands.inc();
    TW_LOG(routine(), kLog,
           device_id() << ": command " << cmd->command_id() << " delivered again; answering with its result");
    // Results are HIGH priority and go oldest first, so one at or above the floor is
    // still queued and goes out with the rest of the outbox. Below the floor it left
    // (acked, or given up): queue it again, as durable as the first time.
    if (prior->seq < outbox_.floor_seq()) {
      auto seq = outbox_.append({v1::PRIORITY_HIGH, OutboxChannel::kResult, prior->envelope, cmd->command_id()});
      if (!seq) TW_ERROR(kLog, device_id() << ": cannot queue the result again: " << seq.error().describe());
      note_drops();
    }
    pump();
    return;
  }
  if (pending_.count(cmd->command_id())) {
    metrics_.duplicate_commands.inc();
    TW_LOG(routine(), kLog,
           device_id() << ": command " << cmd->command_id() << " delivered again while awaiting its answer; ignored");
    return;
  }

  CommandReply reply;
  std::vector<HalEvent> events;
  int64_t wall = clock_.wall_ms();
  if (cmd->deadline_ms() > 0 && cmd->deadline_ms() <= wall) {
    reply = CommandReply::expired("arrived " + std::to_string(wall - cmd->deadline_ms()) +
                                  " ms after its deadline; not executed");
  } else if (cmd->name() == "ping") {
    reply = CommandReply::ok("pong");
    reply.output["boot_id"] = boot_id();
    reply.output["session_seq"] = std::to_string(session_seq_);
    reply.output["outbox_rows"] = std::to_string(outbox_.stats().rows);
    reply.output["outbox_floor_seq"] = std::to_string(outbox_.floor_seq());
  } else {
    reply = hal_.execute(*cmd, events);
    if (reply.deferred && pending_.size() >= kMaxPendingCommands) {
      metrics_.pending_full.inc();
      reply = CommandReply::failed("too many commands awaiting an answer (" + std::to_string(pending_.size()) + ")");
    }
  }
  if (reply.deferred) {
    TW_LOG(routine(), kLog,
           device_id() << ": command " << clip(cmd->name()) << " (" << cmd->command_id() << ") awaits an answer");
    pending_.emplace(cmd->command_id(), *cmd);
  } else {
    answer(*cmd, reply);
  }
  for (const auto& e : events) (void)record_event(e);
}

void DeviceSession::settle_pending() {
  scratch_replies_.clear();
  hal_.take_deferred_replies(scratch_replies_);
  for (auto& d : scratch_replies_) {
    auto it = pending_.find(d.command_id);
    if (it == pending_.end() || d.reply.deferred) {
      // Already answered EXPIRED (the person was too late) or never deferred.
      metrics_.late_replies.inc();
      TW_LOG(routine(), kLog, device_id() << ": late or unknown reply to command " << clip(d.command_id) << " dropped");
      continue;
    }
    v1::Command command = std::move(it->second);
    pending_.erase(it);
    answer(command, d.reply);
  }
  int64_t wall = clock_.wall_ms();
  for (auto it = pending_.begin(); it != pending_.end();) {
    if (it->second.deadline_ms() > 0 && it->second.deadline_ms() <= wall) {
      v1::Command command = std::move(it->second);
      it = pending_.erase(it);
      answer(command, CommandReply::expired("no answer before the deadline"));
    } else {
      ++it;
    }
  }
}

void DeviceSession::answer(const v1::Command& command, const CommandReply& reply) {
  v1::Envelope env = envelope();
  auto* r = env.mutable_result();
  r->set_command_id(command.command_id());
  r->set_outcome(reply.outcome);
  r->set_message(reply.message);
  for (const auto& [k, v] : reply.output) (*r->mutable_output())[k] = v;
  r->set_body(reply.body);
  std::string bytes = codec::encode(env);
  if (bytes.size() + kNumberingRoom > codec::kMaxEnvelopeBytes) {
    // A body the receiver needs cannot be cut short: without it the answer is a failure.
    r->clear_output();
    r->clear_body();
    if (!reply.body.empty()) r->set_outcome(v1::COMMAND_OUTCOME_FAILED);
    r->set_message("result over the envelope limit; output and body dropped");
    bytes = codec::encode(env);
  }
  metrics_.command(r->outcome());
  TW_LOG(routine(), kLog,
         device_id() << ": command " << clip(command.name()) << " (" << command.command_id() << ") -> "
                     << outcome_text(reply.outcome) << (reply.message.empty() ? "" : ": ") << clip(reply.message));
  auto seq = outbox_.append({v1::PRIORITY_HIGH, OutboxChannel::kResult, std::move(bytes), command.command_id()});
  if (!seq) {
    // Executed but not remembered: a re-delivery would run it again. Say so loudly.
    TW_ERROR(kLog, device_id() << ": result of command " << command.command_id()
                               << " could not be stored: " << seq.error().describe());
  }
  note_drops();
  pump();
}

}  // namespace tidewire::firmware
