// Cluster: N real zabd processes under one run folder (Jepsen's Db). Starts, SIGKILLs,
// SIGSTOPs/SIGCONTs and restarts them with the same data, finds the leader through `ROLE`, and
// notices a process that dies on its own.
//
// Run folder layout (all created by Create):
//   <run_dir>/node-<id>/config.yaml   the node's zabd config (docs/contracts.md section 2),
//                                     rewritten before every start
//   <run_dir>/node-<id>/data/         --data-dir (kept across restarts)
//   <run_dir>/node-<id>/events.jsonl  --event-log (appended across restarts)
//   <run_dir>/node-<id>/zabd.log      stdout and stderr (appended across restarts)
//
// Addresses:
//   AddressMode::kLoopback      every node on 127.0.0.1; client and peer ports are free ports
//                               picked once by Create and kept for the cluster's life.
//   AddressMode::kPrivateNetns  node i on 127.0.0.(10+i), client port 7000+i, peer port 7100+i;
//                               under root each node also runs with gid kNodeGidBase+i (so
//                               iptables can recognise its packets). Only meaningful after
//                               EnterPrivateNetns() (harness/net/netns.h).
//
// Proxy mode: before starting, call SetPeerRoute(from, to, proxy_listen_endpoint) for every
// directed link; node `from`'s config then lists `to`'s peer address as that endpoint
// (ProxyPartitioner::Routes() gives exactly that map). Without a route, the real address is used.
//
// Process safety: the Cluster only ever signals pids it spawned and has not yet reaped (one
// supervisor thread spawns and reaps every child by pid, so a reused pid is never signalled).
// Children run in their own process group (a Ctrl-C on the controller's terminal does not reach
// them) with PR_SET_PDEATHSIG=SIGKILL tied to the supervisor thread, so a controller that dies
// without cleanup takes its nodes along. The destructor SIGKILLs and reaps every node still alive
// (SIGKILL also ends stopped processes).
//
// Thread-safety: all public methods are thread-safe (one internal mutex). Kill and StopAll wait for
// the reap; FindLeader, Roles, QueryRole and WaitUntilServing wait on the network without holding
// the mutex.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "harness/cluster/cluster_control.h"
#include "harness/cluster/node.h"

namespace faultline::harness {

enum class AddressMode { kLoopback, kPrivateNetns };

inline constexpr unsigned kNodeGidBase = 61000;

struct ClusterOptions {
  std::string zabd_path;  // e.g. FAULTLINE_BIN_DIR "/zabd"; must exist and be executable
  std::string run_dir;    // created if missing; the node-<id> folders go inside
  int node_count = 3;     // 3 or 5 (any 1..9 accepted)
  AddressMode address_mode = AddressMode::kLoopback;
  // Values written into every node's config file (docs/contracts.md section 2).
  int tick_time_ms = 100;
  int init_limit = 10;
  int sync_limit = 5;
  std::string read_mode = "linearizable";
  std::string secret = "faultline";
  int64_t snapshot_every = 10000;
  std::vector<std::string> extra_args;  // appended to every zabd command line
};

// Everything the harness needs to know about one node. A snapshot; it does not update.
struct NodeInfo {
  NodeId id = 0;
  Endpoint client;  // where clients connect (RESP)
  Endpoint peer;    // where the node listens for peers (the real one, never the proxy)
  std::string dir;  // <run_dir>/node-<id>
  std::string config_path;
  std::string data_dir;
  std::string event_log_path;
  std::string log_path;
  NodeState state = NodeState::kNotStarted;
  int pid = 0;       // 0 when no live process
  int restarts = 0;  // how many times Start succeeded after the first start
  // Group id the process runs with: kNodeGidBase + id in AddressMode::kPrivateNetns under root (so
  // iptables can match a node's packets by owner, see iptables_partitioner.h), else 0 (inherited).
  unsigned gid = 0;
};

// A process that exited while the controller believed it running or paused.
struct UnexpectedExit {
  NodeId id = 0;
  int pid = 0;
  int exit_code = -1;  // -1 when killed by a signal
  int signal = 0;      // 0 when it exited normally
  std::chrono::system_clock::time_point when;
  std::string Describe() const;  // "node 2 (pid 4242) exited with code 2"
};

class Cluster final : public ClusterControl {
 public:
  // Validates options, assigns addresses, creates the run folder layout. Starts nothing.
  static Result<std::unique_ptr<Cluster>> Create(ClusterOptions options);
  ~Cluster() override;  // kills and reaps everything it started
  Cluster(const Cluster&) = delete;
  Cluster& operator=(const Cluster&) = delete;

  // Proxy mode: node `from` dials `to` at `endpoint` instead of `to`'s real peer address. Takes
  // effect at the node's next start. InvalidArgument for unknown ids or from == to.
  Status SetPeerRoute(NodeId from, NodeId to, Endpoint endpoint);

  // Starts every node that is not running or paused. The first failure is returned, the nodes
  // started so far keep running.
  Status StartAll();
  // SIGKILLs every live node (SIGKILL also kills stopped ones) and reaps it; states become
  // kNotStarted. Idempotent.
  Status StopAll();
  // Kill then Start with the same data dir.
  Status Restart(NodeId id);

  // ClusterControl.
  std::vector<NodeId> NodeIds() const override;
  NodeState State(NodeId id) const override;
  std::map<NodeId, Role> Roles(std::chrono::milliseconds timeout) override;
  Result<NodeId> FindLeader(std::chrono::milliseconds timeout) override;
  Status Start(NodeId id) override;
  Status Kill(NodeId id) override;
  Status Pause(NodeId id) override;
  Status Resume(NodeId id) override;

  // `ROLE` of one node (one connection, `timeout` for connect + reply).
  Result<RoleInfo> QueryRole(NodeId id, std::chrono::milliseconds timeout) const;

  // Waits until every running node answers `PING`, or timeout.
  Status WaitUntilServing(std::chrono::milliseconds timeout) const;

  NodeInfo Info(NodeId id) const;  // id must exist (asserted)
  std::vector<NodeInfo> Infos() const;
  Endpoint ClientEndpoint(NodeId id) const;
  Endpoint PeerEndpoint(NodeId id) const;  // the real listen address
  std::map<NodeId, Endpoint> PeerEndpoints() const;
  std::map<NodeId, Endpoint> ClientEndpoints() const;

  // Unexpected exits noticed since the last call, oldest first. Thread-safe; meant to be drained by
  // the run loop every few hundred ms (the reaper notices within ~50 ms).
  std::vector<UnexpectedExit> DrainUnexpectedExits();
  // Optional: called from the supervisor thread on every unexpected exit (keep it short, do not
  // call back into the Cluster). Set before StartAll.
  void OnUnexpectedExit(std::function<void(const UnexpectedExit&)> callback);

 private:
  struct Impl;
  explicit Cluster(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace faultline::harness
