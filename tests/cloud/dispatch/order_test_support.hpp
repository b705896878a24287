#pragma once
// Shared pieces of the order-side tests: a book on a ManualClock over a store, request
// builders, and a fingerprint of everything observable, to show a refusal changed nothing.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "tidewire/common/clock.hpp"
#include "tidewire/common/metrics.hpp"
#include "tidewire/dispatch/merchants.hpp"
#include "tidewire/dispatch/order_book.hpp"
#include "tidewire/dispatch/order_store.hpp"

namespace tidewire::dispatch::testing {

inline constexpr int64_t kT0 = 1'700'000'000'000;
inline constexpr int64_t kMinute = 60'000;

// Mid-town merchant and a customer about 2 km away.
inline Merchant pizza() {
  return Merchant{"m-pizza", "Pizza Corner", 52.520, 13.405};
}

inline v1::OrderRequest request(const std::string& order_id, int64_t now, const std::string& merchant = "m-pizza") {
  v1::OrderRequest r;
  r.set_order_id(order_id);
  r.set_merchant_id(merchant);
  r.set_dropoff_lat(52.535);
  r.set_dropoff_lon(13.420);
  r.set_placed_ms(now);
  r.set_ready_ms(now + 10 * kMinute);
  r.set_promised_ms(now + 40 * kMinute);
  r.set_customer_id("cust-1");
  return r;
}

// A book over any store, with one merchant registered.
struct Bench {
  explicit Bench(OrderStore& s, OrderBookOptions options = {}, bool register_merchant = true)
      : store(s), merchants(s, metrics), book(s, merchants, clock, metrics, options) {
    if (!register_merchant) return;
    auto put = merchants.put(pizza());
    EXPECT_TRUE(put.ok()) << put.error().describe();
  }
  // Loads what the store holds into fresh directory/book state (a restart).
  void restart() {
    auto snap = store.load();
    ASSERT_TRUE(snap.ok()) << snap.error().describe();
    merchants.restore(snap->merchants);
    book.restore(*snap);
  }
  Order place(const std::string& id, const std::string& key = "") {
    auto p = book.create(request(id, clock.wall_ms()), key);
    EXPECT_TRUE(p.ok()) << p.error().describe();
    return p.ok() ? p->order : Order{};
  }
  std::string offer(const std::string& rider, const std::vector<std::string>& ids) {
    std::vector<PlannedOrder> plan;
    for (const auto& id : ids) plan.push_back({id, clock.wall_ms() + 5 * kMinute, clock.wall_ms() + 20 * kMinute});
    auto made = book.offer(rider, plan);
    EXPECT_TRUE(made.ok()) << made.error().describe();
    return made.ok() ? made->offer.offer_id : std::string();
  }
  OrderState state(const std::string& id) const {
    const Order* o = book.find(id);
    EXPECT_NE(o, nullptr) << id;
    return o ? o->state : OrderState::kCancelled;
  }
  uint64_t rejects(const std::string& op, const std::string& reason) const {
    return metrics.counter_value("tw_dispatch_rejects_total", {{"op", op}, {"reason", reason}});
  }
  // Everything a refusal must leave alone: every order's full view, offers, counts.
  std::string observable(const std::vector<std::string>& ids) const {
    std::string out;
    for (const auto& id : ids) {
      const Order* o = book.find(id);
      out += o ? to_view(*o).SerializeAsString() + o->idempotency_key : "absent:" + id;
      out += '|';
    }
    for (OrderState s : kAllOrderStates) out += std::to_string(book.count(s)) + ",";
    out += std::to_string(book.pending_offer_count()) + "," + std::to_string(book.waiting_count()) + "," +
           std::to_string(book.open_count());
    if (auto next = book.next_offer_expiry_ms()) out += "," + std::to_string(*next);
    return out;
  }

  OrderStore& store;
  ManualClock clock{kT0};
  MetricsRegistry metrics;
  MerchantDirectory merchants;
  OrderBook book;
};

inline std::string temp_db(const std::string& name) {
  auto dir = std::filesystem::temp_directory_path() / ("tw-dispatch-orders-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  auto p = (dir / (name + ".db")).string();
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(p + suffix);
  return p;
}

inline bool has_notification(const Transition& t, Audience audience, const std::string& recipient,
                             const std::string& event) {
  for (const auto& n : t.notifications)
    if (n.audience == audience && n.recipient_id == recipient && n.event == event) return true;
  return false;
}

// A fresh in-memory book per test, and the one assertion every refusal test makes.
class OrderBookFixture : public ::testing::Test {
 protected:
  // Expects `call` to be refused with `code` and `reason`, counted, and nothing changed
  // in memory or in the store.
  template <typename Call>
  void expect_refused(const char* op, const char* reason, ErrorCode code, Call call,
                      const std::vector<std::string>& ids = {"o1"}) {
    std::string before = b_.observable(ids);
    size_t writes = store_.writes_ForTest();
    uint64_t counted = b_.rejects(op, reason);
    auto result = call();
    ASSERT_FALSE(result.ok()) << "expected " << reason;
    EXPECT_EQ(result.error().code, code) << result.error().describe();
    EXPECT_EQ(reject_reason(result.error()), reason) << result.error().describe();
    EXPECT_EQ(b_.rejects(op, reason), counted + 1);
    EXPECT_EQ(b_.observable(ids), before);
    EXPECT_EQ(store_.writes_ForTest(), writes);
  }

  MemoryOrderStore store_;
  Bench b_{store_};
};

}  // namespace tidewire::dispatch::testing
