#pragma once
// Which site each edge serves, as its operator provisioned it. The broker ties an edge's
// connection to its own batch topic; this ties the edge to the one site it may speak for,
// so another site's edge cannot report, or draw the commands of, this site's devices
// (docs/security.md, "Edges speak for their own site").
#include <optional>
#include <string>

#include "tidewire/common/expected.hpp"

namespace tidewire::cloud {

class EdgeSites {
 public:
  virtual ~EdgeSites() = default;
  // The site `edge_id` was provisioned for, also after a revocation (batches it spooled
  // before were authentic when sent); nullopt for an edge never provisioned. An error
  // means the answer is unknown right now (the store could not be read).
  virtual Expected<std::optional<std::string>> site_of(const std::string& edge_id) = 0;
};

}  // namespace tidewire::cloud
