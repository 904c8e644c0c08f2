// RespConnection: one blocking TCP connection speaking RESP, with a deadline on every call.
// Asio stays behind a pimpl so that this header is cheap to include.
//
// Every Call() says whether the request may have reached the server, because that decides the
// op outcome (docs/contracts.md section 1): nothing sent -> the op certainly did not happen;
// sent and then timeout / connection lost -> unknown.
//
// After any transport failure the connection is closed (a late reply must never be read as the
// answer to the next request); the next Call() reconnects.
//
// Thread-safety: one thread at a time (each worker owns its connections).
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "harness/client/resp.h"

namespace faultline::harness {

struct CallResult {
  enum class Kind {
    kReply,          // `reply` holds the server's answer (which may be an error reply)
    kNotSent,        // connect failed / refused before any byte of the request left
    kTimeout,        // sent (maybe partially), no complete reply before the deadline
    kLostAfterSend,  // sent (maybe partially), then the connection broke or spoke garbage
  };
  Kind kind = Kind::kNotSent;
  RespValue reply;
  std::string error;  // transport error text when kind != kReply
};

class RespConnection {
 public:
  RespConnection(std::string host, int port);
  ~RespConnection();
  RespConnection(const RespConnection&) = delete;
  RespConnection& operator=(const RespConnection&) = delete;

  // Sends `args` as one command and waits for one reply until `timeout` elapses (connect time
  // included). If not connected, connects first and then sends `on_connect` commands (each must
  // not be an error reply, else kNotSent: e.g. ZXIDS ON) before `args`.
  CallResult Call(const std::vector<std::string>& args, std::chrono::milliseconds timeout);

  void set_on_connect(std::vector<std::vector<std::string>> commands);
  void Close();
  bool connected() const;
  const std::string& host() const { return host_; }
  int port() const { return port_; }

 private:
  class Impl;
  std::string host_;
  int port_;
  std::vector<std::vector<std::string>> on_connect_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace faultline::harness
