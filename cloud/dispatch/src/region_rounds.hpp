#pragma once
// Shared by dispatcher.cpp (registers at start) and region_rounds.cpp (observes).
#include "tidewire/common/metrics.hpp"

namespace tidewire::dispatch {

// tw_dispatch_batch_solve_ms: the time of one exact solve.
Histogram& batch_solve_histogram(MetricsRegistry& metrics);

}  // namespace tidewire::dispatch
