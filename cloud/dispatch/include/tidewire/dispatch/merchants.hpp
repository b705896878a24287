#pragma once
// Merchants: where orders are picked up. Registered (or moved) by POST /v1/merchants,
// written through to the OrderStore before the call returns, kept in memory for the
// order book's lookups. Single-threaded like the OrderBook that reads it.
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "tidewire/common/expected.hpp"
#include "tidewire/common/metrics.hpp"
#include "tidewire/dispatch/order_metrics.hpp"
#include "tidewire/v1/dispatch.pb.h"

namespace tidewire::dispatch {

class OrderStore;

struct Merchant {
  std::string merchant_id;
  std::string name;
  double lat = 0;
  double lon = 0;

  bool operator==(const Merchant&) const = default;
};

v1::Merchant to_proto(const Merchant& merchant);
Merchant merchant_from_proto(const v1::Merchant& merchant);

struct MerchantOptions {
  size_t max_merchants = 1'000'000;
  size_t max_name_bytes = 128;
};

class MerchantDirectory {
 public:
  MerchantDirectory(OrderStore& store, MetricsRegistry& metrics, MerchantOptions options = {});

  enum class Write { kCreated, kUpdated, kUnchanged };
  // Registers or moves a merchant (HTTP 201 for kCreated, 200 otherwise). Errors:
  // kInvalidArgument (bad id, name or coordinates), kUnavailable (directory full),
  // kIo (store). A refusal's Error::reason is its reject reason (see reject_reason()).
  Expected<Write> put(const Merchant& merchant);

  const Merchant* find(const std::string& merchant_id) const;
  size_t size() const { return merchants_.size(); }

  // Replaces the contents with what the store loaded at startup (no writes).
  void restore(const std::vector<Merchant>& merchants);

 private:
  Error refuse(const char* reason, const std::string& text);

  OrderStore& store_;
  OrderMetrics metrics_;
  MerchantOptions options_;
  std::unordered_map<std::string, Merchant> merchants_;
};

}  // namespace tidewire::dispatch
