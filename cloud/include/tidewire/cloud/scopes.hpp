#pragma once
// The scopes an API token can hold (docs/security.md has the table of what each allows).
// A route declares the scopes that admit a caller where it is added (http::Access); the
// identity module's gate checks them; handlers check ownership (http::Caller::acts_for).
#include <string_view>

namespace tidewire::cloud::scope {

inline constexpr const char* kOperator = "operator";    // everything, every object
inline constexpr const char* kMetrics = "metrics";      // GET /metrics only: for a scraper
inline constexpr const char* kMerchant = "merchant";    // its own merchant record and orders
inline constexpr const char* kRider = "rider";          // a rider app: its own rider view and inbox
inline constexpr const char* kCustomer = "customer";    // a customer app: its own orders and inbox
inline constexpr const char* kInstaller = "installer";  // reads the fleet (poster installers)
inline constexpr const char* kStreamer = "streamer";    // live rooms (later): its own rooms
inline constexpr const char* kViewer = "viewer";        // live rooms (later): watching

inline constexpr const char* kAll[] = {kOperator, kMetrics, kMerchant, kRider, kCustomer, kInstaller, kStreamer, kViewer};

inline bool known(std::string_view name) {
  for (const char* s : kAll) {
    if (name == s) return true;
  }
  return false;
}

}  // namespace tidewire::cloud::scope
