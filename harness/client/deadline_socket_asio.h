// The asio side of DeadlineSocket, for the .cc files that run their own operations on it. Never
// include this from a header.
#pragma once

#include <utility>  // before asio: Boost 1.74 awaitable.hpp needs std::exchange
//
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "harness/client/deadline_socket.h"

namespace faultline::harness {

class DeadlineSocket::Impl {
 public:
  Impl() : socket(io) {}
  boost::asio::io_context io;
  boost::asio::ip::tcp::socket socket;
};

}  // namespace faultline::harness
