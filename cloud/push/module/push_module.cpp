#include "push_module.hpp"

#include "open_push_store.hpp"
#include "tidewire/protocols/topics.hpp"
#include "tidewire/push/push_api.hpp"
#include "tidewire/push/push_notifier.hpp"
#include "webhook_poster.hpp"

namespace tidewire::push {
namespace {

using T = OptionSpec::Type;

class PushModule final : public cloud::CloudModule {
 public:
  std::string name() const override { return "push"; }
  std::string summary() const override { return "push notifications to apps and webhooks, with receipts"; }

  std::vector<OptionSpec> options() const override {
    return {
        {"push-default-ttl-s", T::kInt, "86400", "lifetime of a notification whose request sets no ttl_s"},
        {"push-silent-after", T::kInt, "5",
         "notifications expiring unreceipted in a row before a recipient is marked silent"},
        {"push-rate-per-recipient", T::kInt, "2", "sends per second to one recipient (burst 20)"},
        {"push-fanout-chunk", T::kInt, "2000",
         "tag recipients expanded per 50 ms tick (bounds how long a fan-out holds the service)"},
        {"push-webhook-allow", T::kString, "",
         "internal address ranges webhooks may target, as CIDRs (e.g. 127.0.0.0/8,10.1.2.0/24); loopback, "
         "link-local, private, CGNAT, multicast and unspecified addresses are refused unless listed"},
    };
  }

  Status check(const Config& c) const override {
    for (auto [option, lo, hi] :
         std::initializer_list<std::tuple<const char*, int64_t, int64_t>>{{"push-default-ttl-s", 1, 7 * 24 * 3600},
                                                                          {"push-silent-after", 1, 1000},
                                                                          {"push-rate-per-recipient", 1, 1000},
                                                                          {"push-fanout-chunk", 1, 100000}}) {
      if (auto st = check_range(c, option, lo, hi); !st) return st;
    }
    if (auto allow = WebhookTargetPolicy::parse(c.str("push-webhook-allow")); !allow) {
      return allow.error().with_context("--push-webhook-allow");
    }
    return {};
  }

  Status open(cloud::ModuleContext& ctx) override {
    auto store = open_push_store(ctx.stores.url_for(name()));
    if (!store) {
      return make_error(store.error().code, "cannot open the push store " + ctx.stores.url_for(name()).text + ": " +
                                                store.error().message + " (check --push-store)");
    }
    store_ = std::move(*store);
    const Config& c = ctx.config;
    PushOptions options;
    options.default_ttl_ms = c.integer("push-default-ttl-s") * 1000;
    options.silent_after = static_cast<uint32_t>(c.integer("push-silent-after"));
    options.rate_per_recipient_s = static_cast<double>(c.integer("push-rate-per-recipient"));
    options.fanout_chunk = static_cast<size_t>(c.integer("push-fanout-chunk"));
    WebhookOptions webhook_options;
    webhook_options.metrics = &ctx.metrics;
    auto targets = WebhookTargetPolicy::parse(c.str("push-webhook-allow"));
    if (!targets) return targets.error().with_context("--push-webhook-allow");
    webhook_options.targets = std::move(*targets);
    sender_ = std::make_unique<WebhookSender>(webhook_options);
    poster_ = std::make_unique<SenderWebhookPoster>(*sender_);
    service_ =
        std::make_unique<PushService>(*store_, ctx.mqtt, poster_.get(), ctx.clock, ctx.random, ctx.metrics, options);
    notifier_ = std::make_unique<PushNotifier>(*service_, ctx.metrics);
    api_ = std::make_unique<PushApi>(*service_);
    ctx.services.provide<cloud::Notifier>(*notifier_);
    return {};
  }

  Status install(http::Router& router) override { return api_->install(router); }

  std::vector<cloud::MqttRoute> mqtt_routes() override {
    std::vector<cloud::MqttRoute> routes;
    for (const auto& filter : topics::push_uplink_filters()) {
      routes.push_back({filter, 1, [this](const transport::Message& m) { service_->on_message(m); }});
    }
    return routes;
  }

  Status start() override {
    service_->start();
    return {};
  }

  // Everything the service accepted is on disk; unsent deliveries go out after a restart.
  // The sender's last callbacks (its destructor answers every post) land in the service,
  // so the service's thread stops first, then the sender goes while the service exists.
  void stop() override {
    service_->stop();
    poster_.reset();
    sender_.reset();
  }

 private:
  PushStorePtr store_;
  std::unique_ptr<WebhookSender> sender_;
  std::unique_ptr<SenderWebhookPoster> poster_;
  std::unique_ptr<PushService> service_;
  std::unique_ptr<PushNotifier> notifier_;
  std::unique_ptr<PushApi> api_;
};

}  // namespace

cloud::CloudModulePtr make_push_module() {
  return std::make_unique<PushModule>();
}

}  // namespace tidewire::push
