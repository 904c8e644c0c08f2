// FakeTcpServer: the socket half of the scripted servers that client tests talk to (test-only
// code): listens on 127.0.0.1 (a free port), serves one connection at a time on its own thread,
// and hands each connection's bytes, as they arrive, to a Session made for that connection.
// A Session returns the bytes to write back ("" = stay silent) or nullopt to close the connection.
// FakeRespServer (RESP) and the etcd FakeGateway (HTTP) are sessions over it.
#pragma once

#include <atomic>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

namespace faultline::harness {

class FakeTcpServer {
 public:
  using Session = std::function<std::optional<std::string>(std::string_view bytes)>;
  explicit FakeTcpServer(std::function<Session()> new_session);
  ~FakeTcpServer();  // stops serving (within ~20 ms) and closes everything
  FakeTcpServer(const FakeTcpServer&) = delete;
  FakeTcpServer& operator=(const FakeTcpServer&) = delete;
  int port() const { return port_; }
  int connections() const { return connections_; }  // accepted so far

 private:
  void Serve();
  std::function<Session()> new_session_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> connections_{0};
  std::thread thread_;
};

}  // namespace faultline::harness
