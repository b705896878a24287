#include "http/server.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cctype>
#include <chrono>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "tidewire/common/log.hpp"

namespace tidewire::http {

namespace beast = boost::beast;
namespace bhttp = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

struct Server::Impl {
  Impl(const ServerOptions& o, Router r) : options(o), router(std::move(r)), ioc(std::max(1, o.threads)) {}

  void accept();
  void count_reject(const char* reason) {
    if (options.metrics) {
      options.metrics
          ->counter("tw_http_rejects_total", "HTTP requests or connections refused, by reason",
                    {{"server", options.name}, {"reason", reason}})
          .inc();
    }
  }
  void count_request(const std::string& method, const std::string& route, int status, double ms) {
    if (!options.metrics) return;
    options.metrics
        ->counter("tw_http_requests_total", "HTTP requests answered, by route and status",
                  {{"server", options.name}, {"method", method}, {"route", route}, {"status", std::to_string(status)}})
        .inc();
    options.metrics
        ->histogram("tw_http_request_duration_ms", "Time from request received to response ready", default_ms_buckets(),
                    {{"server", options.name}, {"route", route}})
        .observe(ms);
  }
  void connection_delta(int d) {
    int now = connections.fetch_add(d) + d;
    if (options.metrics) {
      options.metrics->gauge("tw_http_connections", "Open HTTP connections", {{"server", options.name}}).set(now);
    }
  }

  // Declared before the io_context: sessions destroyed with it still touch these.
  ServerOptions options;
  Router router;
  std::atomic<int> connections{0};
  std::atomic<bool> stopping{false};
  int port = 0;
  std::mutex stop_mu;
  bool stopped = false;

  net::io_context ioc;
  tcp::acceptor acceptor{net::make_strand(ioc)};
  net::steady_timer accept_retry{acceptor.get_executor()};
  std::vector<std::thread> threads;
};

namespace {

using Millis = std::chrono::milliseconds;

// One connection: read a request, run its handler, write the answer, repeat while the
// client keeps the connection alive. Every read and write has a deadline.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket&& socket, Server::Impl& server) : stream_(std::move(socket)), server_(server) {
    server_.connection_delta(+1);
  }
  ~Session() { server_.connection_delta(-1); }
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  void start() {
    net::dispatch(stream_.get_executor(), beast::bind_front_handler(&Session::read_header, shared_from_this()));
  }

 private:
  const ServerOptions& options() const { return server_.options; }

  void read_header() {
    parser_.emplace();
    parser_->body_limit(options().max_body_bytes);
    parser_->header_limit(static_cast<uint32_t>(std::min<size_t>(options().max_header_bytes, UINT32_MAX)));
    stream_.expires_after(Millis(served_ == 0 ? options().read_timeout_ms : options().idle_timeout_ms));
    bhttp::async_read_header(stream_, buffer_, *parser_,
                             beast::bind_front_handler(&Session::on_header, shared_from_this()));
  }

  void on_header(beast::error_code ec, size_t) {
    if (ec) return on_read_error(ec);
    started_ = std::chrono::steady_clock::now();
    // A client that waits for "100 Continue" before sending the body gets it only once
    // the headers passed the limits above.
    if (beast::iequals(parser_->get()[bhttp::field::expect], "100-continue")) {
      continue_.emplace(bhttp::status::continue_, parser_->get().version());
      stream_.expires_after(Millis(options().write_timeout_ms));
      bhttp::async_write(stream_, *continue_, beast::bind_front_handler(&Session::on_continue, shared_from_this()));
      return;
    }
    read_body();
  }

  void on_continue(beast::error_code ec, size_t) {
    if (ec) return close();
    read_body();
  }

  void read_body() {
    if (parser_->is_done()) return handle();
    stream_.expires_after(Millis(options().read_timeout_ms));
    bhttp::async_read(stream_, buffer_, *parser_, beast::bind_front_handler(&Session::on_body, shared_from_this()));
  }

  void on_body(beast::error_code ec, size_t) {
    if (ec) return on_read_error(ec);
    handle();
  }

  void on_read_error(beast::error_code ec) {
    if (ec == bhttp::error::body_limit) {
      server_.count_reject("body_too_large");
      return reply_and_close(
          error_response(413, "body_too_large",
                         "request body exceeds the limit of " + std::to_string(options().max_body_bytes) + " bytes"));
    }
    if (ec == bhttp::error::header_limit) {
      server_.count_reject("header_too_large");
      return reply_and_close(error_response(431, "header_too_large", "request headers exceed the limit"));
    }
    if (ec == beast::error::timeout) {
      // An idle keep-alive connection timing out is normal; a request that stalled
      // half-way is a peer holding resources, and worth counting.
      if (parser_->got_some()) {
        server_.count_reject("timeout");
        TW_DEBUG(options().name, "dropping a connection that stalled mid-request");
      }
      return close();
    }
    if (ec.category() == bhttp::make_error_code(bhttp::error::bad_target).category() &&
        ec != bhttp::error::end_of_stream && ec != bhttp::error::partial_message) {
      server_.count_reject("bad_request");
      return reply_and_close(error_response(400, "malformed_http", "malformed HTTP request: " + ec.message()));
    }
    close();  // peer closed or reset: nothing to answer
  }

  void handle() {
    auto& msg = parser_->get();
    Request req;
    req.method = std::string(msg.method_string());
    req.target = std::string(msg.target());
    for (const auto& field : msg) {
      std::string name(field.name_string());
      std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
      auto [it, inserted] = req.headers.try_emplace(name, std::string(field.value()));
      if (!inserted) it->second += ", " + std::string(field.value());
    }
    req.body = std::move(msg.body());
    beast::error_code peer_ec;
    auto peer = stream_.socket().remote_endpoint(peer_ec);
    if (!peer_ec) req.remote_address = peer.address().to_string();
    std::string route;
    Response res = server_.router.dispatch(req, route);
    double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started_).count();
    server_.count_request(req.method, route, res.status, ms);
    write(std::move(res), msg.keep_alive() && !server_.stopping.load(), msg.version());
  }

  void write(Response res, bool keep_alive, unsigned version) {
    res_.emplace(static_cast<bhttp::status>(res.status), version);
    res_->set(bhttp::field::server, "tidewire");
    if (!res.content_type.empty()) res_->set(bhttp::field::content_type, res.content_type);
    for (const auto& [name, value] : res.headers) res_->set(name, value);
    res_->body() = std::move(res.body);
    res_->keep_alive(keep_alive);
    res_->prepare_payload();
    stream_.expires_after(Millis(options().write_timeout_ms));
    bhttp::async_write(stream_, *res_, beast::bind_front_handler(&Session::on_write, shared_from_this()));
  }

  void on_write(beast::error_code ec, size_t) {
    if (ec) return close();
    if (closing_) return drain();
    if (!res_->keep_alive()) return close();
    ++served_;
    read_header();
  }

  void reply_and_close(Response res) {
    closing_ = true;
    write(std::move(res), false, parser_->get().version() == 10 ? 10 : 11);
  }

  // After an error reply the client may still be sending its body. Closing with unread
  // bytes makes the kernel send a reset, which can destroy the reply in the client's
  // receive buffer; so stop sending, read and discard for a bounded time, then close.
  void drain() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream_.expires_after(Millis(std::min<int64_t>(options().read_timeout_ms, 2000)));
    stream_.async_read_some(net::buffer(scratch_), beast::bind_front_handler(&Session::on_drain, shared_from_this()));
  }

  void on_drain(beast::error_code ec, size_t n) {
    drained_ += n;
    if (ec || drained_ > 4 * options().max_body_bytes + (1u << 20)) return close();
    stream_.async_read_some(net::buffer(scratch_), beast::bind_front_handler(&Session::on_drain, shared_from_this()));
  }

  void close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.close();
  }

  beast::tcp_stream stream_;
  Server::Impl& server_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  std::optional<bhttp::response<bhttp::empty_body>> continue_;
  std::optional<bhttp::response<bhttp::string_body>> res_;
  std::chrono::steady_clock::time_point started_;
  uint64_t served_ = 0;
  bool closing_ = false;
  size_t drained_ = 0;
  std::array<char, 16 * 1024> scratch_{};
};

}  // namespace

void Server::Impl::accept() {
  acceptor.async_accept(net::make_strand(ioc), [this](beast::error_code ec, tcp::socket socket) {
    if (ec == net::error::operation_aborted || !acceptor.is_open()) return;
    if (ec) {
      // Typically EMFILE: wait a little instead of spinning on the failing accept.
      TW_WARN(options.name, "accept failed: " << ec.message() << "; retrying in 100 ms");
      accept_retry.expires_after(Millis(100));
      accept_retry.async_wait([this](beast::error_code wait_ec) {
        if (!wait_ec) accept();
      });
      return;
    }
    if (connections.load() >= options.max_connections) {
      count_reject("too_many_connections");
      beast::error_code ignored;
      socket.close(ignored);
    } else {
      std::make_shared<Session>(std::move(socket), *this)->start();
    }
    accept();
  });
}

Server::Server(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Server::~Server() {
  stop();
}

int Server::port() const {
  return impl_->port;
}

Expected<std::unique_ptr<Server>> Server::start(const ServerOptions& options, Router router) {
  if (options.threads < 1 || options.threads > 64) {
    return make_error(ErrorCode::kInvalidArgument,
                      "http threads must be 1..64, got " + std::to_string(options.threads));
  }
  if (options.port < 0 || options.port > 65535) {
    return make_error(ErrorCode::kInvalidArgument, "http port must be 0..65535, got " + std::to_string(options.port));
  }
  auto impl = std::make_unique<Impl>(options, std::move(router));
  std::string where = options.host + ":" + std::to_string(options.port);
  beast::error_code ec;
  tcp::resolver resolver(impl->ioc);
  auto endpoints = resolver.resolve(options.host, std::to_string(options.port),
                                    tcp::resolver::passive | tcp::resolver::numeric_service, ec);
  if (ec || endpoints.empty()) {
    return make_error(ErrorCode::kInvalidArgument, "cannot resolve http host '" + options.host + "': " + ec.message() +
                                                       " (use an address such as 127.0.0.1 or 0.0.0.0)");
  }
  tcp::endpoint endpoint = endpoints.begin()->endpoint();
  auto fail = [&](const char* step) {
    return make_error(ErrorCode::kIo, std::string("cannot listen on ") + where + " (" + step + "): " + ec.message() +
                                          " (choose another host/port, or stop what is using it)");
  };
  impl->acceptor.open(endpoint.protocol(), ec);
  if (ec) return fail("open");
  impl->acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (ec) return fail("reuse_address");
  impl->acceptor.bind(endpoint, ec);
  if (ec) return fail("bind");
  impl->acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec) return fail("listen");
  impl->port = impl->acceptor.local_endpoint().port();
  impl->accept();
  for (int i = 0; i < options.threads; ++i) {
    impl->threads.emplace_back([raw = impl.get()] { raw->ioc.run(); });
  }
  return std::unique_ptr<Server>(new Server(std::move(impl)));
}

void Server::stop() {
  if (!impl_) return;
  std::lock_guard lock(impl_->stop_mu);
  if (impl_->stopped) return;
  impl_->stopped = true;
  impl_->stopping = true;
  impl_->ioc.stop();  // run() returns once the handlers now running finish
  for (auto& t : impl_->threads) t.join();
  impl_->threads.clear();
  beast::error_code ignored;
  impl_->acceptor.close(ignored);
}

}  // namespace tidewire::http
