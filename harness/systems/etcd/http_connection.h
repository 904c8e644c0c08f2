// HttpConnection: one blocking HTTP/1.1 keep-alive connection that POSTs JSON, with a deadline on
// every call (connect included). Boost.Beast stays behind a pimpl so this header is cheap.
//
// Like RespConnection (harness/client/resp_connection.h), every Post() says whether the request
// may have reached the server, because that decides an op's outcome: nothing sent -> it certainly
// did not happen; sent and then timeout / connection lost / unparsable reply -> unknown. A request
// written on a reused keep-alive connection that the server had already closed is also "maybe
// sent": the client cannot tell, so it never guesses.
//
// After any transport failure the connection is closed (a late reply must never be read as the
// answer to the next request); the next Post() reconnects.
//
// Thread-safety: one thread at a time.
#pragma once

#include <chrono>
#include <memory>
#include <string>

namespace faultline::harness::etcd {

struct HttpResult {
  enum class Kind {
    kReply,          // status and body hold the server's answer (any HTTP status)
    kNotSent,        // connect failed or was refused: no byte of the request left
    kTimeout,        // sent (maybe partially), no complete reply before the deadline
    kLostAfterSend,  // sent (maybe partially), then the connection broke or spoke garbage
  };
  Kind kind = Kind::kNotSent;
  int status = 0;     // HTTP status when kReply
  std::string body;   // response body when kReply
  std::string error;  // transport error text otherwise
};

class HttpConnection {
 public:
  HttpConnection(std::string host, int port);
  ~HttpConnection();
  HttpConnection(const HttpConnection&) = delete;
  HttpConnection& operator=(const HttpConnection&) = delete;

  // POST `body` (Content-Type: application/json) to `target` ("/v3/kv/range") and wait for the
  // whole response until `timeout` has elapsed.
  HttpResult Post(const std::string& target, const std::string& body,
                  std::chrono::milliseconds timeout);
  void Close();
  bool connected() const;
  const std::string& host() const { return host_; }
  int port() const { return port_; }

 private:
  class Impl;
  std::string host_;
  int port_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace faultline::harness::etcd
