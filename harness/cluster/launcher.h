// NodeLauncher: what the generic supervisor (cluster.h) needs from a system to run its servers as
// processes. A launcher knows one system's files, command line and liveness/role probes; it
// never starts, signals or waits for a process itself (the supervisor does, for the pids it
// started only).
//
// Order of calls for one node: the supervisor lays the node out (host, client port, one port per
// PeerPortNames() and OtherPortNames() entry, its folder `dir`), then before EVERY start calls
// Prepare, which writes the node's config files and data directories inside `dir` (data
// directories are kept across restarts: a restart runs with the same data) and returns the
// command. The supervisor then spawns it in its own process group with PR_SET_PDEATHSIG, stdout
// and stderr appended to NodeInfo::log_path.
//
// Thread-safety: Prepare is called on the supervisor thread; QueryRole and Ping from any thread,
// concurrently. Implementations keep no mutable state, or guard it.
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "common/status.h"
#include "harness/cluster/node.h"

namespace faultline::harness {

struct LaunchCommand {
  std::string program;  // absolute path (or a name found in PATH)
  std::vector<std::string> args;
  std::map<std::string, std::string> env;  // added to (or replacing in) the controller's env
  std::string cwd;                         // "" = the node's folder
};

// Where node `self` must dial each peer port of each other node: the real address, or the proxy
// listener set by Db::SetPeerRoute.
class PeerDirectory {
 public:
  PeerDirectory(const std::vector<NodeInfo>& nodes,
                const std::map<std::pair<NodeId, std::string>, Endpoint>& routes)
      : nodes_(nodes), routes_(routes) {}
  const std::vector<NodeInfo>& nodes() const { return nodes_; }
  // `to`'s peer port `port` as `self` must dial it (the port must exist).
  Endpoint Dial(NodeId to, const std::string& port) const;

 private:
  const std::vector<NodeInfo>& nodes_;
  const std::map<std::pair<NodeId, std::string>, Endpoint>& routes_;  // (to, port) -> endpoint
};

class NodeLauncher {
 public:
  virtual ~NodeLauncher() = default;

  // Named peer ports every node listens on (at least one), e.g. {"peer"} or {"quorum",
  // "election"}; and other ports it needs (never cut), e.g. {"admin"}.
  virtual std::vector<std::string> PeerPortNames() const = 0;
  virtual std::vector<std::string> OtherPortNames() const { return {}; }
  // File name of the node's stdout/stderr log inside its folder, e.g. "zabd.log".
  virtual std::string LogFileName() const = 0;
  // Before any folder is made: NotFound naming what is missing (the binary, java, ...) and how to
  // install it.
  virtual Status CheckInstalled() const = 0;
  // Writes the node's files for this start and returns its command (see the header comment).
  virtual Result<LaunchCommand> Prepare(const NodeInfo& self, const PeerDirectory& peers) = 0;
  // Asks a running node for its role. Unavailable when it does not answer, or (CanQueryRoles()
  // false) a sentence saying the system cannot tell.
  virtual Result<RoleInfo> QueryRole(const NodeInfo& node,
                                     std::chrono::milliseconds timeout) const = 0;
  virtual bool CanQueryRoles() const { return true; }
  // Ok once the node serves clients.
  virtual Status Ping(const NodeInfo& node, std::chrono::milliseconds timeout) const = 0;
};

}  // namespace faultline::harness
