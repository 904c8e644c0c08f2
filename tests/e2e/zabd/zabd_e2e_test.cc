// End-to-end: real zabd processes on loopback (docs/contracts.md sections 1-3).
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <thread>

#include "harness/cluster/port_race_check.h"
#include "server/kv/op.h"
#include "tests/e2e/zabd/cluster.h"

namespace zabd::testing {
namespace {

using Kind = RespValue::Kind;

std::string ZabdBinary() { return std::string(FAULTLINE_BIN_DIR) + "/zabd"; }

class ZabdE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!std::filesystem::exists(ZabdBinary())) GTEST_SKIP() << "zabd not built";
    cluster_ = std::make_unique<ZabdCluster>(ZabdBinary(), ClusterOptions{});
  }
  // The cluster's destructor SIGKILLs every process and removes the temp dir, on failure too.
  void TearDown() override {
    if (HasFailure() && cluster_) {
      for (int id = 1; id <= cluster_->size(); ++id) {
        std::string out = cluster_->output(id);
        if (out.size() > 4000) out = out.substr(out.size() - 4000);
        std::fprintf(stderr, "---- node %d output (tail) ----\n%s\n", id, out.c_str());
      }
    }
    cluster_.reset();
  }

  // Waits (bounded) until a write through node 1 is acknowledged: a leader is established.
  void StartAndWaitForService(const std::vector<std::string>& extra_args = {}) {
    for (int id = 1; id <= cluster_->size(); ++id) {
      ASSERT_TRUE(cluster_->Start(id, extra_args).ok());
    }
    auto s = cluster_->SetWithRetry(1, "ready", "1", 20000);
    ASSERT_TRUE(s.ok()) << s.ToString();
    // Every node has joined the established leader (ROLE phase broadcast).
    for (int id = 1; id <= cluster_->size(); ++id) {
      std::string phase;
      for (int attempt = 0; attempt < 400 && phase != "broadcast"; ++attempt) {
        if (attempt > 0) std::this_thread::sleep_for(std::chrono::milliseconds(50));
        auto c = cluster_->Connect(id, 2000);
        if (!c.ok()) continue;
        auto r = c->Call({"ROLE"});
        if (r.ok() && r->elements.size() == 6) phase = r->elements[4].str;
      }
      ASSERT_EQ(phase, "broadcast") << "node " << id << " never joined";
    }
  }

  RespValue Call(int id, const std::vector<std::string>& args) {
    auto c = cluster_->Connect(id);
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    if (!c.ok()) return RespValue{};
    auto r = c->Call(args);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : RespValue{};
  }

  // GET retried while the node answers NOTAPPLIED/UNKNOWN (e.g. it is still syncing).
  RespValue GetEventually(int id, const std::string& key) {
    RespValue last;
    for (int attempt = 0; attempt < 200; ++attempt) {
      auto c = cluster_->Connect(id, 2000);
      if (c.ok()) {
        auto r = c->Call({"GET", key});
        if (r.ok() && r->kind != Kind::kError) return *r;
        if (r.ok()) last = *r;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return last;
  }

  std::unique_ptr<ZabdCluster> cluster_;
};

TEST_F(ZabdE2eTest, WritesThroughEveryNodeAreReadableOnEveryNode) {
  StartAndWaitForService();
  for (int writer = 1; writer <= 3; ++writer) {
    auto s = cluster_->SetWithRetry(writer, fmt::format("k{}", writer), fmt::format("v{}", writer),
                                    10000);
    ASSERT_TRUE(s.ok()) << s.ToString();
  }
  for (int reader = 1; reader <= 3; ++reader) {
    for (int writer = 1; writer <= 3; ++writer) {
      RespValue v = GetEventually(reader, fmt::format("k{}", writer));
      EXPECT_EQ(v.kind, Kind::kBulk) << "node " << reader << ": " << v.ToString();
      EXPECT_EQ(v.str, fmt::format("v{}", writer)) << "node " << reader;
    }
  }
  // DEL and CAS replies (contracts.md 1).
  EXPECT_EQ(Call(2, {"CAS", "k1", "v1", "w1"}).integer, 1);
  EXPECT_EQ(Call(3, {"CAS", "k1", "v1", "x1"}).integer, 0);
  EXPECT_EQ(GetEventually(1, "k1").str, "w1");
  EXPECT_EQ(Call(1, {"DEL", "k2"}).integer, 1);
  EXPECT_EQ(Call(2, {"DEL", "k2"}).integer, 0);
  EXPECT_EQ(GetEventually(3, "k2").kind, Kind::kNil);
}

TEST_F(ZabdE2eTest, AfterTheLeaderIsKilledWritesResumeAndEveryAcknowledgedWriteSurvives) {
  StartAndWaitForService();
  std::vector<std::string> acked;
  for (int i = 0; i < 20; ++i) {
    auto key = fmt::format("before{}", i);
    ASSERT_TRUE(cluster_->SetWithRetry(1 + i % 3, key, "x" + key, 10000).ok());
    acked.push_back(key);
  }
  int leader = cluster_->FindLeader();
  ASSERT_NE(leader, 0);
  EXPECT_EQ(cluster_->Signal(leader, SIGKILL), 128 + SIGKILL);
  const int survivor = leader % 3 + 1;
  for (int i = 0; i < 20; ++i) {
    auto key = fmt::format("after{}", i);
    auto s = cluster_->SetWithRetry(survivor, key, "x" + key, 45000);
    ASSERT_TRUE(s.ok()) << s.ToString();
    acked.push_back(key);
  }
  ASSERT_TRUE(cluster_->Start(leader).ok());
  for (int id = 1; id <= 3; ++id) {
    for (const auto& key : acked) {
      RespValue v = GetEventually(id, key);
      ASSERT_EQ(v.str, "x" + key) << "node " << id << " lost acknowledged " << key << ": "
                                  << v.ToString();
    }
  }
}

TEST_F(ZabdE2eTest, RedisCliSetsAndGetsAgainstAnyNode) {
  if (std::system("command -v redis-cli >/dev/null 2>&1") != 0) GTEST_SKIP() << "no redis-cli";
  StartAndWaitForService();
  auto run = [&](int id, const std::string& args) {
    std::string cmd = fmt::format("redis-cli -h {} -p {} {} 2>&1", cluster_->host(id),
                                  cluster_->client_port(id), args);
    std::string out;
    if (FILE* p = ::popen(cmd.c_str(), "r")) {
      char buf[4096];
      size_t n;
      while ((n = std::fread(buf, 1, sizeof(buf), p)) > 0) out.append(buf, n);
      ::pclose(p);
    }
    return out;
  };
  EXPECT_EQ(run(1, "PING"), "PONG\n");
  EXPECT_EQ(run(2, "SET greeting hello"), "OK\n");
  std::string got;
  for (int i = 0; i < 100 && got != "hello\n"; ++i) {
    got = run(3, "GET greeting");
    if (got != "hello\n") std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(got, "hello\n");
  EXPECT_NE(run(1, "INFO").find("commits:"), std::string::npos);
  EXPECT_NE(run(1, "NOSUCHCMD").find("unknown command"), std::string::npos);
}

// Found running `zabd ... 2>&1 | head -1`: once head had its line, the node's next log line
// killed it with SIGPIPE (a supervisor or log shipper that restarts does the same).
TEST_F(ZabdE2eTest, ANodeWhoseLogReaderIsGoneKeepsServing) {
  ClusterOptions options;
  options.closed_pipe_node = 3;
  cluster_ = std::make_unique<ZabdCluster>(ZabdBinary(), options);
  StartAndWaitForService();
  ASSERT_TRUE(cluster_->SetWithRetry(3, "k", "v", 10000).ok());
  EXPECT_EQ(GetEventually(3, "k").str, "v");
  EXPECT_EQ(cluster_->WaitExit(3, 0), -1) << "node 3 exited";
}

TEST_F(ZabdE2eTest, ABadConfigExitsWithCode2NamingTheKey) {
  const std::string bad = cluster_->dir() + "/bad.yaml";
  std::ofstream(bad) << "nodes:\n  - {id: 1, client: 127.0.0.1:1, peer: 127.0.0.1:2}\n"
                        "read_mode: eventually\n";
  std::string cmd =
      fmt::format("{} --config {} --id 1 > {}/bad.out 2>&1", ZabdBinary(), bad, cluster_->dir());
  int status = std::system(cmd.c_str());
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 2);
  std::ifstream in(cluster_->dir() + "/bad.out");
  std::string out((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_NE(out.find("read_mode"), std::string::npos) << out;
  EXPECT_NE(out.find("bad.yaml:3"), std::string::npos) << out;
}

TEST_F(ZabdE2eTest, ACorruptedLogAtStartExitsWithCode2NamingTheFile) {
  StartAndWaitForService();
  for (int i = 0; i < 30; ++i) {
    ASSERT_TRUE(
        cluster_->SetWithRetry(1, fmt::format("c{}", i), std::string(100, 'v'), 10000).ok());
  }
  // Stop node 3 cleanly, then flip a byte early in its (only) log segment: corruption before
  // the tail must stop the start, never be silently cut off.
  EXPECT_EQ(cluster_->Signal(3, SIGTERM), 0);
  std::string segment;
  for (const auto& e : std::filesystem::recursive_directory_iterator(cluster_->node_dir(3))) {
    if (e.is_regular_file() && e.path().filename().string().rfind("log.", 0) == 0) {
      segment = e.path().string();
    }
  }
  ASSERT_FALSE(segment.empty()) << "no log segment under " << cluster_->node_dir(3);
  const auto size = std::filesystem::file_size(segment);
  ASSERT_GT(size, 1000u);
  {
    std::fstream f(segment, std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(static_cast<std::streamoff>(size / 4));
    char c = 0;
    f.read(&c, 1);
    c = static_cast<char>(c ^ 0x5a);
    f.seekp(static_cast<std::streamoff>(size / 4));
    f.write(&c, 1);
  }
  ASSERT_TRUE(cluster_->Start(3).ok());
  EXPECT_EQ(cluster_->WaitExit(3), 2);
  const std::string out = cluster_->output(3);
  EXPECT_NE(out.find(std::filesystem::path(segment).filename().string()), std::string::npos) << out;
}

// Issue 8 finding 4 through the binary: a deleted epoch file stops the start (exit 2 naming the
// file); --repair recreates it and the node rejoins.
TEST_F(ZabdE2eTest, ADeletedEpochFileExitsWithCode2UnlessRepairIsGiven) {
  StartAndWaitForService();
  ASSERT_TRUE(cluster_->SetWithRetry(1, "e", "1", 10000).ok());
  EXPECT_EQ(cluster_->Signal(3, SIGTERM), 0);
  const std::string accepted = cluster_->node_dir(3) + "/acceptedEpoch";
  ASSERT_TRUE(std::filesystem::remove(accepted)) << accepted;
  ASSERT_TRUE(cluster_->Start(3).ok());
  ASSERT_EQ(cluster_->WaitExit(3, 30000), 2) << "node 3 started without its acceptedEpoch";
  std::string out = cluster_->output(3);
  EXPECT_NE(out.find(accepted + ": missing"), std::string::npos) << out;
  EXPECT_NE(out.find("--repair"), std::string::npos) << out;
  EXPECT_FALSE(std::filesystem::exists(accepted));

  ASSERT_TRUE(cluster_->Start(3, {"--repair"}).ok());
  EXPECT_EQ(GetEventually(3, "e").str, "1");
  EXPECT_TRUE(std::filesystem::exists(accepted));
  std::ifstream in(cluster_->node_dir(3) + "/events.jsonl");
  std::string events((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_NE(events.find("\"repaired_epoch_files\""), std::string::npos);
}

TEST_F(ZabdE2eTest, ZxidsOnReturnsZxidsThatIncrease) {
  StartAndWaitForService();
  auto c = cluster_->Connect(2);
  ASSERT_TRUE(c.ok());
  auto on = c->Call({"ZXIDS", "ON"});
  ASSERT_TRUE(on.ok());
  EXPECT_EQ(on->str, "OK");
  int64_t previous = 0;
  for (int i = 0; i < 5; ++i) {
    auto r = c->Call({"SET", "z", std::to_string(i)});
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    ASSERT_EQ(r->kind, Kind::kArray) << r->ToString();
    ASSERT_EQ(r->elements.size(), 2u);
    EXPECT_EQ(r->elements[0].str, "OK");
    EXPECT_GT(r->elements[1].integer, previous);
    previous = r->elements[1].integer;
  }
  auto g = c->Call({"GET", "z"});
  ASSERT_TRUE(g.ok());
  ASSERT_EQ(g->kind, Kind::kArray) << g->ToString();
  EXPECT_EQ(g->elements[0].str, "4");
  EXPECT_GE(g->elements[1].integer, previous);
  auto off = c->Call({"ZXIDS", "OFF"});
  ASSERT_TRUE(off.ok());
  auto plain = c->Call({"GET", "z"});
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->kind, Kind::kBulk);
}

TEST_F(ZabdE2eTest, RoleAndInfoDescribeTheEstablishedLeader) {
  StartAndWaitForService();
  int leader = cluster_->FindLeader();
  ASSERT_NE(leader, 0);
  for (int id = 1; id <= 3; ++id) {
    // A node may still be joining (discovery/sync) right after the first write committed.
    RespValue role;
    for (int attempt = 0; attempt < 200; ++attempt) {
      role = Call(id, {"ROLE"});
      if (role.elements.size() == 6 && role.elements[4].str == "broadcast") break;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ASSERT_EQ(role.elements.size(), 6u) << role.ToString();
    EXPECT_EQ(role.elements[0].str, id == leader ? "leading" : "following");
    EXPECT_EQ(role.elements[1].kind, Kind::kInteger);
    EXPECT_EQ(role.elements[3].integer, leader) << "node " << id;
  }
  RespValue info = Call(leader, {"INFO"});
  for (const char* field : {"role:leading", "proposals:", "commits:", "fsyncs:", "elections:",
                            "sync_diff:", "last_zxid:"}) {
    EXPECT_NE(info.str.find(field), std::string::npos) << field;
  }
}

TEST_F(ZabdE2eTest, MalformedInputGetsAnErrorAndAClosedConnectionAndTheNodeKeepsServing) {
  StartAndWaitForService();
  auto c = cluster_->Connect(1, 3000);
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE(c->SendRaw("*2\r\n$3\r\nGET\r\n#oops\r\n").ok());
  auto r = c->ReadReply();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->kind, Kind::kError);
  EXPECT_EQ(r->str.rfind("ERR", 0), 0u) << r->str;
  EXPECT_TRUE(c->ReadsEof());
  // Inline commands work (printf 'PING\r\n' | nc).
  auto d = cluster_->Connect(1, 3000);
  ASSERT_TRUE(d.ok());
  ASSERT_TRUE(d->SendRaw("PING\r\n").ok());
  auto pong = d->ReadReply();
  ASSERT_TRUE(pong.ok());
  EXPECT_EQ(pong->str, "PONG");
  // A key over the bound is refused without closing the connection.
  auto big = d->Call({"SET", std::string(2000, 'k'), "v"});
  ASSERT_TRUE(big.ok());
  EXPECT_EQ(big->kind, Kind::kError);
  auto again = d->Call({"PING"});
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->str, "PONG");
}

TEST_F(ZabdE2eTest, AWriteTheLeaderCannotCommitInTimeIsAnsweredUnknownNeverFail) {
  // sync_limit far above the server-side request timeout: the leader keeps leading while its
  // followers are paused, so the request can only end by the server-side timeout.
  cluster_ = std::make_unique<ZabdCluster>(ZabdBinary(), ClusterOptions{.sync_limit = 200});
  StartAndWaitForService();
  const int leader = cluster_->FindLeader();
  ASSERT_NE(leader, 0);
  for (int id = 1; id <= 3; ++id) {
    if (id != leader) ::kill(cluster_->pid(id), SIGSTOP);
  }
  auto c = cluster_->Connect(leader, 20000);
  ASSERT_TRUE(c.ok());
  auto r = c->Call({"SET", "stuck", "1"});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->kind, Kind::kError) << r->ToString();
  EXPECT_EQ(r->str.rfind("UNKNOWN", 0), 0u) << r->str;
  for (int id = 1; id <= 3; ++id) {
    if (id != leader) ::kill(cluster_->pid(id), SIGCONT);
  }
}

TEST_F(ZabdE2eTest, AValueOfTheMaximumSizeIsReplicatedAndALargerOneIsRefused) {
  // It failed 2 of 8 times under load with UNKNOWN "leader silent for sync_limit": the leader's
  // event loop sat in its fsync of the 1 MiB txn (> 250 ms on the loaded disk) and sent no PING.
  // The fsync now runs off the loop and PINGs go out meanwhile (NodeRuntimeTest.
  // ALeaderKeepsPingingWhileItsFsyncOfAWriteRuns). What is left is ZAB itself: a follower
  // whose own fsync of the txn outlasts sync_limit is rightly dropped, and a leader holds its
  // COMMIT (and the PINGs behind it) for its own fsync. This test checks the size bound, not the
  // disk's speed, so it gives a slow disk 2 s (40 ticks) of sync_limit instead of 250 ms.
  cluster_ = std::make_unique<ZabdCluster>(ZabdBinary(), ClusterOptions{.sync_limit = 40});
  StartAndWaitForService();
  const std::string big(kv::kValueBytesMax, 'b');
  auto c = cluster_->Connect(2, 20000);
  ASSERT_TRUE(c.ok());
  auto r = c->Call({"SET", "big", big});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->str, "OK") << r->ToString().substr(0, 200);
  for (int id = 1; id <= 3; ++id) {
    RespValue v = GetEventually(id, "big");
    EXPECT_EQ(v.str.size(), big.size()) << "node " << id;
  }
  auto d = cluster_->Connect(1, 20000);
  ASSERT_TRUE(d.ok());
  auto refused = d->Call({"SET", "bigger", big + "x"});
  ASSERT_TRUE(refused.ok()) << refused.status().ToString();
  EXPECT_EQ(refused->kind, Kind::kError);
  EXPECT_EQ(refused->str.rfind("ERR", 0), 0u) << refused->str;
}

TEST_F(ZabdE2eTest, TheEventLogStartsWithAStartRecordAndShowsTheRole) {
  StartAndWaitForService();
  EXPECT_EQ(cluster_->Signal(1, SIGTERM), 0);
  std::ifstream in(cluster_->node_dir(1) + "/events.jsonl");
  std::string first;
  std::getline(in, first);
  EXPECT_NE(first.find("\"type\":\"start\""), std::string::npos) << first;
  EXPECT_NE(first.find("\"node\":1"), std::string::npos) << first;
  EXPECT_NE(first.find("\"records_loaded\""), std::string::npos) << first;
  std::string rest((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_NE(rest.find("\"type\":\"role\""), std::string::npos);
}

// A node killed with log space reserved ahead (1 MiB of zeros past its records) restarts, and
// its start record says how many zeros recovery cut off (contracts.md 3), where before it said
// nothing of them.
TEST_F(ZabdE2eTest, TheStartRecordAfterAKillSaysHowManyReservedZerosRecoveryCut) {
  StartAndWaitForService();
  ASSERT_TRUE(cluster_->SetWithRetry(1, "k", "v", 10000).ok());
  EXPECT_EQ(cluster_->Signal(1, SIGKILL), 128 + SIGKILL);
  ASSERT_TRUE(cluster_->Start(1).ok());
  std::string second;
  for (int attempt = 0; attempt < 200 && second.empty(); ++attempt) {
    std::ifstream in(cluster_->node_dir(1) + "/events.jsonl");
    std::string line;
    int starts = 0;
    while (std::getline(in, line)) {
      if (line.find("\"type\":\"start\"") != std::string::npos && ++starts == 2) second = line;
    }
    if (second.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_FALSE(second.empty()) << "no second start record";
  auto j = nlohmann::json::parse(second);
  ASSERT_TRUE(j.contains("zero_tail_bytes")) << second;
  EXPECT_GT(j["zero_tail_bytes"].get<uint64_t>(), 0u) << second;
  EXPECT_LE(j["zero_tail_bytes"].get<uint64_t>(), uint64_t{1} << 20) << second;
}

// ---- Issue 8 findings 1 and 5: pipelining, slots, idle and slow clients ------------------

// The value of `field` in an INFO reply ("" if absent).
std::string InfoField(const std::string& info, const std::string& field) {
  const std::string key = field + ":";
  auto at = info.find(key);
  if (at == std::string::npos) return "";
  auto end = info.find("\r\n", at);
  return info.substr(at + key.size(), end - at - key.size());
}

// Polls INFO on node `id` until `field` reads `want` (the INFO connection itself counts in
// client_connections). Returns the last value seen.
std::string WaitForInfo(ZabdCluster& cluster, int id, const std::string& field,
                        const std::string& want) {
  std::string seen;
  for (int attempt = 0; attempt < 400; ++attempt) {
    auto c = cluster.Connect(id, 5000);
    if (c.ok()) {
      auto r = c->Call({"INFO"});
      if (r.ok()) seen = InfoField(r->str, field);
      if (seen == want) return seen;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return seen;
}

TEST_F(ZabdE2eTest, Finding1TenThousandPipelinedSetsThroughOneConnectionGetEveryReplyInOrder) {
  StartAndWaitForService();
  const int leader = cluster_->FindLeader();
  ASSERT_NE(leader, 0);
  auto c = cluster_->Connect(leader, 20000);
  ASSERT_TRUE(c.ok());
  // With ZXIDS ON every SET reply carries its commit zxid: in request order they must increase.
  std::string wire = EncodeCommand({"ZXIDS", "ON"});
  for (int i = 0; i < 10000; ++i) {
    wire += EncodeCommand({"SET", fmt::format("p{}", i), fmt::format("v{}", i)});
  }
  auto replies = c->Pipeline(wire, 10001);
  ASSERT_TRUE(replies.ok()) << replies.status().ToString();
  ASSERT_EQ(replies->size(), 10001u);
  EXPECT_EQ((*replies)[0].str, "OK");
  int64_t last_zxid = 0;
  for (std::size_t i = 1; i < replies->size(); ++i) {
    const RespValue& r = (*replies)[i];
    ASSERT_EQ(r.kind, Kind::kArray) << "reply " << i << ": " << r.ToString();
    ASSERT_EQ(r.elements.size(), 2u);
    ASSERT_EQ(r.elements[0].str, "OK") << "reply " << i;
    ASSERT_GT(r.elements[1].integer, last_zxid) << "reply " << i << " out of order";
    last_zxid = r.elements[1].integer;
  }
  EXPECT_EQ(GetEventually(leader, "p9999").str, "v9999");
  EXPECT_EQ(WaitForInfo(*cluster_, leader, "client_connections", "2"), "2");  // c + INFO's
}

TEST_F(ZabdE2eTest, Finding1RedisCliPipeOfAThousandSetsGetsEveryReplyAndReturnsItsSlot) {
  if (std::system("command -v redis-cli >/dev/null 2>&1") != 0) GTEST_SKIP() << "no redis-cli";
  StartAndWaitForService();
  const std::string out = cluster_->dir() + "/pipe.out";
  const std::string cmd = fmt::format(
      "for i in $(seq 1000); do echo \"SET p$i v$i\"; done | timeout 60 redis-cli -h {} "
      "-p {} --pipe > {} 2>&1",
      cluster_->host(2), cluster_->client_port(2), out);
  EXPECT_EQ(std::system(cmd.c_str()), 0);
  std::ifstream in(out);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("errors: 0, replies: 1000"), std::string::npos) << text;
  EXPECT_EQ(GetEventually(2, "p1000").str, "v1000");
  EXPECT_EQ(WaitForInfo(*cluster_, 2, "client_connections", "1"), "1");
}

// Every way a client can leave: plain close, close with writes in flight, close while paused on
// the pipeline bound, close right after a protocol error. Afterwards only the INFO connection
// itself is open.
TEST_F(ZabdE2eTest, Finding1TwoThousandConnectDisconnectCyclesLeaveNoClientConnection) {
  StartAndWaitForService();
  std::string deep = EncodeCommand({"READMODE", "local"});
  for (std::size_t i = 0; i < 300; ++i) deep += EncodeCommand({"GET", "k"});
  int connected = 0;
  for (int i = 0; i < 2000; ++i) {
    RespClient c;
    if (!c.Connect(cluster_->host(1), cluster_->client_port(1), 5000).ok()) continue;
    ++connected;
    switch (i % 4) {
      case 0:
        break;
      case 1:
        (void)c.SendRaw(EncodeCommand({"SET", "cycle", std::to_string(i)}));
        break;
      case 2:
        (void)c.SendRaw(deep);
        break;
      case 3:
        (void)c.SendRaw("*1\r\n:bad\r\n");
        break;
    }
  }
  EXPECT_EQ(connected, 2000);
  EXPECT_EQ(WaitForInfo(*cluster_, 1, "client_connections", "1"), "1");
  EXPECT_EQ(WaitForInfo(*cluster_, 1, "client_buffered_bytes", "0"), "0");
}

TEST_F(ZabdE2eTest, Finding5IdleAndHalfSentClientsAreClosedAndTheirSlotsReturned) {
  cluster_ = std::make_unique<ZabdCluster>(
      ZabdBinary(), ClusterOptions{.extra_args = {"--client-idle-timeout-ms", "500",
                                                  "--client-request-timeout-ms", "500"}});
  StartAndWaitForService();
  auto idle = cluster_->Connect(1, 10000);
  ASSERT_TRUE(idle.ok());
  auto slow = cluster_->Connect(1, 10000);
  ASSERT_TRUE(slow.ok());
  // Half of a 1 MiB value, then nothing (issue 8 finding 5: 150 of these held 330 MB).
  ASSERT_TRUE(slow->SendRaw("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$" + std::to_string(kv::kValueBytesMax) +
                            "\r\n" + std::string(kv::kValueBytesMax / 2, 'x'))
                  .ok());
  auto err = slow->ReadReply();
  ASSERT_TRUE(err.ok()) << err.status().ToString();
  EXPECT_EQ(err->kind, Kind::kError);
  EXPECT_NE(err->str.find("not completed within 500 ms"), std::string::npos) << err->str;
  EXPECT_TRUE(slow->ReadsEof());
  EXPECT_TRUE(idle->ReadsEof());
  auto c = cluster_->Connect(1, 5000);
  ASSERT_TRUE(c.ok());
  auto info = c->Call({"INFO"});
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(InfoField(info->str, "client_connections"), "1") << info->str;
  EXPECT_EQ(InfoField(info->str, "clients_closed_slow_request"), "1") << info->str;
  EXPECT_NE(InfoField(info->str, "clients_closed_idle"), "0") << info->str;
}

TEST_F(ZabdE2eTest, Finding5OutOfRangeClientTimeoutFlagsExitWithCode2) {
  auto s = cluster_->Start(1, {"--client-idle-timeout-ms", "18446744073709551615"});
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(cluster_->WaitExit(1), 2);
  EXPECT_NE(cluster_->output(1).find("client-idle-timeout-ms"), std::string::npos)
      << cluster_->output(1);
}

// Fault points are listed loudly wherever an operator looks (fault_points.h): the start banner,
// INFO and the `start` event. So is the power-loss mode.
TEST_F(ZabdE2eTest, EnabledFaultPointsAndPowerLossSimAreListedAtStartInInfoAndTheStartEvent) {
  StartAndWaitForService(
      {"--fault", "zk-4643", "--fault", "commit-without-quorum", "--power-loss-sim"});
  RespValue info = Call(1, {"INFO"});
  EXPECT_NE(info.str.find("faults:commit-without-quorum,zk-4643\r\n"), std::string::npos)
      << info.str;
  EXPECT_NE(info.str.find("power_loss_sim:1\r\n"), std::string::npos) << info.str;
  EXPECT_NE(cluster_->output(1).find("FAULTS ENABLED"), std::string::npos);
  EXPECT_NE(cluster_->output(1).find("POWER-LOSS SIMULATION"), std::string::npos);
  std::ifstream in(cluster_->node_dir(1) + "/events.jsonl");
  std::string first;
  std::getline(in, first);
  EXPECT_NE(first.find("\"faults\":\"commit-without-quorum,zk-4643\""), std::string::npos) << first;
  EXPECT_NE(first.find("\"power_loss_sim\":true"), std::string::npos) << first;
}

TEST_F(ZabdE2eTest, WithoutFaultPointsInfoListsNoneAndTheStartEventHasNoFaultsField) {
  StartAndWaitForService();
  RespValue info = Call(1, {"INFO"});
  EXPECT_NE(info.str.find("faults:\r\n"), std::string::npos) << info.str;
  EXPECT_NE(info.str.find("power_loss_sim:0\r\n"), std::string::npos) << info.str;
  EXPECT_EQ(cluster_->output(1).find("FAULTS ENABLED"), std::string::npos);
  std::ifstream in(cluster_->node_dir(1) + "/events.jsonl");
  std::string first;
  std::getline(in, first);
  EXPECT_EQ(first.find("faults"), std::string::npos) << first;
}

TEST_F(ZabdE2eTest, UnknownFaultNamesAreRefusedWithExitCode2) {
  ASSERT_TRUE(cluster_->Start(1, {"--fault", "commit-without-quorun"}).ok());
  EXPECT_EQ(cluster_->WaitExit(1), 2);
  EXPECT_NE(cluster_->output(1).find("unknown fault 'commit-without-quorun'"), std::string::npos)
      << cluster_->output(1);
}

// The correct server under --power-loss-sim: killing every node at once (a power cut of the
// whole cluster) loses nothing that was acknowledged.
TEST_F(ZabdE2eTest, UnderPowerLossSimEveryAcknowledgedWriteSurvivesKillingEveryNode) {
  StartAndWaitForService({"--power-loss-sim"});
  std::vector<std::string> acked;
  for (int i = 0; i < 30; ++i) {
    auto key = fmt::format("k{}", i);
    ASSERT_TRUE(cluster_->SetWithRetry(1 + i % 3, key, "v" + key, 10000).ok());
    acked.push_back(key);
  }
  for (int id = 1; id <= 3; ++id) EXPECT_EQ(cluster_->Signal(id, SIGKILL), 128 + SIGKILL);
  for (int id = 1; id <= 3; ++id) ASSERT_TRUE(cluster_->Start(id, {"--power-loss-sim"}).ok());
  for (const auto& key : acked) {
    RespValue v = GetEventually(1 + static_cast<int>(key.size()) % 3, key);
    ASSERT_EQ(v.str, "v" + key) << "lost acknowledged " << key << ": " << v.ToString();
  }
}

// Regression (port race of the test cluster): ZabdCluster picked free ports on 127.0.0.1 and the
// nodes bound them only when started; another test or helper could take one in between ("address
// in use"). Now the nodes listen in a loopback block the cluster holds: the same port numbers
// taken on 127.0.0.1 do not matter. Starts no process (milliseconds).
TEST(ZabdClusterPorts, PortRaceRegressionPortsTakenOn127001DoNotStopTheNodesListening) {
  ZabdCluster a(ZabdBinary(), ClusterOptions{});
  ZabdCluster b(ZabdBinary(), ClusterOptions{});
  std::vector<faultline::harness::Endpoint> endpoints;
  for (int id = 1; id <= a.size(); ++id) {
    endpoints.push_back(a.layout(id).client);
    endpoints.push_back(a.layout(id).PeerPort("peer"));
    EXPECT_NE(a.host(id), b.host(id));  // two clusters alive at once
  }
  for (const std::string& problem : faultline::harness::PortRaceProblems(endpoints)) {
    ADD_FAILURE() << problem;
  }
}

}  // namespace
}  // namespace zabd::testing
