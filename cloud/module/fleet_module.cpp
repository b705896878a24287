#include "fleet_module.hpp"

#include "open_credential_store.hpp"
#include "open_fleet_registry.hpp"
#include "tidewire/cloud/batch_ingest.hpp"
#include "tidewire/cloud/fleet_api.hpp"
#include "tidewire/protocols/topics.hpp"

namespace tidewire::cloud {
namespace {

using T = OptionSpec::Type;

class FleetModule final : public CloudModule {
 public:
  std::string name() const override { return "fleet"; }
  std::string summary() const override { return "device registry and edge batch ingest"; }

  std::vector<OptionSpec> options() const override {
    return {
        {"offline-after-s", T::kInt, "120", "a device silent this long is reported offline even without a will"},
        {"ingest-queue-frames", T::kInt, "256", "uplink frames waiting for storage; beyond it they are not acked"},
        {"edge-sites", T::kString, "provisioned",
         "which site an edge may report for: provisioned = the site it was provisioned for in this cloud's "
         "store (batches from other edges, or for other sites, are refused); batch = the batch's own word, "
         "only for broker credentials managed outside this cloud (docs/security.md)"},
    };
  }

  Status check(const Config& c) const override {
    if (auto st = check_range(c, "offline-after-s", 1, 7 * 24 * 3600); !st) return st;
    if (c.str("edge-sites") != "provisioned" && c.str("edge-sites") != "batch") {
      return make_error(ErrorCode::kInvalidArgument,
                        "--edge-sites must be provisioned or batch, not '" + c.str("edge-sites") + "'");
    }
    return check_range(c, "ingest-queue-frames", 1, 100000);
  }

  Status open(ModuleContext& ctx) override {
    const StoreUrl& url = ctx.stores.url_for(name());
    auto opened = open_fleet_registry(url, ctx.config.integer("offline-after-s") * 1000, ctx.clock);
    if (!opened) {
      return make_error(opened.error().code,
                        "cannot open the store " + url.text + ": " + opened.error().message +
                            " (check --store, --fleet-store or --db-path, and that its directory is writable)");
    }
    registry_ = std::move(*opened);
    IngestOptions ingest_options;
    ingest_options.max_queue_frames = static_cast<size_t>(ctx.config.integer("ingest-queue-frames"));
    ingest_ = std::make_unique<BatchIngest>(*registry_, ctx.mqtt, ctx.metrics, ctx.clock, ingest_options);
    ingest_->set_feed(ctx.devices);
    if (ctx.config.str("edge-sites") == "provisioned") {
      // The process-wide store, where `tidewire-cloud provision` records each edge's site.
      const StoreUrl& credentials = ctx.stores.url_for("");
      auto sites = credentials::open_edge_sites(credentials);
      if (!sites) return sites.error().with_context("edge sites from " + credentials.text);
      edge_sites_ = std::move(*sites);
      ingest_->set_edge_sites(*edge_sites_);
    }
    api_ = std::make_unique<FleetApi>(*registry_, ctx.metrics);
    ctx.services.provide<FleetRegistry>(*registry_);
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
  void refresh_metrics() override { api_->refresh_metrics(); }
  Status health() override { return registry_->check(); }
  // The batch being stored is committed and acked; queued ones are re-sent by their edges.
  void stop() override { ingest_->stop(); }

 private:
  // Declared in dependency order: destroyed ingest first, registry last.
  FleetRegistryPtr registry_;
  std::unique_ptr<EdgeSites> edge_sites_;
  std::unique_ptr<BatchIngest> ingest_;
  std::unique_ptr<FleetApi> api_;
};

}  // namespace

CloudModulePtr make_fleet_module() {
  return std::make_unique<FleetModule>();
}

}  // namespace tidewire::cloud
