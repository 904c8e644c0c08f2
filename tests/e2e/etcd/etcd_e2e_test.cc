// End-to-end: the real `faultline` binary runs the shipped etcd suite, shortened, against real
// etcd 3.4 processes (Debian etcd-server). Skipped with a clear line when etcd is not installed,
// when faultline is not built, or (the partition run) when not root: etcd can only be partitioned
// with iptables in a private network namespace. The sandbox (tests/e2e/report/faultline_child.h)
// owns the temp dir and the faultline child and cleans both up even when an assertion fails (the
// nodes die with faultline).
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <set>
#include <string>

#include "harness/systems/etcd/etcd_system.h"
#include "tests/e2e/report/faultline_child.h"

namespace {

using faultline::e2e::FaultlineSandbox;
using faultline::e2e::kBin;
using faultline::e2e::kSource;

class EtcdE2e : public ::testing::Test {
 protected:
  void SetUp() override {
    if (faultline::harness::etcd::FindExecutable("etcd").empty()) {
      GTEST_SKIP() << "etcd not installed (apt-get install etcd-server etcd-client): etcd e2e "
                      "tests skipped";
    }
    if (!std::filesystem::exists(kBin + "/faultline")) {
      GTEST_SKIP() << "faultline not built at " << kBin;
    }
    box_ = std::make_unique<FaultlineSandbox>();
  }

  void RequireRoot() {
    if (geteuid() != 0) {
      GTEST_SKIP() << "not root: etcd partitions need iptables in a private network namespace";
    }
  }

  int Run(std::vector<std::string> args) { return box_->Run(std::move(args), &out_); }
  std::vector<std::string> Query(const std::string& sql) const { return box_->Query(sql); }

  std::unique_ptr<FaultlineSandbox> box_;
  std::string out_;
};

TEST_F(EtcdE2e, KillAndPartitionRunEndsValidAndLeaderChangesAreImported) {
  RequireRoot();
  int code = Run({"run", kSource + "/workloads/etcd.yaml", "--time-limit", "20s", "--seed", "7"});
  const std::string& out = out_;
  ASSERT_EQ(code, 0) << out;
  EXPECT_EQ(Query("SELECT status, verdict FROM runs")[0], "finished|valid") << out;
  std::set<std::string> kinds;
  for (const auto& k : Query("SELECT kind FROM faults WHERE stop_ns IS NOT NULL")) {
    kinds.insert(k);
  }
  EXPECT_TRUE(kinds.count("kill")) << out;
  EXPECT_TRUE(kinds.count("partition")) << out;
  // Some ops committed, and every ok write names the etcd revision it committed at.
  EXPECT_NE(Query("SELECT COUNT(*) FROM ops WHERE outcome = 'ok' AND f = 'write'")[0], "0");
  EXPECT_EQ(Query("SELECT COUNT(*) FROM ops WHERE outcome = 'ok' AND f = 'write' AND "
                  "(zxid IS NULL OR zxid <= 0)")[0],
            "0");
  // etcd's own log shows more than one Raft term with a leader: the leader kill forced an
  // election, and the importer turned "became leader at term N" into established events.
  std::vector<std::string> terms = Query(
      "SELECT COUNT(DISTINCT json_extract(json, '$.epoch')) FROM node_events "
      "WHERE type = 'established'");
  ASSERT_EQ(terms.size(), 1u);
  EXPECT_GE(std::stoi(terms[0]), 2) << "expected a new term after the leader kill\n" << out;
  EXPECT_NE(Query("SELECT COUNT(*) FROM node_events WHERE type = 'elected'")[0], "0");
  // The leadership checker judged the imported events.
  EXPECT_EQ(Query("SELECT verdict FROM verdicts WHERE checker = 'zab-invariants'").at(0), "valid")
      << out;
  EXPECT_EQ(Query("SELECT COUNT(*) FROM ops WHERE outcome IS NULL")[0], "0");
}

TEST_F(EtcdE2e, SerializableReadsAreJudgedBySessionOrderNotLinearizability) {
  RequireRoot();
  int code = Run({"run", kSource + "/workloads/etcd.yaml", "--time-limit", "10s", "--seed", "3",
                  "--read-mode", "local"});
  ASSERT_EQ(code, 0) << out_;
  EXPECT_EQ(Query("SELECT status, verdict FROM runs")[0], "finished|valid") << out_;
  // The local read mode's promises: session order judges the reads.
  EXPECT_EQ(Query("SELECT verdict FROM verdicts WHERE checker = 'session-order'").at(0), "valid")
      << out_;
}

TEST_F(EtcdE2e, ProxyModeIsRefusedWithTheReason) {
  int code = Run({"run", kSource + "/workloads/etcd.yaml", "--time-limit", "5s", "--net", "proxy"});
  const std::string& out = out_;
  EXPECT_EQ(code, 2) << out;
  EXPECT_NE(out.find("cluster ID mismatch"), std::string::npos) << out;
}

}  // namespace
