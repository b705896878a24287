#include "tidewire/cloud/command_api.hpp"

#include "tidewire/cloud/http_json.hpp"
#include "tidewire/cloud/scopes.hpp"

namespace tidewire::cloud {
namespace {

constexpr v1::CommandState kStates[] = {v1::COMMAND_STATE_PENDING, v1::COMMAND_STATE_SENT, v1::COMMAND_STATE_COMPLETED,
                                        v1::COMMAND_STATE_EXPIRED};

}  // namespace

CommandApi::CommandApi(FleetRegistry& registry, CommandService& commands, MetricsRegistry& metrics)
    : registry_(registry), commands_(commands) {
  for (size_t i = 0; i < by_state_.size(); ++i) {
    by_state_[i] =
        &metrics.gauge("tw_cloud_commands", "Stored commands by state", {{"state", v1::CommandState_Name(kStates[i])}});
  }
}

Status CommandApi::install(http::Router& router) {
  const http::Access operators = http::Access::to({scope::kOperator});
  if (auto st = router.add("POST", "/v1/devices/{id}/commands", operators,
                           [this](const http::Request& req) { return create_command(req); });
      !st) {
    return st;
  }
  return router.add("GET", "/v1/commands/{id}", operators, [this](const http::Request& req) { return get_command(req); });
}

void CommandApi::refresh_metrics() {
  auto counts = registry_.command_counts();
  if (!counts) return;
  for (size_t i = 0; i < by_state_.size(); ++i) {
    auto it = counts->find(kStates[i]);
    by_state_[i]->set(it == counts->end() ? 0 : static_cast<int64_t>(it->second));
  }
}

http::Response CommandApi::create_command(const http::Request& req) {
  if (auto st = http_json::only_known_params(req, {}); !st) return http_json::error(st.error());
  if (req.body.empty()) {
    return http_json::error(make_error(ErrorCode::kMalformed,
                                       "body must be a CommandRequest JSON object, e.g. {\"name\": \"reboot\"}",
                                       "invalid_json"));
  }
  v1::CommandRequest request;
  if (auto st = http_json::parse(req.body, request); !st) return http_json::error(st.error());
  auto created = commands_.create(req.params.at("id"), request, req.header("idempotency-key"));
  if (!created) return http_json::error(created.error());
  http::Response res = http_json::message(created->created ? 201 : 200, created->view);
  res.headers.emplace_back("Location", "/v1/commands/" + created->view.command_id());
  return res;
}

http::Response CommandApi::get_command(const http::Request& req) {
  if (auto st = http_json::only_known_params(req, {}); !st) return http_json::error(st.error());
  auto view = commands_.get(req.params.at("id"));
  if (!view) return http_json::error(view.error());
  return http_json::message(200, *view);
}

}  // namespace tidewire::cloud
