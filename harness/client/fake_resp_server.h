// FakeRespServer: a scripted RESP server on 127.0.0.1 for client tests (test-only code).
// Each request's args go to the handler, which answers with a reply, silence (never replies) or
// a closed connection. Serves one connection at a time on its own thread.
#pragma once

#include <atomic>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

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
  ~FakeRespServer();
  int port() const { return port_; }
  // Every request seen so far (args joined by spaces), in order.
  std::vector<std::string> requests() const;
  int connections() const { return connections_; }

 private:
  void Serve();
  Handler handler_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> connections_{0};
  mutable std::mutex mu_;
  std::vector<std::string> requests_;
  std::thread thread_;
};

}  // namespace faultline::harness
