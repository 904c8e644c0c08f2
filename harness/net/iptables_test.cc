// IptablesPartitioner in a private network namespace. Every scenario runs in a forked child that
// unshares its network namespace first, so the machine's own rules are never touched; the child
// reports failures through a pipe and its namespace dies with it.
#include <arpa/inet.h>
#include <fcntl.h>
#include <grp.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/select.h>
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

// Whether `fd` has a byte to read within 1 s (the absence of an answer, not a measured duration).
bool Readable(int fd) {
  fd_set set;
  FD_ZERO(&set);
  FD_SET(fd, &set);
  timeval tv{1, 0};
  char c;
  return select(fd + 1, &set, nullptr, nullptr, &tv) == 1 && read(fd, &c, 1) == 1;
}

// etcd-style links: node 2 opens the connection, node 1 writes its 1 -> 2 messages on it. With
// cut_connections_opened_by_target, "2 drops from 1" drops those too; without, they get through
// (1's packets there go to 127.0.0.1, not to node 2's host).
std::string OpenerMarkScenario(bool cut) {
  if (Status s = EnterPrivateNetns(); !s.ok()) return s.ToString();
  auto partitioner = IptablesPartitioner::Create(kNodes, {.cut_connections_opened_by_target = cut});
  if (!partitioner.ok()) return partitioner.status().ToString();
  int go[2];
  if (pipe(go) != 0) return "pipe failed";
  const pid_t one = fork();
  if (one == 0) {  // node 1: accepts node 2's connection, writes a byte per request on `go`
    if (setgroups(0, nullptr) != 0 || setgid(kGid1) != 0) _exit(2);
    const int listener = Listen("127.0.0.11", 7101);
    const int conn = accept(listener, nullptr, nullptr);
    char c;
    while (read(go[0], &c, 1) == 1) (void)!write(conn, "x", 1);
    _exit(0);
  }
  // This process becomes node 2 (still uid 0, so it keeps its iptables rights).
  if (setgroups(0, nullptr) != 0 || setgid(kGid2) != 0) return "setgid failed";
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(7101);
  inet_pton(AF_INET, "127.0.0.11", &addr.sin_addr);
  bool connected = false;
  for (int i = 0; i < 100 && !connected; ++i) {
    connected = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    if (!connected) usleep(20 * 1000);
  }
  std::string failures;
  if (!connected) failures = "node 2 cannot connect to node 1; ";
  (void)!write(go[1], "g", 1);
  if (!Readable(fd)) failures += "healthy: 1's byte must reach 2; ";
  if (Status s = (*partitioner)->Apply(OneWayLinks({{1, 2}})); !s.ok()) return s.ToString();
  (void)!write(go[1], "g", 1);
  const bool leaked = Readable(fd);
  if (cut && leaked) failures += "cut: 1's byte on 2's connection must not reach 2; ";
  if (!cut && !leaked)
    failures += "without the option the byte gets through (nothing matches it); ";
  close(go[1]);
  kill(one, SIGKILL);
  waitpid(one, nullptr, 0);
  return failures;
}

TEST(IptablesTest, CutConnectionsOpenedByTargetDropsWhatTheSenderWritesOnThem) {
  if (!CanEnterPrivateNetns()) GTEST_SKIP() << "needs root for a private network namespace";
  EXPECT_EQ(InChild([] { return OpenerMarkScenario(true); }), "");
  EXPECT_EQ(InChild([] { return OpenerMarkScenario(false); }), "");
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
