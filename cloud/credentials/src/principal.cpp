#include "tidewire/credentials/principal.hpp"

namespace tidewire::credentials {

const char* kind_name(PrincipalKind kind) {
  switch (kind) {
    case PrincipalKind::kDevice: return "device";
    case PrincipalKind::kEdge: return "edge";
    case PrincipalKind::kCloud: return "cloud";
    case PrincipalKind::kRecipient: return "recipient";
    case PrincipalKind::kGateway: return "gateway";
  }
  return "device";
}

Expected<PrincipalKind> parse_principal_kind(std::string_view name) {
  for (auto k : {PrincipalKind::kDevice, PrincipalKind::kEdge, PrincipalKind::kCloud, PrincipalKind::kRecipient,
                 PrincipalKind::kGateway}) {
    if (name == kind_name(k)) return k;
  }
  return make_error(ErrorCode::kInvalidArgument,
                    "unknown principal kind '" + std::string(name.substr(0, 64)) +
                        "' (expected device, edge, cloud, recipient or gateway)",
                    "unknown_kind");
}

std::string username(PrincipalKind kind, const std::string& id) {
  return std::string(kind_name(kind)) + "." + id;
}

const char* audience_name(topics::Audience audience) {
  switch (audience) {
    case topics::Audience::kCustomer: return "customer";
    case topics::Audience::kMerchant: return "merchant";
    case topics::Audience::kRider: return "rider";
  }
  return "customer";
}

Expected<topics::Audience> parse_audience(std::string_view name) {
  for (auto a : {topics::Audience::kCustomer, topics::Audience::kMerchant, topics::Audience::kRider}) {
    if (name == audience_name(a)) return a;
  }
  return make_error(ErrorCode::kInvalidArgument,
                    "unknown audience '" + std::string(name.substr(0, 64)) + "' (expected customer, merchant or rider)",
                    "unknown_audience");
}

Status validate(const Principal& p) {
  const std::string who = std::string(kind_name(p.kind)) + " '" + p.id.substr(0, 80) + "'";
  if (!topics::valid_id(p.id)) {
    return make_error(ErrorCode::kInvalidArgument, who + ": an id is 1-64 characters of letters, digits, '_' and '-'",
                      "invalid_id");
  }
  const bool has_site = p.kind == PrincipalKind::kDevice || p.kind == PrincipalKind::kEdge;
  if (has_site && !topics::valid_id(p.site)) {
    return make_error(ErrorCode::kInvalidArgument,
                      who + ": needs --site (1-64 characters of letters, digits, '_' and '-')", "invalid_site");
  }
  if (!has_site && !p.site.empty()) {
    return make_error(ErrorCode::kInvalidArgument, who + ": a " + kind_name(p.kind) + " has no site",
                      "unexpected_site");
  }
  if (p.kind == PrincipalKind::kDevice) {
    if (!topics::parse_kind(topics::kind_name(p.device_kind)).ok()) {
      return make_error(ErrorCode::kInvalidArgument, who + ": needs --kind poster, rider, encoder or merchant",
                        "invalid_device_kind");
    }
  } else if (p.device_kind != v1::DEVICE_KIND_UNSPECIFIED) {
    return make_error(ErrorCode::kInvalidArgument, who + ": only a device has a device kind", "unexpected_kind");
  }
  if (p.audience && p.kind != PrincipalKind::kRecipient) {
    return make_error(ErrorCode::kInvalidArgument, who + ": only a recipient has an audience", "unexpected_audience");
  }
  return {};
}

}  // namespace tidewire::credentials
