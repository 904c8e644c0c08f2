// Vocabulary shared by the cluster, the network faults and the nemesis: node ids, addresses,
// process states and the ZAB role a node reports through `ROLE` (docs/contracts.md section 1).
// Plain values; no behaviour beyond formatting and parsing.
#pragma once

#include <cstdint>
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

// A parsed `ROLE` reply: [role, epoch, last_zxid, leader_id, phase, last_committed].
struct RoleInfo {
  Role role = Role::kUnknown;
  int64_t epoch = 0;
  int64_t last_zxid = 0;
  NodeId leader_id = -1;  // -1 when the node knows no leader
  std::string phase;      // election | discovery | synchronization | broadcast
  int64_t last_committed = 0;
};

}  // namespace faultline::harness
