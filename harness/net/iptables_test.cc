// IptablesPartitioner in a private network namespace. Every scenario runs in a forked child that
// unshares its network namespace first, so the machine's own rules are never touched; the child
// reports failures through a pipe and its namespace dies with it.
#include <arpa/inet.h>
#include <fcntl.h>
#include <grp.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <functional>
#include <string>

#include "harness/net/iptables_partitioner.h"
#include "harness/net/netns.h"

namespace faultline::harness {
namespace {

// Runs `scenario` in a forked child; returns what it reported ("" = passed).
std::string InChild(const std::function<std::string()>& scenario) {
  int fds[2];
  if (pipe(fds) != 0) return "pipe failed";
  const pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    const std::string report = scenario();
    (void)!write(fds[1], report.data(), report.size());
    _exit(0);
  }
  close(fds[1]);
  std::string out;
  char buf[512];
  ssize_t n;
  while ((n = read(fds[0], buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  if (!WIFEXITED(status)) out += " (child died)";
  return out;
}

int Listen(const char* host, uint16_t port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  inet_pton(AF_INET, host, &addr.sin_addr);
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || listen(fd, 16) != 0) {
    return -1;
  }
  return fd;
}

// Whether a process running with `gid` can connect to host:port. A dropped SYN never completes,
// so "cannot" means "not within 1 s" (the absence of an answer, not a measured duration).
bool CanConnect(unsigned gid, const char* host, uint16_t port) {
  const pid_t pid = fork();
  if (pid == 0) {
    if (setgroups(0, nullptr) != 0 || setgid(gid) != 0) _exit(2);
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    timeval tv{1, 0};
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    inet_pton(AF_INET, host, &addr.sin_addr);
    _exit(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 ? 0 : 1);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

constexpr unsigned kGid1 = kNodeGidBase + 1;
constexpr unsigned kGid2 = kNodeGidBase + 2;

const std::map<NodeId, IptablesNode> kNodes = {{1, {"127.0.0.11", kGid1}},
                                               {2, {"127.0.0.12", kGid2}}};

TEST(IptablesTest, CreateRefusesToTouchTheInitialNamespace) {
  // No fork: Create must refuse before running iptables at all.
  auto partitioner = IptablesPartitioner::Create(kNodes);
  EXPECT_EQ(partitioner.status().code(), StatusCode::kUnavailable);
}

TEST(IptablesTest, OneWayGrudgeDropsOnlyTheGrudgedNodesPacketsUntilHealed) {
  if (!CanEnterPrivateNetns()) GTEST_SKIP() << "needs root for a private network namespace";
  const std::string report = InChild([]() -> std::string {
    if (Status s = EnterPrivateNetns(); !s.ok()) return s.ToString();
    const int one = Listen("127.0.0.11", 7101);
    const int two = Listen("127.0.0.12", 7102);
    if (one < 0 || two < 0) return "cannot listen on 127.0.0.11/12";
    auto partitioner = IptablesPartitioner::Create(kNodes);
    if (!partitioner.ok()) return partitioner.status().ToString();
    std::string failures;
    auto expect = [&](bool ok, const char* what) {
      if (!ok) failures += std::string(what) + "; ";
    };
    expect(CanConnect(kGid1, "127.0.0.12", 7102), "healthy: 1 reaches 2");
    if (Status s = (*partitioner)->Apply(OneWayLinks({{1, 2}})); !s.ok()) return s.ToString();
    expect(!CanConnect(kGid1, "127.0.0.12", 7102), "grudge: 1 must not reach 2");
    expect(CanConnect(kGid2, "127.0.0.11", 7101), "grudge: 2 still reaches 1");
    expect(CanConnect(0, "127.0.0.12", 7102), "grudge: the controller still reaches 2");
    if (Status s = (*partitioner)->Heal(); !s.ok()) return s.ToString();
    expect(CanConnect(kGid1, "127.0.0.12", 7102), "healed: 1 reaches 2 again");
    return failures;
  });
  EXPECT_EQ(report, "");
}

TEST(IptablesTest, ApplyReplacesThePreviousGrudge) {
  if (!CanEnterPrivateNetns()) GTEST_SKIP() << "needs root for a private network namespace";
  const std::string report = InChild([]() -> std::string {
    if (Status s = EnterPrivateNetns(); !s.ok()) return s.ToString();
    const int one = Listen("127.0.0.11", 7101);
    const int two = Listen("127.0.0.12", 7102);
    if (one < 0 || two < 0) return "cannot listen";
    auto partitioner = IptablesPartitioner::Create(kNodes);
    if (!partitioner.ok()) return partitioner.status().ToString();
    if (Status s = (*partitioner)->Apply(IsolateNode({1, 2}, 1)); !s.ok()) return s.ToString();
    if (CanConnect(kGid2, "127.0.0.11", 7101)) return "isolated: 2 must not reach 1";
    if (Status s = (*partitioner)->Apply(OneWayLinks({{1, 2}})); !s.ok()) return s.ToString();
    if (!CanConnect(kGid2, "127.0.0.11", 7101)) return "replaced: 2 reaches 1 again";
    return "";
  });
  EXPECT_EQ(report, "");
}

TEST(IptablesTest, DelayAndLossAreUnavailable) {
  if (!CanEnterPrivateNetns()) GTEST_SKIP() << "needs root for a private network namespace";
  const std::string report = InChild([]() -> std::string {
    if (Status s = EnterPrivateNetns(); !s.ok()) return s.ToString();
    auto partitioner = IptablesPartitioner::Create(kNodes);
    if (!partitioner.ok()) return partitioner.status().ToString();
    if ((*partitioner)->SupportsLinkFaults()) return "claims link faults";
    if ((*partitioner)->SetDelay(1, 2, 10).code() != StatusCode::kUnavailable) return "delay";
    return "";
  });
  EXPECT_EQ(report, "");
}

TEST(IptablesTest, DuplicateGidsAreRejected) {
  if (!CanEnterPrivateNetns()) GTEST_SKIP() << "needs root for a private network namespace";
  const std::string report = InChild([]() -> std::string {
    if (Status s = EnterPrivateNetns(); !s.ok()) return s.ToString();
    auto partitioner =
        IptablesPartitioner::Create({{1, {"127.0.0.11", kGid1}}, {2, {"127.0.0.12", kGid1}}});
    return partitioner.status().code() == StatusCode::kInvalidArgument ? "" : "accepted";
  });
  EXPECT_EQ(report, "");
}

}  // namespace
}  // namespace faultline::harness
