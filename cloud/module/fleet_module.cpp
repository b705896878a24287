#include "fleet_module.hpp"

#include "sqlite/sqlite_registry.hpp"
#include "tidewire/cloud/batch_ingest.hpp"
#include "tidewire/cloud/command_service.hpp"
#include "tidewire/cloud/fleet_api.hpp"
#include "tidewire/protocols/topics.hpp"

namespace tidewire::cloud {
namespace {

using T = OptionSpec::Type;

class FleetModule final : public CloudModule {
 public:
  std::string name() const override { return "fleet"; }
  std::string summary() const override { return "device registry, edge batch ingest, commands"; }

  std::vector<OptionSpec> options() const override {
    return {
        {"offline-after-s", T::kInt, "120", "a device silent this long is reported offline even without a will"},
        {"command-timeout-s", T::kInt, "60", "deadline of a command whose request sets no timeout_s"},
        {"command-resend-s", T::kInt, "10", "re-send a command without a result after this long"},
        {"ingest-queue-frames", T::kInt, "256", "uplink frames waiting for storage; beyond it they are not acked"},
    };
  }

  Status check(const Config& c) const override {
    for (auto [option, lo, hi] :
         std::initializer_list<std::tuple<const char*, int64_t, int64_t>>{{"offline-after-s", 1, 7 * 24 * 3600},
                                                                          {"command-timeout-s", 1, 24 * 3600},
                                                                          {"command-resend-s", 1, 3600},
                                                                          {"ingest-queue-frames", 1, 100000}}) {
      if (auto st = check_range(c, option, lo, hi); !st) return st;
    }
    return {};
  }

  Status open(ModuleContext& ctx) override {
    auto path = ctx.stores.sqlite_path(name());
    if (!path) return path.error();
    auto opened = SqliteRegistry::open({*path, ctx.config.integer("offline-after-s") * 1000}, ctx.clock);
    if (!opened) {
      return make_error(opened.error().code, "cannot open the store " + ctx.stores.url_for(name()).text + ": " +
                                                 opened.error().message +
                                                 " (check --store or --db-path and that its directory is writable)");
    }
    registry_ = std::move(*opened);
    CommandOptions command_options;
    command_options.default_timeout_ms = ctx.config.integer("command-timeout-s") * 1000;
    command_options.resend_interval_ms = ctx.config.integer("command-resend-s") * 1000;
    commands_ =
        std::make_unique<CommandService>(*registry_, ctx.mqtt, ctx.clock, ctx.random, ctx.metrics, command_options);
    IngestOptions ingest_options;
    ingest_options.max_queue_frames = static_cast<size_t>(ctx.config.integer("ingest-queue-frames"));
    ingest_ = std::make_unique<BatchIngest>(*registry_, ctx.mqtt, ctx.metrics, ctx.clock, ingest_options);
    ingest_->set_feed(ctx.devices);
    api_ = std::make_unique<FleetApi>(*registry_, *commands_, ctx.metrics, ctx.mqtt_connected);
    ctx.services.provide<FleetRegistry>(*registry_);
    ctx.services.provide<CommandService>(*commands_);
    return {};
  }

  Status install(http::Router& router) override { return api_->install(router); }

  std::vector<MqttRoute> mqtt_routes() override {
    return {{topics::cloud_batch_filter(), 1, [this](const transport::Message& m) { ingest_->submit(m); }}};
  }

  Status start() override {
    ingest_->start();
    return {};
  }
  void tick() override { commands_->tick(); }
  // The batch being stored is committed and acked; queued ones are re-sent by their edges.
  void stop() override { ingest_->stop(); }

 private:
  // Declared in dependency order: destroyed ingest first, registry last.
  std::unique_ptr<SqliteRegistry> registry_;
  std::unique_ptr<CommandService> commands_;
  std::unique_ptr<BatchIngest> ingest_;
  std::unique_ptr<FleetApi> api_;
};

}  // namespace

CloudModulePtr make_fleet_module() {
  return std::make_unique<FleetModule>();
}

}  // namespace tidewire::cloud
