#pragma once
// Where a module's store lives, as a URL whose scheme names the backend:
//   sqlite:///var/lib/tidewire/cloud.db   an absolute path
//   sqlite:cloud.db                       a path relative to the working directory
// The cloud takes --store (every module's default) and --<module>-store for a module that
// keeps its data elsewhere. Today "sqlite" is the only backend; a "postgres" one is the
// planned second (several cloud instances sharing state). A module opens its store with
// its own open_<store>(url) under platform/ (open_fleet_registry, open_order_store,
// open_push_store, open_alert_store): the one place that maps a scheme to a backend.
#include <map>
#include <string>
#include <vector>

#include "tidewire/common/expected.hpp"

namespace tidewire::cloud {

struct StoreUrl {
  std::string scheme;  // "sqlite"
  std::string path;    // sqlite: the database file
  std::string text;    // as given, for logs and errors
};

// kInvalidArgument with what is wrong and an example; `schemes` are the backends built in.
Expected<StoreUrl> parse_store_url(const std::string& text, const std::vector<std::string>& schemes);

// The store URL of each module: its own if given, else the process-wide one.
class StoreFactory {
 public:
  StoreFactory(StoreUrl fallback, std::map<std::string, StoreUrl> per_module)
      : fallback_(std::move(fallback)), per_module_(std::move(per_module)) {}

  const StoreUrl& url_for(const std::string& module) const {
    auto it = per_module_.find(module);
    return it == per_module_.end() ? fallback_ : it->second;
  }

 private:
  StoreUrl fallback_;
  std::map<std::string, StoreUrl> per_module_;
};

}  // namespace tidewire::cloud
