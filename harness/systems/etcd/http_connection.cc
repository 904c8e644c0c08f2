#include "harness/systems/etcd/http_connection.h"

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

#include "harness/client/deadline_socket_asio.h"
#include "harness/systems/etcd/limits.h"

namespace faultline::harness::etcd {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using Clock = DeadlineSocket::Clock;

class HttpConnection::Impl {
 public:
  bool connected() const { return socket_.connected(); }

  void Close() {
    socket_.Close();
    buffer_.clear();
  }

  // Connects before `deadline`; returns an error text or "".
  std::string Connect(const std::string& host, int port, Clock::time_point deadline) {
    return socket_.Connect(host, port, deadline);
  }

  // Writes the request and reads one response. Returns "" or an error text; *timed_out says
  // whether the deadline passed.
  std::string Exchange(const http::request<http::string_body>& request,
                       http::response<http::string_body>* response, Clock::time_point deadline,
                       bool* timed_out) {
    auto& socket = socket_.impl().socket;
    boost::system::error_code result = asio::error::would_block;
    http::async_write(socket, request,
                      [&](const boost::system::error_code& e, size_t) { result = e; });
    if (!socket_.RunUntil(deadline) || result == asio::error::would_block) {
      *timed_out = true;
      return "write timed out";
    }
    if (result) return "write: " + result.message();
    http::response_parser<http::string_body> parser;
    parser.body_limit(kResponseBytesMax);
    result = asio::error::would_block;
    http::async_read(socket, buffer_, parser,
                     [&](const boost::system::error_code& e, size_t) { result = e; });
    if (!socket_.RunUntil(deadline) || result == asio::error::would_block) {
      *timed_out = true;
      return "reply timed out";
    }
    if (result) return "read: " + result.message();
    *response = parser.release();
    return "";
  }

 private:
  DeadlineSocket socket_;
  boost::beast::flat_buffer buffer_;
};

HttpConnection::HttpConnection(std::string host, int port)
    : host_(std::move(host)), port_(port), impl_(std::make_unique<Impl>()) {}

HttpConnection::~HttpConnection() = default;

void HttpConnection::Close() { impl_->Close(); }
bool HttpConnection::connected() const { return impl_->connected(); }

HttpResult HttpConnection::Post(const std::string& target, const std::string& body,
                                std::chrono::milliseconds timeout) {
  Clock::time_point deadline = Clock::now() + timeout;
  HttpResult out;
  if (!impl_->connected()) {
    std::string err = impl_->Connect(host_, port_, deadline);
    if (!err.empty()) {
      out.kind = HttpResult::Kind::kNotSent;
      out.error = err;
      return out;
    }
  }
  http::request<http::string_body> request(http::verb::post, target, 11);
  request.set(http::field::host, host_ + ":" + std::to_string(port_));
  request.set(http::field::content_type, "application/json");
  request.keep_alive(true);
  request.body() = body;
  request.prepare_payload();
  http::response<http::string_body> response;
  bool timed_out = false;
  // From here on the request may have reached the server.
  std::string err = impl_->Exchange(request, &response, deadline, &timed_out);
  if (!err.empty()) {
    impl_->Close();
    out.kind = timed_out ? HttpResult::Kind::kTimeout : HttpResult::Kind::kLostAfterSend;
    out.error = err;
    return out;
  }
  if (!response.keep_alive()) impl_->Close();
  out.kind = HttpResult::Kind::kReply;
  out.status = static_cast<int>(response.result_int());
  out.body = std::move(response.body());
  return out;
}

}  // namespace faultline::harness::etcd
