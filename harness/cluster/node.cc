#include "harness/cluster/node.h"

#include <fmt/format.h>

#include <cassert>
#include <cstring>

namespace faultline::harness {

std::string_view NodeStateName(NodeState state) {
  switch (state) {
    case NodeState::kNotStarted:
      return "not-started";
    case NodeState::kRunning:
      return "running";
    case NodeState::kPaused:
      return "paused";
    case NodeState::kKilled:
      return "killed";
    case NodeState::kExitedUnexpectedly:
      return "exited-unexpectedly";
  }
  return "?";
}

std::string_view RoleName(Role role) {
  switch (role) {
    case Role::kLeading:
      return "leading";
    case Role::kFollowing:
      return "following";
    case Role::kLooking:
      return "looking";
    case Role::kUnknown:
      return "unknown";
  }
  return "?";
}

const Endpoint& NodeInfo::PeerPort(const std::string& name) const {
  auto it = peer_ports.find(name);
  assert(it != peer_ports.end());
  return it->second;
}

std::string UnexpectedExit::Describe() const {
  if (signal != 0) {
    return fmt::format("node {} (pid {}) killed by signal {} ({})", id, pid, signal,
                       strsignal(signal));
  }
  return fmt::format("node {} (pid {}) exited with code {}", id, pid, exit_code);
}

Role ParseRole(std::string_view name) {
  if (name == "leading") return Role::kLeading;
  if (name == "following") return Role::kFollowing;
  if (name == "looking") return Role::kLooking;
  return Role::kUnknown;
}

}  // namespace faultline::harness
