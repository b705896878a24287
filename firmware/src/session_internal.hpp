#pragma once
// Pieces shared by the DeviceSession source files (device_session.cpp: lifecycle,
// presence, status; session_sending.cpp: outbox to transport; session_inbound.cpp:
// acks and commands).
#include <string>

#include "tidewire/common/expected.hpp"
#include "tidewire/firmware/session_metrics.hpp"

namespace tidewire::firmware::session_internal {

inline constexpr const char* kLog = "agent";
// Outbox rows read per query while sending.
inline constexpr size_t kReadBatch = 32;
// Room kept in an envelope for the seq and floor the sender fills in at publish time.
inline constexpr size_t kNumberingRoom = 32;

// Topics and other peer-controlled text go into logs shortened.
inline std::string clip(const std::string& s) {
  return s.size() <= 96 ? s : s.substr(0, 96) + "...";
}

}  // namespace tidewire::firmware::session_internal
