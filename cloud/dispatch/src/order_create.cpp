// OrderBook::create: validation, idempotency and the CREATED state.
#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

#include "order_rejects.hpp"
#include "tidewire/common/log.hpp"
#include "tidewire/dispatch/order_book.hpp"
#include "tidewire/protocols/topics.hpp"

namespace tidewire::dispatch {
namespace {

constexpr const char* kOp = "create";

// Deterministic bytes of the request as sent (before defaults are filled in), so a retry
// of the same request matches whatever time it arrives at.
std::string fingerprint(const v1::OrderRequest& request) {
  std::string out;
  google::protobuf::io::StringOutputStream sos(&out);
  google::protobuf::io::CodedOutputStream cos(&sos);
  cos.SetSerializationDeterministic(true);
  request.SerializeToCodedStream(&cos);
  cos.Trim();
  return out;
}

bool printable_ascii(const std::string& s) {
  for (char c : s)
    if (c < 0x21 || c > 0x7E) return false;
  return true;
}

std::string ms(int64_t v) {
  return std::to_string(v);
}

}  // namespace

Status OrderBook::check_request(const v1::OrderRequest& r, int64_t now) {
  constexpr auto bad = ErrorCode::kInvalidArgument;
  if (!r.customer_id().empty() && !topics::valid_id(r.customer_id())) {
    return refuse(kOp, reject::kInvalidCustomerId, bad, std::string("customer_id must be empty or ") + topics::kIdRule);
  }
  if (!valid_coordinates(r.dropoff_lat(), r.dropoff_lon()) || (r.dropoff_lat() == 0.0 && r.dropoff_lon() == 0.0)) {
    return refuse(kOp, reject::kInvalidCoordinates, bad,
                  "dropoff_lat must be -90..90 and dropoff_lon -180..180, and not both 0 (what a missing field "
                  "decodes to); got " +
                      std::to_string(r.dropoff_lat()) + ", " + std::to_string(r.dropoff_lon()));
  }
  if (r.placed_ms() < 0 || r.ready_ms() < 0 || r.promised_ms() < 0) {
    return refuse(kOp, reject::kInvalidTime, bad,
                  "placed_ms, ready_ms and promised_ms are milliseconds since the "
                  "Unix epoch (0 = default) and cannot be negative");
  }
  const int64_t placed = r.placed_ms() != 0 ? r.placed_ms() : now;
  if (placed > now + options_.max_future_skew_ms) {
    return refuse(kOp, reject::kPlacedInFuture, bad,
                  "placed_ms " + ms(placed) + " is " + ms(placed - now) +
                      " ms ahead of the cloud's clock; check the sender's clock");
  }
  if (placed < now - options_.max_horizon_ms) {
    return refuse(kOp, reject::kInvalidTime, bad,
                  "placed_ms " + ms(placed) + " is more than " + ms(options_.max_horizon_ms) +
                      " ms in the past (times are milliseconds, not seconds)");
  }
  const int64_t ready = r.ready_ms() != 0 ? r.ready_ms() : placed;
  if (ready < placed) {
    return refuse(kOp, reject::kReadyBeforePlaced, bad,
                  "ready_ms " + ms(ready) + " is before placed_ms " + ms(placed) +
                      ": an order cannot be ready before it is placed");
  }
  if (r.promised_ms() != 0 && r.promised_ms() < placed) {
    return refuse(kOp, reject::kPromisedBeforePlaced, bad,
                  "promised_ms " + ms(r.promised_ms()) + " is before placed_ms " + ms(placed));
  }
  if (r.promised_ms() != 0 && r.promised_ms() < ready) {
    return refuse(kOp, reject::kPromisedBeforeReady, bad,
                  "promised_ms " + ms(r.promised_ms()) + " is before ready_ms " + ms(ready) +
                      ": it cannot be delivered before it is ready");
  }
  if (ready - placed > options_.max_horizon_ms || r.promised_ms() - placed > options_.max_horizon_ms) {
    return refuse(kOp, reject::kBeyondHorizon, bad,
                  "ready_ms and promised_ms must be within " + ms(options_.max_horizon_ms) +
                      " ms of placed_ms (times are milliseconds, not seconds)");
  }
  return {};
}

Expected<Placed> OrderBook::create(const v1::OrderRequest& request, const std::string& key) {
  const int64_t now = clock_.wall_ms();
  if (!topics::valid_name(request.order_id())) {
    return refuse(kOp, reject::kInvalidOrderId, ErrorCode::kInvalidArgument,
                  "order_id must be 1-64 characters of [A-Za-z0-9_.-]");
  }
  if (key.size() > options_.max_idempotency_key_bytes || !printable_ascii(key)) {
    return refuse(kOp, reject::kInvalidIdempotencyKey, ErrorCode::kInvalidArgument,
                  "Idempotency-Key must be at most " + std::to_string(options_.max_idempotency_key_bytes) +
                      " printable ASCII characters without spaces");
  }
  const std::string fp = fingerprint(request);

  // A retry is answered before the request is judged again: its original may have been
  // accepted under conditions (time, merchant location) that have moved since.
  if (!key.empty()) {
    std::optional<Order> earlier;
    if (auto k = order_by_key_.find(key); k != order_by_key_.end()) {
      earlier = orders_.at(k->second);
    } else {
      auto stored = store_.find_order_by_key(key);
      if (!stored) return store_failed(kOp, stored.error());
      earlier = std::move(*stored);
    }
    if (earlier) {
      if (earlier->request_fingerprint != fp) {
        return refuse(kOp, reject::kIdempotencyConflict, ErrorCode::kConflict,
                      "Idempotency-Key '" + key + "' was already used for order " + earlier->order_id +
                          " with a different request; use a new key for a new order");
      }
      metrics_.duplicate(kOp);
      return Placed{std::move(*earlier), Transition{{}, true}};
    }
  }

  if (auto st = check_request(request, now); !st) return st.error();
  auto existing = lookup(request.order_id(), kOp);
  if (!existing) return existing.error();
  if (*existing) {
    return refuse(kOp, reject::kDuplicateOrderId, ErrorCode::kConflict,
                  "order " + request.order_id() +
                      " already exists; a retry must carry the Idempotency-Key of the request that created it");
  }
  const Merchant* merchant = merchants_.find(request.merchant_id());
  if (merchant == nullptr) {
    return refuse(kOp, reject::kUnknownMerchant, ErrorCode::kInvalidArgument,
                  "merchant '" + request.merchant_id() + "' is not registered; POST /v1/merchants first");
  }
  if (open_ >= options_.max_open_orders) {
    return refuse(kOp, reject::kTooManyOpenOrders, ErrorCode::kUnavailable,
                  std::to_string(open_) + " orders are open, the configured maximum; retry later");
  }

  Order o;
  o.order_id = request.order_id();
  o.merchant_id = merchant->merchant_id;
  o.customer_id = request.customer_id();
  o.idempotency_key = key;
  o.request_fingerprint = fp;
  o.pickup_lat = merchant->lat;
  o.pickup_lon = merchant->lon;
  o.dropoff_lat = request.dropoff_lat();
  o.dropoff_lon = request.dropoff_lon();
  o.placed_ms = request.placed_ms() != 0 ? request.placed_ms() : now;
  o.ready_ms = request.ready_ms() != 0 ? request.ready_ms() : o.placed_ms;
  o.promised_ms = request.promised_ms() != 0 ? request.promised_ms()
                                             : std::max(o.placed_ms + options_.default_promise_ms,
                                                        o.ready_ms + options_.min_promise_after_ready_ms);
  o.created_ms = now;
  TimelineEntry entry;
  entry.event = "created";
  entry.at_ms = now;
  set_state(o, OrderState::kCreated, entry);

  Transition t;
  notify_customer(t, o, o.timeline.back());
  if (auto st = commit(kOp, OrderChange{{o}, {}}); !st) return st.error();
  TW_DEBUG("dispatch", "order " << o.order_id << " created at " << o.merchant_id << ", ready in " << (o.ready_ms - now)
                                << " ms, promised in " << (o.promised_ms - now) << " ms");
  return Placed{std::move(o), std::move(t)};
}

}  // namespace tidewire::dispatch
