#include "http/server.hpp"

#include "http/server_session.hpp"

namespace tidewire::http {

// Plain HTTP: the first request is read at once, and a connection ends with a close.
template <>
void Session<beast::tcp_stream>::begin() {
  read_header();
}

template <>
void Session<beast::tcp_stream>::finish() {
  close();
}

void serve_plain(tcp::socket&& socket, Server::Impl& server) {
  std::make_shared<Session<beast::tcp_stream>>(server, std::move(socket))->start();
}

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
    } else if (tls) {
      serve_tls(std::move(socket), *this);
    } else {
      serve_plain(std::move(socket), *this);
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

bool Server::tls() const {
  return impl_->tls != nullptr;
}

Status check_tls_files(const std::string& cert_file, const std::string& key_file) {
  if (auto loaded = load_tls_context(cert_file, key_file); !loaded) return loaded.error();
  return {};
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
  if (!options.tls_cert_file.empty() || !options.tls_key_file.empty()) {
    auto tls = load_tls_context(options.tls_cert_file, options.tls_key_file);
    if (!tls) return tls.error();
    impl->tls = std::move(*tls);
  }
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
