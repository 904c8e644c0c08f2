// ZabdCluster: N real zabd processes in a fresh temp dir, for e2e tests and the benchmark. Node i
// listens on 127.A.B.(10+i) in a loopback block the cluster claims for its life (the layout of
// harness clusters, harness/cluster/cluster.h ClaimLoopbackLayout), never on ports picked free on
// 127.0.0.1, which another test could take before zabd binds them. Processes are forked and
// addressed by pid only; the destructor SIGKILLs every process it started and removes the temp dir
// (also when a test failed), and each child gets SIGKILL from the kernel when its parent dies
// without that (PR_SET_PDEATHSIG: a bench killed by SIGKILL or SIGPIPE), so nothing is left
// running. The kernel ties that signal to the thread that forked: call Start() from a thread that
// lives as long as the cluster.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "harness/cluster/cluster.h"
#include "tests/e2e/zabd/resp_client.h"

namespace zabd::testing {

struct ClusterOptions {
  int nodes = 3;
  uint64_t tick_time_ms = 50;
  uint32_t init_limit = 10;
  uint32_t sync_limit = 5;
  std::string log_level = "info";
  std::vector<std::string> extra_args = {};  // given to every node, before Start()'s own
  // This node's stdout and stderr go into a pipe whose reader is already gone (0: none), as for
  // `zabd ... | head -1` after head exits: its first log line meets EPIPE (and SIGPIPE).
  int closed_pipe_node = 0;
};

class ZabdCluster {
 public:
  ZabdCluster(std::string zabd_binary, ClusterOptions options);
  ~ZabdCluster();
  ZabdCluster(const ZabdCluster&) = delete;
  ZabdCluster& operator=(const ZabdCluster&) = delete;

  faultline::Status Start(int id, const std::vector<std::string>& extra_args = {});
  faultline::Status StartAll();
  // Sends `signo`; for SIGKILL/SIGTERM also reaps the process and returns its exit status
  // (exit code, or 128+signal).
  int Signal(int id, int signo);
  // Waits for the process to exit by itself; returns its exit code (or 128+signal). With
  // timeout_ms >= 0, gives up after that long and returns -1 (the process keeps running).
  int WaitExit(int id, int timeout_ms = -1);
  bool running(int id) const { return pids_.count(id) > 0; }
  pid_t pid(int id) const { return pids_.at(id); }

  int size() const { return options_.nodes; }
  // Node `id`'s host (127.A.B.(10+id)), client port and whole layout (client and "peer" port).
  const std::string& host(int id) const { return nodes_.at(id).host; }
  uint16_t client_port(int id) const { return nodes_.at(id).client.port; }
  const faultline::harness::NodeInfo& layout(int id) const { return nodes_.at(id); }
  const std::string& dir() const { return dir_; }
  const std::string& config_path() const { return config_path_; }
  std::string node_dir(int id) const;
  std::string output(int id) const;  // what the node printed to stdout/stderr so far
  std::string binary() const { return binary_; }

  faultline::Result<RespClient> Connect(int id, int timeout_ms = 5000) const;
  // The id of the node whose ROLE is leading/broadcast, or 0 if none answers so.
  int FindLeader() const;
  // Retries SET through node `id` until it is acknowledged (+OK) or deadline_ms passes.
  faultline::Status SetWithRetry(int id, const std::string& key, const std::string& value,
                                 int deadline_ms);

 private:
  std::string binary_;
  ClusterOptions options_;
  std::string dir_;
  std::string config_path_;
  std::optional<faultline::harness::LoopbackBlock> block_;  // the nodes' addresses
  std::map<int, faultline::harness::NodeInfo> nodes_;
  std::map<int, pid_t> pids_;
};

}  // namespace zabd::testing
