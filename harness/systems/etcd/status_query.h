// The controller's own question to an etcd node: "who leads, in which term?", answered by the
// maintenance status endpoint (POST /v3/maintenance/status). Not the workload client: one
// short-lived connection per call.
//
// Role rule (Raft has no "looking" state of its own; this is how faultline's vocabulary maps):
//   leader == this member  -> leading
//   leader == 0 (none)     -> looking   (an election is going on, or the node is cut off)
//   any other leader       -> following
// epoch = raftTerm. A node that is partitioned away keeps naming its old leader until its own
// election timeout fires, exactly like a zabd follower before sync_limit: FindLeader therefore
// prefers the claim with the highest term.
//
// Thread-safety: free functions with no shared state.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>

#include "common/status.h"
#include "harness/cluster/node.h"
#include "harness/systems/etcd/gateway.h"

namespace faultline::harness::etcd {

// Timeout when connect + reply take longer than `timeout`; Unavailable when the connection is
// refused or breaks, or etcd answers with an error; Corruption for a body etcd would not send.
Result<StatusResponse> QueryStatus(const Endpoint& endpoint, std::chrono::milliseconds timeout);

// Raft member id (as etcd reports it) -> faultline node id. Learned by asking every node once
// (each status names its own member id in header.member_id).
using MemberIds = std::map<uint64_t, NodeId>;

// The RoleInfo of one status answer. leader_id is -1 when there is no leader or it is not in
// `members`; last_zxid and last_committed carry the store revision (etcd has no zxid).
RoleInfo ToRoleInfo(const StatusResponse& status, const MemberIds& members);

}  // namespace faultline::harness::etcd
