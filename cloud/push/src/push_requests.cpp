// PushService: lifecycle and the HTTP-facing operations (recipients, push, view). The
// delivery side (ticks, sends, receipts, syncs) is in push_delivery.cpp.
#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

#include <algorithm>
#include <cctype>
#include <cstdio>

#include "tidewire/common/log.hpp"
#include "tidewire/protocols/json.hpp"
#include "tidewire/protocols/topics.hpp"
#include "tidewire/push/push_service.hpp"
#include "tidewire/push/push_store.hpp"
#include "webhook/webhook_sender.hpp"

namespace tidewire::push {
namespace {

constexpr size_t kMaxTitle = 200;
constexpr size_t kMaxBody = 4096;
constexpr size_t kMaxDataEntries = 32;
constexpr size_t kMaxDataBytes = 2048;
constexpr size_t kMaxTags = 32;
constexpr size_t kMaxKey = 128;

Error invalid(const std::string& reason, const std::string& detail) {
  return make_error(ErrorCode::kInvalidArgument, detail, reason);
}

bool printable(const std::string& s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c >= 0x20 && c < 0x7f; });
}

Status check_tags(const google::protobuf::RepeatedPtrField<std::string>& tags) {
  if (static_cast<size_t>(tags.size()) > kMaxTags) return invalid("too_many_tags", "at most 32 tags");
  for (const auto& t : tags) {
    if (!topics::valid_name(t)) return invalid("invalid_tag", "tag '" + t + "' must be 1-64 of [A-Za-z0-9_.-]");
  }
  return {};
}

}  // namespace

Status validate(const PushOptions& o) {
  if (o.default_ttl_ms <= 0 || o.default_ttl_ms > o.max_ttl_ms)
    return invalid("invalid_options", "push options: default TTL must be 1 s..max TTL");
  if (o.retry_base_ms <= 0 || o.retry_cap_ms < o.retry_base_ms)
    return invalid("invalid_options", "push options: retry base must be > 0 and <= cap");
  if (o.fanout_chunk == 0 || o.send_batch == 0 || o.rate_per_recipient_s <= 0 || o.burst_per_recipient < 1) {
    return invalid("invalid_options", "push options: chunk, batch, rate and burst must be positive");
  }
  return {};
}

PushService::PushService(PushStore& store, transport::Transport& mqtt, WebhookPoster* webhooks, Clock& clock,
                         Random& random, MetricsRegistry& metrics, PushOptions options)
    : store_(store),
      mqtt_(mqtt),
      webhooks_(webhooks),
      clock_(clock),
      random_(random),
      metrics_(metrics),
      options_(options) {}

PushService::~PushService() {
  stop();
}

void PushService::start() {
  std::lock_guard lock(mu_);
  if (started_) return;
  started_ = true;
  thread_ = std::thread([this] {
    while (true) {
      {
        std::lock_guard held(mu_);
        tick_locked();
      }
      // A wake() while the tick ran is not lost: the flag is checked before sleeping.
      std::unique_lock waiting(wake_mu_);
      wake_cv_.wait_for(waiting, std::chrono::milliseconds(std::max<int64_t>(1, clock_.real_ms(options_.tick_ms))),
                        [this] { return wake_ || stopping_; });
      if (stopping_) return;
      wake_ = false;
    }
  });
}

void PushService::wake() {
  {
    std::lock_guard lock(wake_mu_);
    wake_ = true;
  }
  wake_cv_.notify_one();
}

void PushService::stop() {
  {
    std::lock_guard lock(wake_mu_);
    stopping_ = true;
  }
  wake_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void PushService::tick() {
  std::lock_guard lock(mu_);
  tick_locked();
}

void PushService::reject(const char* where, const char* reason) {
  metrics_.rejected(where, reason);
}

Status WebhookPoster::check_url(const std::string& url) {
  return WebhookSender::validate_url(url);
}

Expected<std::pair<v1::Recipient, bool>> PushService::put_recipient(const std::string& id, v1::Recipient body) {
  if (!topics::valid_id(id)) return invalid("invalid_recipient_id", "'" + id + "' must be " + topics::kIdRule);
  if (!body.recipient_id().empty() && body.recipient_id() != id) {
    return invalid("id_mismatch", "the body names '" + body.recipient_id() + "' but the path '" + id + "'");
  }
  if (body.kind() == v1::RECIPIENT_KIND_UNSPECIFIED) {
    return invalid("invalid_kind",
                   "kind must be one of RECIPIENT_KIND_RIDER, _MERCHANT, _CUSTOMER, _INSTALLER, "
                   "_STREAMER, _OPERATOR");
  }
  if (auto st = check_tags(body.tags()); !st) return st.error();
  if (!body.webhook_url().empty()) {
    Status st = webhooks_ ? webhooks_->check_url(body.webhook_url()) : WebhookSender::validate_url(body.webhook_url());
    if (!st) {
      bool refused = st.error().reason == "webhook_target_refused";
      return invalid(refused ? "webhook_target_refused" : "invalid_webhook_url", st.error().message);
    }
  }
  std::lock_guard lock(mu_);
  auto existing = store_.recipient(id);
  if (!existing) return existing.error();
  int64_t now = clock_.wall_ms();
  body.set_recipient_id(id);
  body.set_created_ms(*existing ? (*existing)->created_ms() : now);
  body.set_updated_ms(now);
  body.set_unreceipted_streak(*existing ? (*existing)->unreceipted_streak() : 0);
  body.set_silent(*existing && (*existing)->silent());
  if (auto st = store_.put_recipient(body); !st) return st.error();
  return std::pair{body, !existing->has_value()};
}

Expected<v1::Recipient> PushService::recipient(const std::string& id) {
  std::lock_guard lock(mu_);
  auto r = store_.recipient(id);
  if (!r) return r.error();
  if (!*r) return make_error(ErrorCode::kNotFound, "no recipient '" + id + "'", "unknown_recipient");
  return **r;
}

Status PushService::delete_recipient(const std::string& id) {
  std::lock_guard lock(mu_);
  auto gone = store_.delete_recipient(id);
  if (!gone) return gone.error();
  if (!*gone) return make_error(ErrorCode::kNotFound, "no recipient '" + id + "'", "unknown_recipient");
  return {};
}

Expected<v1::PushAccepted> PushService::push(const v1::PushRequest& request, const std::string& key) {
  auto refuse = [&](const char* reason, const std::string& detail) -> Error {
    reject("api", reason);
    metrics_.requests_refused.inc();
    return invalid(reason, detail);
  };
  if (request.recipient_ids().empty() && request.tags().empty())
    return refuse("no_recipients", "give recipient_ids and/or tags");
  if (static_cast<size_t>(request.recipient_ids_size()) > options_.max_recipient_ids) {
    return refuse("too_many_recipients",
                  "at most " + std::to_string(options_.max_recipient_ids) + " recipient_ids; use tags");
  }
  for (const auto& id : request.recipient_ids()) {
    if (!topics::valid_id(id)) return refuse("invalid_recipient_id", "'" + id + "' must be " + topics::kIdRule);
  }
  if (auto st = check_tags(request.tags()); !st) return refuse("invalid_tag", st.error().message);
  if (request.title().empty() || request.title().size() > kMaxTitle)
    return refuse("invalid_title", "title must be 1-200 bytes");
  if (request.body().empty() || request.body().size() > kMaxBody)
    return refuse("invalid_body", "body must be 1-4096 bytes");
  size_t data_bytes = 0;
  for (const auto& [k, v] : request.data()) data_bytes += k.size() + v.size();
  if (static_cast<size_t>(request.data_size()) > kMaxDataEntries || data_bytes > kMaxDataBytes) {
    return refuse("data_too_large", "data: at most 32 entries and 2 KiB");
  }
  if (static_cast<int64_t>(request.ttl_s()) * 1000 > options_.max_ttl_ms) {
    return refuse("invalid_ttl", "ttl_s must be at most " + std::to_string(options_.max_ttl_ms / 1000));
  }
  if (request.collapse_key().size() > 64 || !printable(request.collapse_key())) {
    return refuse("invalid_collapse_key", "collapse_key: at most 64 printable ASCII characters");
  }
  if (key.size() > kMaxKey || !printable(key)) return refuse("invalid_idempotency_key", "at most 128 printable ASCII");

  std::string fingerprint;
  {
    google::protobuf::io::StringOutputStream out(&fingerprint);
    google::protobuf::io::CodedOutputStream coded(&out);
    coded.SetSerializationDeterministic(true);
    request.SerializeToCodedStream(&coded);
  }
  PendingPush me{&request, &key, std::move(fingerprint), std::nullopt};
  std::unique_lock lock(commit_mu_);
  commit_queue_.push_back(&me);
  while (!me.result) {
    if (committing_) {
      commit_cv_.wait(lock);
      continue;
    }
    // Lead one group: everything queued while the previous group was committing.
    committing_ = true;
    std::vector<PendingPush*> group;
    group.swap(commit_queue_);
    lock.unlock();
    commit_group(group);
    lock.lock();
    committing_ = false;
    commit_cv_.notify_all();
  }
  return std::move(*me.result);
}

void PushService::commit_group(const std::vector<PendingPush*>& group) {
  std::vector<Expected<v1::PushAccepted>> results;
  results.reserve(group.size());
  size_t accepted = 0;
  {
    std::lock_guard lock(mu_);
    auto tx = store_.begin();
    int64_t now = clock_.wall_ms();
    for (PendingPush* p : group) {
      if (!tx->begun()) {
        results.emplace_back(tx->begun().error());
        continue;
      }
      auto savepoint = store_.savepoint();
      auto r = savepoint->begun() ? accept_locked(*p, now) : Expected<v1::PushAccepted>(savepoint->begun().error());
      if (r) {
        if (auto st = savepoint->commit(); !st) r = st.error();
      }
      if (r && !r->duplicate()) ++accepted;
      results.push_back(std::move(r));
    }
    if (tx->begun()) {
      if (auto st = tx->commit(); !st) {
        TW_ERROR("push", "cannot commit " << group.size() << " push requests: " << st.error().message);
        for (auto& r : results) {
          if (r) r = st.error();
        }
        accepted = 0;
      }
    }
  }
  if (accepted > 0) wake();  // send now rather than at the next tick
  metrics_.requests_accepted.inc(accepted);
  metrics_.commit_group_size.observe(static_cast<double>(group.size()));
  std::lock_guard lock(commit_mu_);
  for (size_t i = 0; i < group.size(); ++i) group[i]->result = std::move(results[i]);
}

// One request's checks and rows, inside the group's transaction and its own savepoint.
Expected<v1::PushAccepted> PushService::accept_locked(const PendingPush& p, int64_t now) {
  const v1::PushRequest& request = *p.request;
  const std::string& key = *p.key;
  if (!key.empty()) {
    auto seen = store_.notification_by_key(key);
    if (!seen) return seen.error();
    if (*seen) {
      auto n = store_.notification(**seen);
      if (!n) return n.error();
      if (*n && (*n)->fingerprint != p.fingerprint) {
        reject("api", "idempotency_conflict");
        return make_error(ErrorCode::kConflict, "Idempotency-Key '" + key + "' was used for another request",
                          "idempotency_conflict");
      }
      metrics_.requests_duplicate.inc();
      v1::PushAccepted a;
      a.set_notification_id(**seen);
      a.set_duplicate(true);
      return a;
    }
  }
  std::vector<std::string> ids(request.recipient_ids().begin(), request.recipient_ids().end());
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  for (const auto& id : ids) {
    auto r = store_.recipient(id);
    if (!r) return r.error();
    if (!*r) {
      reject("api", "unknown_recipient");
      metrics_.requests_refused.inc();
      return invalid("unknown_recipient", "no recipient '" + id + "' (PUT /v1/recipients/{id} first)");
    }
  }
  StoredNotification n;
  char id[64];
  std::snprintf(id, sizeof id, "n-%llx-%08llx-%llu", static_cast<unsigned long long>(now),
                static_cast<unsigned long long>(random_.uniform(0, 0xffffffffULL)),
                static_cast<unsigned long long>(++next_id_));
  n.id = id;
  n.request = request;
  n.created_ms = now;
  n.expires_ms = now + (request.ttl_s() > 0 ? static_cast<int64_t>(request.ttl_s()) * 1000 : options_.default_ttl_ms);
  n.idempotency_key = key;
  n.fingerprint = p.fingerprint;
  n.fanout_done = request.tags().empty();
  auto queued = store_.queue_rows(n, ids, now, true);
  if (!queued) return queued.error();
  v1::PushAccepted a;
  a.set_notification_id(n.id);
  a.set_recipients(protocols::count32(*queued));
  return a;
}

Expected<v1::NotificationView> PushService::view(const std::string& notification_id) {
  std::lock_guard lock(mu_);
  auto n = store_.notification(notification_id);
  if (!n) return n.error();
  if (!*n) {
    return make_error(ErrorCode::kNotFound, "no notification '" + notification_id + "'", "unknown_notification");
  }
  v1::NotificationView v;
  v.set_notification_id((*n)->id);
  *v.mutable_request() = (*n)->request;
  v.set_created_ms((*n)->created_ms);
  v.set_expires_ms((*n)->expires_ms);
  v.set_fanout_done((*n)->fanout_done);
  auto counts = store_.state_counts(notification_id);
  if (!counts) return counts.error();
  uint64_t total = 0;
  for (auto [state, count] : *counts) {
    (*v.mutable_by_state())[v1::DeliveryState_Name(static_cast<v1::DeliveryState>(state))] = protocols::count32(count);
    total += count;
  }
  v.set_recipients(protocols::count32(total));
  auto rows = store_.deliveries_of(notification_id, options_.view_limit);
  if (!rows) return rows.error();
  for (const auto& d : *rows) {
    auto* dv = v.add_deliveries();
    dv->set_recipient_id(d.recipient_id);
    dv->set_state(d.state);
    dv->set_attempts(d.attempts);
    dv->set_queued_ms(d.queued_ms);
    dv->set_sent_ms(d.sent_ms);
    dv->set_delivered_ms(d.delivered_ms);
    dv->set_opened_ms(d.opened_ms);
    dv->set_ended_ms(d.ended_ms);
    dv->set_detail(d.detail);
  }
  return v;
}

}  // namespace tidewire::push
