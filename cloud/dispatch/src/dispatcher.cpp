// Dispatcher: requests, timers, offers and the instant policy. The rounds (batch per
// region with bundling, the instant retry sweep) are in region_rounds.cpp, inputs from the
// pipeline in dispatcher_inputs.cpp.
#include "tidewire/dispatch/dispatcher.hpp"

#include <algorithm>
#include <cmath>
#include <iterator>

#include "tidewire/common/log.hpp"
#include "tidewire/protocols/json.hpp"

namespace tidewire::dispatch {
namespace {

constexpr const char* kLog = "dispatch";

}  // namespace

Dispatcher::Dispatcher(OrderStore& store, OfferSender& sender, UpdatePublisher& publisher, TravelTimePtr travel,
                       Clock& clock, Random& random, MetricsRegistry& metrics, DispatcherOptions options)
    : store_(store),
      sender_(sender),
      publisher_(publisher),
      travel_(travel ? std::move(travel) : std::make_shared<StraightLineTravel>()),
      clock_(clock),
      random_(random),
      metrics_(metrics, options.regions),
      options_(options),
      merchants_(store, metrics),
      book_(std::make_unique<OrderBook>(store, merchants_, clock, metrics, options.book)),
      riders_(options.riders) {
  next_round_ms_ = clock_.wall_ms() + options_.policy.batch_interval_ms;
  for (const Region& r : options_.regions) {
    int64_t interval = r.batch_interval_ms ? r.batch_interval_ms : options_.policy.batch_interval_ms;
    region_round_ms_.push_back(r.kind == PolicyKind::kBatch ? clock_.wall_ms() + interval : 0);
  }
  if (!options_.regions.empty()) {
    TW_INFO(kLog, "dispatch regions " << describe(options_.regions) << "; elsewhere "
                                      << policy_name(options_.policy.kind));
  }
  update_gauges();
}

Status Dispatcher::restore() {
  auto snapshot = store_.load();
  if (!snapshot) return snapshot.error();
  merchants_.restore(snapshot->merchants);
  book_->restore(*snapshot);
  for (const Order& o : snapshot->open_orders)
    if (!o.rider_id.empty()) riders_holding_.insert(o.rider_id);
  TW_INFO(kLog, "restored " << snapshot->merchants.size() << " merchants, " << snapshot->open_orders.size()
                            << " open orders, " << snapshot->pending_offers.size() << " pending offers");
  update_gauges();
  return {};
}

void Dispatcher::reject(const char* reason) {
  metrics_.refused("dispatcher", reason);
}

void Dispatcher::publish(const Transition& transition) {
  for (const auto& n : transition.notifications) {
    // Keeps riders_holding_ to the riders holding orders now (publish runs after the book changed).
    if (n.state == OrderState::kAssigned && !n.rider_id.empty()) riders_holding_.insert(n.rider_id);
    if (!is_open(n.state) && !n.rider_id.empty() && book_->orders_of_rider(n.rider_id).empty()) {
      riders_holding_.erase(n.rider_id);
    }
    // A rider told of a cancellation also gets it as a command, so the terminal drops the
    // order even if no app listens to its update topic (docs/dispatch.md, "On the wire").
    if (n.audience == Audience::kRider && n.event == "cancelled") {
      if (auto st = sender_.send_cancel(n.recipient_id, n.order_id); !st) {
        metrics_.cancel_commands_failed.inc();
        TW_WARN(kLog, "could not tell rider " << n.recipient_id << " that order " << n.order_id
                                              << " was cancelled: " << st.error().message);
      }
    }
    if (auto st = publisher_.publish(n.audience, n.recipient_id, to_proto(n)); !st) {
      metrics_.update_failures(n.audience).inc();
      TW_DEBUG(kLog, "order update for " << audience_name(n.audience) << " " << n.recipient_id
                                         << " not published: " << st.error().message);
    } else {
      metrics_.updates(n.audience).inc();
    }
  }
}

Expected<MerchantDirectory::Write> Dispatcher::put_merchant(const Merchant& merchant) {
  return merchants_.put(merchant);
}

Expected<Placed> Dispatcher::create_order(const v1::OrderRequest& request, const std::string& idempotency_key) {
  auto placed = book_->create(request, idempotency_key);
  if (!placed) return placed.error();
  publish(placed->transition);
  if (!placed->transition.duplicate) {
    if (const Order* order = book_->find(placed->order.order_id)) place_instant(*order);  // instant orders only
  }
  if (const Order* now = book_->find(placed->order.order_id)) placed->order = *now;
  update_gauges();
  return placed;
}

Expected<v1::OrderView> Dispatcher::cancel_order(const std::string& order_id, const std::string& note) {
  auto t = book_->cancel(order_id, note);
  if (!t) return t.error();
  publish(*t);
  update_gauges();
  return book_->view(order_id);
}

Expected<v1::OrderView> Dispatcher::view_order(const std::string& order_id) {
  return book_->view(order_id);
}

Expected<v1::RiderView> Dispatcher::view_rider(const std::string& rider_id) const {
  auto state = riders_.find(rider_id);
  auto held = book_->orders_of_rider(rider_id);
  const OfferRecord* offer = book_->pending_offer_of_rider(rider_id);
  auto c = rider_counters_.find(rider_id);
  if (!state && held.empty() && !offer && c == rider_counters_.end()) {
    return make_error(
        ErrorCode::kNotFound,
        "unknown rider '" + rider_id.substr(0, 128) + "' (a rider is known once its terminal reported a position)",
        "unknown_rider");
  }
  v1::RiderView v;
  v.set_rider_id(rider_id);
  if (state) {
    v.set_on_shift(true);
    v.set_available(state->available && held.empty() && !offer);
    v.set_lat(state->position.lat);
    v.set_lon(state->position.lon);
    v.set_position_ms(state->reported_ms);
  }
  for (const Order* o : held) v.add_order_ids(o->order_id);
  if (offer) v.set_pending_offer_id(offer->offer_id);
  if (c != rider_counters_.end()) {
    v.set_offers_received(protocols::count32(c->second.offers_received));
    v.set_offers_accepted(protocols::count32(c->second.offers_accepted));
    v.set_offers_declined(protocols::count32(c->second.offers_declined));
    v.set_offers_timed_out(protocols::count32(c->second.offers_timed_out));
    v.set_orders_delivered(protocols::count32(c->second.orders_delivered));
  }
  return v;
}

v1::DispatchStats Dispatcher::stats() const {
  v1::DispatchStats s;
  book_->fill_stats(s);
  s.set_policy(policy_name(options_.policy.kind));  // the default; regions are in the log and docs
  s.set_riders_on_shift(protocols::count32(riders_.size()));
  s.set_riders_available(protocols::count32(riders_.available_count()));
  s.set_offers_bundled(protocols::count32(offers_bundled_));
  s.set_stale_accepts(protocols::count32(stale_accepts_));
  return s;
}

Dispatcher::RiderCounters* Dispatcher::counters(const std::string& rider_id) {
  auto it = rider_counters_.find(rider_id);
  if (it != rider_counters_.end()) return &it->second;
  if (rider_counters_.size() >= options_.max_rider_stats) return nullptr;  // bounded; stats only
  return &rider_counters_[rider_id];
}

bool Dispatcher::rider_is_free(const std::string& rider_id) const {
  return book_->pending_offer_of_rider(rider_id) == nullptr && book_->orders_of_rider(rider_id).empty();
}

std::vector<RiderCandidate> Dispatcher::free_candidates(const Order& order) const {
  std::vector<std::string> excluded = order.declined_riders;
  excluded.insert(excluded.end(), order.timed_out_riders.begin(), order.timed_out_riders.end());
  CandidateFilter filter;
  filter.exclude = excluded;
  filter.reported_since_ms = clock_.wall_ms() - options_.rider_stale_ms;
  filter.max_load = 0;
  // Ask for more than k: riders holding an offer or an order are dropped below (their
  // status may still say available until the terminal reports again).
  size_t k = options_.policy.candidates_per_order;
  auto found = riders_.candidates({order.pickup_lat, order.pickup_lon}, options_.policy.candidate_radius_m, 2 * k + 4,
                                  filter);
  std::vector<RiderCandidate> out;
  for (auto& c : found) {
    if (out.size() >= k) break;
    if (rider_is_free(c.id)) out.push_back(std::move(c));
  }
  return out;
}

bool Dispatcher::make_offer(const std::string& rider_id, const Order& order, const Plan& plan) {
  const std::string order_id = order.order_id;
  const PolicyKind policy = policy_of(order);
  const bool bundled = !book_->orders_of_rider(rider_id).empty();
  auto made = book_->offer(rider_id, {PlannedOrder{order_id, plan.eta_pickup_ms, plan.eta_dropoff_ms}});
  if (!made) {
    TW_DEBUG(kLog, "offer of " << order_id << " to " << rider_id << " refused: " << made.error().message);
    return false;
  }
  metrics_.decisions(policy).inc();
  if (bundled) {
    metrics_.bundled_offers.inc();
    ++offers_bundled_;
  }
  remember_offer(made->offer.offer_id, rider_id, {order_id});
  publish(made->transition);
  if (auto* c = counters(rider_id)) ++c->offers_received;
  auto sent = sender_.send_offer(rider_id, made->message);
  if (!sent) {
    // The offer stays pending and times out like an unanswered one: the order comes back.
    metrics_.offer_sends_failed.inc();
    TW_WARN(kLog, "offer " << made->offer.offer_id << " to rider " << rider_id
                           << " could not be sent (it will time out): " << sent.error().message);
    return true;
  }
  metrics_.offers_sent.inc();
  offer_of_command_[*sent] = made->offer.offer_id;
  return true;
}

PolicyKind Dispatcher::policy_of(const Order& order) const {
  auto r = region_of(options_.regions, order.pickup_lat, order.pickup_lon);
  return r ? options_.regions[*r].kind : options_.policy.kind;
}

bool Dispatcher::place_instant(const Order& order) {
  // Batch orders wait for their region's round, whoever calls.
  if (order.state != OrderState::kCreated || policy_of(order) != PolicyKind::kInstant) return false;
  int64_t now = clock_.wall_ms();
  std::optional<std::pair<std::string, Plan>> best;
  for (const auto& c : free_candidates(order)) {
    Plan p = plan_order(order, c.position, now, *travel_, options_.policy);
    if (!std::isfinite(p.cost_s)) continue;
    if (!best || p.cost_s < best->second.cost_s) best.emplace(c.id, p);
  }
  if (!best) return false;
  return make_offer(best->first, order, best->second);
}

void Dispatcher::run_due() {
  int64_t now = clock_.wall_ms();
  auto next_expiry = book_->next_offer_expiry_ms();
  if (next_expiry && *next_expiry <= now) {
    auto t = book_->expire_offers();
    if (!t) {
      TW_WARN(kLog, "expiring offers failed (retried on the next tick): " << t.error().message);
    } else {
      publish(*t);
      std::vector<std::string> back;
      for (const auto& n : t->notifications) {
        if (n.event != "offer_timed_out") continue;
        if (n.audience == Audience::kRider) {
          if (auto* c = counters(n.recipient_id)) ++c->offers_timed_out;
        } else if (n.audience == Audience::kCustomer) {
          back.push_back(n.order_id);
        }
      }
      for (const auto& id : back)
        if (const Order* o = book_->find(id)) place_instant(*o);  // instant orders only
    }
  }
  // Commands of offers no longer pending are of no further interest.
  for (auto it = offer_of_command_.begin(); it != offer_of_command_.end();) {
    it = book_->pending_offer(it->second) ? std::next(it) : offer_of_command_.erase(it);
  }
  bool default_due = now >= next_round_ms_;
  if (default_due) next_round_ms_ = now + options_.policy.batch_interval_ms;
  std::vector<size_t> regions_due;
  for (size_t i = 0; i < region_round_ms_.size(); ++i) {
    if (region_round_ms_[i] == 0 || now < region_round_ms_[i]) continue;
    const Region& r = options_.regions[i];
    region_round_ms_[i] = now + (r.batch_interval_ms ? r.batch_interval_ms : options_.policy.batch_interval_ms);
    regions_due.push_back(i);
  }
  if (default_due || !regions_due.empty()) run_rounds(default_due, regions_due);
  update_gauges();
}

int64_t Dispatcher::next_due_ms() const {
  int64_t due = next_round_ms_;
  for (int64_t r : region_round_ms_)
    if (r != 0) due = std::min(due, r);
  if (auto e = book_->next_offer_expiry_ms()) due = std::min(due, *e);
  return due;
}

void Dispatcher::update_gauges() {
  metrics_.riders.set(static_cast<int64_t>(riders_.size()));
  metrics_.riders_available.set(static_cast<int64_t>(riders_.available_count()));
  metrics_.orders_waiting.set(static_cast<int64_t>(book_->waiting_count()));
}

}  // namespace tidewire::dispatch
