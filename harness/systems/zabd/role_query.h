// Small blocking RESP helpers for the controller's own questions to a node (`ROLE`, `PING`). Not
// the workload client (harness/client): one short-lived connection per call.
//
// Thread-safety: free functions with no shared state; call from any thread.
#pragma once

#include <chrono>
#include <string>

#include "common/status.h"
#include "harness/cluster/node.h"

namespace faultline::harness {

// Sends `ROLE`, parses the array reply. Timeout when connect + reply take longer than `timeout`;
// Unavailable when the connection is refused or closed; Corruption for a malformed reply; the
// server's error text as Unavailable for a RESP error reply.
Result<RoleInfo> QueryRole(const Endpoint& endpoint, std::chrono::milliseconds timeout);

// Sends `PING`; ok on `+PONG`.
Status Ping(const Endpoint& endpoint, std::chrono::milliseconds timeout);

}  // namespace faultline::harness
