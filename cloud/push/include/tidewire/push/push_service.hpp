#pragma once
// PushService: persisted, receipted delivery of notifications to people's apps (MQTT) and
// to webhooks (docs/push.md). Every request is written to the PushStore before it is
// answered; a background thread fans tags out in chunks, sends due deliveries (HIGH
// first, per-recipient rate limit), re-sends unreceipted ones with exponential backoff and
// full jitter until their TTL, and expires the rest. Apps answer with receipts and sync
// their inbox from a cursor; both arrive through on_message().
//
// Thread-safe: one mutex guards the store and the state; the HTTP threads, the MQTT
// callback thread, the webhook threads and the tick thread take it briefly. A 100k-tag
// fan-out is expanded --push-fanout-chunk recipients per tick, so other requests wait at
// most one chunk. POST /v1/push requests arriving together share one commit (group
// commit): the first caller writes everyone's queued requests in one transaction, each
// in its own savepoint, so one fsync answers many requests and a refused one undoes only
// its own rows.
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "tidewire/common/clock.hpp"
#include "tidewire/common/expected.hpp"
#include "tidewire/common/metrics.hpp"
#include "tidewire/common/random.hpp"
#include "tidewire/common/token_bucket.hpp"
#include "tidewire/push/push_metrics.hpp"
#include "tidewire/transport/transport.hpp"
#include "tidewire/v1/push.pb.h"

namespace tidewire::push {

class PushStore;

struct PushOptions {
  int64_t default_ttl_ms = 24 * 3600 * 1000LL;
  int64_t max_ttl_ms = 7 * 24 * 3600 * 1000LL;
  int64_t retry_base_ms = 5'000;     // first re-send within this, doubling ...
  int64_t retry_cap_ms = 600'000;    // ... up to this
  size_t fanout_chunk = 2'000;       // tag recipients expanded per tick
  size_t send_batch = 1'000;         // deliveries sent per tick
  double rate_per_recipient_s = 2;   // sends per second per recipient (token bucket) ...
  double burst_per_recipient = 20;   // ... with this burst
  uint32_t silent_after = 5;         // consecutive expiries without a receipt mark a recipient silent
  size_t max_recipient_ids = 1'000;  // ids in one request (tags for more)
  size_t view_limit = 100;           // deliveries listed by GET /v1/push/{id}
  int64_t tick_ms = 50;
  size_t max_inbound = 100'000;  // receipts and syncs waiting for the tick thread
};
Status validate(const PushOptions& options);

// Where webhook recipients' notifications go (platform/webhook). `done(ok, permanent, detail)`
// may run on any thread, exactly once.
class WebhookPoster {
 public:
  virtual ~WebhookPoster() = default;
  virtual Status post(const std::string& url, std::string json_body,
                      std::vector<std::pair<std::string, std::string>> headers,
                      std::function<void(bool ok, bool permanent, const std::string& detail)> done) = 0;
  // Checks a URL a recipient registers: syntax, and no internal target the operator did
  // not allow (reason "webhook_target_refused"). The default applies the built-in rules
  // with nothing allowed.
  virtual Status check_url(const std::string& url);
};

class PushService {
 public:
  PushService(PushStore& store, transport::Transport& mqtt, WebhookPoster* webhooks, Clock& clock, Random& random,
              MetricsRegistry& metrics, PushOptions options = {});
  ~PushService();  // stop()
  PushService(const PushService&) = delete;
  PushService& operator=(const PushService&) = delete;

  void start();  // the tick thread
  void stop();

  // HTTP API. Errors: kInvalidArgument (400), kNotFound (404), kConflict (409).
  Expected<std::pair<v1::Recipient, bool>> put_recipient(const std::string& id, v1::Recipient body);  // bool: created
  Expected<v1::Recipient> recipient(const std::string& id);
  Status delete_recipient(const std::string& id);
  Expected<v1::PushAccepted> push(const v1::PushRequest& request, const std::string& idempotency_key);
  Expected<v1::NotificationView> view(const std::string& notification_id);

  // MQTT uplink from apps: receipts and inbox syncs (topics::push_uplink_filters()).
  // Only queues (bounded: PushOptions::max_inbound, drops counted; apps re-send receipts and
  // re-sync): the MQTT library's callback thread must never wait for the service lock,
  // because the tick thread holds that lock while it publishes through the same library.
  void on_message(const transport::Message& message);

  // One round of background work; the thread calls it, tests call it with a ManualClock.
  void tick();

 private:
  struct PendingPush {  // one POST /v1/push waiting for its group's commit
    const v1::PushRequest* request;
    const std::string* key;
    std::string fingerprint;
    std::optional<Expected<v1::PushAccepted>> result;
  };
  void commit_group(const std::vector<PendingPush*>& group);
  Expected<v1::PushAccepted> accept_locked(const PendingPush& p, int64_t now);
  void tick_locked();
  void drain_inbound_locked();
  void handle_uplink_locked(const transport::Message& message);
  void fan_out_locked();
  void expire_locked(int64_t now);
  void send_due_locked(int64_t now);
  bool take_token_locked(const std::string& recipient);
  void on_receipt_locked(const std::string& recipient, const std::string& payload);
  void on_sync_locked(const std::string& recipient, const std::string& payload);
  void on_webhook_result(const std::string& notification_id, const std::string& recipient, bool ok, bool permanent,
                         const std::string& detail);
  void reject(const char* where, const char* reason);
  int64_t retry_delay_ms(uint32_t attempts, bool silent);

  PushStore& store_;
  transport::Transport& mqtt_;
  WebhookPoster* webhooks_;
  Clock& clock_;
  Random& random_;
  PushMetrics metrics_;
  PushOptions options_;

  std::mutex mu_;
  bool started_ = false;
  // Wakes the tick thread early (a receipt came in, a push was accepted). Held only to
  // set or test the flags, so any thread (paho's included) may take it.
  void wake();
  std::mutex wake_mu_;
  std::condition_variable wake_cv_;
  bool wake_ = false;
  bool stopping_ = false;
  int64_t gauge_at_ms_ = 0;  // when tw_push_live_deliveries was last counted
  std::thread thread_;
  std::unordered_map<std::string, TokenBucket> buckets_;  // per recipient
  std::mutex inbound_mu_;                                 // never held with mu_ by on_message
  std::deque<transport::Message> inbound_;
  uint64_t next_id_ = 0;  // notification ids: n-<ms hex>-<random>-<n>
  std::mutex commit_mu_;  // the group commit's queue; taken before mu_, never after
  std::condition_variable commit_cv_;
  std::vector<PendingPush*> commit_queue_;
  bool committing_ = false;
};

}  // namespace tidewire::push
