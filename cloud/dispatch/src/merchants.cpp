#include "tidewire/dispatch/merchants.hpp"

#include "order_rejects.hpp"
#include "tidewire/common/log.hpp"
#include "tidewire/dispatch/order.hpp"
#include "tidewire/dispatch/order_store.hpp"
#include "tidewire/protocols/topics.hpp"

namespace tidewire::dispatch {
namespace {

// Names are shown on a rider's terminal: any UTF-8 is fine, control bytes are not.
bool printable_name(const std::string& s) {
  for (char c : s) {
    auto b = static_cast<unsigned char>(c);
    if (b < 0x20 || b == 0x7F) return false;
  }
  return true;
}

}  // namespace

v1::Merchant to_proto(const Merchant& m) {
  v1::Merchant out;
  out.set_merchant_id(m.merchant_id);
  out.set_name(m.name);
  out.set_lat(m.lat);
  out.set_lon(m.lon);
  return out;
}

Merchant merchant_from_proto(const v1::Merchant& m) {
  return Merchant{m.merchant_id(), m.name(), m.lat(), m.lon()};
}

MerchantDirectory::MerchantDirectory(OrderStore& store, MetricsRegistry& metrics, MerchantOptions options)
    : store_(store),
      metrics_(metrics),
      options_(options) {}

Error MerchantDirectory::refuse(const char* reason, const std::string& text) {
  metrics_.refused("merchant", reason);
  return make_error(ErrorCode::kInvalidArgument, text, reason);
}

Expected<MerchantDirectory::Write> MerchantDirectory::put(const Merchant& m) {
  if (!topics::valid_id(m.merchant_id)) {
    return refuse(reject::kInvalidMerchantId, std::string("merchant_id must be ") + topics::kIdRule);
  }
  if (m.name.empty() || m.name.size() > options_.max_name_bytes || !printable_name(m.name)) {
    return refuse(reject::kInvalidName,
                  "name must be 1-" + std::to_string(options_.max_name_bytes) + " bytes without control characters");
  }
  if (!valid_coordinates(m.lat, m.lon) || (m.lat == 0.0 && m.lon == 0.0)) {
    return refuse(reject::kInvalidCoordinates,
                  "merchant lat must be -90..90 and lon -180..180 (and not both 0, which is what a missing "
                  "field decodes to)");
  }
  auto it = merchants_.find(m.merchant_id);
  if (it != merchants_.end() && it->second == m) return Write::kUnchanged;
  if (it == merchants_.end() && merchants_.size() >= options_.max_merchants) {
    auto e = refuse(reject::kTooManyMerchants,
                    "the directory holds its maximum of " + std::to_string(options_.max_merchants) + " merchants");
    e.code = ErrorCode::kUnavailable;
    return e;
  }
  if (auto st = store_.put_merchant(m); !st) {
    metrics_.store_failed("merchant");
    Error e = st.error().with_context("store merchant " + m.merchant_id);
    e.reason = "store_failed";
    return e;
  }
  bool created = it == merchants_.end();
  if (created) {
    merchants_.emplace(m.merchant_id, m);
    TW_INFO("dispatch", "merchant " << m.merchant_id << " registered at " << m.lat << "," << m.lon);
  } else {
    // Orders already created keep the pickup point they were created with.
    it->second = m;
    TW_INFO("dispatch", "merchant " << m.merchant_id << " updated, now at " << m.lat << "," << m.lon);
  }
  metrics_.merchants.set(static_cast<int64_t>(merchants_.size()));
  return created ? Write::kCreated : Write::kUpdated;
}

const Merchant* MerchantDirectory::find(const std::string& merchant_id) const {
  auto it = merchants_.find(merchant_id);
  return it == merchants_.end() ? nullptr : &it->second;
}

void MerchantDirectory::restore(const std::vector<Merchant>& merchants) {
  merchants_.clear();
  for (const auto& m : merchants) merchants_[m.merchant_id] = m;
  metrics_.merchants.set(static_cast<int64_t>(merchants_.size()));
}

}  // namespace tidewire::dispatch
