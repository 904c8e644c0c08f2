#include "harness/client/fake_tcp_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace faultline::harness {

FakeTcpServer::FakeTcpServer(std::function<Session()> new_session)
    : new_session_(std::move(new_session)) {
  listen_fd_ = socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  listen(listen_fd_, 16);
  socklen_t len = sizeof(addr);
  getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  thread_ = std::thread([this] { Serve(); });
}

FakeTcpServer::~FakeTcpServer() {
  stop_ = true;
  thread_.join();
  close(listen_fd_);
}

void FakeTcpServer::Serve() {
  // Poll with a short timeout so that the destructor's stop_ is noticed.
  while (!stop_) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (poll(&p, 1, 20) <= 0) continue;
    int fd = accept(listen_fd_, nullptr, nullptr);
    if (fd < 0) continue;
    ++connections_;
    Session session = new_session_();
    while (!stop_) {
      pollfd c{fd, POLLIN, 0};
      if (poll(&c, 1, 20) <= 0) continue;
      char buf[4096];
      ssize_t n = read(fd, buf, sizeof(buf));
      if (n <= 0) break;
      std::optional<std::string> out = session(std::string_view(buf, static_cast<size_t>(n)));
      if (!out) break;
      if (!out->empty() && write(fd, out->data(), out->size()) < 0) break;
    }
    close(fd);
  }
}

}  // namespace faultline::harness
