#pragma once
// What a mosquitto broker needs to lock its doors: a password file (one "user:hash" line
// per active principal) and an acl_file (per user, the topics it may write and read).
// Generated from the credential store; a revoked principal gets neither line, so after
// the broker re-reads its files (SIGHUP) it is refused at its next connect and its
// publishes are no longer allowed.
//
//   site broker of site S
//     device.D   write  tw/v1/site/S/{kind}/D/{status,event,presence,result}   (presence is also its will)
//                read   tw/v1/site/S/{kind}/D/{cmd,ack}
//     edge.E     read   tw/v1/site/S/+/+/{status,event,presence,result}
//                write  tw/v1/site/S/+/+/{cmd,ack}
//   cloud broker
//     edge.E     write  tw/v1/edge/E/batch            read  tw/v1/edge/E/{ack,cmd}
//     cloud.C    read   tw/v1/edge/+/batch, tw/v1/push/+/{receipt,sync}
//                write  tw/v1/edge/+/{ack,cmd}, tw/v1/push/+/inbox, tw/v1/dispatch/+/+/order
//     recipient.R  read tw/v1/push/R/inbox (+ tw/v1/dispatch/{audience}/R/order)
//                  write tw/v1/push/R/{receipt,sync}
//     gateway.G  read   tw/v1/push/+/inbox             write tw/v1/push/+/{receipt,sync}
//
// Every topic is built by topics.hpp; filters with '+' are made from two topics the
// topic functions build for different ids (acl_filter_for), never written by hand.
#include <string>
#include <vector>

#include "tidewire/common/expected.hpp"
#include "tidewire/credentials/principal.hpp"

namespace tidewire::credentials {

enum class Broker { kCloud, kSite };
Expected<Broker> parse_broker(std::string_view name);

struct BrokerFiles {
  std::string passwords;  // mosquitto password_file
  std::string acl;        // mosquitto acl_file
  size_t users = 0;
};

// The cloud broker: edges, cloud instances, recipients and gateways.
Expected<BrokerFiles> render_cloud_broker(const std::vector<Principal>& principals);
// The broker of one site: that site's devices and edges.
Expected<BrokerFiles> render_site_broker(const std::vector<Principal>& principals, const std::string& site);

// The filter matching both topics: the levels where they differ become '+'. kInternal if
// they have different numbers of levels.
Expected<std::string> acl_filter_for(const std::string& a, const std::string& b);

// Writes dir/passwords and dir/acl, each to a temporary file renamed over the old one
// (a broker reloading never reads half a file), mode 0640.
Status write_broker_files(const std::string& dir, const BrokerFiles& files);
// Writes `text` to `path` through a temporary file and rename, with `mode`.
Status write_file_atomically(const std::string& path, const std::string& text, unsigned mode);

}  // namespace tidewire::credentials
