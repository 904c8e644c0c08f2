// The zabd driver: the only place that wires the ZAB core, storage and the network together
// (ARCHITECTURE.md "Data flow 1", server/core/peer.h CONTRACT).
//
// One thread runs one Boost.Asio io_context that owns everything: the peer transport, the client
// port, a ~10 ms tick from a steady clock and the signal handler. Each Peer::Step() output is
// queued; one flush is posted per burst of inputs and executes, in this order:
//   1. every queued storage op, then ONE Storage::Sync() (group commit);
//   2. every queued peer message;
//   3. client replies, then event-log lines (JSON, contracts.md section 3).
// A storage error at runtime is logged and the process exits with code 3 before anything else
// of that batch leaves the process (nothing is acknowledged that is not durable).
#pragma once

#include "server/net/client_server.h"
#include "server/net/config.h"

namespace zabd {

// Exit codes of zabd.
inline constexpr int kExitOk = 0;
inline constexpr int kExitStartFailure = 1;     // address in use, event log not writable
inline constexpr int kExitBadConfigOrData = 2;  // bad config; storage corruption at start
inline constexpr int kExitStorageFailure = 3;   // EIO/ENOSPC while running

// Recovers storage, then serves until SIGTERM/SIGINT (returns kExitOk) or a start failure
// (returns the exit code after printing the reason to stderr). A runtime storage failure exits
// the process with kExitStorageFailure and does not return.
int RunNode(const ServerConfig& config,
            const ClientServerOptions& client_options = ClientServerOptions::Defaults());

}  // namespace zabd
