// A tiny blocking RESP client for e2e tests and the benchmark. Not for production: one socket,
// synchronous calls, a per-call timeout.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"
#include "server/net/resp.h"

namespace zabd::testing {

class RespClient {
 public:
  RespClient() = default;
  ~RespClient();
  RespClient(const RespClient&) = delete;
  RespClient& operator=(const RespClient&) = delete;
  RespClient(RespClient&& other) noexcept;
  RespClient& operator=(RespClient&& other) noexcept;

  // Connects to host:port (IPv4 literal). timeout_ms bounds the connect and every later call.
  faultline::Status Connect(const std::string& host, uint16_t port, int timeout_ms = 5000);
  bool connected() const { return fd_ >= 0; }
  void Close();

  // Sends one command and waits for its reply. A transport error or timeout closes the socket
  // and returns a non-ok Status (the op's outcome is then unknown).
  faultline::Result<RespValue> Call(const std::vector<std::string>& args);
  // Sends raw bytes (for malformed-input tests) and reads one reply.
  faultline::Status SendRaw(const std::string& bytes);
  faultline::Result<RespValue> ReadReply();
  // True once the server closed the connection (reads EOF within the timeout).
  bool ReadsEof();
  // Pipelining: sends `bytes` (many requests) while reading, in one thread (poll), until
  // `replies` replies are decoded. Error if the connection breaks or no progress within the
  // timeout.
  faultline::Result<std::vector<RespValue>> Pipeline(const std::string& bytes, std::size_t replies);

 private:
  int fd_ = -1;
  std::string buffer_;
};

}  // namespace zabd::testing
