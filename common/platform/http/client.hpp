#pragma once
// A blocking HTTP/1.1 client for tests, the simulator and tools. http_request() opens
// one connection per call; Connection keeps one open across calls (keep-alive), as a
// real API client does, so load tools measure the server rather than TCP set-up.
// Every exchange is bounded by timeout_ms. Both speak HTTPS when given a ClientTls.
#include <cstdint>
#include <memory>
#include <string>

#include "http/http.hpp"

namespace tidewire::http {

// HTTPS: trust only the CA in ca_file (PEM), and require the server's certificate to
// name the host dialled (its DNS name, or for an address such as 127.0.0.1 an IP entry
// in its subjectAltName). TLS 1.2 at least. An empty ca_file means plain HTTP.
struct ClientTls {
  std::string ca_file;
};

// Any HTTP status is a value (a 404 is a Response); only failing to get an answer is an
// Error: kUnavailable (connection refused; with reason "tls_handshake", a TLS handshake
// that failed, such as a certificate the CA did not sign), kTimeout, kMalformed (not
// HTTP), kIo; kInvalidArgument when the CA file does not load.
Expected<Response> http_request(const std::string& host, int port, const std::string& method, const std::string& target,
                                const std::string& body = "", int64_t timeout_ms = 5000,
                                const HeaderList& headers = {});
Expected<Response> http_request(const ClientTls& tls, const std::string& host, int port, const std::string& method,
                                const std::string& target, const std::string& body = "", int64_t timeout_ms = 5000,
                                const HeaderList& headers = {});

// One kept-alive connection to host:port; not thread-safe (one per client thread). A
// request on a connection the server has meanwhile closed (idle timeout, restart) is
// sent again once on a fresh connection, so callers should send only requests that are
// safe to repeat (reads, PUTs, POSTs with an Idempotency-Key). Errors as http_request().
class Connection {
 public:
  Connection(std::string host, int port, ClientTls tls = {});
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  Expected<Response> request(const std::string& method, const std::string& target, const std::string& body = "",
                             int64_t timeout_ms = 5000, const HeaderList& headers = {});
  uint64_t connects() const;  // TCP connections opened so far (TLS handshakes too, with TLS)

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace tidewire::http
