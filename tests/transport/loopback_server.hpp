#pragma once
// A loopback TCP server on its own thread, for what a real mosquitto cannot be made to do
// on demand:
//   proxy_to(port)   relays to a broker and can cut every connection at once, without a
//                    DISCONNECT: the broker sees dead clients and publishes their wills.
//   silent_broker()  answers CONNECT with CONNACK and then never acknowledges anything:
//                    QoS1 publishes stay in flight for as long as the test wants.
#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace tidewire::transport::testing {

class LoopbackServer {
 public:
  static std::unique_ptr<LoopbackServer> proxy_to(int upstream_port);
  static std::unique_ptr<LoopbackServer> silent_broker();
  ~LoopbackServer();
  LoopbackServer(const LoopbackServer&) = delete;
  LoopbackServer& operator=(const LoopbackServer&) = delete;

  int port() const { return port_; }
  // Closes every open connection (both sides, for a proxy); returns once they are closed.
  void cut_all();
  // Connections accepted so far.
  int accepted() const { return accepted_.load(); }

 private:
  enum class Mode { kProxy, kSilentBroker };
  struct Conn {
    int client_fd = -1;
    int upstream_fd = -1;   // proxy only
    std::string inbox;      // silent broker: bytes of a CONNECT not yet complete
    bool connack_sent = false;
  };

  LoopbackServer(Mode mode, int upstream_port);
  bool listen_on_loopback();
  void run();
  void accept_one();
  // False when the connection ended and must be closed.
  bool relay(int from, int to);
  bool serve_silently(Conn& c);
  static void close_conn(Conn& c);

  Mode mode_;
  int upstream_port_;
  int listen_fd_ = -1;
  int wake_r_ = -1;
  int wake_w_ = -1;
  int port_ = 0;
  std::vector<Conn> conns_;  // server thread only
  std::atomic<int> accepted_{0};
  std::atomic<bool> stopping_{false};
  std::mutex mu_;
  std::condition_variable cv_;
  uint64_t cut_requested_ = 0;
  uint64_t cut_done_ = 0;
  std::thread thread_;
};

}  // namespace tidewire::transport::testing
