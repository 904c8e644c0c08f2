#include "harness/client/fake_resp_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

namespace faultline::harness {

FakeRespServer::FakeRespServer(Handler handler) : handler_(std::move(handler)) {
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

FakeRespServer::~FakeRespServer() {
  stop_ = true;
  thread_.join();
  close(listen_fd_);
}

std::vector<std::string> FakeRespServer::requests() const {
  std::lock_guard<std::mutex> l(mu_);
  return requests_;
}

void FakeRespServer::Serve() {
  // Poll with a short timeout so that the destructor's stop_ is noticed.
  while (!stop_) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (poll(&p, 1, 20) <= 0) continue;
    int fd = accept(listen_fd_, nullptr, nullptr);
    if (fd < 0) continue;
    ++connections_;
    RespParser parser;
    bool open = true;
    while (open && !stop_) {
      pollfd c{fd, POLLIN, 0};
      if (poll(&c, 1, 20) <= 0) continue;
      char buf[4096];
      ssize_t n = read(fd, buf, sizeof(buf));
      if (n <= 0) break;
      parser.Feed(std::string_view(buf, n));
      RespValue req;
      while (open && parser.Next(&req) == RespParser::State::kValue) {
        std::vector<std::string> args;
        std::string joined;
        for (const auto& e : req.elements) {
          args.push_back(e.str);
          joined += (joined.empty() ? "" : " ") + e.str;
        }
        {
          std::lock_guard<std::mutex> l(mu_);
          requests_.push_back(joined);
        }
        FakeAction a = handler_(args);
        if (a.kind == FakeAction::Kind::kClose) {
          open = false;
        } else if (a.kind == FakeAction::Kind::kReply) {
          std::string out = EncodeValue(a.reply);
          if (write(fd, out.data(), out.size()) < 0) open = false;
        }
      }
    }
    close(fd);
  }
}

}  // namespace faultline::harness
