#pragma once
// PushApp: the app side of push notifications (docs/push_app.md), over any Transport.
// One PushApp is one recipient's app: a phone, a rider terminal, or one of thousands of
// virtual apps in the simulator (VirtualApps, virtual_apps.hpp).
//
//   cloud -> app   tw/v1/push/{recipient}/inbox    PushDelivery (QoS1)
//   app -> cloud   tw/v1/push/{recipient}/receipt  PushReceipt  (QoS1)
//   app -> cloud   tw/v1/push/{recipient}/sync     InboxSync    (QoS1)
//
// What it does:
//   start():   subscribes to the inbox (the transport re-applies it before every up edge),
//              then connects.
//   up edge:   publishes InboxSync{after_seq = cursor}: the cloud re-sends what was missed.
//   delivery:  checked (decodes, names this recipient, has an id and a seq), else counted
//              and dropped. A new notification id is recorded in the inbox (ordered by
//              inbox_seq), advances the cursor, is shown (on_notification) and receipted
//              DELIVERED. A notification id seen before is NOT shown again but IS receipted
//              again: the cloud re-sends only what it holds unreceipted, so the first
//              receipt may have been lost.
//   open(id):  an OPENED receipt (and a simulated person may open with a probability).
//   receipts:  a receipt the broker did not acknowledge (disconnected, window full, the
//              connection dropped first) waits in a bounded queue and goes out again on
//              the next up edge or PUBACK; the oldest is dropped (and counted) beyond it.
//
// The cursor is the highest inbox_seq seen. Nothing is persisted here: a real app stores
// cursor() and passes it back as initial_cursor. A notification with a lower seq that
// arrives after a higher one (HIGH priority goes first) is still taken: the dedupe set,
// not the cursor, decides what is new.
//
// Threads: handlers run on the transport's thread(s); every public method is thread-safe.
// on_notification runs on the transport's thread without any PushApp lock held (it may
// call open()); it must not block. The transport must outlive the PushApp; callbacks that
// arrive after the PushApp is gone are ignored.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "tidewire/common/clock.hpp"
#include "tidewire/common/expected.hpp"
#include "tidewire/common/metrics.hpp"
#include "tidewire/common/random.hpp"
#include "tidewire/transport/transport.hpp"
#include "tidewire/v1/push.pb.h"

namespace tidewire::push_app {

// A PushDelivery larger than this is refused without parsing (title 200 B, body 4 KiB and
// data 2 KiB fit many times over).
inline constexpr size_t kMaxDeliveryBytes = 64 * 1024;

struct PushAppOptions {
  std::string recipient_id;     // 1-64 of [A-Za-z0-9_-] (topics::valid_id)
  uint64_t initial_cursor = 0;  // what a real app stored from cursor() last time
  size_t dedupe_ids = 10'000;   // notification ids remembered for dedupe (oldest forgotten)
  size_t inbox_limit = 10'000;  // notifications kept in inbox() (lowest seq evicted)
  size_t max_pending_receipts = 1'000;
  double auto_open_probability = 0;  // simulations: chance a shown notification is opened at once
  bool quiet = false;                // per-app INFO lines go to DEBUG (thousands of virtual apps)
};

struct PushAppDeps {
  transport::Transport& transport;
  Clock& clock;    // receipts' at_ms
  Random& random;  // auto-open
  MetricsRegistry& metrics;
};

struct PushAppStats {
  uint64_t received = 0;            // new notifications shown
  uint64_t received_from_sync = 0;  // ... of which came as an answer to InboxSync
  uint64_t duplicates = 0;          // re-sent copies: receipted again, not shown
  uint64_t rejected = 0;            // malformed, oversize, foreign recipient, bad topic
  uint64_t receipts_sent = 0;       // acknowledged by the broker (DELIVERED and OPENED)
  uint64_t opened = 0;
  uint64_t receipts_dropped = 0;  // pending queue over its bound
  uint64_t syncs_sent = 0;        // acknowledged by the broker
  uint64_t connects = 0;          // up edges
};

class PushApp {
 public:
  using NotificationHandler = std::function<void(const v1::PushDelivery&)>;

  // Checks the options and takes over the transport's handlers (set nothing on it yourself).
  static Expected<std::unique_ptr<PushApp>> create(const PushAppOptions& options, const PushAppDeps& deps);
  ~PushApp();
  PushApp(const PushApp&) = delete;
  PushApp& operator=(const PushApp&) = delete;

  // Set before start(): how the app "shows" a notification.
  void set_on_notification(NotificationHandler handler);
  // Subscribes to the inbox and connects; the transport keeps reconnecting until stop().
  Status start(const transport::ConnectOptions& connect);
  // Clean disconnect. Receipts still pending stay pending (and are lost with the app).
  void stop();

  // Sends OPENED for a notification in the dedupe memory. kNotFound for an id never
  // received (or long forgotten); opening twice sends once.
  Status open(const std::string& notification_id);

  const std::string& recipient_id() const;
  bool online() const;
  uint64_t cursor() const;
  std::vector<v1::PushDelivery> inbox() const;  // ordered by inbox_seq
  PushAppStats stats() const;
  size_t pending_receipts() const;

 private:
  class Core;
  explicit PushApp(std::shared_ptr<Core> core);
  std::shared_ptr<Core> core_;
};
using PushAppPtr = std::unique_ptr<PushApp>;

}  // namespace tidewire::push_app
