#include "harness/client/resp_connection.h"

#include <array>
#include <boost/asio/write.hpp>

#include "harness/client/deadline_socket_asio.h"

namespace faultline::harness {

namespace asio = boost::asio;
using Clock = DeadlineSocket::Clock;

class RespConnection::Impl {
 public:
  bool connected() const { return socket_.connected(); }

  void Close() {
    socket_.Close();
    parser_ = RespParser();
  }

  // Connects before `deadline`; returns an error text or "".
  std::string Connect(const std::string& host, int port, Clock::time_point deadline) {
    return socket_.Connect(host, port, deadline);
  }

  // Writes all of `bytes`. false + error on failure or deadline.
  bool Write(const std::string& bytes, Clock::time_point deadline, std::string* error,
             bool* timed_out) {
    boost::system::error_code result = asio::error::would_block;
    asio::async_write(socket_.impl().socket, asio::buffer(bytes),
                      [&](const boost::system::error_code& e, size_t) { result = e; });
    if (!socket_.RunUntil(deadline) || result == asio::error::would_block) {
      *timed_out = true;
      *error = "write timed out";
      return false;
    }
    if (result) {
      *error = "write: " + result.message();
      return false;
    }
    return true;
  }

  // Reads one complete reply.
  bool Read(RespValue* out, Clock::time_point deadline, std::string* error, bool* timed_out) {
    for (;;) {
      RespParser::State st = parser_.Next(out);
      if (st == RespParser::State::kValue) return true;
      if (st == RespParser::State::kProtocolError) {
        *error = "protocol error: " + parser_.error();
        return false;
      }
      boost::system::error_code result = asio::error::would_block;
      size_t n = 0;
      socket_.impl().socket.async_read_some(asio::buffer(buf_),
                                            [&](const boost::system::error_code& e, size_t got) {
                                              result = e;
                                              n = got;
                                            });
      if (!socket_.RunUntil(deadline) || result == asio::error::would_block) {
        *timed_out = true;
        *error = "reply timed out";
        return false;
      }
      if (result) {
        *error = "read: " + result.message();
        return false;
      }
      parser_.Feed(std::string_view(buf_.data(), n));
    }
  }

 private:
  DeadlineSocket socket_;
  RespParser parser_;
  std::array<char, 16384> buf_;
};

RespConnection::RespConnection(std::string host, int port)
    : host_(std::move(host)), port_(port), impl_(std::make_unique<Impl>()) {}

RespConnection::~RespConnection() = default;

void RespConnection::Close() { impl_->Close(); }
bool RespConnection::connected() const { return impl_->connected(); }

CallResult RespConnection::Call(const std::vector<std::string>& args,
                                std::chrono::milliseconds timeout) {
  Clock::time_point deadline = Clock::now() + timeout;
  CallResult out;
  if (!impl_->connected()) {
    std::string err = impl_->Connect(host_, port_, deadline);
    if (!err.empty()) {
      out.kind = CallResult::Kind::kNotSent;
      out.error = err;
      return out;
    }
    // Session setup. Nothing of the real request has left yet, so any failure here is kNotSent.
    for (const auto& cmd : on_connect_) {
      std::string error;
      bool timed_out = false;
      RespValue reply;
      if (!impl_->Write(EncodeCommand(cmd), deadline, &error, &timed_out) ||
          !impl_->Read(&reply, deadline, &error, &timed_out) || reply.is_error()) {
        impl_->Close();
        out.kind = CallResult::Kind::kNotSent;
        out.error = "session setup (" + cmd[0] + "): " + (error.empty() ? reply.str : error);
        return out;
      }
    }
  }
  std::string error;
  bool timed_out = false;
  // From here on the request may have reached the server.
  if (!impl_->Write(EncodeCommand(args), deadline, &error, &timed_out) ||
      !impl_->Read(&out.reply, deadline, &error, &timed_out)) {
    impl_->Close();
    out.kind = timed_out ? CallResult::Kind::kTimeout : CallResult::Kind::kLostAfterSend;
    out.error = error;
    return out;
  }
  out.kind = CallResult::Kind::kReply;
  return out;
}

void RespConnection::set_on_connect(std::vector<std::vector<std::string>> commands) {
  on_connect_ = std::move(commands);
}

}  // namespace faultline::harness
