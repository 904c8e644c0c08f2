// ZkEnsemble: N real ZooKeeper 3.8 servers in a fresh temp dir, for the ZooKeeper e2e tests and
// bench/zookeeper. Node i listens on 127.A.B.(10+i) in a loopback block claimed for the ensemble's
// life (harness/cluster/cluster.h ClaimLoopbackLayout), never on ports picked free on 127.0.0.1.
// Not the System's Db (that is the generic supervisor over the ZooKeeper launcher): a small
// standalone launcher, like tests/e2e/zabd/cluster.h.
//
// Each node gets the files of zk_config.h (zoo.cfg, myid, log4j.properties) in <dir>/node-<id>.
// Processes are forked by the calling thread, run in their own process group with
// PR_SET_PDEATHSIG=SIGKILL (they die with the thread that started them, i.e. with the test or the
// bench), and are signalled by pid only. The destructor SIGKILLs and reaps every process it
// started and removes the dir (ZK_E2E_KEEP=1 keeps it), also when a test failed.
//
// Thread-safety: one thread (the one that created the ensemble) starts and signals processes.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "harness/cluster/cluster.h"
#include "harness/cluster/node.h"
#include "harness/systems/zookeeper/zk_config.h"

namespace faultline::harness::zookeeper::testing {

struct EnsembleOptions {
  int nodes = 3;
  ZkTimings timings;
  JvmProfile jvm = JvmProfile::kChaos;    // the bench runs kPackaged
  std::vector<std::string> extra_config;  // extra zoo.cfg lines
};

class ZkEnsemble {
 public:
  // NotFound (with the Debian package to install) when java or ZooKeeper is absent.
  static Result<std::unique_ptr<ZkEnsemble>> Create(EnsembleOptions options);
  ~ZkEnsemble();
  ZkEnsemble(const ZkEnsemble&) = delete;
  ZkEnsemble& operator=(const ZkEnsemble&) = delete;

  Status Start(int id);
  Status StartAll();
  // Sends `signo` to node `id`'s process; SIGKILL also reaps it.
  Status Signal(int id, int signo);
  bool running(int id) const { return pids_.count(id) > 0; }
  pid_t pid(int id) const { return pids_.at(id); }

  int size() const { return options_.nodes; }
  Endpoint client(int id) const { return nodes_.at(id).client; }
  // Every endpoint node `id` listens on (client, quorum, election).
  std::vector<Endpoint> endpoints(int id) const;
  std::string connect(int id) const { return client(id).ToString(); }
  const std::string& dir() const { return dir_; }
  std::string node_dir(int id) const { return nodes_.at(id).dir; }
  std::map<int64_t, std::string> ServerLogs() const;  // node -> zookeeper.log text

  // The node whose `srvr` says leader (the highest epoch if two do), polling until `timeout`;
  // 0 if none.
  int FindLeader(std::chrono::milliseconds timeout) const;
  // Every running node answers `srvr` as leader or follower (serving), or Timeout.
  Status WaitServing(std::chrono::milliseconds timeout) const;

 private:
  explicit ZkEnsemble(EnsembleOptions options) : options_(std::move(options)) {}
  EnsembleOptions options_;
  ZkInstall install_;
  std::string dir_;
  std::optional<LoopbackBlock> block_;  // the nodes' addresses
  std::map<int, ZkNodeConfig> nodes_;
  std::map<int, pid_t> pids_;
};

// The line a test prints when it skips because ZooKeeper cannot run here ("" when it can).
std::string SkipReason();

}  // namespace faultline::harness::zookeeper::testing
