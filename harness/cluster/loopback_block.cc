#include "harness/cluster/loopback_block.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <random>
#include <utility>

namespace faultline::harness {
namespace {

constexpr int kMaxDraws = 64;

// A listening TCP socket on host:port (close-on-exec, no SO_REUSEADDR: a listener blocks every
// other bind of that address and port), or -1 with errno set.
int Listen(const std::string& host, uint16_t port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  if (::inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1) {
    errno = EINVAL;
    return -1;
  }
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(fd, 1) != 0) {
    const int saved = errno;
    ::close(fd);
    errno = saved;
    return -1;
  }
  return fd;
}

}  // namespace

Result<LoopbackBlock> LoopbackBlock::Claim(uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<int> a(1, 254);
  std::uniform_int_distribution<int> b(0, 255);
  std::string last_error;
  for (int draw = 0; draw < kMaxDraws; ++draw) {
    std::string prefix = fmt::format("127.{}.{}", a(rng), b(rng));
    const int fd = Listen(prefix + ".1", kLoopbackClaimPort);
    if (fd >= 0) return LoopbackBlock(std::move(prefix), fd);
    last_error = fmt::format("{}.1:{}: {}", prefix, kLoopbackClaimPort, std::strerror(errno));
  }
  return Status::IoError(fmt::format("cannot claim a loopback block after {} draws (last: {})",
                                     kMaxDraws, last_error));
}

LoopbackBlock::LoopbackBlock(LoopbackBlock&& other) noexcept
    : prefix_(std::move(other.prefix_)), fd_(std::exchange(other.fd_, -1)) {}

LoopbackBlock& LoopbackBlock::operator=(LoopbackBlock&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    prefix_ = std::move(other.prefix_);
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

LoopbackBlock::~LoopbackBlock() {
  if (fd_ >= 0) ::close(fd_);
}

std::string LoopbackBlock::Host(int last_octet) const {
  return fmt::format("{}.{}", prefix_, last_octet);
}

Status ProbeListen(const std::string& host, uint16_t port) {
  const int fd = Listen(host, port);
  if (fd < 0) return Status::IoError(fmt::format("{}:{}: {}", host, port, std::strerror(errno)));
  ::close(fd);
  return Status::Ok();
}

}  // namespace faultline::harness
