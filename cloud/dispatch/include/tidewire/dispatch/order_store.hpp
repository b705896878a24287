#pragma once
// Where orders, offers and merchants are kept durably. The OrderBook writes every
// transition through apply() before it changes memory or reports the transition, so a
// crash loses no acknowledged order and never assigns one twice. At startup load() gives
// back everything still in motion. Implementations: SqliteOrderStore (platform/sqlite),
// MemoryOrderStore (tests, and replays that need no disk).
#include <array>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "tidewire/common/expected.hpp"
#include "tidewire/dispatch/merchants.hpp"
#include "tidewire/dispatch/order.hpp"

namespace tidewire::dispatch {

// Everything one transition writes; applied in one transaction (all or nothing).
// Rows are whole: an order or offer here replaces the stored one with the same id.
struct OrderChange {
  std::vector<Order> orders;
  std::vector<OfferRecord> offers;
};

struct StoreSnapshot {
  std::vector<Merchant> merchants;
  std::vector<Order> open_orders;                            // every order not delivered or cancelled
  std::vector<OfferRecord> pending_offers;                   // with their expiry: the book times them out
  std::array<uint64_t, kOrderStateCount> orders_by_state{};  // every stored order
  std::array<uint64_t, kOfferStateCount> offers_by_state{};
  uint64_t next_offer_seq = 1;
};

class OrderStore {
 public:
  virtual ~OrderStore() = default;
  virtual Status put_merchant(const Merchant& merchant) = 0;
  virtual Status apply(const OrderChange& change) = 0;
  // Point reads; nullopt when absent. Thread-safe in SqliteOrderStore (own connection),
  // so HTTP threads may read committed orders without going through the book.
  virtual Expected<std::optional<Order>> find_order(const std::string& order_id) = 0;
  virtual Expected<std::optional<Order>> find_order_by_key(const std::string& idempotency_key) = 0;
  virtual Expected<std::optional<OfferRecord>> find_offer(const std::string& offer_id) = 0;
  virtual Expected<StoreSnapshot> load() = 0;
};
using OrderStorePtr = std::unique_ptr<OrderStore>;

// An OrderStore in memory. fail_writes_ForTest(n) makes the next n writes fail with kIo,
// to show that a failed write changes nothing.
class MemoryOrderStore final : public OrderStore {
 public:
  // OrderStore
  Status put_merchant(const Merchant& merchant) override;
  Status apply(const OrderChange& change) override;
  Expected<std::optional<Order>> find_order(const std::string& order_id) override;
  Expected<std::optional<Order>> find_order_by_key(const std::string& idempotency_key) override;
  Expected<std::optional<OfferRecord>> find_offer(const std::string& offer_id) override;
  Expected<StoreSnapshot> load() override;

  void fail_writes_ForTest(int n);
  size_t writes_ForTest() const;

 private:
  Status write_allowed();

  mutable std::mutex mu_;
  std::unordered_map<std::string, Merchant> merchants_;
  std::unordered_map<std::string, Order> orders_;
  std::unordered_map<std::string, std::string> order_by_key_;
  std::unordered_map<std::string, OfferRecord> offers_;
  int fail_writes_ = 0;
  size_t writes_ = 0;
};

}  // namespace tidewire::dispatch
