#include "dispatch_module.hpp"

#include <utility>

#include "open_order_store.hpp"
#include "tidewire/common/log.hpp"
#include "tidewire/dispatch/dispatch_api.hpp"
#include "tidewire/dispatch/dispatcher_loop.hpp"
#include "tidewire/dispatch/dispatcher_outputs.hpp"

namespace tidewire::dispatch {
namespace {

using T = OptionSpec::Type;
constexpr int64_t kSettleTimeoutMs = 10'000;

class DispatchModule final : public cloud::CloudModule {
 public:
  std::string name() const override { return "dispatch"; }
  std::string summary() const override { return "delivery orders, riders and matching"; }

  std::vector<OptionSpec> options() const override {
    return {
        {"dispatch-policy", T::kString, "instant",
         "instant (offer each order on arrival) or batch (exact assignment every --batch-interval-s); "
         "the default, for pickups in no --dispatch-regions region"},
        {"dispatch-regions", T::kString, "",
         "regions with their own policy, first match wins: "
         "name:lat_min,lon_min,lat_max,lon_max:instant|batch[:interval_s];... (empty = none)"},
        {"batch-interval-s", T::kInt, "5", "seconds between batch dispatch rounds (also the instant retry sweep)"},
        {"postpone-s", T::kInt, "600", "batch: orders ready further ahead than this wait for a later round"},
        {"offer-timeout-s", T::kInt, "30", "seconds a rider has to answer an offer"},
        {"speed-mpm", T::kInt, "320", "rider speed in metres per minute for travel-time estimates"},
        {"candidate-radius-m", T::kInt, "5000", "riders further than this from the pickup are not offered an order"},
        {"service-s", T::kInt, "240", "time spent at the pickup and at the drop-off each, for ETAs"},
        {"dispatch-queue", T::kInt, "10000", "tasks waiting for the dispatch thread; beyond it inputs are dropped"},
    };
  }

  Status check(const Config& c) const override {
    for (auto [option, lo, hi] :
         std::initializer_list<std::tuple<const char*, int64_t, int64_t>>{{"batch-interval-s", 1, 3600},
                                                                          {"postpone-s", 0, 24 * 3600},
                                                                          {"offer-timeout-s", 1, 3600},
                                                                          {"speed-mpm", 1, 10000},
                                                                          {"candidate-radius-m", 1, 50000},
                                                                          {"service-s", 0, 3600},
                                                                          {"dispatch-queue", 1, 1000000}}) {
      if (auto st = check_range(c, option, lo, hi); !st) return st;
    }
    if (auto p = parse_policy(c.str("dispatch-policy")); !p) return p.error();
    if (auto r = parse_regions(c.str("dispatch-regions")); !r) return r.error();
    return {};
  }

  Status open(cloud::ModuleContext& ctx) override {
    auto commands = ctx.services.need<cloud::CommandService>(name(), "commands");
    if (!commands) return commands.error();
    auto store = open_order_store(ctx.stores.url_for(name()));
    if (!store) {
      return make_error(store.error().code, "cannot open the dispatch store " + ctx.stores.url_for(name()).text + ": " +
                                                store.error().message + " (check --dispatch-store)");
    }
    store_ = std::move(*store);
    const Config& c = ctx.config;
    DispatcherOptions options;
    options.policy.kind = *parse_policy(c.str("dispatch-policy"));  // checked in check()
    options.regions = *parse_regions(c.str("dispatch-regions"));
    options.policy.batch_interval_ms = c.integer("batch-interval-s") * 1000;
    options.policy.postpone_ms = c.integer("postpone-s") * 1000;
    options.policy.candidate_radius_m = static_cast<double>(c.integer("candidate-radius-m"));
    options.policy.service_ms = c.integer("service-s") * 1000;
    options.book.offer_timeout_ms = c.integer("offer-timeout-s") * 1000;
    auto travel = StraightLineTravel::create(static_cast<double>(c.integer("speed-mpm")));
    if (!travel) return travel.error().with_context("--speed-mpm");
    offers_ = std::make_unique<CommandOfferSender>(**commands);
    updates_ = std::make_unique<TransportUpdatePublisher>(ctx.mqtt);
    dispatcher_ =
        std::make_unique<Dispatcher>(*store_, *offers_, *updates_, std::make_shared<StraightLineTravel>(*travel),
                                     ctx.clock, ctx.random, ctx.metrics, options);
    if (auto st = dispatcher_->restore(); !st) {
      return st.error().with_context("load open orders from " + ctx.stores.url_for(name()).text);
    }
    loop_ = std::make_unique<DispatchLoop>(*dispatcher_, ctx.clock, ctx.metrics,
                                           static_cast<size_t>(c.integer("dispatch-queue")));
    api_ = std::make_unique<DispatchApi>(*loop_, ctx.metrics);
    DispatchLoop* loop = loop_.get();
    ctx.devices.subscribe(device_subscription(
        [loop](DispatchTask task) { return loop->post(std::move(task)); },
        [loop] { return loop->call([](Dispatcher&) -> Status { return {}; }, kSettleTimeoutMs).ok(); }));
    TW_INFO("cloud",
            "dispatch: policy " << c.str("dispatch-policy") << ", orders in " << ctx.stores.url_for(name()).text);
    return {};
  }

  Status install(http::Router& router) override { return api_->install(router); }
  Status start() override {
    loop_->start();
    return {};
  }
  void stop() override { loop_->stop(); }

 private:
  OrderStorePtr store_;
  std::unique_ptr<CommandOfferSender> offers_;
  std::unique_ptr<TransportUpdatePublisher> updates_;
  std::unique_ptr<Dispatcher> dispatcher_;
  std::unique_ptr<DispatchLoop> loop_;
  std::unique_ptr<DispatchApi> api_;
};

}  // namespace

cloud::CloudModulePtr make_dispatch_module() {
  return std::make_unique<DispatchModule>();
}

}  // namespace tidewire::dispatch
