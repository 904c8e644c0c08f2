#include "tests/e2e/zabd/resp_client.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace zabd::testing {

using faultline::Result;
using faultline::Status;

RespClient::~RespClient() { Close(); }

RespClient::RespClient(RespClient&& other) noexcept
    : fd_(other.fd_), buffer_(std::move(other.buffer_)) {
  other.fd_ = -1;
}

RespClient& RespClient::operator=(RespClient&& other) noexcept {
  if (this != &other) {
    Close();
    fd_ = other.fd_;
    buffer_ = std::move(other.buffer_);
    other.fd_ = -1;
  }
  return *this;
}

void RespClient::Close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  buffer_.clear();
}

Status RespClient::Connect(const std::string& host, uint16_t port, int timeout_ms) {
  Close();
  fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd_ < 0) return Status::IoError(std::strerror(errno));
  timeval tv{timeout_ms / 1000, (timeout_ms % 1000) * 1000};
  ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  if (::inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1) {
    Close();
    return Status::InvalidArgument("bad address " + host);
  }
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    std::string err = std::strerror(errno);
    Close();
    return Status::Unavailable(fmt::format("connect {}:{}: {}", host, port, err));
  }
  return Status::Ok();
}

Status RespClient::SendRaw(const std::string& bytes) {
  if (fd_ < 0) return Status::Unavailable("not connected");
  std::size_t sent = 0;
  while (sent < bytes.size()) {
    ssize_t n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) {
      if (n < 0 && errno == EINTR) continue;
      std::string err = n < 0 ? std::strerror(errno) : "closed";
      Close();
      return Status::IoError("send: " + err);
    }
    sent += static_cast<std::size_t>(n);
  }
  return Status::Ok();
}

Result<RespValue> RespClient::ReadReply() {
  char chunk[16384];
  while (true) {
    if (!buffer_.empty()) {
      RespValue v;
      auto used = DecodeReply(buffer_, &v);
      if (!used) {
        Close();
        return Status::Corruption("reply is not RESP");
      }
      if (*used > 0) {
        buffer_.erase(0, *used);
        return v;
      }
    }
    if (fd_ < 0) return Status::Unavailable("not connected");
    ssize_t n = ::recv(fd_, chunk, sizeof(chunk), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const bool timeout = n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
      std::string err = n == 0 ? "connection closed" : std::strerror(errno);
      Close();
      if (timeout) return Status::Timeout("no reply in time");
      return Status::IoError("recv: " + err);
    }
    buffer_.append(chunk, static_cast<std::size_t>(n));
  }
}

Result<RespValue> RespClient::Call(const std::vector<std::string>& args) {
  if (auto s = SendRaw(EncodeCommand(args)); !s.ok()) return s;
  return ReadReply();
}

bool RespClient::ReadsEof() {
  if (fd_ < 0) return true;
  char c;
  while (true) {
    ssize_t n = ::recv(fd_, &c, 1, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) {
      Close();
      return true;
    }
    if (n < 0) return false;  // timeout: still open
  }
}

Result<std::vector<RespValue>> RespClient::Pipeline(const std::string& bytes, std::size_t replies) {
  if (fd_ < 0) return Status::Unavailable("not connected");
  std::vector<RespValue> out;
  std::size_t sent = 0;
  char chunk[65536];
  while (out.size() < replies) {
    while (!buffer_.empty()) {
      RespValue v;
      auto used = DecodeReply(buffer_, &v);
      if (!used) {
        Close();
        return Status::Corruption("reply is not RESP");
      }
      if (*used == 0) break;
      buffer_.erase(0, *used);
      out.push_back(std::move(v));
    }
    if (out.size() >= replies) break;
    pollfd p{fd_, static_cast<short>(POLLIN | (sent < bytes.size() ? POLLOUT : 0)), 0};
    int ready = ::poll(&p, 1, 10000);
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) {
      Close();
      return Status::Timeout(
          fmt::format("no progress after {} of {} replies", out.size(), replies));
    }
    if ((p.revents & POLLOUT) && sent < bytes.size()) {
      ssize_t n =
          ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n > 0) sent += static_cast<std::size_t>(n);
      if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
        std::string err = std::strerror(errno);
        Close();
        return Status::IoError("send: " + err);
      }
    }
    if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
      ssize_t n = ::recv(fd_, chunk, sizeof(chunk), MSG_DONTWAIT);
      if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
        std::string err = n == 0 ? "connection closed" : std::strerror(errno);
        Close();
        return Status::IoError(
            fmt::format("recv after {} of {} replies: {}", out.size(), replies, err));
      }
      if (n > 0) buffer_.append(chunk, static_cast<std::size_t>(n));
    }
  }
  return out;
}

}  // namespace zabd::testing
