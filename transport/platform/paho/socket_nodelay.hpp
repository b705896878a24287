#pragma once
// paho-mqtt-c 1.3.11 (Debian 12) has no way to set TCP_NODELAY on its socket (upstream
// added a connect option later). With Nagle on, a publish queued right after a small
// PUBACK waits for the broker's delayed ACK, 40 ms on Linux: measured in bench push as
// notifications reaching apps 30 ms later once apps answered promptly. So after each
// connect the adapter finds its sockets to the broker among the process's descriptors
// and turns Nagle off on them (docs/decisions.md).
#include <cstddef>
#include <string>

namespace tidewire::transport::paho_detail {

// Sets TCP_NODELAY on every TCP socket of this process connected to host:port; returns
// how many. Other clients' sockets to the same broker get it too, which is harmless.
size_t set_nodelay_on_sockets_to(const std::string& host, int port);

}  // namespace tidewire::transport::paho_detail
