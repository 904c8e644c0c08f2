// The cluster, nemesis and both partitioners against real zabd processes: elections after kills,
// pauses and partitions (through the TCP proxy, and through iptables in a private network
// namespace when root). Deadlines are generous upper bounds that turn a hang into a failure;
// nothing asserts how fast anything happens.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <sstream>
#include <thread>

#include "harness/cluster/cluster.h"
#include "harness/cluster/test_dir.h"
#include "harness/nemesis/nemesis.h"
#include "harness/net/iptables_partitioner.h"
#include "harness/net/netns.h"
#include "harness/net/proxy_partitioner.h"
#include "harness/systems/zabd/zabd_system.h"

namespace faultline::harness {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr auto kElectionDeadline = seconds(45);
const std::string kZabd = FAULTLINE_BIN_DIR "/zabd";

bool WaitFor(const std::function<bool()>& done, std::chrono::steady_clock::duration deadline) {
  const auto end = std::chrono::steady_clock::now() + deadline;
  while (std::chrono::steady_clock::now() < end) {
    if (done()) return true;
    std::this_thread::sleep_for(milliseconds(100));
  }
  return done();
}

// Elapsed milliseconds since `start`, reported (never asserted) as a test property.
int64_t MsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - start).count();
}

void Measure(const std::string& name, int64_t ms) {
  ::testing::Test::RecordProperty(name, std::to_string(ms));
  std::cout << "[ MEASURE  ] " << name << " = " << ms << " ms\n";
}

bool Alive(int pid) {
  if (pid <= 0 || ::kill(pid, 0) != 0) return false;
  // A zombie of someone else's is not "alive" for our purposes.
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(stat)), {});
  const auto paren = text.rfind(')');
  return paren == std::string::npos || text[paren + 2] != 'Z';
}

ClusterOptions Options(const std::string& run_dir, AddressMode mode = AddressMode::kLoopback) {
  ClusterOptions options;
  ZabdOptions zabd;
  zabd.binary = kZabd;
  zabd.tick_time_ms = 100;
  options.launcher = MakeZabdLauncher(zabd);
  options.run_dir = run_dir;
  options.node_count = 3;
  options.address_mode = mode;
  return options;
}

// A node other than `old_leader` leads in an epoch above `old_epoch`, and a majority follows it.
// Empty string when so, else what is missing.
std::string NewLeaderElsewhere(Cluster& cluster, NodeId old_leader, int64_t old_epoch,
                               NodeId* new_leader) {
  std::map<NodeId, RoleInfo> roles;
  for (NodeId id : cluster.NodeIds()) {
    auto role = cluster.QueryRole(id, milliseconds(500));
    if (role.ok()) roles[id] = *role;
  }
  for (const auto& [id, role] : roles) {
    if (id == old_leader || role.role != Role::kLeading || role.epoch <= old_epoch ||
        role.phase != "broadcast") {
      continue;
    }
    int votes = 0;
    for (const auto& [other, r] : roles) {
      if (other == id || (r.role == Role::kFollowing && r.leader_id == id)) ++votes;
    }
    if (votes >= 2) {
      *new_leader = id;
      return "";
    }
  }
  return "no new leader in broadcast with a following majority";
}

// Every node answers ROLE and all agree on one leader that is in broadcast.
bool Converged(Cluster& cluster) {
  std::optional<NodeId> leader;
  for (NodeId id : cluster.NodeIds()) {
    auto role = cluster.QueryRole(id, milliseconds(500));
    if (!role.ok() || role->phase != "broadcast") return false;
    const NodeId says = role->role == Role::kLeading ? id : role->leader_id;
    if (says <= 0 || (leader && *leader != says)) return false;
    leader = says;
  }
  return leader.has_value();
}

class ClusterE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::access(kZabd.c_str(), X_OK) != 0) GTEST_SKIP() << kZabd << " not built";
    ASSERT_FALSE(dir_.path().empty());
  }
  TempDir dir_{"faultline-cluster-e2e"};
};

TEST_F(ClusterE2eTest, ThreeNodesElectALeaderAndRecoverFromKillRestartAndPause) {
  std::vector<int> pids;
  {
    auto created = Cluster::Create(Options(dir_.path() + "/run"));
    ASSERT_TRUE(created.ok()) << created.status().ToString();
    Cluster& cluster = **created;
    ASSERT_TRUE(cluster.StartAll().ok());
    auto leader = cluster.FindLeader(kElectionDeadline);
    ASSERT_TRUE(leader.ok()) << leader.status().ToString();
    const auto first = cluster.QueryRole(*leader, seconds(5));
    ASSERT_TRUE(first.ok());

    // Kill the leader: the other two elect a new one; the old one comes back as a follower.
    auto killed_at = std::chrono::steady_clock::now();
    ASSERT_TRUE(cluster.Kill(*leader).ok());
    NodeId next = 0;
    std::string why;
    EXPECT_TRUE(WaitFor(
        [&] { return (why = NewLeaderElsewhere(cluster, *leader, first->epoch, &next)).empty(); },
        kElectionDeadline))
        << why;
    Measure("kill_leader_to_new_leader", MsSince(killed_at));
    const auto restarted_at = std::chrono::steady_clock::now();
    ASSERT_TRUE(cluster.Start(*leader).ok());
    EXPECT_TRUE(WaitFor([&] { return Converged(cluster); }, kElectionDeadline));
    Measure("restart_to_converged", MsSince(restarted_at));

    // Pause a follower: it stops answering; resumed, it answers again.
    const NodeId follower = next == 1 ? 2 : 1;
    ASSERT_TRUE(cluster.Pause(follower).ok());
    EXPECT_EQ(cluster.QueryRole(follower, milliseconds(300)).status().code(), StatusCode::kTimeout);
    ASSERT_TRUE(cluster.Resume(follower).ok());
    EXPECT_TRUE(
        WaitFor([&] { return cluster.QueryRole(follower, seconds(1)).ok(); }, kElectionDeadline));

    // Restart keeps the data: the node rejoins, and nobody died on its own.
    const int before = cluster.Info(3).pid;
    ASSERT_TRUE(cluster.Restart(3).ok());
    EXPECT_NE(cluster.Info(3).pid, before);
    EXPECT_TRUE(WaitFor([&] { return Converged(cluster); }, kElectionDeadline));
    EXPECT_TRUE(cluster.DrainUnexpectedExits().empty());
    for (const NodeInfo& info : cluster.Infos()) {
      pids.push_back(info.pid);
      EXPECT_TRUE(std::filesystem::exists(ZabdEventLogPath(info))) << ZabdEventLogPath(info);
    }
  }
  for (int pid : pids) EXPECT_FALSE(Alive(pid)) << "pid " << pid << " outlived the Cluster";
}

TEST_F(ClusterE2eTest, ProxyPartitionIsolatingTheLeaderElectsANewLeaderOnTheMajoritySide) {
  auto created = Cluster::Create(Options(dir_.path() + "/run"));
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  Cluster& cluster = **created;
  auto proxy = ProxyPartitioner::Create(cluster.PeerPorts(), /*seed=*/7);
  ASSERT_TRUE(proxy.ok()) << proxy.status().ToString();
  for (const auto& [link, endpoint] : (*proxy)->PortRoutes()) {
    ASSERT_TRUE(cluster.SetPeerRoute(link.from, link.to, link.port, endpoint).ok());
  }
  ASSERT_TRUE(cluster.StartAll().ok());
  auto leader = cluster.FindLeader(kElectionDeadline);
  ASSERT_TRUE(leader.ok()) << leader.status().ToString();
  EXPECT_TRUE(WaitFor([&] { return Converged(cluster); }, kElectionDeadline));
  const auto before = cluster.QueryRole(*leader, seconds(5));
  ASSERT_TRUE(before.ok());

  Nemesis nemesis(cluster, proxy->get(), {.seed = 7});
  FaultSpec spec;
  spec.kind = FaultKind::kPartition;
  spec.shape = PartitionShape::kIsolateLeader;
  const auto cut_at = std::chrono::steady_clock::now();
  auto fault = nemesis.Start(spec);
  ASSERT_TRUE(fault.ok()) << fault.status().ToString();
  EXPECT_EQ(fault->nodes, std::vector<NodeId>{*leader});
  NodeId next = 0;
  std::string why;
  EXPECT_TRUE(WaitFor(
      [&] { return (why = NewLeaderElsewhere(cluster, *leader, before->epoch, &next)).empty(); },
      kElectionDeadline))
      << why << " (" << fault->description << ")";
  Measure("proxy_isolate_leader_to_new_leader", MsSince(cut_at));
  const auto healed_at = std::chrono::steady_clock::now();
  ASSERT_TRUE(nemesis.Stop(*fault).ok());
  EXPECT_TRUE(WaitFor([&] { return Converged(cluster); }, kElectionDeadline));
  Measure("proxy_heal_to_converged", MsSince(healed_at));
  EXPECT_GT((*proxy)->Stats(*leader, next).dropped + (*proxy)->Stats(next, *leader).dropped +
                (*proxy)->Stats(*leader, next).refused + (*proxy)->Stats(next, *leader).refused,
            0u);
}

TEST_F(ClusterE2eTest, ProxyOneWayCutSilencingTheLeaderElectsANewLeaderAmongTheOthers) {
  auto created = Cluster::Create(Options(dir_.path() + "/run"));
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  Cluster& cluster = **created;
  auto proxy = ProxyPartitioner::Create(cluster.PeerPorts(), /*seed=*/9);
  ASSERT_TRUE(proxy.ok()) << proxy.status().ToString();
  for (const auto& [link, endpoint] : (*proxy)->PortRoutes()) {
    ASSERT_TRUE(cluster.SetPeerRoute(link.from, link.to, link.port, endpoint).ok());
  }
  ASSERT_TRUE(cluster.StartAll().ok());
  auto leader = cluster.FindLeader(kElectionDeadline);
  ASSERT_TRUE(leader.ok()) << leader.status().ToString();
  EXPECT_TRUE(WaitFor([&] { return Converged(cluster); }, kElectionDeadline));
  const auto before = cluster.QueryRole(*leader, seconds(5));
  ASSERT_TRUE(before.ok());

  // The leader still hears everyone, but nothing it sends arrives.
  Nemesis nemesis(cluster, proxy->get(), {.seed = 9});
  FaultSpec spec;
  spec.kind = FaultKind::kPartition;
  spec.shape = PartitionShape::kOneWay;
  spec.target = {TargetKind::kLeader, {}};
  const auto cut_at = std::chrono::steady_clock::now();
  auto fault = nemesis.Start(spec);
  ASSERT_TRUE(fault.ok()) << fault.status().ToString();
  ASSERT_TRUE(fault->grudge.has_value());
  EXPECT_EQ(*fault->grudge, OneWayIsolate(cluster.NodeIds(), *leader));
  NodeId next = 0;
  std::string why;
  EXPECT_TRUE(WaitFor(
      [&] { return (why = NewLeaderElsewhere(cluster, *leader, before->epoch, &next)).empty(); },
      kElectionDeadline))
      << why << " (" << fault->description << ")";
  Measure("proxy_one_way_leader_to_new_leader", MsSince(cut_at));
  ASSERT_TRUE(nemesis.HealAll().ok());
  EXPECT_TRUE(WaitFor([&] { return Converged(cluster); }, kElectionDeadline));
}

TEST_F(ClusterE2eTest, ProxyDelayOnTheLeadersLinksSlowsRealTrafficAndStopRemovesIt) {
  auto created = Cluster::Create(Options(dir_.path() + "/run"));
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  Cluster& cluster = **created;
  auto proxy = ProxyPartitioner::Create(cluster.PeerPorts(), /*seed=*/11);
  ASSERT_TRUE(proxy.ok()) << proxy.status().ToString();
  for (const auto& [link, endpoint] : (*proxy)->PortRoutes()) {
    ASSERT_TRUE(cluster.SetPeerRoute(link.from, link.to, link.port, endpoint).ok());
  }
  ASSERT_TRUE(cluster.StartAll().ok());
  ASSERT_TRUE(WaitFor([&] { return Converged(cluster); }, kElectionDeadline));
  Nemesis nemesis(cluster, proxy->get(), {.seed = 11});
  FaultSpec spec;
  spec.kind = FaultKind::kDelay;
  spec.delay_ms = 20;  // well below sync_limit (500 ms): a slow network, not a partition
  spec.target = {TargetKind::kLeader, {}};
  auto fault = nemesis.Start(spec);
  ASSERT_TRUE(fault.ok()) << fault.status().ToString();
  ASSERT_EQ(fault->nodes.size(), 1u);
  const NodeId leader = fault->nodes[0];
  EXPECT_EQ(fault->links.size(), 4u);
  // Heartbeats keep flowing, now delayed, on the leader's links.
  const NodeId follower = leader == 1 ? 2 : 1;
  EXPECT_TRUE(WaitFor([&] { return (*proxy)->Stats(leader, follower).chunks_delayed > 0; },
                      kElectionDeadline));
  EXPECT_TRUE(WaitFor([&] { return Converged(cluster); }, kElectionDeadline));
  ASSERT_TRUE(nemesis.Stop(*fault).ok());
  const auto delayed = (*proxy)->Stats(leader, follower).chunks_delayed;
  const auto forwarded = (*proxy)->Stats(leader, follower).bytes_forwarded;
  EXPECT_TRUE(WaitFor([&] { return (*proxy)->Stats(leader, follower).bytes_forwarded > forwarded; },
                      kElectionDeadline));
  // Every chunk read after Stop returned went through undelayed.
  EXPECT_EQ((*proxy)->Stats(leader, follower).chunks_delayed, delayed);
}

// Root only: the whole scenario runs in a forked child that enters its own network namespace
// (nodes on 127.0.0.11-13, grudges as iptables rules there), so the host's rules are never
// touched and the namespace dies with the child. The child reports through a pipe; the parent
// checks that no node process outlived it.
TEST_F(ClusterE2eTest, IptablesPartitionInAPrivateNetnsElectsANewLeaderAndLeavesNothingBehind) {
  if (!CanEnterPrivateNetns()) GTEST_SKIP() << "needs root for a private network namespace";
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  const std::string run_dir = dir_.path() + "/run";
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    close(fds[0]);
    std::string report;
    auto say = [&](const std::string& line) { report += line + "\n"; };
    [&] {
      if (Status s = EnterPrivateNetns(); !s.ok()) return say("FAIL " + s.ToString());
      auto created = Cluster::Create(Options(run_dir, AddressMode::kPrivateNetns));
      if (!created.ok()) return say("FAIL " + created.status().ToString());
      Cluster& cluster = **created;
      auto iptables = IptablesPartitioner::ForCluster(cluster.Infos());
      if (!iptables.ok()) return say("FAIL " + iptables.status().ToString());
      if (Status s = cluster.StartAll(); !s.ok()) return say("FAIL " + s.ToString());
      for (const NodeInfo& info : cluster.Infos()) say("PID " + std::to_string(info.pid));
      auto leader = cluster.FindLeader(kElectionDeadline);
      if (!leader.ok()) return say("FAIL " + leader.status().ToString());
      if (!WaitFor([&] { return Converged(cluster); }, kElectionDeadline)) {
        return say("FAIL no convergence before the partition");
      }
      const auto before = cluster.QueryRole(*leader, seconds(5));
      if (!before.ok()) return say("FAIL " + before.status().ToString());
      Nemesis nemesis(cluster, iptables->get(), {.seed = 3});
      FaultSpec spec;
      spec.kind = FaultKind::kPartition;
      spec.shape = PartitionShape::kIsolateLeader;
      auto cut_at = std::chrono::steady_clock::now();
      auto fault = nemesis.Start(spec);
      if (!fault.ok()) return say("FAIL " + fault.status().ToString());
      NodeId next = 0;
      std::string why;
      if (!WaitFor(
              [&] {
                return (why = NewLeaderElsewhere(cluster, *leader, before->epoch, &next)).empty();
              },
              kElectionDeadline)) {
        return say("FAIL " + why + " (" + fault->description + ")");
      }
      say("MEASURE iptables_isolate_leader_to_new_leader " + std::to_string(MsSince(cut_at)));
      if (Status s = nemesis.Stop(*fault); !s.ok()) return say("FAIL " + s.ToString());
      if (!WaitFor([&] { return Converged(cluster); }, kElectionDeadline)) {
        return say("FAIL no convergence after healing");
      }
      // One-way: the new leader's messages vanish while it still hears everyone.
      const auto second = cluster.QueryRole(next, seconds(5));
      if (!second.ok()) return say("FAIL " + second.status().ToString());
      spec.shape = PartitionShape::kOneWay;
      spec.target = {TargetKind::kExplicit, {next}};
      cut_at = std::chrono::steady_clock::now();
      auto one_way = nemesis.Start(spec);
      if (!one_way.ok()) return say("FAIL " + one_way.status().ToString());
      NodeId third = 0;
      if (!WaitFor(
              [&] {
                return (why = NewLeaderElsewhere(cluster, next, second->epoch, &third)).empty();
              },
              kElectionDeadline)) {
        return say("FAIL one-way: " + why + " (" + one_way->description + ")");
      }
      say("MEASURE iptables_one_way_leader_to_new_leader " + std::to_string(MsSince(cut_at)));
      if (Status s = nemesis.HealAll(); !s.ok()) return say("FAIL " + s.ToString());
      if (!WaitFor([&] { return Converged(cluster); }, kElectionDeadline)) {
        return say("FAIL no convergence after healing the one-way cut");
      }
      say("OK new leader " + std::to_string(next));
    }();
    (void)!write(fds[1], report.data(), report.size());
    close(fds[1]);
    _exit(0);  // the Cluster destructor already ran; PDEATHSIG covers a crash
  }
  close(fds[1]);
  std::string report;
  char buf[256];
  ssize_t n;
  while ((n = read(fds[0], buf, sizeof buf)) > 0) report.append(buf, static_cast<size_t>(n));
  close(fds[0]);
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << report;
  EXPECT_NE(report.find("OK new leader"), std::string::npos) << report;
  std::istringstream lines(report);
  std::string word;
  int pid = 0;
  int pids = 0;
  while (lines >> word) {
    if (std::string name; word == "MEASURE" && lines >> name && lines >> pid) {
      Measure(name, pid);
    } else if (word == "PID" && lines >> pid) {
      ++pids;
      EXPECT_FALSE(Alive(pid)) << "node pid " << pid << " outlived the run";
    }
  }
  EXPECT_EQ(pids, 3);
}

}  // namespace
}  // namespace faultline::harness
