// One device on one board. Everything the session does runs on the MosquittoLoop's thread
// (transport handlers, the tick timer, start and stop); the calling thread only parses
// options, waits for SIGTERM/SIGINT and tears down in order.
//
// On SIGTERM: publish Presence{online=false} (a clean DISCONNECT suppresses the will, so
// the agent says it itself), wait up to --shutdown-grace-ms for its PUBACK and for
// in-flight events, DISCONNECT, close the outbox (SQLite checkpoints its WAL), exit 0.
// Unacked events stay in the outbox for the next start.
#include "agent_process.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <future>
#include <iostream>
#include <sstream>

#include "board/board_hal.hpp"
#include "sqlite/sqlite_outbox.hpp"
#include "tidewire/common/clock.hpp"
#include "tidewire/common/log.hpp"
#include "tidewire/common/metrics.hpp"
#include "tidewire/common/random.hpp"
#include "tidewire/common/shutdown.hpp"
#include "tidewire/firmware/device_session.hpp"
#include "tidewire/transport/mosquitto_client.hpp"
#include "tidewire/transport/mosquitto_loop.hpp"

namespace tw = tidewire;
namespace fw = tidewire::firmware;

namespace {

constexpr const char* kLog = "agent";

// mkdir -p, without <filesystem> (it costs the board binary more than this does).
tw::Status make_dirs(const std::string& path) {
  for (size_t i = 1; i <= path.size(); ++i) {
    if (i != path.size() && path[i] != '/') continue;
    std::string part = path.substr(0, i);
    if (::mkdir(part.c_str(), 0750) != 0 && errno != EEXIST)
      return tw::make_error(tw::ErrorCode::kIo, "cannot create " + part + ": " + std::strerror(errno));
  }
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
    return tw::make_error(tw::ErrorCode::kIo, path + " is not a directory");
  return {};
}

std::string counters_line(const tw::MetricsRegistry& m) {
  std::ostringstream os;
  os << " published=" << m.counter_total("tw_agent_published_total")
     << " resent=" << m.counter_total("tw_agent_resent_total")
     << " deferred=" << m.counter_total("tw_agent_publish_deferred_total")
     << " rejects=" << m.counter_total("tw_agent_rejects_total")
     << " commands=" << m.counter_total("tw_agent_commands_total")
     << " connections=" << m.counter_total("tw_agent_connections_total");
  return os.str();
}

}  // namespace

int fw::run_agent(int argc, char** argv, const AgentBuild& build) {
  auto fail = [&](int code, const std::string& message) {
    std::cerr << build.program << ": " << message << "\n";
    return code;
  };
  const std::string see_help = "\n(run " + build.program + " --help for the options)";
  tw::Config config = fw::make_agent_config(build);
  auto parsed = config.parse(argc, argv);
  if (!parsed) return fail(2, parsed.error().message + see_help);
  if (!*parsed) {
    std::cout << config.usage();
    return 0;
  }
  auto options = fw::agent_options_from(config, build);
  if (!options) return fail(2, options.error().message + see_help);
  fw::AgentOptions& opts = *options;
  tw::log::set_level(opts.log_level);
  tw::install_shutdown_handlers();

  if (auto st = make_dirs(opts.state_dir); !st)
    return fail(1, "state dir: " + st.error().message + " (set --state-dir to a writable directory)");

  tw::SystemClock clock;
  tw::RandomPtr random = opts.seed ? std::make_shared<tw::SeededRandom>(opts.seed) : tw::make_os_seeded_random();
  tw::MetricsRegistry metrics;

  auto outbox = fw::SqliteOutbox::open(opts.state_dir + "/outbox.db", opts.outbox, clock, metrics);
  if (!outbox) return fail(1, outbox.error().describe() + " (is --state-dir writable and on a healthy disk?)");

  fw::DeviceHalPtr hal = opts.extra_hal
                             ? opts.extra_hal(opts.session.address.kind, clock, *random)
                             : fw::board::make_board_hal(opts.session.address.kind, opts.board, clock, metrics);
  if (!hal) return fail(2, "no HAL for this role");

  tw::transport::MosquittoLoop::Options loop_options;
  loop_options.metrics = &metrics;
  tw::transport::MosquittoLoop loop(loop_options);
  tw::transport::MosquittoClientOptions client_options;
  client_options.metrics = &metrics;
  auto client = std::make_unique<tw::transport::MosquittoClient>(loop, *random, client_options);

  opts.session.boot_id = fw::make_boot_id(*random);
  auto session = fw::DeviceSession::create(opts.session, {*client, **outbox, *hal, clock, *random, metrics});
  if (!session) return fail(2, session.error().message);

  if (auto st = loop.start_thread(); !st) return fail(1, "event loop: " + st.error().describe());

  tw::transport::MosquittoLoop::TimerId tick_timer = 0, summary_timer = 0;
  (void)loop.post([&] {
    (void)(*session)->start();
    tick_timer = loop.every(opts.tick_ms, [&] { (*session)->tick(); });
    if (opts.metrics_log_interval_s > 0) {
      summary_timer = loop.every(opts.metrics_log_interval_s * 1000,
                                 [&] { TW_INFO(kLog, (*session)->summary() << counters_line(metrics)); });
    }
  });

  tw::wait_for_shutdown();
  TW_INFO(kLog, "shutdown requested; stopping");

  // The whole stop runs on the loop thread, where the session lives; the session is
  // destroyed there too, so no handler can reach it afterwards.
  std::promise<void> stopped;
  int64_t deadline = clock.steady_ms() + opts.shutdown_grace_ms;
  tw::transport::MosquittoLoop::TimerId check_timer = 0;
  bool finished = false;
  auto posted = loop.post([&] {
    (*session)->begin_shutdown();
    check_timer = loop.every(20, [&] {
      if (finished) return;
      bool settled = (*session)->shutdown_settled();
      if (!settled && clock.steady_ms() < deadline) return;
      finished = true;
      if (!settled) TW_WARN(kLog, "shutdown grace of " << opts.shutdown_grace_ms << " ms over; disconnecting anyway");
      loop.cancel(check_timer);
      loop.cancel(tick_timer);
      if (summary_timer) loop.cancel(summary_timer);
      (*session)->finish_shutdown();
      TW_INFO(kLog, (*session)->summary() << counters_line(metrics));
      session->reset();
      stopped.set_value();
    });
  });
  int code = 0;
  if (!posted || stopped.get_future().wait_for(std::chrono::milliseconds(opts.shutdown_grace_ms + 5000)) !=
                     std::future_status::ready) {
    TW_ERROR(kLog, "event loop did not stop in time; exiting without a clean disconnect");
    code = 1;
  }
  client.reset();  // while the loop still runs: it closes the socket
  loop.stop();
  outbox->reset();
  TW_INFO(kLog, "stopped");
  return code;
}
