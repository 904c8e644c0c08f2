// The etcd command line, flag by flag.
#include "harness/systems/etcd/launcher.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace faultline::harness::etcd {
namespace {

EtcdLaunch ThreeNodes() {
  EtcdLaunch l;
  l.etcd_path = "/usr/bin/etcd";
  for (int i = 1; i <= 3; ++i) {
    l.members.push_back({i,
                         {"127.0.0.1" + std::to_string(i), static_cast<uint16_t>(23790 + i)},
                         {"127.0.0.1" + std::to_string(i), static_cast<uint16_t>(23800 + i)}});
  }
  l.cluster_token = "faultline-run-17";
  l.heartbeat_interval_ms = 50;
  l.election_timeout_ms = 500;
  return l;
}

// The value after `flag`, or "<missing>".
std::string Flag(const std::vector<std::string>& argv, const std::string& flag) {
  auto it = std::find(argv.begin(), argv.end(), flag);
  return it == argv.end() || it + 1 == argv.end() ? "<missing>" : *(it + 1);
}

TEST(EtcdLauncher, EveryNodeGetsTheSameMembershipAndItsOwnUrls) {
  EtcdLaunch l = ThreeNodes();
  auto a2 = EtcdArgv(l, 2, "/run/node-2/data", "/run/node-2/etcd.log");
  EXPECT_EQ(a2.at(0), "/usr/bin/etcd");
  EXPECT_EQ(Flag(a2, "--name"), "n2");
  EXPECT_EQ(Flag(a2, "--data-dir"), "/run/node-2/data");
  EXPECT_EQ(Flag(a2, "--listen-client-urls"), "http://127.0.0.12:23792");
  EXPECT_EQ(Flag(a2, "--advertise-client-urls"), "http://127.0.0.12:23792");
  EXPECT_EQ(Flag(a2, "--listen-peer-urls"), "http://127.0.0.12:23802");
  EXPECT_EQ(Flag(a2, "--initial-advertise-peer-urls"), "http://127.0.0.12:23802");
  EXPECT_EQ(Flag(a2, "--initial-cluster"),
            "n1=http://127.0.0.11:23801,n2=http://127.0.0.12:23802,n3=http://127.0.0.13:23803");
  EXPECT_EQ(Flag(a2, "--initial-cluster-state"), "new");
  EXPECT_EQ(Flag(a2, "--initial-cluster-token"), "faultline-run-17");
  auto a3 = EtcdArgv(l, 3, "/d", "/l");
  // etcd derives member and cluster ids from these two: they must be identical on every node.
  EXPECT_EQ(Flag(a3, "--initial-cluster"), Flag(a2, "--initial-cluster"));
  EXPECT_EQ(Flag(a3, "--initial-cluster-token"), Flag(a2, "--initial-cluster-token"));
}

TEST(EtcdLauncher, FastElectionsAndStructuredLogsInTheNodeFolder) {
  auto a = EtcdArgv(ThreeNodes(), 1, "/d", "/run/node-1/etcd.log");
  EXPECT_EQ(Flag(a, "--heartbeat-interval"), "50");
  EXPECT_EQ(Flag(a, "--election-timeout"), "500");
  EXPECT_EQ(Flag(a, "--logger"), "zap");
  EXPECT_EQ(Flag(a, "--log-outputs"), "/run/node-1/etcd.log");
}

}  // namespace
}  // namespace faultline::harness::etcd
