#pragma once
// A fixture for Dispatcher tests: offers and order updates are recorded (the fakes are in
// tests/fakes/), time is a ManualClock, the store is in memory unless a test brings its own.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <unistd.h>
#include <vector>

#include "tests/fakes/fake_offer_sender.hpp"
#include "tests/fakes/fake_updates.hpp"
#include "tidewire/common/random.hpp"
#include "tidewire/dispatch/dispatcher.hpp"

namespace tidewire::dispatch::testing {

inline constexpr int64_t kT0 = 1'700'000'000'000;

// Metres north of a point, in degrees of latitude (enough for tests: 1 deg = 111.2 km).
inline double north(double lat, double metres) {
  return lat + metres / 111'195.0;
}

inline v1::OrderRequest order_request(const std::string& id, const std::string& merchant, double lat = 52.02,
                                      double lon = 13.0) {
  v1::OrderRequest r;
  r.set_order_id(id);
  r.set_merchant_id(merchant);
  r.set_dropoff_lat(lat);
  r.set_dropoff_lon(lon);
  r.set_customer_id("cust-" + id);
  return r;
}

inline v1::RiderStatus rider_status(double lat, double lon, bool available = true) {
  v1::RiderStatus s;
  s.set_lat(lat);
  s.set_lon(lon);
  s.set_available(available);
  return s;
}

inline v1::CommandResult answer(const std::string& command_id, const std::string& offer_id,
                                const std::string& rider_id, bool accept) {
  v1::OfferAnswer a;
  a.set_offer_id(offer_id);
  a.set_rider_id(rider_id);
  a.set_accept(accept);
  v1::CommandResult r;
  r.set_command_id(command_id);
  r.set_outcome(v1::COMMAND_OUTCOME_OK);
  r.set_body(a.SerializeAsString());
  return r;
}

inline std::string temp_db(const std::string& name) {
  auto dir = std::filesystem::temp_directory_path() / ("tw-dispatcher-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  auto p = (dir / (name + ".db")).string();
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(p + suffix);
  return p;
}

struct DispatcherFixture {
  explicit DispatcherFixture(PolicyKind kind = PolicyKind::kInstant, OrderStore* own_store = nullptr)
      : store(own_store ? *own_store : memory), dispatcher(store, sender, updates, nullptr, clock, random, metrics,
                                                          options(kind)) {}
  static DispatcherOptions options(PolicyKind kind) {
    DispatcherOptions o;
    o.policy.kind = kind;
    o.policy.batch_interval_ms = 5'000;
    o.book.offer_timeout_ms = 30'000;
    return o;
  }
  MemoryOrderStore memory;
  OrderStore& store;
  ManualClock clock{kT0};
  SeededRandom random{7};
  MetricsRegistry metrics;
  FakeOfferSender sender;
  FakeUpdates updates;
  Dispatcher dispatcher;
};

}  // namespace tidewire::dispatch::testing
