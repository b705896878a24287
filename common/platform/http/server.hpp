#pragma once
// A small HTTP/1.1 server (Boost.Beast underneath): keep-alive, a body limit answered
// with 413, per-read timeouts so a peer that stalls mid-request is dropped instead of
// holding a connection forever, a bounded number of connections, and N threads running
// handlers. Handlers run on a server thread and may block briefly (a SQLite read); a
// slow handler delays only the requests queued behind it on that thread.
//
// HTTPS when ServerOptions names a certificate and key (OpenSSL underneath; TLS 1.2 or
// later, no compression, no renegotiation): every connection first completes a TLS
// handshake within read_timeout_ms, then is served exactly as a plain one, with the
// same limits. The files are read once, at start(): a new certificate needs a restart.
//
// Metrics (when a registry is given), all labelled server="<name>":
//   tw_http_requests_total{method,route,status}  tw_http_request_duration_ms{route}
//   tw_http_connections (gauge)  tw_http_rejects_total{reason}
//   reasons: body_too_large, header_too_large, bad_request, timeout, too_many_connections,
//            tls_handshake (HTTPS only: the peer did not complete the handshake within
//            the read timeout, spoke something other than TLS, such as plain HTTP, or
//            refused the certificate; a peer that just closes is not counted)
#include <cstdint>
#include <memory>
#include <string>

#include "http/router.hpp"
#include "tidewire/common/expected.hpp"
#include "tidewire/common/metrics.hpp"

namespace tidewire::http {

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 0;  // 0 = an ephemeral port; Server::port() says which
  int threads = 2;
  size_t max_body_bytes = 1024 * 1024;
  size_t max_header_bytes = 16 * 1024;
  // Time allowed to receive one whole request (headers and body) once it has started,
  // and to write one response.
  int64_t read_timeout_ms = 10'000;
  int64_t write_timeout_ms = 10'000;
  // Time a kept-alive connection may sit idle between requests.
  int64_t idle_timeout_ms = 30'000;
  int max_connections = 1024;
  // HTTPS: PEM files of the server's certificate (its chain may follow it in the same
  // file) and its private key. Both empty = plain HTTP; one without the other, or files
  // that do not load or do not match, fail start().
  std::string tls_cert_file;
  std::string tls_key_file;
  std::string name = "http";           // metrics label and log component
  MetricsRegistry* metrics = nullptr;  // optional; must outlive the server
};

class Server {
 public:
  // Binds, listens and starts the threads. Fails with a message naming host:port when
  // the address is in use or invalid.
  static Expected<std::unique_ptr<Server>> start(const ServerOptions& options, Router router);
  ~Server();  // stop()
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  int port() const;
  bool tls() const;  // serving HTTPS
  // Stops accepting and serving and joins the threads; requests whose handler is running
  // finish first. Idempotent. Idle kept-alive connections stay open (unserved) until the
  // Server is destroyed, which closes them.
  void stop();

  struct Impl;

 private:
  explicit Server(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};
using ServerPtr = std::unique_ptr<Server>;

// Loads a certificate and key as start() would, without listening, so a program can
// check its options before it opens anything else. kInvalidArgument naming the file.
Status check_tls_files(const std::string& cert_file, const std::string& key_file);

}  // namespace tidewire::http
