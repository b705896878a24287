#pragma once
// A blocking one-shot HTTP/1.1 client for tests, the simulator and tools: one
// connection per call, the whole exchange bounded by timeout_ms.
#include <cstdint>
#include <string>

#include "http/http.hpp"

namespace tidewire::http {

// Any HTTP status is a value (a 404 is a Response); only failing to get an answer is an
// Error: kUnavailable (connection refused), kTimeout, kMalformed (not HTTP), kIo.
Expected<Response> http_request(const std::string& host, int port, const std::string& method, const std::string& target,
                                const std::string& body = "", int64_t timeout_ms = 5000,
                                const HeaderList& headers = {});

}  // namespace tidewire::http
