#include "commands_module.hpp"

#include "tidewire/cloud/command_api.hpp"
#include "tidewire/cloud/command_service.hpp"

namespace tidewire::cloud {
namespace {

using T = OptionSpec::Type;

class CommandsModule final : public CloudModule {
 public:
  std::string name() const override { return "commands"; }
  std::string summary() const override { return "commands to devices, re-sent until a result or the deadline"; }
  bool keeps_store() const override { return false; }  // in the fleet registry's

  std::vector<OptionSpec> options() const override {
    return {
        {"command-timeout-s", T::kInt, "60", "deadline of a command whose request sets no timeout_s"},
        {"command-resend-s", T::kInt, "10", "re-send a command without a result after this long"},
    };
  }

  Status check(const Config& c) const override {
    if (auto st = check_range(c, "command-timeout-s", 1, 24 * 3600); !st) return st;
    return check_range(c, "command-resend-s", 1, 3600);
  }

  Status open(ModuleContext& ctx) override {
    auto registry = ctx.services.need<FleetRegistry>(name(), "fleet");
    if (!registry) return registry.error();
    CommandOptions options;
    options.default_timeout_ms = ctx.config.integer("command-timeout-s") * 1000;
    options.resend_interval_ms = ctx.config.integer("command-resend-s") * 1000;
    commands_ = std::make_unique<CommandService>(**registry, ctx.mqtt, ctx.clock, ctx.random, ctx.metrics, options);
    api_ = std::make_unique<CommandApi>(**registry, *commands_, ctx.metrics);
    ctx.services.provide<CommandService>(*commands_);
    return {};
  }

  Status install(http::Router& router) override { return api_->install(router); }
  // Expires overdue commands, publishes pending ones, re-sends those without a result.
  void tick() override { commands_->tick(); }
  void refresh_metrics() override { api_->refresh_metrics(); }

 private:
  std::unique_ptr<CommandService> commands_;
  std::unique_ptr<CommandApi> api_;
};

}  // namespace

CloudModulePtr make_commands_module() {
  return std::make_unique<CommandsModule>();
}

}  // namespace tidewire::cloud
