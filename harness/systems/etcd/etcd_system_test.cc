// The etcd system's seam parts without a real etcd: spec keys, traits, promises, the launcher's
// command and install check, and the event importer tailing a node's log. A real cluster is
// tests/e2e/etcd/.
#include "harness/systems/etcd/etcd_system.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>

#include "harness/systems/etcd/fake_gateway.h"
#include "harness/systems/etcd/launcher.h"

namespace faultline::harness::etcd {
namespace {

namespace fs = std::filesystem;

Result<std::unique_ptr<System>> Make(std::map<std::string, std::vector<std::string>> options,
                                     std::string read_mode = "linearizable") {
  SystemConfig c;
  c.kind = "etcd";
  c.read_mode = std::move(read_mode);
  c.options = std::move(options);
  return EtcdSystemKind().create(c);
}

class EtcdSystemTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string t = (fs::temp_directory_path() / "etcd_system_test.XXXXXX").string();
    dir_ = mkdtemp(t.data());
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  std::string dir_;
};

TEST(EtcdSystemKind, ReadModesAndKeys) {
  SystemKind k = EtcdSystemKind();
  EXPECT_EQ(k.name, "etcd");
  EXPECT_EQ(k.read_modes, (std::vector<std::string>{"linearizable", "local"}));
  std::vector<std::string> keys;
  for (const auto& o : k.options) keys.push_back(o.key);
  EXPECT_EQ(keys,
            (std::vector<std::string>{"etcd", "heartbeat_interval_ms", "election_timeout_ms"}));
}

TEST(EtcdSystemKind, ElectionTimeoutBelowFiveHeartbeatsIsAnError) {
  auto s = Make({{"heartbeat_interval_ms", {"100"}}, {"election_timeout_ms", {"400"}}});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.status().message().find("election_timeout_ms (400)"), std::string::npos)
      << s.status().message();
  EXPECT_TRUE(Make({{"heartbeat_interval_ms", {"100"}}, {"election_timeout_ms", {"500"}}}).ok());
}

TEST(EtcdSystem, RefusesTheProxyWithTheReason) {
  auto s = Make({});
  ASSERT_TRUE(s.ok());
  SystemTraits t = s.value()->Traits();
  EXPECT_NE(t.proxy_refusal.find("cluster ID mismatch"), std::string::npos);
  EXPECT_TRUE(t.has_peer_network);
  EXPECT_TRUE(t.peers_reply_on_dialed_connections);  // iptables must cut etcd's streams too
  EXPECT_FALSE(t.zab_event_log);
}

TEST(EtcdSystem, PromisesPerReadMode) {
  auto s = Make({});
  ASSERT_TRUE(s.ok());
  Promises linear = s.value()->PromisesFor("linearizable");
  EXPECT_TRUE(linear.linearizable_reads);
  EXPECT_TRUE(linear.Promised("linearizability"));
  EXPECT_TRUE(linear.Promised("lost-writes"));
  EXPECT_FALSE(linear.Promised("session-order"));
  Promises local = s.value()->PromisesFor("local");
  EXPECT_FALSE(local.linearizable_reads);  // serializable ranges may be stale
  EXPECT_TRUE(local.Promised("session-order"));
  EXPECT_EQ(local.observations, (std::vector<std::string>{"stale-reads"}));
  // "" = the run's read mode.
  EXPECT_EQ(s.value()->PromisesFor("").summary, linear.summary);
}

TEST_F(EtcdSystemTest, AMissingBinaryIsNotFoundNamingThePackage) {
  auto s = Make({{"etcd", {"/nonexistent/etcd"}}});
  ASSERT_TRUE(s.ok());
  auto db = s.value()->OpenDb(DbOptions{dir_, 3, NetLayout::kLoopback});
  ASSERT_FALSE(db.ok());
  EXPECT_EQ(db.status().code(), StatusCode::kNotFound);
  EXPECT_NE(db.status().message().find("etcd-server"), std::string::npos) << db.status().message();
}

TEST(EtcdSystem, FindExecutableSearchesPath) {
  EXPECT_EQ(FindExecutable("sh").empty(), false);
  EXPECT_EQ(FindExecutable("/bin/sh"), "/bin/sh");
  EXPECT_EQ(FindExecutable("no-such-binary-faultline"), "");
  EXPECT_EQ(FindExecutable("/nonexistent/etcd"), "");
}

TEST_F(EtcdSystemTest, LocalReadModeClientsAskForSerializableRanges) {
  auto s = Make({}, "local");
  ASSERT_TRUE(s.ok());
  FakeGateway gw([](const std::string&, const std::string&) {
    return FakeHttpAction::Reply(200, R"({"header":{"revision":"1"}})");
  });
  NodeInfo node;
  node.id = 2;
  node.client = {"127.0.0.1", static_cast<uint16_t>(gw.port())};
  checkers::Op op;
  op.f = checkers::Fn::kRead;
  op.key = "k";
  auto client = s.value()->NewClient(node, "");
  EXPECT_EQ(client->Invoke(op, std::chrono::milliseconds(2000)).outcome, checkers::Outcome::kOk);
  EXPECT_EQ(client->node(), 2);
  client.reset();  // the fake serves one connection at a time
  auto linear = s.value()->NewClient(node, "linearizable");
  EXPECT_EQ(linear->Invoke(op, std::chrono::milliseconds(2000)).outcome, checkers::Outcome::kOk);
  auto requests = gw.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_NE(requests[0].find("serializable"), std::string::npos) << requests[0];
  EXPECT_EQ(requests[1].find("serializable"), std::string::npos) << requests[1];
}

TEST_F(EtcdSystemTest, TheImporterTailsTheNodeLogAndNamesLeadersByNode) {
  if (FindExecutable("etcd").empty()) GTEST_SKIP() << "etcd not installed (OpenDb checks it)";
  auto s = Make({});
  ASSERT_TRUE(s.ok());
  auto db = s.value()->OpenDb(DbOptions{dir_, 3, NetLayout::kLoopback});
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  NodeInfo n1 = db.value()->Info(1);
  NodeInfo n2 = db.value()->Info(2);
  auto importer = s.value()->NewEventImporter(n1);
  ASSERT_NE(importer, nullptr);
  EXPECT_TRUE(importer->Poll().events.empty());  // no log yet: the node has not started
  std::ofstream log(EtcdLogPath(n1));
  log << R"({"level":"info","ts":"2026-12-01T20:55:51.557Z","msg":"starting local member","local-member-id":"a6bac19c5a26dc7f"})"
      << "\n"
      << R"({"level":"info","ts":"2026-12-01T20:55:51.615Z","msg":"added remote peer","remote-peer-id":"116a9b590eb6a477","remote-peer-urls":[")"
      << Url(n2.PeerPort("peer")) << R"("]})"
      << "\n"
      << "2026-12-01 20:56:48.423419 E | rafthttp: not json\n"
      << R"({"level":"info","ts":"2026-12-01T20:56:14.750Z","msg":"raft.node: a6bac19c5a26dc7f elected leader 116a9b590eb6a477 at term 3"})"
      << "\n"
      << R"({"level":"info","ts":"2026-12-01T20:56:15.000Z","msg":"a6bac19c5a26dc7f became candidate at term 4"})";
  log.flush();
  EventImporter::Batch b = importer->Poll();
  ASSERT_EQ(b.events.size(), 2u);
  EXPECT_EQ(b.events[0].type, "start");
  EXPECT_EQ(b.events[1].type, "elected");
  EXPECT_EQ(b.events[1].fields["leader"], 2);
  EXPECT_EQ(b.events[1].fields["epoch"], 3);
  EXPECT_EQ(b.skipped, 1);
  // The line without a newline waits for Finish (after the node stopped).
  EventImporter::Batch last = importer->Finish();
  ASSERT_EQ(last.events.size(), 1u);
  EXPECT_EQ(last.events[0].fields["role"], "looking");
}

}  // namespace
}  // namespace faultline::harness::etcd
