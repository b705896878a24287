#include "alerts_module.hpp"

#include "open_alert_store.hpp"
#include "tidewire/alerts/alert_api.hpp"
#include "tidewire/alerts/alert_runner.hpp"
#include "tidewire/alerts/rules_file.hpp"
#include "tidewire/cloud/fleet_registry.hpp"
#include "tidewire/cloud/notifier.hpp"

namespace tidewire::alerts {
namespace {

using T = OptionSpec::Type;

class AlertsModule final : public cloud::CloudModule {
 public:
  std::string name() const override { return "alerts"; }
  std::string summary() const override { return "device alert rules, notices through push"; }

  std::vector<OptionSpec> options() const override {
    return {
        {"alert-rules-file", T::kString, "",
         "device alert rules, one JSON rule per line (docs/alerts.md); empty = none"},
        {"alert-interval-s", T::kInt, "10", "seconds between alert rule evaluations"},
    };
  }

  Status check(const Config& c) const override { return check_range(c, "alert-interval-s", 1, 3600); }

  Status open(cloud::ModuleContext& ctx) override {
    auto registry = ctx.services.need<cloud::FleetRegistry>(name(), "fleet");
    if (!registry) return registry.error();
    auto notifier = ctx.services.need<cloud::Notifier>(name(), "push");
    if (!notifier) return notifier.error();
    auto rules = load_rules_file(ctx.config.str("alert-rules-file"), ctx.metrics);
    if (!rules) {
      return make_error(rules.error().code, rules.error().message + " (fix --alert-rules-file; docs/alerts.md)");
    }
    auto store = open_alert_store(ctx.stores.url_for(name()), ctx.clock);
    if (!store) {
      return make_error(store.error().code, "cannot open the alert store " + ctx.stores.url_for(name()).text + ": " +
                                                store.error().message + " (check --alerts-store)");
    }
    store_ = std::move(*store);
    auto engine = AlertEngine::open(*store_, std::move(*rules), ctx.metrics);
    if (!engine) return engine.error().with_context("alert rules");
    engine_ = std::move(*engine);
    AlertRunnerOptions options;
    options.interval_ms = ctx.config.integer("alert-interval-s") * 1000;
    runner_ = std::make_unique<AlertRunner>(*engine_, **registry, **notifier, ctx.clock, ctx.metrics, options);
    api_ = std::make_unique<AlertApi>(*engine_, ctx.metrics);
    return {};
  }

  Status install(http::Router& router) override { return api_->install(router); }
  // Evaluates every --alert-interval-s; a notice only queues (push fans out in chunks).
  void tick() override { runner_->tick(); }

 private:
  AlertStorePtr store_;
  std::unique_ptr<AlertEngine> engine_;
  std::unique_ptr<AlertRunner> runner_;
  std::unique_ptr<AlertApi> api_;
};

}  // namespace

cloud::CloudModulePtr make_alerts_module() {
  return std::make_unique<AlertsModule>();
}

}  // namespace tidewire::alerts
