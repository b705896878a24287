// MemoryOrderStore: the OrderStore contract without a disk (tests, disk-less replays).
#include "tidewire/dispatch/order_store.hpp"

namespace tidewire::dispatch {

Status MemoryOrderStore::write_allowed() {
  if (fail_writes_ > 0) {
    --fail_writes_;
    return make_error(ErrorCode::kIo, "injected write failure");
  }
  ++writes_;
  return {};
}

Status MemoryOrderStore::put_merchant(const Merchant& merchant) {
  std::lock_guard lock(mu_);
  if (auto st = write_allowed(); !st) return st;
  merchants_[merchant.merchant_id] = merchant;
  return {};
}

Status MemoryOrderStore::apply(const OrderChange& change) {
  std::lock_guard lock(mu_);
  if (auto st = write_allowed(); !st) return st;
  // Same constraints as the SQLite schema, checked before anything is written.
  for (const auto& o : change.orders) {
    if (o.idempotency_key.empty()) continue;
    auto k = order_by_key_.find(o.idempotency_key);
    if (k != order_by_key_.end() && k->second != o.order_id) {
      return make_error(ErrorCode::kConflict, "idempotency key already stored for order " + k->second);
    }
  }
  for (const auto& o : change.orders) {
    orders_[o.order_id] = o;
    if (!o.idempotency_key.empty()) order_by_key_[o.idempotency_key] = o.order_id;
  }
  for (const auto& r : change.offers) offers_[r.offer_id] = r;
  return {};
}

Expected<std::optional<Order>> MemoryOrderStore::find_order(const std::string& order_id) {
  std::lock_guard lock(mu_);
  auto it = orders_.find(order_id);
  if (it == orders_.end()) return std::optional<Order>();
  return std::optional<Order>(it->second);
}

Expected<std::optional<Order>> MemoryOrderStore::find_order_by_key(const std::string& key) {
  std::lock_guard lock(mu_);
  auto k = order_by_key_.find(key);
  if (k == order_by_key_.end()) return std::optional<Order>();
  return std::optional<Order>(orders_.at(k->second));
}

Expected<std::optional<OfferRecord>> MemoryOrderStore::find_offer(const std::string& offer_id) {
  std::lock_guard lock(mu_);
  auto it = offers_.find(offer_id);
  if (it == offers_.end()) return std::optional<OfferRecord>();
  return std::optional<OfferRecord>(it->second);
}

Expected<StoreSnapshot> MemoryOrderStore::load() {
  std::lock_guard lock(mu_);
  StoreSnapshot s;
  for (const auto& [id, m] : merchants_) s.merchants.push_back(m);
  for (const auto& [id, o] : orders_) {
    ++s.orders_by_state[static_cast<size_t>(o.state)];
    if (is_open(o.state)) s.open_orders.push_back(o);
  }
  for (const auto& [id, r] : offers_) {
    ++s.offers_by_state[static_cast<size_t>(r.state)];
    if (r.state == OfferState::kPending) s.pending_offers.push_back(r);
    s.next_offer_seq = std::max(s.next_offer_seq, r.seq + 1);
  }
  return s;
}

void MemoryOrderStore::fail_writes_ForTest(int n) {
  std::lock_guard lock(mu_);
  fail_writes_ = n;
}

size_t MemoryOrderStore::writes_ForTest() const {
  std::lock_guard lock(mu_);
  return writes_;
}

}  // namespace tidewire::dispatch
