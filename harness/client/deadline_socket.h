// DeadlineSocket: one blocking TCP client socket whose every step (connect, write, read) ends by
// a deadline, shared by the controller's connections (RespConnection for zabd, the etcd JSON
// gateway's HttpConnection). Asio stays behind a pimpl so this header is cheap to include; a .cc
// that runs its own asio/beast operations on the socket includes deadline_socket_asio.h.
//
// How a deadline works: the caller starts one async operation on socket(), then RunUntil(deadline)
// runs it; when the deadline passes first, the socket is closed (which cancels the operation; its
// handler runs with operation_aborted) and RunUntil returns false. After that the connection is
// gone: a late reply can never be read as the answer to the next request.
//
// Thread-safety: one thread at a time.
#pragma once

#include <chrono>
#include <memory>
#include <string>

namespace faultline::harness {

class DeadlineSocket {
 public:
  using Clock = std::chrono::steady_clock;
  class Impl;

  DeadlineSocket();
  ~DeadlineSocket();
  DeadlineSocket(const DeadlineSocket&) = delete;
  DeadlineSocket& operator=(const DeadlineSocket&) = delete;

  // Connects (TCP_NODELAY on) before `deadline`; returns an error text, or "" when connected.
  // Nothing has been sent when this fails.
  std::string Connect(const std::string& host, int port, Clock::time_point deadline);
  bool connected() const;
  void Close();
  // Runs the pending operation; false when the deadline passed first (the socket is then closed).
  bool RunUntil(Clock::time_point deadline);
  Impl& impl() { return *impl_; }  // the asio objects (deadline_socket_asio.h)

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace faultline::harness
