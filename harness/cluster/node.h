// Vocabulary shared by the supervisor, the systems, the network faults and the nemesis: node ids,
// addresses, process states, the role a node reports (zabd's `ROLE`, ZooKeeper's `srvr`, etcd's
// status; docs/contracts.md section 1) and one node's layout. Plain values; no behaviour beyond
// formatting and parsing.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

namespace faultline::harness {

// A voter's id as written in the zabd config (`nodes[].id`): 1..N, never 0.
using NodeId = int;

// A TCP address on 127.0.0.0/8.
struct Endpoint {
  std::string host;  // dotted quad, e.g. "127.0.0.11"
  uint16_t port = 0;
  std::string ToString() const { return host + ":" + std::to_string(port); }
  bool operator==(const Endpoint&) const = default;
};

// What the controller knows about a node's process (not what the node thinks of itself).
enum class NodeState {
  kNotStarted,         // configured, never started (or stopped by StopAll)
  kRunning,            // started by us, not reaped
  kPaused,             // SIGSTOP sent by us; SIGCONT not yet sent
  kKilled,             // SIGKILL sent by us and the process reaped
  kExitedUnexpectedly  // the process exited or died while we believed it running
                       // or paused
};
std::string_view NodeStateName(NodeState state);  // "running", "paused", ...

// The role half of a `ROLE` reply.
enum class Role {
  kLeading,
  kFollowing,
  kLooking,
  kUnknown /* unreachable or bad reply */
};
std::string_view RoleName(Role role);   // "leading", "following", "looking", "unknown"
Role ParseRole(std::string_view name);  // unknown names -> kUnknown

// What a node says about itself. zabd's `ROLE` reply fills every field ([role, epoch, last_zxid,
// leader_id, phase, last_committed]); other systems fill what they can tell (ZooKeeper's `srvr`:
// role and zxid, so epoch = zxid >> 32; etcd: role, term as epoch, raft index as last_zxid) and
// leave the rest at the defaults below.
struct RoleInfo {
  Role role = Role::kUnknown;
  int64_t epoch = 0;
  int64_t last_zxid = 0;
  NodeId leader_id = -1;  // -1 when the node knows no leader (or cannot say)
  std::string phase;      // zabd: election | discovery | synchronization | broadcast; else ""
  int64_t last_committed = 0;
};

// One node as laid out by the supervisor (harness/cluster/cluster.h). A snapshot; it does not
// update. The system decides what goes inside `dir` (config files, data dirs, event logs).
struct NodeInfo {
  NodeId id = 0;
  std::string host;  // every port below is on this host
  Endpoint client;   // where clients connect
  // Named peer ports where the node listens for its peers (the real ones, never the proxy):
  // zabd {"peer"}; ZooKeeper {"quorum", "election"}; etcd {"peer"}. Every peer link the proxy and
  // iptables cut goes to one of these.
  std::map<std::string, Endpoint> peer_ports;
  // Other named ports the system needs (not peer links, never cut), e.g. an admin port.
  std::map<std::string, Endpoint> other_ports;
  std::string dir;       // <run_dir>/node-<id>
  std::string log_path;  // stdout + stderr of every incarnation, appended (<dir>/<system>.log)
  NodeState state = NodeState::kNotStarted;
  int pid = 0;       // 0 when no live process
  int restarts = 0;  // how many times Start succeeded after the first start
  // Group id the process runs with: kNodeGidBase + id in AddressMode::kPrivateNetns under root (so
  // iptables can match a node's packets by owner, see iptables_partitioner.h), else 0 (inherited).
  unsigned gid = 0;

  // The peer port named `name`; asserts that it exists.
  const Endpoint& PeerPort(const std::string& name) const;
};

inline constexpr unsigned kNodeGidBase = 61000;

// A process that exited while the controller believed it running or paused.
struct UnexpectedExit {
  NodeId id = 0;
  int pid = 0;
  int exit_code = -1;  // -1 when killed by a signal
  int signal = 0;      // 0 when it exited normally
  std::chrono::system_clock::time_point when;
  std::string Describe() const;  // "node 2 (pid 4242) exited with code 2"
};

}  // namespace faultline::harness
