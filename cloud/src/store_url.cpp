#include "tidewire/cloud/store_url.hpp"

namespace tidewire::cloud {
namespace {

Error bad_url(const std::string& text, const std::string& why) {
  return make_error(ErrorCode::kInvalidArgument, "store URL '" + text.substr(0, 200) + "' " + why +
                                                     " (e.g. sqlite:///var/lib/tidewire/cloud.db or sqlite:cloud.db)");
}

}  // namespace

Expected<StoreUrl> parse_store_url(const std::string& text, const std::vector<std::string>& schemes) {
  auto colon = text.find(':');
  if (colon == std::string::npos || colon == 0) return bad_url(text, "has no scheme");
  StoreUrl url{text.substr(0, colon), text.substr(colon + 1), text};
  bool known = false;
  std::string list;
  for (const auto& s : schemes) {
    known = known || s == url.scheme;
    list += (list.empty() ? "" : ", ") + s;
  }
  if (!known)
    return bad_url(text, "names backend '" + url.scheme + "', which this build lacks (built in: " + list + ")");
  if (url.path.rfind("//", 0) == 0) {
    // sqlite:///abs/path: an empty authority, then the absolute path. A host is not a file.
    auto slash = url.path.find('/', 2);
    if (slash != 2)
      return bad_url(text, "names a host; a file path starts with sqlite:/// (absolute) or sqlite: (relative)");
    url.path = url.path.substr(2);
  }
  if (url.path.empty()) return bad_url(text, "has no path");
  return url;
}

}  // namespace tidewire::cloud
