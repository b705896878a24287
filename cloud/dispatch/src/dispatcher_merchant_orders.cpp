// Orders placed by merchant terminals over MQTT: Event "order.create" whose body is an
// encoded OrderRequest, relayed like any event (outbox -> edge -> cloud batch), so it is
// durable hop by hop and may arrive more than once (an edge re-sends a batch it saw no
// ack for). The order goes through OrderBook::create, the same checks as POST /v1/orders.
//
// Rules (docs/dispatch.md, "Orders from merchant terminals"):
// - identity: a terminal is the merchant whose id equals its device id. An empty
//   merchant_id means "me"; any other id is refused as merchant_mismatch, because the
//   edge vouches only for the device id (topic = envelope), not for what the body claims.
// - idempotency: the key is the event's attribute "idempotency_key" when the terminal
//   sets one (so a person pressing "send" twice creates one order), else the event's own
//   (device, boot, seq), which a re-delivered copy repeats. Keys are scoped by device
//   ("m:{device}:{key}", "m:{device}@{boot}:{seq}"; ids cannot contain ':' or '@'), so one
//   merchant cannot collide with another's keys or with HTTP clients'.
// - answer: every order.create is answered on tw/v1/dispatch/merchant/{device}/order with
//   an OrderUpdate, event "created" (the order exists; its current state) or "refused"
//   (reason + detail, nothing changed). A re-delivered copy is answered again.
#include <string>

#include "tidewire/common/log.hpp"
#include "tidewire/dispatch/dispatcher.hpp"
#include "tidewire/protocols/codec.hpp"

namespace tidewire::dispatch {
namespace {

constexpr const char* kLog = "dispatch";
constexpr const char* kOp = "merchant_order";
constexpr const char* kCreateType = "order.create";
// "m:" + device (up to 64) + ":" + key stays within the book's 128-byte key limit.
constexpr size_t kMaxMerchantKeyBytes = 60;

bool printable_ascii(const std::string& s) {
  for (char c : s)
    if (c < 0x21 || c > 0x7E) return false;
  return true;
}

std::string attribute(const v1::Event& event, const char* key) {
  auto it = event.attributes().find(key);
  return it == event.attributes().end() ? std::string() : it->second;
}

// Counted like every other order update (tw_dispatch_updates_total{audience="merchant"}).
void tell_merchant(UpdatePublisher& publisher, DispatchMetrics& metrics, const std::string& merchant_id,
                   const v1::OrderUpdate& update) {
  if (auto st = publisher.publish(Audience::kMerchant, merchant_id, update); !st) {
    metrics.update_failures(Audience::kMerchant).inc();
    TW_DEBUG(kLog, "answer to merchant " << merchant_id << " not published: " << st.error().message);
    return;
  }
  metrics.updates(Audience::kMerchant).inc();
}

v1::OrderUpdate refused(const std::string& order_id, const std::string& merchant_id, int64_t now, std::string reason,
                        std::string detail) {
  v1::OrderUpdate u;
  u.set_order_id(order_id);
  u.set_state(v1::ORDER_STATE_UNSPECIFIED);
  u.set_event("refused");
  u.set_at_ms(now);
  u.set_merchant_id(merchant_id);
  u.set_reason(std::move(reason));
  u.set_detail(std::move(detail));
  return u;
}

v1::OrderUpdate created(const Order& order, int64_t now) {
  v1::OrderUpdate u;
  u.set_order_id(order.order_id);
  u.set_state(to_proto(order.state));
  u.set_event("created");
  u.set_at_ms(now);
  u.set_merchant_id(order.merchant_id);
  u.set_rider_id(order.rider_id);
  u.set_offer_id(order.offer_id);
  u.set_eta_pickup_ms(order.eta_pickup_ms);
  u.set_eta_dropoff_ms(order.eta_dropoff_ms);
  return u;
}

}  // namespace

void Dispatcher::on_merchant_event(const v1::Envelope& envelope) {
  const v1::Event& event = envelope.event();
  if (!envelope.has_event() || event.type() != kCreateType) return;  // other merchant events are not ours
  const std::string& device = envelope.device_id();
  const int64_t now = clock_.wall_ms();
  auto refuse = [&](const char* reason, const std::string& order_id, const std::string& detail, bool answer) {
    // Refusals decided here, before the book sees the request. The book counts its own
    // refusals under op="create", as it does for HTTP, so no refusal is counted twice.
    metrics_.refused(kOp, reason);
    metrics_.merchant_orders_refused.inc();
    TW_INFO(kLog,
            "order.create from " << device << " (seq " << envelope.seq() << ") refused: " << reason << ": " << detail);
    if (answer) tell_merchant(publisher_, metrics_, device, refused(order_id, device, now, reason, detail));
  };

  // The ingest observer routes by kind already; a direct caller might not. There is no
  // merchant to answer when the sender is not one.
  if (envelope.kind() != v1::DEVICE_KIND_MERCHANT || !topics::valid_id(device)) {
    return refuse("not_a_merchant", "",
                  std::string("a ") + topics::kind_name(envelope.kind()) + " device cannot place orders", false);
  }
  auto request = codec::decode<v1::OrderRequest>(event.body(), codec::kMaxEventBodyBytes);
  if (event.body().empty() || !request) {
    return refuse("bad_order_request", "",
                  event.body().empty() ? "the event has no body; put an encoded tidewire.v1.OrderRequest in Event.body"
                                       : "Event.body is not a tidewire.v1.OrderRequest: " + request.error().message,
                  true);
  }
  if (request->merchant_id().empty()) request->set_merchant_id(device);
  if (request->merchant_id() != device) {
    TW_WARN(kLog, "merchant terminal " << device << " tried to place order " << request->order_id().substr(0, 64)
                                       << " for merchant '" << request->merchant_id().substr(0, 64) << "'");
    return refuse("merchant_mismatch", request->order_id(),
                  "a terminal places orders only for the merchant it is ('" + device + "'); leave merchant_id empty",
                  true);
  }

  std::string key = attribute(event, "idempotency_key");
  if (!key.empty()) {
    if (key.size() > kMaxMerchantKeyBytes || !printable_ascii(key)) {
      return refuse("invalid_idempotency_key", request->order_id(),
                    "the idempotency_key attribute must be 1-" + std::to_string(kMaxMerchantKeyBytes) +
                        " printable ASCII characters without spaces",
                    true);
    }
    key = "m:" + device + ":" + key;
  } else {
    key = "m:" + device + "@" + envelope.boot_id() + ":" + std::to_string(envelope.seq());
  }

  auto placed = create_order(*request, key);
  if (!placed) {
    // Counted by the book (op="create"); store failures and a full book are worth a retry
    // with the same idempotency_key, every other reason needs a different request.
    const std::string& why = placed.error().reason;
    metrics_.merchant_orders_refused.inc();
    TW_INFO(kLog, "order.create " << request->order_id() << " from merchant " << device
                                  << " refused: " << placed.error().message);
    tell_merchant(publisher_, metrics_, device, refused(request->order_id(), device, now, why, placed.error().message));
    return;
  }
  (placed->transition.duplicate ? metrics_.merchant_orders_duplicate : metrics_.merchant_orders_created).inc();
  if (!placed->transition.duplicate) {
    TW_INFO(kLog, "merchant " << device << " placed order " << placed->order.order_id << " over MQTT");
  }
  tell_merchant(publisher_, metrics_, device, created(placed->order, now));
}

}  // namespace tidewire::dispatch
