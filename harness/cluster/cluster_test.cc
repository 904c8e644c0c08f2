// The generic supervisor against a script launcher (a shell script that sleeps), so these tests
// need no server: layout, states, signals, restarts, unexpected exits, what the launcher is given
// before every start, cleanup.
#include "harness/cluster/cluster.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sched.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <optional>
#include <random>
#include <sstream>
#include <thread>

#include "harness/cluster/loopback_block.h"
#include "harness/cluster/port_race_check.h"
#include "harness/cluster/test_dir.h"

namespace faultline::harness {
namespace {

// Records its arguments and $NODE_ENV in its working directory (the node folder); exits 3 when
// `exit-now` is there, else sleeps.
constexpr const char* kFakeServer = R"(#!/bin/sh
echo "$@" "env=$NODE_ENV" >> args
if [ -f exit-now ]; then exit 3; fi
exec sleep 600
)";

// A launcher for the script: two peer ports and one other port, a "peers" file written before
// every start listing where this node dials each peer port.
class ScriptLauncher : public NodeLauncher {
 public:
  explicit ScriptLauncher(std::string program) : program_(std::move(program)) {}
  std::vector<std::string> PeerPortNames() const override { return {"quorum", "election"}; }
  std::vector<std::string> OtherPortNames() const override { return {"admin"}; }
  std::string LogFileName() const override { return "script.log"; }
  Status CheckInstalled() const override {
    if (::access(program_.c_str(), X_OK) != 0) return Status::NotFound(program_ + " missing");
    return Status::Ok();
  }
  Result<LaunchCommand> Prepare(const NodeInfo& self, const PeerDirectory& peers) override {
    std::ofstream out(self.dir + "/peers", std::ios::trunc);
    for (const NodeInfo& n : peers.nodes()) {
      if (n.id == self.id) continue;
      out << n.id << " " << peers.Dial(n.id, "quorum").ToString() << " "
          << peers.Dial(n.id, "election").ToString() << "\n";
    }
    ++prepares;
    LaunchCommand c;
    c.program = program_;
    c.args = {"--id", std::to_string(self.id)};
    c.env["NODE_ENV"] = "n" + std::to_string(self.id);
    return c;
  }
  Result<RoleInfo> QueryRole(const NodeInfo& node, std::chrono::milliseconds) const override {
    return Status::Unavailable("the script does not answer");
  }
  Status Ping(const NodeInfo&, std::chrono::milliseconds) const override { return Status::Ok(); }
  std::atomic<int> prepares{0};

 private:
  std::string program_;
};

char ProcState(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(in)), {});
  const auto paren = text.rfind(')');
  return paren == std::string::npos ? '?' : text[paren + 2];
}

bool Alive(int pid) { return pid > 0 && ::kill(pid, 0) == 0 && ProcState(pid) != 'Z'; }

template <typename F>
bool Eventually(F f) {
  for (int i = 0; i < 1000; ++i) {
    if (f()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

class ClusterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(dir_.path().empty());
    fake_ = dir_.path() + "/fake-server";
    std::ofstream(fake_) << kFakeServer;
    ::chmod(fake_.c_str(), 0755);
    launcher_ = std::make_shared<ScriptLauncher>(fake_);
  }
  std::unique_ptr<Cluster> Make(int n = 3) {
    ClusterOptions options;
    options.launcher = launcher_;
    options.run_dir = dir_.path() + "/run";
    options.node_count = n;
    auto cluster = Cluster::Create(options);
    EXPECT_TRUE(cluster.ok()) << cluster.status().ToString();
    return cluster.ok() ? std::move(*cluster) : nullptr;
  }

  TempDir dir_{"faultline-cluster-test"};
  std::string fake_;
  std::shared_ptr<ScriptLauncher> launcher_;
};

TEST_F(ClusterTest, CreateLaysOutOneFolderPerNodeWithDistinctLoopbackPortsForEveryName) {
  auto cluster = Make(5);
  ASSERT_NE(cluster, nullptr);
  std::set<uint16_t> ports;
  std::set<std::string> hosts;
  const std::string block = cluster->Info(1).host.substr(0, cluster->Info(1).host.rfind('.'));
  for (const NodeInfo& info : cluster->Infos()) {
    EXPECT_EQ(info.host, fmt::format("{}.{}", block, 10 + info.id));  // its own host in one block
    EXPECT_EQ(info.client.host, info.host);
    hosts.insert(info.host);
    ports.insert(info.client.port);
    ASSERT_EQ(info.peer_ports.size(), 2u);
    ports.insert(info.PeerPort("quorum").port);
    ports.insert(info.PeerPort("election").port);
    ports.insert(info.other_ports.at("admin").port);
    EXPECT_TRUE(std::filesystem::is_directory(info.dir));
    EXPECT_EQ(info.log_path, info.dir + "/script.log");
    EXPECT_EQ(info.state, NodeState::kNotStarted);
  }
  EXPECT_EQ(ports.size(), 20u);
  EXPECT_EQ(hosts.size(), 5u);
  EXPECT_NE(block, "127.0.0");
}

std::vector<Endpoint> AllEndpoints(const NodeInfo& info) {
  std::vector<Endpoint> out = {info.client};
  for (const auto& [name, e] : info.peer_ports) out.push_back(e);
  for (const auto& [name, e] : info.other_ports) out.push_back(e);
  return out;
}

// Regression (loopback port race): ports were picked free on 127.0.0.1 by Create and bound by
// the servers only when they started; anything that took one in between (another run or test,
// the kernel handing it out as an outgoing connection's source port) made a node fail with
// "address in use". Now the nodes listen in a loopback block the cluster holds, on ports below
// the ephemeral range: the same port numbers taken on 127.0.0.1 do not matter.
TEST_F(ClusterTest, PortRaceRegressionPortsTakenOn127001AfterCreateDoNotStopTheNodesListening) {
  auto cluster = Make(3);
  ASSERT_NE(cluster, nullptr);
  std::vector<Endpoint> endpoints;
  for (const NodeInfo& info : cluster->Infos()) {
    for (const Endpoint& e : AllEndpoints(info)) endpoints.push_back(e);
  }
  for (const std::string& problem : PortRaceProblems(endpoints)) ADD_FAILURE() << problem;
}

TEST_F(ClusterTest, TwoClustersAliveAtOnceListenOnDistinctAddresses) {
  auto a = Make(3);
  auto b = Make(3);
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  for (const NodeInfo& x : a->Infos()) {
    for (const NodeInfo& y : b->Infos()) EXPECT_NE(x.host, y.host);
  }
}

TEST(LoopbackBlockTest, AHeldBlockIsSkippedAndTheClaimEndsWithTheBlock) {
  const uint64_t seed = (uint64_t{std::random_device{}()} << 32) | std::random_device{}();
  std::optional<LoopbackBlock> first;
  {
    auto claimed = LoopbackBlock::Claim(seed);
    ASSERT_TRUE(claimed.ok()) << claimed.status().ToString();
    first.emplace(std::move(claimed).value());
  }
  EXPECT_EQ(first->Host(11), first->prefix() + ".11");
  auto second = LoopbackBlock::Claim(seed);  // the same draws: the first block is held
  ASSERT_TRUE(second.ok());
  EXPECT_NE(second->prefix(), first->prefix());
  const std::string held = first->prefix();
  first.reset();
  auto again = LoopbackBlock::Claim(seed);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->prefix(), held);
}

TEST_F(ClusterTest, PrivateNetnsModeGivesEveryNodeItsOwnHostAndAFixedPortPlan) {
  ClusterOptions options;
  options.launcher = launcher_;
  options.run_dir = dir_.path() + "/run";
  options.address_mode = AddressMode::kPrivateNetns;
  auto cluster = Cluster::Create(options);
  ASSERT_TRUE(cluster.ok());
  EXPECT_EQ((*cluster)->ClientEndpoint(2).ToString(), "127.0.0.12:7002");
  EXPECT_EQ((*cluster)->Info(3).host, "127.0.0.13");
  EXPECT_EQ((*cluster)->Info(3).PeerPort("quorum").ToString(), "127.0.0.13:7103");
  EXPECT_EQ((*cluster)->Info(3).PeerPort("election").ToString(), "127.0.0.13:7203");
  EXPECT_EQ((*cluster)->Info(1).other_ports.at("admin").ToString(), "127.0.0.11:7901");
}

TEST_F(ClusterTest, ALauncherThatIsNotInstalledIsNotFoundBeforeAnyFolderIsMade) {
  ClusterOptions options;
  options.launcher = std::make_shared<ScriptLauncher>(dir_.path() + "/nope");
  options.run_dir = dir_.path() + "/run";
  EXPECT_EQ(Cluster::Create(options).status().code(), StatusCode::kNotFound);
  EXPECT_FALSE(std::filesystem::exists(dir_.path() + "/run"));
}

TEST_F(ClusterTest, EveryStartAsksTheLauncherWithTheRoutesAndRunsItsCommandInTheNodeFolder) {
  auto cluster = Make();
  ASSERT_NE(cluster, nullptr);
  ASSERT_TRUE(cluster->SetPeerRoute(1, 2, "election", {"127.0.0.1", 4242}).ok());
  EXPECT_EQ(cluster->SetPeerRoute(1, 2, "nope", {"127.0.0.1", 1}).code(),
            StatusCode::kInvalidArgument);
  ASSERT_TRUE(cluster->StartAll().ok());
  EXPECT_EQ(launcher_->prepares.load(), 3);
  const NodeInfo one = cluster->Info(1);
  std::ifstream peers(one.dir + "/peers");
  std::string line;
  std::getline(peers, line);  // node 2: its real quorum port, the route for election
  EXPECT_EQ(line, "2 " + cluster->Info(2).PeerPort("quorum").ToString() + " 127.0.0.1:4242");
  ASSERT_TRUE(Eventually([&] { return std::filesystem::exists(one.dir + "/args"); }));
  std::ifstream args(one.dir + "/args");
  std::getline(args, line);
  EXPECT_EQ(line, "--id 1 env=n1");
  ASSERT_TRUE(cluster->Restart(1).ok());
  EXPECT_EQ(launcher_->prepares.load(), 4);  // asked again before the restart
}

TEST_F(ClusterTest, KillReapsTheProcessAndRestartStartsANewOne) {
  auto cluster = Make();
  ASSERT_NE(cluster, nullptr);
  ASSERT_TRUE(cluster->StartAll().ok());
  const int first_pid = cluster->Info(2).pid;
  ASSERT_TRUE(Alive(first_pid));
  ASSERT_TRUE(cluster->Kill(2).ok());
  EXPECT_EQ(cluster->State(2), NodeState::kKilled);
  EXPECT_EQ(cluster->Info(2).pid, 0);
  EXPECT_EQ(cluster->Kill(2).code(), StatusCode::kUnavailable);
  ASSERT_TRUE(cluster->Start(2).ok());
  EXPECT_EQ(cluster->State(2), NodeState::kRunning);
  EXPECT_NE(cluster->Info(2).pid, 0);
  EXPECT_EQ(cluster->Info(2).restarts, 1);
  ASSERT_TRUE(cluster->Restart(2).ok());
  EXPECT_EQ(cluster->Info(2).restarts, 2);
  EXPECT_TRUE(cluster->DrainUnexpectedExits().empty());  // our own kills are not news
}

TEST_F(ClusterTest, PauseStopsTheProcessAndResumeContinuesIt) {
  auto cluster = Make();
  ASSERT_NE(cluster, nullptr);
  ASSERT_TRUE(cluster->StartAll().ok());
  const int pid = cluster->Info(1).pid;
  ASSERT_TRUE(cluster->Pause(1).ok());
  EXPECT_EQ(cluster->State(1), NodeState::kPaused);
  EXPECT_EQ(ProcState(pid), 'T');
  EXPECT_EQ(cluster->Pause(1).code(), StatusCode::kUnavailable);
  ASSERT_TRUE(cluster->Resume(1).ok());
  EXPECT_EQ(cluster->State(1), NodeState::kRunning);
  EXPECT_TRUE(Eventually([&] { return ProcState(pid) != 'T'; }));
  EXPECT_EQ(cluster->Resume(1).code(), StatusCode::kUnavailable);
}

TEST_F(ClusterTest, APausedNodeCanBeKilled) {
  auto cluster = Make();
  ASSERT_NE(cluster, nullptr);
  ASSERT_TRUE(cluster->StartAll().ok());
  ASSERT_TRUE(cluster->Pause(3).ok());
  ASSERT_TRUE(cluster->Kill(3).ok());
  EXPECT_EQ(cluster->State(3), NodeState::kKilled);
}

TEST_F(ClusterTest, AProcessThatExitsOnItsOwnIsReportedOnceWithItsExitCode) {
  auto cluster = Make();
  ASSERT_NE(cluster, nullptr);
  std::ofstream(cluster->Info(2).dir + "/exit-now") << "";
  std::atomic<int> callbacks{0};
  cluster->OnUnexpectedExit([&](const UnexpectedExit&) { ++callbacks; });
  ASSERT_TRUE(cluster->StartAll().ok());
  std::vector<UnexpectedExit> exits;
  ASSERT_TRUE(Eventually([&] {
    auto more = cluster->DrainUnexpectedExits();
    exits.insert(exits.end(), more.begin(), more.end());
    return !exits.empty();
  }));
  ASSERT_EQ(exits.size(), 1u);
  EXPECT_EQ(exits[0].id, 2);
  EXPECT_EQ(exits[0].exit_code, 3);
  EXPECT_EQ(exits[0].Describe().find("node 2"), 0u);
  EXPECT_EQ(cluster->State(2), NodeState::kExitedUnexpectedly);
  EXPECT_EQ(callbacks.load(), 1);
  EXPECT_TRUE(cluster->DrainUnexpectedExits().empty());
  EXPECT_EQ(cluster->State(1), NodeState::kRunning);
}

TEST_F(ClusterTest, ADeathBySignalFromOutsideIsReportedWithTheSignal) {
  auto cluster = Make();
  ASSERT_NE(cluster, nullptr);
  ASSERT_TRUE(cluster->StartAll().ok());
  ::kill(cluster->Info(1).pid, SIGTERM);  // our own child: stands in for an OOM kill
  std::vector<UnexpectedExit> exits;
  ASSERT_TRUE(Eventually([&] {
    exits = cluster->DrainUnexpectedExits();
    return !exits.empty();
  }));
  EXPECT_EQ(exits[0].signal, SIGTERM);
  EXPECT_EQ(exits[0].exit_code, -1);
}

TEST_F(ClusterTest, DestroyingTheClusterKillsEveryProcessItStarted) {
  std::vector<int> pids;
  {
    auto cluster = Make();
    ASSERT_NE(cluster, nullptr);
    ASSERT_TRUE(cluster->StartAll().ok());
    ASSERT_TRUE(cluster->Pause(2).ok());
    for (const NodeInfo& info : cluster->Infos()) pids.push_back(info.pid);
  }
  for (int pid : pids) EXPECT_FALSE(Alive(pid)) << pid;
}

// A controller that dies without any cleanup (a crash, SIGKILL) takes its nodes along:
// PR_SET_PDEATHSIG. Under root the same holds in netns mode, where nodes also change their gid
// (a credential change that would clear the death signal if it came after prctl).
std::vector<int> PidsOfACrashedController(std::shared_ptr<NodeLauncher> launcher,
                                          const std::string& run_dir, bool netns) {
  int fds[2];
  if (pipe(fds) != 0) return {};
  const pid_t child = fork();
  if (child == 0) {
    close(fds[0]);
    if (netns && unshare(CLONE_NEWNET) != 0) _exit(3);
    ClusterOptions options;
    options.launcher = launcher;
    options.run_dir = run_dir;
    options.address_mode = netns ? AddressMode::kPrivateNetns : AddressMode::kLoopback;
    auto cluster = Cluster::Create(options);
    if (!cluster.ok() || !(*cluster)->StartAll().ok()) _exit(2);
    std::string pids;
    for (const NodeInfo& info : (*cluster)->Infos()) {
      if (netns && info.gid != kNodeGidBase + static_cast<unsigned>(info.id)) _exit(4);
      pids += std::to_string(info.pid) + " ";
    }
    (void)!write(fds[1], pids.data(), pids.size());
    _exit(0);  // no destructor: the Cluster never cleans up
  }
  close(fds[1]);
  std::string text;
  char buf[128];
  ssize_t n;
  while ((n = read(fds[0], buf, sizeof buf)) > 0) text.append(buf, static_cast<size_t>(n));
  close(fds[0]);
  int status = 0;
  waitpid(child, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  std::vector<int> pids;
  std::istringstream in(text);
  for (int pid; in >> pid;) pids.push_back(pid);
  return pids;
}

TEST_F(ClusterTest, NodesDieWithAControllerThatCrashes) {
  auto pids = PidsOfACrashedController(launcher_, dir_.path() + "/run", /*netns=*/false);
  ASSERT_EQ(pids.size(), 3u);
  // The nodes were the crashed child's children; init reaps them once SIGKILL lands.
  for (int pid : pids) EXPECT_TRUE(Eventually([&] { return !Alive(pid); })) << pid;
}

TEST_F(ClusterTest, NodesWithTheirOwnGidInNetnsModeStillDieWithACrashedController) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root (gid change and a private netns)";
  auto pids = PidsOfACrashedController(launcher_, dir_.path() + "/run", /*netns=*/true);
  ASSERT_EQ(pids.size(), 3u);
  for (int pid : pids) EXPECT_TRUE(Eventually([&] { return !Alive(pid); })) << pid;
}

TEST_F(ClusterTest, StopAllKillsEverythingAndStartAllBringsItBack) {
  auto cluster = Make();
  ASSERT_NE(cluster, nullptr);
  ASSERT_TRUE(cluster->StartAll().ok());
  const int pid = cluster->Info(1).pid;
  ASSERT_TRUE(cluster->StopAll().ok());
  EXPECT_FALSE(Alive(pid));
  for (NodeId id : cluster->NodeIds()) EXPECT_EQ(cluster->State(id), NodeState::kNotStarted);
  ASSERT_TRUE(cluster->StartAll().ok());
  for (NodeId id : cluster->NodeIds()) EXPECT_EQ(cluster->State(id), NodeState::kRunning);
}

TEST_F(ClusterTest, FindLeaderTimesOutWhenNoNodeAnswers) {
  auto cluster = Make();
  ASSERT_NE(cluster, nullptr);
  ASSERT_TRUE(cluster->StartAll().ok());  // the fake never listens
  EXPECT_EQ(cluster->FindLeader(std::chrono::milliseconds(0)).status().code(),
            StatusCode::kTimeout);
  for (const auto& [id, role] : cluster->Roles(std::chrono::milliseconds(200))) {
    EXPECT_EQ(role, Role::kUnknown);
  }
}

}  // namespace
}  // namespace faultline::harness
