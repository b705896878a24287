// Dispatcher inputs from the fleet pipeline: rider status, rider reports (events) and the
// results of "dispatch.offer" commands. Everything here may be a re-delivered copy (an
// edge re-sends a batch it saw no ack for): the RiderIndex ignores older reports and the
// OrderBook absorbs repeated answers and reports as duplicates.
#include <cerrno>
#include <cstdlib>

#include "tidewire/common/log.hpp"
#include "tidewire/dispatch/dispatcher.hpp"

namespace tidewire::dispatch {
namespace {

constexpr const char* kLog = "dispatch";

bool parse_double(const std::string& text, double& out) {
  if (text.empty() || text.size() > 64) return false;
  errno = 0;
  char* end = nullptr;
  out = std::strtod(text.c_str(), &end);
  return errno == 0 && end != nullptr && *end == '\0';
}

}  // namespace

void Dispatcher::on_rider_status(const std::string& rider_id, const v1::RiderStatus& status, int64_t reported_ms) {
  bool free = status.available() && status.carried_order_ids_size() == 0;
  auto st = riders_.upsert(rider_id, {status.lat(), status.lon()}, free, reported_ms);
  if (!st) {
    reject("bad_rider_status");
    TW_DEBUG(kLog, "rider status from " << rider_id << " refused: " << st.error().message);
    return;
  }
  (void)riders_.set_load(rider_id, status.carried_order_ids_size());
  update_gauges();
}

void Dispatcher::on_rider_event(const std::string& rider_id, const v1::Event& event) {
  bool pickup = event.type() == "order.picked_up";
  if (!pickup && event.type() != "order.delivered") return;  // other order.* events are not ours
  RiderReport report;
  report.rider_id = rider_id;
  auto attr = [&](const char* key) {
    auto it = event.attributes().find(key);
    return it == event.attributes().end() ? std::string() : it->second;
  };
  report.order_id = attr("order_id");
  if (report.order_id.empty()) {
    reject("report_without_order_id");
    TW_WARN(kLog, "rider " << rider_id << " reported " << event.type() << " without an order_id attribute; ignored");
    return;
  }
  double lat = 0, lon = 0;
  if (parse_double(attr("lat"), lat) && parse_double(attr("lon"), lon) && valid_coordinates(lat, lon)) {
    report.has_position = true;
    report.lat = lat;
    report.lon = lon;
  }
  auto t = pickup ? book_->pick_up(report) : book_->deliver(report);
  if (!t) {
    TW_INFO(kLog, "rider " << rider_id << " " << event.type() << " of " << report.order_id
                           << " refused: " << t.error().message);
    return;  // counted by the book
  }
  if (!pickup && !t->duplicate) {
    if (auto* c = counters(rider_id)) ++c->orders_delivered;
  }
  publish(*t);
  update_gauges();
}

void Dispatcher::answer(const std::string& offer_id, const std::string& rider_id, bool accept, const char* via) {
  std::vector<std::string> order_ids;
  if (const OfferRecord* offer = book_->pending_offer(offer_id)) {
    for (const auto& leg : offer->legs) order_ids.push_back(leg.order_id);
  }
  auto t = book_->answer(offer_id, rider_id, accept);
  if (!t) {
    TW_INFO(kLog, "answer (" << via << ") of rider " << rider_id << " to " << offer_id
                             << " refused: " << t.error().message);
    if (accept) drop_stale_accept(offer_id, rider_id);
    return;  // counted by the book
  }
  publish(*t);
  if (!t->duplicate) {
    if (auto* c = counters(rider_id)) ++(accept ? c->offers_accepted : c->offers_declined);
    TW_INFO(kLog, "rider " << rider_id << (accept ? " accepted " : " declined ") << offer_id << " (" << via << ")");
  }
  if (!accept && !t->duplicate) {  // place_instant takes instant-policy orders only
    for (const auto& id : order_ids)
      if (const Order* o = book_->find(id)) place_instant(*o);
  }
  update_gauges();
}

void Dispatcher::remember_offer(const std::string& offer_id, const std::string& rider_id,
                                const std::vector<std::string>& orders) {
  constexpr size_t kRecentOffers = 50'000;  // hours of offers at city scale; bounded memory
  if (!recent_offers_.emplace(offer_id, RecentOffer{rider_id, orders}).second) return;
  recent_offer_order_.push_back(offer_id);
  while (recent_offer_order_.size() > kRecentOffers) {
    recent_offers_.erase(recent_offer_order_.front());
    recent_offer_order_.pop_front();
  }
}

void Dispatcher::drop_stale_accept(const std::string& offer_id, const std::string& rider_id) {
  auto it = recent_offers_.find(offer_id);
  if (it == recent_offers_.end() || it->second.rider_id != rider_id) return;  // not this rider's offer
  bool told = false;
  for (const auto& order_id : it->second.order_ids) {
    const Order* order = book_->find(order_id);
    if (order != nullptr && order->rider_id == rider_id) continue;  // it is the rider's after all
    if (auto st = sender_.send_cancel(rider_id, order_id); !st) {
      metrics_.cancel_commands_failed.inc();
      continue;
    }
    told = true;
  }
  if (told) {
    ++stale_accepts_;
    metrics_.stale_accepts.inc();
    TW_INFO(kLog, "rider " << rider_id << " accepted " << offer_id << " too late; told the terminal to drop it");
  }
}

void Dispatcher::on_offer_result(const std::string& rider_id, const v1::CommandResult& result) {
  if (result.outcome() == v1::COMMAND_OUTCOME_OK) {
    v1::OfferAnswer a;
    if (result.body().empty() || !a.ParseFromString(result.body()) || a.offer_id().empty()) {
      reject("bad_offer_answer");
      TW_WARN(kLog, "rider " << rider_id << " answered command " << result.command_id()
                             << " without a readable OfferAnswer body; the offer will time out");
      return;
    }
    if (!a.rider_id().empty() && a.rider_id() != rider_id) {
      reject("wrong_rider");
      TW_WARN(kLog, "device " << rider_id << " answered offer " << a.offer_id() << " as rider '" << a.rider_id()
                              << "'; refused");
      return;
    }
    answer(a.offer_id(), rider_id, a.accept(), "answer");
    return;
  }
  auto it = offer_of_command_.find(result.command_id());
  if (it == offer_of_command_.end()) return;  // resolved already, or sent before a restart
  if (result.outcome() == v1::COMMAND_OUTCOME_EXPIRED) return;  // the expiry sweep times it out
  // FAILED / UNSUPPORTED: the terminal could not show it; do not wait for the timeout.
  answer(it->second, rider_id, false, "command failed");
}

}  // namespace tidewire::dispatch
