// FakeRespServer: a scripted RESP server on 127.0.0.1 for client tests (test-only code).
// Each request's args go to the handler, which answers with a reply, silence (never replies) or
// a closed connection. Serves one connection at a time on its own thread (FakeTcpServer).
#pragma once

#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "harness/client/fake_tcp_server.h"
#include "harness/client/resp.h"

namespace faultline::harness {

struct FakeAction {
  enum class Kind { kReply, kSilence, kClose };
  Kind kind = Kind::kReply;
  RespValue reply;
  static FakeAction Reply(RespValue v) { return {Kind::kReply, std::move(v)}; }
  static FakeAction Silence() { return {Kind::kSilence, {}}; }
  static FakeAction Close() { return {Kind::kClose, {}}; }
};

class FakeRespServer {
 public:
  using Handler = std::function<FakeAction(const std::vector<std::string>& args)>;
  explicit FakeRespServer(Handler handler);
  int port() const { return server_.port(); }
  // Every request seen so far (args joined by spaces), in order.
  std::vector<std::string> requests() const;
  int connections() const { return server_.connections(); }

 private:
  FakeTcpServer::Session NewSession();
  Handler handler_;
  mutable std::mutex mu_;
  std::vector<std::string> requests_;
  FakeTcpServer server_;  // last: its thread stops before the members above die
};

}  // namespace faultline::harness
