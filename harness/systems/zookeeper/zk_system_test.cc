// The ZooKeeper system without starting ZooKeeper: the launcher's files and command as the
// supervisor asks for them, promises, spec keys, the event importer over real log text.
#include "harness/systems/zookeeper/zk_system.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "harness/cluster/test_dir.h"
#include "harness/spec/test_spec.h"
#include "harness/systems/registry.h"

namespace faultline::harness::zookeeper {
namespace {

namespace fs = std::filesystem;

NodeInfo Node(NodeId id, const std::string& root) {
  NodeInfo n;
  n.id = id;
  n.host = "127.0.0.1";
  n.client = {"127.0.0.1", static_cast<uint16_t>(7000 + id)};
  n.peer_ports["quorum"] = {"127.0.0.1", static_cast<uint16_t>(7100 + id)};
  n.peer_ports["election"] = {"127.0.0.1", static_cast<uint16_t>(7200 + id)};
  n.dir = root + "/node-" + std::to_string(id);
  fs::create_directories(n.dir);
  return n;
}

std::string Read(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(ZooKeeperLauncher, PrepareListsItselfRealAndPeersThroughTheirRoutes) {
  if (!ZkInstall::Detect().ok()) GTEST_SKIP() << ZkInstall::Detect().status().ToString();
  TempDir dir("zk-system-test");
  std::vector<NodeInfo> nodes = {Node(1, dir.path()), Node(2, dir.path()), Node(3, dir.path())};
  ZkSystemOptions o;
  o.timings.tick_time_ms = 100;
  auto launcher = MakeZkLauncher(o);
  EXPECT_EQ(launcher->PeerPortNames(), (std::vector<std::string>{"quorum", "election"}));
  EXPECT_EQ(launcher->LogFileName(), "jvm.log");
  std::map<std::pair<NodeId, std::string>, Endpoint> routes = {
      {{2, "quorum"}, {"127.0.0.1", 4001}}, {{2, "election"}, {"127.0.0.1", 4002}}};
  Result<LaunchCommand> c = launcher->Prepare(nodes[0], PeerDirectory(nodes, routes));
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  const std::string cfg = Read(nodes[0].dir + "/zoo.cfg");
  EXPECT_NE(cfg.find("server.1=127.0.0.1:7101:7201:participant"), std::string::npos) << cfg;
  EXPECT_NE(cfg.find("server.2=127.0.0.1:4001:4002:participant"), std::string::npos) << cfg;
  EXPECT_NE(cfg.find("server.3=127.0.0.1:7103:7203:participant"), std::string::npos) << cfg;
  EXPECT_NE(cfg.find("clientPort=7001"), std::string::npos) << cfg;
  EXPECT_NE(cfg.find("tickTime=100"), std::string::npos) << cfg;
  EXPECT_EQ(Read(nodes[0].dir + "/data/myid"), "1\n");
  EXPECT_EQ(c->args.back(), nodes[0].dir + "/zoo.cfg");
  EXPECT_EQ(c->cwd, nodes[0].dir);
}

TEST(ZooKeeperLauncher, RoleQueryOfANodeThatDoesNotAnswerIsUnavailable) {
  TempDir dir("zk-system-test");
  NodeInfo n = Node(1, dir.path());
  n.client = {"127.0.0.1", 1};
  auto launcher = MakeZkLauncher({});
  EXPECT_EQ(launcher->QueryRole(n, std::chrono::milliseconds(1000)).status().code(),
            StatusCode::kUnavailable);
  EXPECT_FALSE(launcher->Ping(n, std::chrono::milliseconds(1000)).ok());
}

TEST(ZooKeeperSystem, PlainGetsPromiseSessionOrderAndReportStaleReadsSyncReadsAreLinearizable) {
  auto system = MakeZkSystem({});
  EXPECT_EQ(system->Kind(), "zookeeper");
  EXPECT_EQ(system->ReadMode(), "local");
  EXPECT_TRUE(system->Traits().peers_reply_on_dialed_connections);
  Promises local = system->PromisesFor("");
  EXPECT_FALSE(local.linearizable_reads);
  EXPECT_EQ(local.checkers, (std::vector<std::string>{"linearizability", "session-order",
                                                      "lost-writes", "zab-invariants"}));
  EXPECT_EQ(local.observations, std::vector<std::string>{"stale-reads"});
  Promises sync = system->PromisesFor("sync");
  EXPECT_TRUE(sync.linearizable_reads);
  EXPECT_FALSE(sync.Promised("session-order"));
  EXPECT_NE(sync.summary.find("ZOOKEEPER-1675"), std::string::npos);
}

TEST(ZooKeeperSystem, SpecKeysAreTypedAndBadValuesNameTheKey) {
  auto spec = [](const std::string& yaml) {
    Result<TestSpec> s = ParseTestSpec(yaml, "z.yaml");
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return s.ok() ? *s : TestSpec{};
  };
  EXPECT_TRUE(
      MakeSystem(spec("system: {kind: zookeeper, tick_time_ms: 100, jvm: packaged}\n"), {}).ok());
  Status unknown = ValidateSystemSpec(spec("system:\n  kind: zookeeper\n  tick_time: 100\n"));
  EXPECT_NE(unknown.message().find("z.yaml:3: system.tick_time: unknown key for system zookeeper"),
            std::string::npos)
      << unknown.ToString();
  Status range = ValidateSystemSpec(spec("system: {kind: zookeeper, sync_limit: 0}\n"));
  EXPECT_NE(range.message().find("system.sync_limit: must be in 1..1000"), std::string::npos)
      << range.ToString();
  auto jvm = MakeSystem(spec("system: {kind: zookeeper, jvm: fast}\n"), {});
  ASSERT_FALSE(jvm.ok());
  EXPECT_NE(jvm.status().message().find("system.jvm: 'fast'"), std::string::npos);
  auto extra = MakeSystem(spec("system: {kind: zookeeper, extra_config: [snapCount]}\n"), {});
  ASSERT_FALSE(extra.ok());
  EXPECT_NE(extra.status().message().find("system.extra_config"), std::string::npos);
  Status mode = ValidateSystemSpec(spec("system: {kind: zookeeper, read_mode: linearizable}\n"));
  EXPECT_NE(mode.message().find("no read mode 'linearizable'"), std::string::npos)
      << mode.ToString();
}

TEST(ZooKeeperSystem, EachNodesImporterReadsEveryNodesLogAndJoinsThem) {
  TempDir dir("zk-system-test");
  auto system = MakeZkSystem({});
  std::vector<std::unique_ptr<EventImporter>> importers;
  std::vector<NodeInfo> nodes;
  for (NodeId id = 1; id <= 3; ++id) {
    nodes.push_back(Node(id, dir.path()));
    importers.push_back(system->NewEventImporter(nodes.back()));
  }
  // The nodes write their logs (the real run of testdata/zookeeper).
  for (NodeId id = 1; id <= 3; ++id) {
    fs::copy_file(std::string(FAULTLINE_SOURCE_DIR) +
                      "/testdata/zookeeper/kill-partition-pause/node-" + std::to_string(id) +
                      ".log",
                  nodes[id - 1].dir + "/zookeeper.log");
  }
  std::map<NodeId, std::vector<checkers::NodeEvent>> got;
  for (NodeId id = 1; id <= 3; ++id) {
    auto b = importers[id - 1]->Poll();
    EXPECT_EQ(b.skipped, 0);
    got[id] = b.events;
  }
  for (NodeId id = 1; id <= 3; ++id) {
    auto b = importers[id - 1]->Finish();
    got[id].insert(got[id].end(), b.events.begin(), b.events.end());
  }
  int received = 0, joined = 0;
  for (const auto& e : got[1]) {
    if (e.type != "sync_received") continue;
    ++received;
    joined += e.fields.Contains("leader") && e.fields.Contains("epoch");
  }
  EXPECT_EQ(received, 6);  // node 1 synced six times (testdata/zookeeper/README.md)
  EXPECT_EQ(joined, 6);    // each joined with its leader's decision
  int established = 0;
  for (const auto& [id, events] : got) {
    for (const auto& e : events) established += e.type == "established";
  }
  EXPECT_EQ(established, 5);
}

}  // namespace
}  // namespace faultline::harness::zookeeper
