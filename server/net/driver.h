// The zabd driver: the event loop that wires the peer transport, the client port and its command
// table (commands.h), a ~10 ms tick from a steady clock and the signal handler to one
// runtime::NodeRuntime (server/runtime/node_runtime.h), which executes the core's outputs over
// storage: persist + one fsync per burst of inputs (group commit), then send, then reply, then
// the event log (runtime/event_log.h).
//
// One thread runs one Boost.Asio io_context that owns everything. One flush is posted per burst
// of inputs. A storage error at runtime is logged (and written as a `storage_error` event) and
// the process exits with code 3 before anything else of that batch leaves the process (nothing
// is acknowledged that is not durable).
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
