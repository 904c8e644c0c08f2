#include "harness/client/deadline_socket.h"

#include "harness/client/deadline_socket_asio.h"

namespace faultline::harness {

namespace asio = boost::asio;
using asio::ip::tcp;

DeadlineSocket::DeadlineSocket() : impl_(std::make_unique<Impl>()) {}
DeadlineSocket::~DeadlineSocket() = default;

bool DeadlineSocket::connected() const { return impl_->socket.is_open(); }

void DeadlineSocket::Close() {
  boost::system::error_code ec;
  impl_->socket.close(ec);
}

std::string DeadlineSocket::Connect(const std::string& host, int port, Clock::time_point deadline) {
  boost::system::error_code ec;
  tcp::endpoint ep(asio::ip::make_address(host, ec), static_cast<uint16_t>(port));
  if (ec) return "bad address " + host + ": " + ec.message();
  boost::system::error_code result = asio::error::would_block;
  impl_->socket.async_connect(ep, [&](const boost::system::error_code& e) { result = e; });
  if (!RunUntil(deadline) || result == asio::error::would_block) {
    Close();
    return "connect timed out";
  }
  if (result) {
    Close();
    return "connect: " + result.message();
  }
  impl_->socket.set_option(tcp::no_delay(true), ec);
  return "";
}

bool DeadlineSocket::RunUntil(Clock::time_point deadline) {
  impl_->io.restart();
  impl_->io.run_until(deadline);
  if (!impl_->io.stopped()) {
    Close();
    impl_->io.run();  // lets the cancelled handler run (operation_aborted)
    return false;
  }
  return true;
}

}  // namespace faultline::harness
