// The zabd launcher's files and command line, without starting zabd: Prepare is called the way
// the supervisor calls it.
#include "harness/systems/zabd/zabd_system.h"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "harness/cluster/test_dir.h"

namespace faultline::harness {
namespace {

NodeInfo Node(NodeId id, const std::string& root) {
  NodeInfo n;
  n.id = id;
  n.host = "127.0.0.1";
  n.client = {"127.0.0.1", static_cast<uint16_t>(7000 + id)};
  n.peer_ports["peer"] = {"127.0.0.1", static_cast<uint16_t>(7100 + id)};
  n.dir = root + "/node-" + std::to_string(id);
  std::filesystem::create_directories(n.dir);
  return n;
}

TEST(ZabdLauncher, PrepareWritesAConfigListingEveryNodeWithRoutesAndReturnsTheCommand) {
  TempDir dir("zabd-system-test");
  std::vector<NodeInfo> nodes = {Node(1, dir.path()), Node(2, dir.path()), Node(3, dir.path())};
  ZabdOptions o;
  o.binary = "/bin/true";
  o.tick_time_ms = 20;
  o.read_mode = "local";
  o.extra_flags = {"--fault", "zk-1154"};
  auto launcher = MakeZabdLauncher(o);
  EXPECT_EQ(launcher->PeerPortNames(), std::vector<std::string>{"peer"});
  EXPECT_EQ(launcher->LogFileName(), "zabd.log");
  std::map<std::pair<NodeId, std::string>, Endpoint> routes = {{{2, "peer"}, {"127.0.0.1", 4242}}};
  Result<LaunchCommand> c = launcher->Prepare(nodes[0], PeerDirectory(nodes, routes));
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  const NodeInfo& one = nodes[0];
  EXPECT_TRUE(std::filesystem::is_directory(ZabdDataDir(one)));
  YAML::Node config = YAML::LoadFile(ZabdConfigPath(one));
  ASSERT_EQ(config["nodes"].size(), 3u);
  EXPECT_EQ(config["nodes"][0]["peer"].as<std::string>(), "127.0.0.1:7101");  // itself: real
  EXPECT_EQ(config["nodes"][1]["peer"].as<std::string>(), "127.0.0.1:4242");  // the route
  EXPECT_EQ(config["nodes"][2]["peer"].as<std::string>(), "127.0.0.1:7103");  // no route
  EXPECT_EQ(config["nodes"][1]["client"].as<std::string>(), "127.0.0.1:7002");
  EXPECT_EQ(config["read_mode"].as<std::string>(), "local");
  EXPECT_EQ(config["tick_time_ms"].as<int>(), 20);
  EXPECT_EQ(c->program, "/bin/true");
  EXPECT_EQ(c->args, (std::vector<std::string>{"--config", ZabdConfigPath(one), "--id", "1",
                                               "--data-dir", ZabdDataDir(one), "--event-log",
                                               ZabdEventLogPath(one), "--fault", "zk-1154"}));
}

TEST(ZabdLauncher, PowerLossModeAddsPowerLossSimAndOnlyZabdClaimsIt) {
  TempDir dir("zabd-system-test");
  std::vector<NodeInfo> nodes = {Node(1, dir.path())};
  ZabdOptions o;
  o.binary = "/bin/true";
  o.power_loss_sim = true;
  Result<LaunchCommand> c = MakeZabdLauncher(o)->Prepare(nodes[0], PeerDirectory(nodes, {}));
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->args.back(), "--power-loss-sim");
  o.power_loss_sim = false;
  c = MakeZabdLauncher(o)->Prepare(nodes[0], PeerDirectory(nodes, {}));
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(std::count(c->args.begin(), c->args.end(), "--power-loss-sim"), 0);
  EXPECT_TRUE(MakeZabdSystem(o)->Traits().power_loss);
}

TEST(ZabdLauncher, AMissingBinaryIsNotFound) {
  ZabdOptions o;
  o.binary = "/nonexistent/zabd";
  EXPECT_EQ(MakeZabdLauncher(o)->CheckInstalled().code(), StatusCode::kNotFound);
}

TEST(ZabdSystem, PromisesDependOnTheReadMode) {
  ZabdOptions o;
  auto system = MakeZabdSystem(o);
  Promises lin = system->PromisesFor("linearizable");
  EXPECT_TRUE(lin.linearizable_reads);
  EXPECT_EQ(lin.checkers,
            (std::vector<std::string>{"linearizability", "lost-writes", "zab-invariants"}));
  Promises local = system->PromisesFor("local");
  EXPECT_FALSE(local.linearizable_reads);
  EXPECT_TRUE(local.Promised("session-order"));
  EXPECT_EQ(local.observations, std::vector<std::string>{"stale-reads"});
}

TEST(ZabdBinary, ResolvedBesideFaultlineByDefaultAndRelativeToTheSpecFolder) {
  EXPECT_EQ(ResolveZabdBinary("", "workloads", "/opt/bin"), "/opt/bin/zabd");
  EXPECT_EQ(ResolveZabdBinary("/x/zabd", "workloads", "/opt/bin"), "/x/zabd");
  EXPECT_EQ(ResolveZabdBinary("../build/zabd", "workloads", "/opt/bin"), "build/zabd");
  EXPECT_EQ(ResolveZabdBinary("zabd-not-there", "w", "/nonexistent"), "zabd-not-there");
}

}  // namespace
}  // namespace faultline::harness
