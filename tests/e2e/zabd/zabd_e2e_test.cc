// End-to-end: real zabd processes on 127.0.0.1 (docs/contracts.md sections 1-3).
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <thread>

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
  void StartAndWaitForService() {
    ASSERT_TRUE(cluster_->StartAll().ok());
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
    std::string cmd =
        fmt::format("redis-cli -h 127.0.0.1 -p {} {} 2>&1", cluster_->client_port(id), args);
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

}  // namespace
}  // namespace zabd::testing
