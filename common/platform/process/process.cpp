#include "process.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <thread>

namespace tidewire::process {
namespace {

int64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

sockaddr_in loopback(int port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}

}  // namespace

Expected<int> free_loopback_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return make_error(ErrorCode::kIo, "socket() failed");
  sockaddr_in a = loopback(0);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return make_error(ErrorCode::kIo, "bind 127.0.0.1:0 failed");
  }
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return static_cast<int>(ntohs(a.sin_port));
}

bool port_accepts(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in a = loopback(port);
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  ::close(fd);
  return ok;
}

bool wait_until(const std::function<bool()>& ready, int64_t timeout_ms) {
  int64_t deadline = now_ms() + timeout_ms;
  while (true) {
    if (ready()) return true;
    if (now_ms() >= deadline) return false;
    // Polling interval, not a wait for an event: the condition is re-checked each time.
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

Expected<std::unique_ptr<ChildProcess>> ChildProcess::spawn(const std::vector<std::string>& argv,
                                                            const std::string& log_path) {
  if (argv.empty()) return make_error(ErrorCode::kInvalidArgument, "empty argv");
  int log_fd = -1;
  if (!log_path.empty()) {
    log_fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (log_fd < 0) return make_error(ErrorCode::kIo, "cannot open log " + log_path);
  }
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t child = ::fork();
  if (child < 0) {
    if (log_fd >= 0) ::close(log_fd);
    return make_error(ErrorCode::kIo, "fork failed");
  }
  if (child == 0) {
    if (log_fd >= 0) {
      ::dup2(log_fd, 1);
      ::dup2(log_fd, 2);
    }
    int devnull = ::open("/dev/null", O_RDONLY);
    if (devnull >= 0) ::dup2(devnull, 0);
    // Sockets the parent holds without CLOEXEC (libmosquitto's) must not leak into a
    // broker we start: they would keep connections half-open across a restart.
    ::close_range(3, ~0U, 0);
    ::setpgid(0, 0);  // own process group: a Ctrl-C to the parent's group is ours to forward
    // If the parent dies without stopping us (kill -9), do not linger as an orphan.
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  if (log_fd >= 0) ::close(log_fd);
  return std::unique_ptr<ChildProcess>(new ChildProcess(child));
}

ChildProcess::~ChildProcess() {
  if (!reaped_) terminate(5000);
}

bool ChildProcess::wait_exit(int64_t timeout_ms, int* status) {
  int64_t deadline = now_ms() + timeout_ms;
  while (!reaped_) {
    int st = 0;
    pid_t r = ::waitpid(pid_, &st, WNOHANG);
    if (r == pid_) {
      reaped_ = true;
      status_ = WIFEXITED(st) ? WEXITSTATUS(st) : -WTERMSIG(st);
      break;
    }
    if (r < 0) {
      reaped_ = true;
      break;
    }
    if (now_ms() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  if (status) *status = status_;
  return true;
}

bool ChildProcess::running() { return !wait_exit(0); }

int ChildProcess::terminate(int64_t timeout_ms) {
  if (reaped_) return status_;
  ::kill(pid_, SIGTERM);
  if (!wait_exit(timeout_ms)) {
    ::kill(pid_, SIGKILL);
    wait_exit(10'000);
  }
  return status_;
}

void ChildProcess::kill9() {
  if (reaped_) return;
  ::kill(pid_, SIGKILL);
  wait_exit(10'000);
}

std::string find_mosquitto() {
  for (const char* p : {"/usr/sbin/mosquitto", "/usr/bin/mosquitto", "/usr/local/sbin/mosquitto"}) {
    if (::access(p, X_OK) == 0) return p;
  }
  return "";
}

Expected<std::unique_ptr<LocalBroker>> LocalBroker::start(const Options& options) {
  std::unique_ptr<LocalBroker> b(new LocalBroker());
  b->options_ = options;
  if (b->options_.mosquitto_path.empty()) b->options_.mosquitto_path = find_mosquitto();
  if (b->options_.mosquitto_path.empty()) {
    return make_error(ErrorCode::kUnavailable, "mosquitto not found: install it (scripts/install-deps.sh)");
  }
  if (options.password_file.empty() != options.acl_file.empty()) {
    return make_error(ErrorCode::kInvalidArgument, "a locked broker needs both a password file and an acl file");
  }
  ::mkdir(options.work_dir.c_str(), 0755);
  // A port found free can be taken by someone else before mosquitto binds it: retry.
  for (int attempt = 0; attempt < 5; ++attempt) {
    if (options.port != 0) b->port_ = options.port;
    else {
      auto p = free_loopback_port();
      if (!p) return p.error();
      b->port_ = *p;
    }
    auto st = b->launch();
    if (st) return b;
    if (options.port != 0 || attempt == 4) return st.error();
  }
  return make_error(ErrorCode::kUnavailable, "could not start mosquitto");
}

Status LocalBroker::launch() {
  config_path_ = options_.work_dir + "/mosquitto-" + std::to_string(port_) + ".conf";
  log_path_ = options_.work_dir + "/mosquitto-" + std::to_string(port_) + ".log";
  {
    std::ofstream conf(config_path_);
    conf << "# generated by tidewire\n"
         << "listener " << port_ << " 127.0.0.1\n";
    if (!options_.tls_cert_file.empty()) {
      conf << "cafile " << options_.tls_ca_file << "\n"
           << "certfile " << options_.tls_cert_file << "\n"
           << "keyfile " << options_.tls_key_file << "\n"
           << "tls_version tlsv1.2\n";
      if (options_.require_client_certificate) {
        conf << "require_certificate true\n"
             << "use_identity_as_username true\n";
      }
    }
    // Started as root (CI), mosquitto would switch to the "mosquitto" user, who cannot
    // read the 0600/0640 keys, password and acl files we wrote: it stays who started it.
    if (::geteuid() == 0) conf << "user root\n";
    conf << (locked() ? "allow_anonymous false\npassword_file " + options_.password_file + "\nacl_file " +
                            options_.acl_file + "\n"
                      : std::string("allow_anonymous true\n"))
         << "set_tcp_nodelay true\n"  // no 40 ms Nagle stalls towards clients (docs/decisions.md)
         << "persistence false\n"
         << "max_inflight_messages " << options_.max_inflight_messages << "\n"
         << "max_queued_messages " << options_.max_queued_messages << "\n"
         << "max_connections -1\n"
         << "log_dest stderr\n"
         << "log_type error\nlog_type warning\n"
         << options_.extra_config << "\n";
  }
  auto child = ChildProcess::spawn({options_.mosquitto_path, "-c", config_path_}, log_path_);
  if (!child) return child.error();
  child_ = std::move(*child);
  bool up = wait_until([&] { return port_accepts(port_) || !child_->running(); }, 10'000);
  if (!up || !child_->running()) {
    child_.reset();
    return make_error(ErrorCode::kUnavailable,
                      "mosquitto did not start on port " + std::to_string(port_) + " (see " + log_path_ + ")");
  }
  return {};
}

LocalBroker::~LocalBroker() {
  if (child_) child_->terminate(5000);
}

Status LocalBroker::restart() {
  if (child_) child_->terminate(5000);
  child_.reset();
  return start_again();
}

void LocalBroker::kill9() {
  if (child_) child_->kill9();
  child_.reset();
}

Status LocalBroker::reload() {
  if (!child_ || !child_->running()) return make_error(ErrorCode::kUnavailable, "broker is not running");
  if (::kill(child_->pid(), SIGHUP) != 0) return make_error(ErrorCode::kIo, "cannot signal the broker");
  return {};
}

Status LocalBroker::start_again() {
  // The old socket may linger briefly; mosquitto sets SO_REUSEADDR, but retry anyway.
  Status st;
  for (int i = 0; i < 20; ++i) {
    st = launch();
    if (st) return st;
  }
  return st;
}

}  // namespace tidewire::process
