#pragma once
// The store backends every contract suite runs over (RegistryContract, PushStoreContract,
// AlertStoreContract): each gives a store URL no other test uses, and the suite opens it
// through the module's own open_<store>(url), as the module does. A new backend (e.g.
// postgres://) is one more entry in store_backends().
#include <gtest/gtest.h>

#include <functional>
#include <ostream>
#include <string>

#include "tests/cloud/cloud_test_support.hpp"
#include "tidewire/cloud/store_url.hpp"

namespace tidewire::cloud::testing {

struct StoreBackend {
  std::string name;  // in test names
  // A URL of a store that is empty when first opened, named after the test.
  std::function<StoreUrl(const std::string& test)> fresh_url;
};

inline void PrintTo(const StoreBackend& backend, std::ostream* out) {
  *out << backend.name;
}

inline StoreBackend sqlite_file_backend() {
  return {"Sqlite", [](const std::string& test) {
            auto path = temp_db_path(test);
            return StoreUrl{"sqlite", path, "sqlite://" + path};
          }};
}

// For INSTANTIATE_TEST_SUITE_P(Backends, Suite, store_backends(), backend_name).
inline auto store_backends() {
  return ::testing::Values(sqlite_file_backend());
}
inline std::string backend_name(const ::testing::TestParamInfo<StoreBackend>& info) {
  return info.param.name;
}

// The URL of a fresh store for the running test.
inline StoreUrl fresh_store_url(const StoreBackend& backend) {
  return backend.fresh_url(::testing::UnitTest::GetInstance()->current_test_info()->name());
}

}  // namespace tidewire::cloud::testing
