// HttpServer: a small HTTP/1.1 server (Boost.Beast behind a pimpl: this header includes no Boost)
// that answers GET and HEAD requests with whatever a Handler returns. Made for `faultline serve`
// and built to survive clients that misbehave:
//   - a request must arrive whole within `request_timeout` (half-sent requests are dropped);
//   - request headers larger than `header_limit` get 431, bodies larger than `body_limit` 413,
//     anything that does not parse as HTTP/1.x 400, other methods 405; the connection then closes;
//   - at most `max_connections` connections at once: the next ones get a 503 and are closed;
//   - a handler that throws answers 500 (the server keeps serving).
// Handlers run on the server's threads (`threads` of them), so they must be thread-safe.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "common/status.h"

namespace faultline::harness::serve {

struct HttpRequest {
  std::string method;  // GET | HEAD
  std::string target;  // as sent: "/runs/3/report.html?x=1"
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "text/html; charset=utf-8";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // extra (Location, ...)
};

using HttpHandler = std::function<HttpResponse(const HttpRequest&)>;

struct HttpServerOptions {
  std::string bind = "127.0.0.1";
  uint16_t port = 8077;  // 0: any free port (see HttpServer::port)
  int threads = 2;
  size_t max_connections = 64;
  std::chrono::milliseconds request_timeout{10000};
  size_t header_limit = 16 * 1024;
  size_t body_limit = 64 * 1024;
};

class HttpServer {
 public:
  // Binds and listens (an error names the address), then serves on its own threads.
  static Result<std::unique_ptr<HttpServer>> Start(const HttpServerOptions& options,
                                                   HttpHandler handler);
  ~HttpServer();  // Stop() and join
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  uint16_t port() const;  // the bound port
  void Stop();            // stops accepting, closes connections; idempotent

  struct Impl;  // opaque (http_server.cc)

 private:
  explicit HttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace faultline::harness::serve
