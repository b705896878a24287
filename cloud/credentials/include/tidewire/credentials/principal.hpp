#pragma once
// Who may speak on a broker: one principal per device, edge, cloud instance, push
// recipient's app and push gateway, each with its own MQTT user name and password.
//
// User names are "<kind>.<id>" (device.sim-poster-00001, edge.edge-1, recipient.rider-43,
// cloud.cloud-1, gateway.push-gw): ids are [A-Za-z0-9_-] (topics::valid_id), so the '.'
// separates the kind and two kinds can never share a user name. The broker ties the user
// name to topics (broker_files.hpp); the edge ties the topic to the envelope.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tidewire/common/expected.hpp"
#include "tidewire/protocols/topics.hpp"

namespace tidewire::credentials {

enum class PrincipalKind {
  kDevice,     // a board on a site broker: its own topics only
  kEdge,       // a site's relay: its site's device channels, its own edge topics on the cloud
  kCloud,      // tidewire-cloud on the cloud broker: every batch, receipt, sync; every downlink
  kRecipient,  // a push recipient's app on the cloud broker: its own inbox (and order updates)
  kGateway,    // stands in for many recipients' apps (a push gateway, tidewire-sim's InboxGateway)
};

const char* kind_name(PrincipalKind kind);
// kInvalidArgument naming the kinds for anything else.
Expected<PrincipalKind> parse_principal_kind(std::string_view name);

struct Principal {
  PrincipalKind kind = PrincipalKind::kDevice;
  std::string id;
  // Devices and edges: the site whose broker they use.
  std::string site;
  // Devices: poster | rider | encoder | merchant.
  v1::DeviceKind device_kind = v1::DEVICE_KIND_UNSPECIFIED;
  // Recipients: the audience whose order updates (tw/v1/dispatch/{audience}/{id}/order)
  // this app may read, if any.
  std::optional<topics::Audience> audience;
  std::string password_hash;  // mosquitto's $7$ PBKDF2-SHA512 form; never the password
  int64_t created_ms = 0;
  int64_t revoked_ms = 0;  // 0 = active

  bool revoked() const { return revoked_ms != 0; }
};

// "<kind>.<id>".
std::string username(PrincipalKind kind, const std::string& id);
inline std::string username(const Principal& p) {
  return username(p.kind, p.id);
}

const char* audience_name(topics::Audience audience);
Expected<topics::Audience> parse_audience(std::string_view name);

// The principal's fields fit its kind: a valid id (and site), a device kind for devices,
// no site or device kind where the kind has none. kInvalidArgument says what is wrong.
Status validate(const Principal& p);

}  // namespace tidewire::credentials
