// Cluster: the generic process supervisor. N server processes of any system under one run
// folder: it lays the nodes out (addresses, ports, folders), asks the system's NodeLauncher for
// each node's files and command before every start, spawns, SIGKILLs, SIGSTOPs/SIGCONTs and
// restarts them with the same data, finds roles through the launcher, and notices a process
// that dies on its own. It knows nothing about any one system (launcher.h is the seam).
//
// Run folder layout (Create makes the folders; the launcher fills them):
//   <run_dir>/node-<id>/                 the node's folder (NodeInfo::dir)
//   <run_dir>/node-<id>/<LogFileName()>  stdout and stderr (appended across restarts)
//
// Addresses:
// One port plan for both modes: client port 7000+i, the k-th peer port 7100+100k+i, the k-th
// other port 7900+10k+i (see kNetns* below; below the kernel's ephemeral port range).
//   AddressMode::kLoopback      node i on 127.A.B.(10+i) in a block of the host's loopback that
//                               Create claims for the cluster's life (loopback_block.h), so no
//                               other run, test or outgoing connection can take a node's port
//                               between the layout and the server's bind.
//   AddressMode::kPrivateNetns  node i on 127.0.0.(10+i); under root each node also runs with gid
//                               kNodeGidBase+i (so iptables can recognise its packets). Only
//                               meaningful after EnterPrivateNetns() (harness/net/netns.h).
//
// Proxy mode: before starting, call SetPeerRoute(from, to, port, proxy_listen_endpoint) for every
// directed link and peer port; the launcher then gives node `from` that endpoint for `to`'s port
// (ProxyPartitioner::PortRoutes() gives exactly that map). Without a route, the real address.
//
// Process safety: the Cluster only ever signals pids it spawned and has not yet reaped (one
// supervisor thread spawns and reaps every child by pid, so a reused pid is never signalled).
// Children run in their own process group (a Ctrl-C on the controller's terminal does not reach
// them) with PR_SET_PDEATHSIG=SIGKILL tied to the supervisor thread, so a controller that dies
// without cleanup takes its nodes along. The destructor SIGKILLs and reaps every node still alive
// (SIGKILL also ends stopped processes). A system whose server forks (a wrapper script) must exec
// its server so the pid the supervisor holds is the server's.
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
#include "harness/cluster/db.h"
#include "harness/cluster/launcher.h"
#include "harness/cluster/loopback_block.h"
#include "harness/cluster/node.h"

namespace faultline::harness {

enum class AddressMode { kLoopback, kPrivateNetns };

// The port plan (every node has its own host in both modes).
inline constexpr int kNetnsClientPortBase = 7000;
inline constexpr int kNetnsPeerPortBase = 7100;   // + 100 * peer port index
inline constexpr int kNetnsOtherPortBase = 7900;  // + 10 * other port index
inline constexpr int kMaxNodes = 9;
static_assert(kNetnsPeerPortBase + 100 * 7 < kNetnsOtherPortBase, "room for 8 peer ports");
static_assert(kMaxNodes < 10, "node ids are one digit in the netns port plan");

struct ClusterOptions {
  std::shared_ptr<NodeLauncher> launcher;  // required
  std::string run_dir;                     // created if missing; the node-<id> folders go inside
  int node_count = 3;                      // 1..kMaxNodes
  AddressMode address_mode = AddressMode::kLoopback;
};

class Cluster final : public Db {
 public:
  // Validates options (launcher->CheckInstalled() included), assigns addresses, creates the node
  // folders. Starts nothing.
  static Result<std::unique_ptr<Cluster>> Create(ClusterOptions options);
  ~Cluster() override;  // kills and reaps everything it started
  Cluster(const Cluster&) = delete;
  Cluster& operator=(const Cluster&) = delete;

  // Db.
  Status SetPeerRoute(NodeId from, NodeId to, const std::string& port, Endpoint endpoint) override;
  Status StartAll() override;
  Status StopAll() override;
  Status WaitUntilServing(std::chrono::milliseconds timeout) override;
  Result<RoleInfo> QueryRole(NodeId id, std::chrono::milliseconds timeout) override;
  bool CanQueryRoles() const override;
  NodeInfo Info(NodeId id) const override;
  std::vector<NodeInfo> Infos() const override;
  std::vector<UnexpectedExit> DrainUnexpectedExits() override;

  // ClusterControl.
  std::vector<NodeId> NodeIds() const override;
  NodeState State(NodeId id) const override;
  std::map<NodeId, Role> Roles(std::chrono::milliseconds timeout) override;
  Result<NodeId> FindLeader(std::chrono::milliseconds timeout) override;
  Status Start(NodeId id) override;
  Status Kill(NodeId id) override;
  Status Pause(NodeId id) override;
  Status Resume(NodeId id) override;

  Endpoint ClientEndpoint(NodeId id) const;
  // Every node's peer ports (the real listen addresses).
  std::map<NodeId, std::map<std::string, Endpoint>> PeerPorts() const;

  // Optional: called from the supervisor thread on every unexpected exit (keep it short, do not
  // call back into the Cluster). Set before StartAll.
  void OnUnexpectedExit(std::function<void(const UnexpectedExit&)> callback);

 private:
  struct Impl;
  explicit Cluster(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// The kLoopback layout Create uses, for launchers outside a Cluster too (the e2e test clusters of
// tests/e2e/zabd and tests/e2e/zookeeper): claims a loopback block where a server can listen now
// on every planned endpoint and lays node 1..node_count out in it (host 127.A.B.(10+i), the port
// plan above; NodeInfo's id, host, client, peer_ports, other_ports). The nodes' addresses stay
// theirs while `block` lives; nothing else is picked on 127.0.0.1.
struct LoopbackLayout {
  LoopbackBlock block;
  std::map<NodeId, NodeInfo> nodes;
};
Result<LoopbackLayout> ClaimLoopbackLayout(int node_count,
                                           const std::vector<std::string>& peer_names,
                                           const std::vector<std::string>& other_names = {});

// Leader search shared by every Db: polls `query` on every running node until one says leading
// (the highest epoch wins when two do), or `timeout` passes (Timeout). When the Db cannot tell
// roles, Unavailable at once with the system's sentence.
Result<NodeId> FindLeaderByPolling(Db& db, std::chrono::milliseconds timeout);
// Roles of every node (kUnknown when not running or no answer), queried in parallel.
std::map<NodeId, Role> QueryRoles(Db& db, std::chrono::milliseconds timeout);

}  // namespace faultline::harness
