// FakeGateway: a scripted HTTP/1.1 server on 127.0.0.1 standing in for etcd's JSON gateway in
// client tests (test-only code). Each request (target, body) goes to the handler, which answers
// with a status and body, silence (never replies) or a closed connection. One connection at a
// time, keep-alive, on its own thread (FakeTcpServer).
#pragma once

#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "harness/client/fake_tcp_server.h"

namespace faultline::harness::etcd {

struct FakeHttpAction {
  enum class Kind { kReply, kSilence, kClose };
  Kind kind = Kind::kReply;
  int status = 200;
  std::string body;
  static FakeHttpAction Reply(int status, std::string body) {
    return {Kind::kReply, status, std::move(body)};
  }
  static FakeHttpAction Silence() { return {Kind::kSilence, 0, {}}; }
  static FakeHttpAction Close() { return {Kind::kClose, 0, {}}; }
};

class FakeGateway {
 public:
  using Handler = std::function<FakeHttpAction(const std::string& target, const std::string& body)>;
  explicit FakeGateway(Handler handler);
  int port() const { return server_.port(); }
  // "<target> <body>" of every request so far, in order.
  std::vector<std::string> requests() const;
  int connections() const { return server_.connections(); }

 private:
  FakeTcpServer::Session NewSession();
  Handler handler_;
  mutable std::mutex mu_;
  std::vector<std::string> requests_;
  FakeTcpServer server_;  // last: its thread stops before the members above die
};

}  // namespace faultline::harness::etcd
