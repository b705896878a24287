#include "throwaway_ca.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <fstream>

#include "process.hpp"

namespace tidewire::process {
namespace {

std::string find_openssl() {
  for (const char* p : {"/usr/bin/openssl", "/usr/local/bin/openssl"}) {
    if (::access(p, X_OK) == 0) return p;
  }
  return "";
}

Status run(const std::vector<std::string>& argv, const std::string& log) {
  auto child = ChildProcess::spawn(argv, log);
  if (!child) return child.error();
  int status = -1;
  if (!(*child)->wait_exit(30'000, &status)) {
    return make_error(ErrorCode::kTimeout, argv[0] + " " + argv[1] + " did not finish (see " + log + ")");
  }
  if (status != 0) return make_error(ErrorCode::kUnavailable, argv[0] + " " + argv[1] + " failed (see " + log + ")");
  return {};
}

// A key and a certificate request for `subject`, signed by `ca` (or self-signed without).
Expected<CertAndKey> issue(const std::string& dir, const std::string& name, const std::string& subject,
                           const std::string& extensions, const CertAndKey* ca) {
  const std::string openssl = find_openssl();
  if (openssl.empty()) return make_error(ErrorCode::kUnavailable, "openssl not found: install it (scripts/install-deps.sh)");
  CertAndKey out{dir + "/" + name + ".crt", dir + "/" + name + ".key"};
  const std::string log = dir + "/openssl.log";
  std::vector<std::string> req = {openssl, "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                                  "-keyout", out.key, "-subj", subject};
  if (!extensions.empty()) {
    req.push_back("-addext");
    req.push_back(extensions);
  }
  if (!ca) {
    req.insert(req.end(), {"-x509", "-days", "7", "-out", out.cert, "-addext", "basicConstraints=critical,CA:TRUE"});
    if (auto st = run(req, log); !st) return st.error();
  } else {
    const std::string csr = dir + "/" + name + ".csr";
    req.insert(req.end(), {"-out", csr});
    if (auto st = run(req, log); !st) return st.error();
    if (auto st = run({openssl, "x509", "-req", "-in", csr, "-CA", ca->cert, "-CAkey", ca->key, "-CAcreateserial",
                       "-days", "7", "-copy_extensions", "copyall", "-out", out.cert},
                      log);
        !st) {
      return st.error();
    }
    ::unlink(csr.c_str());
  }
  ::chmod(out.key.c_str(), 0600);
  return out;
}

}  // namespace

Expected<ThrowawayCa> ThrowawayCa::make(const std::string& dir) {
  ::mkdir(dir.c_str(), 0700);
  ThrowawayCa ca;
  ca.dir = dir;
  auto root = issue(dir, "ca", "/CN=tidewire throwaway CA", "", nullptr);
  if (!root) return root.error().with_context("throwaway CA");
  ca.ca = *root;
  auto server = issue(dir, "server", "/CN=127.0.0.1", "subjectAltName=IP:127.0.0.1,DNS:localhost", &ca.ca);
  if (!server) return server.error().with_context("throwaway server certificate");
  ca.server = *server;
  return ca;
}

Expected<CertAndKey> ThrowawayCa::client(const std::string& common_name) const {
  std::string file = "client-" + common_name;
  for (char& c : file) {
    if (c == '/' || c == '.') c = '_';
  }
  auto cert = issue(dir, file, "/CN=" + common_name, "", &ca);
  if (!cert) return cert.error().with_context("client certificate for " + common_name);
  return *cert;
}

}  // namespace tidewire::process
