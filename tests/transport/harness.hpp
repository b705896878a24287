#pragma once
// Shared pieces of the transport tests: a recorder of what a transport reported, a
// factory of clients for either backend, and a real broker in a temp dir.
#include <gtest/gtest.h>
#include <unistd.h>

#include <deque>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "loopback_server.hpp"
#include "process/process.hpp"
#include "tidewire/common/random.hpp"
#include "tidewire/transport/mosquitto_client.hpp"
#include "tidewire/transport/mosquitto_loop.hpp"
#include "tidewire/transport/transport.hpp"
#ifdef TW_HAVE_PAHO
#include "tidewire/transport/paho_client.hpp"
#endif

namespace tidewire::transport::testing {

using process::wait_until;

// Everything one transport reported, safe to read from the test thread.
class Recorder {
 public:
  void attach(Transport& t) {
    t.set_message_handler([this](const Message& m) {
      std::lock_guard lock(mu_);
      messages_.push_back(m);
    });
    t.set_connection_handler([this](bool up) {
      std::lock_guard lock(mu_);
      edges_.push_back(up);
    });
  }
  std::vector<Message> on_topic(const std::string& topic) const {
    std::lock_guard lock(mu_);
    std::vector<Message> out;
    for (const auto& m : messages_) {
      if (m.topic == topic) out.push_back(m);
    }
    return out;
  }
  bool got(const std::string& topic) const { return !on_topic(topic).empty(); }
  size_t message_count() const {
    std::lock_guard lock(mu_);
    return messages_.size();
  }
  int ups() const { return count_edges(true); }
  int downs() const { return count_edges(false); }
  std::vector<bool> edges() const {
    std::lock_guard lock(mu_);
    return edges_;
  }

 private:
  int count_edges(bool up) const {
    std::lock_guard lock(mu_);
    int n = 0;
    for (bool e : edges_) n += e == up ? 1 : 0;
    return n;
  }
  mutable std::mutex mu_;
  std::vector<Message> messages_;
  std::vector<bool> edges_;
};

// A QoS1 `done` callback's outcome, readable from the test thread.
struct DoneProbe {
  std::mutex mu;
  int calls = 0;
  int ok = 0;
  std::vector<Error> errors;
  Transport::PublishDone callback() {
    return [this](const Status& s) {
      std::lock_guard lock(mu);
      ++calls;
      if (s) {
        ++ok;
      } else {
        errors.push_back(s.error());
      }
    };
  }
  int count() {
    std::lock_guard lock(mu);
    return calls;
  }
  int oks() {
    std::lock_guard lock(mu);
    return ok;
  }
};

enum class Backend { kMosquitto, kPaho };

inline std::string backend_name(const ::testing::TestParamInfo<Backend>& info) {
  return info.param == Backend::kMosquitto ? "mosquitto" : "paho";
}

// Makes and owns clients of one backend; destroys them before the loop they run on.
class ClientFactory {
 public:
  explicit ClientFactory(Backend backend) : backend_(backend) {
    if (backend_ == Backend::kMosquitto) {
      loop_ = std::make_unique<MosquittoLoop>();
      auto st = loop_->start_thread();
      EXPECT_TRUE(st.ok()) << (st ? "" : st.error().describe());
    }
  }
  ~ClientFactory() {
    clients_.clear();
    if (loop_) loop_->stop();
  }
  Transport& make(MetricsRegistry* metrics = nullptr) {
    if (backend_ == Backend::kMosquitto) {
      MosquittoClientOptions o;
      o.metrics = metrics;
      clients_.push_back(std::make_unique<MosquittoClient>(*loop_, random_, o));
    } else {
#ifdef TW_HAVE_PAHO
      PahoClientOptions o;
      o.metrics = metrics;
      clients_.push_back(std::make_unique<PahoClient>(o));
#endif
    }
    return *clients_.back();
  }
  // Destroys one client now (its destructor disconnects cleanly).
  void destroy(Transport& t) {
    for (auto it = clients_.begin(); it != clients_.end(); ++it) {
      if (it->get() == &t) {
        clients_.erase(it);
        return;
      }
    }
  }
  MosquittoLoop* loop() { return loop_.get(); }

 private:
  Backend backend_;
  SeededRandom random_{7};
  std::unique_ptr<MosquittoLoop> loop_;
  std::vector<TransportPtr> clients_;
};

inline ConnectOptions options_for(int port, const std::string& client_id) {
  ConnectOptions o;
  o.host = "127.0.0.1";
  o.port = port;
  o.client_id = client_id;
  o.keepalive_s = 10;
  o.reconnect_min_ms = 50;
  o.reconnect_max_ms = 500;
  return o;
}

inline std::string temp_dir_for_test() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string name = std::string(info->test_suite_name()) + "-" + info->name();
  for (char& c : name) {
    if (c == '/') c = '_';
  }
  auto dir = std::filesystem::temp_directory_path() / ("tw-transport-" + std::to_string(::getpid())) / name;
  std::filesystem::create_directories(dir);
  return dir.string();
}

inline process::LocalBrokerPtr start_broker(const std::string& dir, int port = 0) {
  process::LocalBroker::Options o;
  o.work_dir = dir;
  o.port = port;
  auto b = process::LocalBroker::start(o);
  EXPECT_TRUE(b.ok()) << (b ? "" : b.error().describe());
  return b ? std::move(*b) : nullptr;
}

// Publishes a probe on `probe_topic` through `publisher` every ~100 ms until `recorder`
// has seen one: from then on the subscription covering it is live at the broker.
inline bool wait_subscribed(Transport& publisher, const Recorder& recorder, const std::string& probe_topic,
                            int64_t timeout_ms = 5000) {
  int polls = 0;
  return wait_until(
      [&] {
        if (recorder.got(probe_topic)) return true;
        if (polls++ % 20 == 0) (void)publisher.publish({probe_topic, "probe", 0, false});
        return false;
      },
      timeout_ms);
}

// A real broker plus everything a test's clients report into. Member order matters:
// clients are destroyed first, so no handler ever writes into a dead recorder or probe,
// and no loopback server vanishes under a live client.
class BrokerFixture : public ::testing::Test {
 protected:
  explicit BrokerFixture(Backend backend) : clients_(backend), reference_(Backend::kMosquitto) {}
  void SetUp() override {
    dir_ = temp_dir_for_test();
    broker_ = start_broker(dir_);
    ASSERT_NE(broker_, nullptr);
  }
  Recorder& recorder() { return recorders_.emplace_back(); }
  DoneProbe& probe() { return probes_.emplace_back(); }
  LoopbackServer& proxy_to(int port) { return keep(LoopbackServer::proxy_to(port)); }
  LoopbackServer& silent_broker() { return keep(LoopbackServer::silent_broker()); }
  // A client of the backend under test, connected straight to the broker (up edge seen).
  Transport& connected_client(Recorder& rec, const std::string& id) { return connect_new(clients_, rec, id); }
  // A mosquitto client for watching what the broker does (wills, markers), so a test
  // exercises only its own backend on the side that matters.
  Transport& observer(Recorder& rec, const std::string& filter) {
    Transport& t = reference_.make();
    EXPECT_TRUE(t.subscribe(filter, 1));
    connect_new(reference_, rec, "observer", &t);
    return t;
  }

  std::string dir_;
  process::LocalBrokerPtr broker_;
  MetricsRegistry metrics_;
  std::deque<Recorder> recorders_;
  std::deque<DoneProbe> probes_;
  std::vector<std::unique_ptr<LoopbackServer>> servers_;
  ClientFactory clients_;
  ClientFactory reference_;

 private:
  LoopbackServer& keep(std::unique_ptr<LoopbackServer> s) {
    EXPECT_NE(s, nullptr) << "cannot listen on loopback";
    servers_.push_back(std::move(s));
    return *servers_.back();
  }
  Transport& connect_new(ClientFactory& f, Recorder& rec, const std::string& id, Transport* existing = nullptr) {
    Transport& t = existing ? *existing : f.make();
    rec.attach(t);
    EXPECT_TRUE(t.connect(options_for(broker_->port(), id)));
    EXPECT_TRUE(wait_until([&] { return t.is_connected() && rec.ups() == 1; }, 10000)) << id << " did not connect";
    return t;
  }
};

}  // namespace tidewire::transport::testing
