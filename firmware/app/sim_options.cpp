#include "sim_options.hpp"

namespace tidewire::firmware {
namespace {

using Type = OptionSpec::Type;

Error bad(const std::string& message) {
  return make_error(ErrorCode::kInvalidArgument, message);
}

}  // namespace

ExtraHal sim_extra_hal() {
  const SimHalOptions sim;
  auto num = [](auto v) { return std::to_string(v); };
  ExtraHal hal;
  hal.name = "sim";
  hal.help = "simulated devices";
  hal.options = {
      {"event-interval-ms", Type::kInt, num(sim.event_interval_ms),
       "sim HAL: mean gap between spontaneous events (0 = none)"},
      {"sim-accept-probability", Type::kDouble, num(sim.rider_accept_probability),
       "sim rider: chance an eligible dispatch offer is accepted"},
      {"sim-pickup-service-s", Type::kDouble, num(sim.pickup_service_s), "sim rider: time at the merchant"},
      {"sim-dropoff-service-s", Type::kDouble, num(sim.dropoff_service_s), "sim rider: time at the customer"},
      {"sim-lat", Type::kDouble, num(sim.center_lat), "sim rider: centre of the riding area"},
      {"sim-lon", Type::kDouble, num(sim.center_lon), "sim rider: centre of the riding area"},
      {"sim-radius-m", Type::kDouble, num(sim.area_radius_m), "sim rider: radius of the riding area"},
  };
  hal.configure = [](const Config& c) -> Expected<HalMaker> {
    auto options = sim_hal_options_from(c);
    if (!options) return options.error();
    return HalMaker([o = *options](v1::DeviceKind kind, Clock& clock, Random& random) {
      return make_sim_hal(kind, o, clock, random);
    });
  };
  return hal;
}

Expected<SimHalOptions> sim_hal_options_from(const Config& c) {
  SimHalOptions o;
  o.event_interval_ms = c.integer("event-interval-ms");
  if (o.event_interval_ms < 0 || o.event_interval_ms > INT64_MAX / 2)
    return bad("--event-interval-ms=" + std::to_string(o.event_interval_ms) + ": must be between 0 and " +
               std::to_string(INT64_MAX / 2));
  o.center_lat = c.real("sim-lat");
  o.center_lon = c.real("sim-lon");
  o.area_radius_m = c.real("sim-radius-m");
  if (o.center_lat < -85 || o.center_lat > 85 || o.center_lon < -180 || o.center_lon > 180)
    return bad("--sim-lat must be within -85..85 and --sim-lon within -180..180");
  if (!(o.area_radius_m >= 10 && o.area_radius_m <= 100'000))
    return bad("--sim-radius-m must be between 10 and 100000");
  o.rider_accept_probability = c.real("sim-accept-probability");
  if (!(o.rider_accept_probability >= 0 && o.rider_accept_probability <= 1))
    return bad("--sim-accept-probability must be between 0 and 1");
  o.pickup_service_s = c.real("sim-pickup-service-s");
  o.dropoff_service_s = c.real("sim-dropoff-service-s");
  if (!(o.pickup_service_s >= 0 && o.pickup_service_s <= 86'400) ||
      !(o.dropoff_service_s >= 0 && o.dropoff_service_s <= 86'400))
    return bad("--sim-pickup-service-s and --sim-dropoff-service-s must be between 0 and 86400");
  return o;
}

}  // namespace tidewire::firmware
