// The run's private network namespace (root only). Inside it 127.0.0.0/8 is routed to a fresh
// loopback, so nodes bind 127.0.0.11, .12, ... and iptables rules cannot touch the host. The
// namespace belongs to the process and dies with it (and its children), so nothing is left behind
// even when the controller crashes.
#pragma once

#include "common/status.h"

namespace faultline::harness {

// True when the process may create a network namespace (effective uid 0 / CAP_SYS_ADMIN).
bool CanEnterPrivateNetns();

// unshare(CLONE_NEWNET), then `ip link set lo up`. Must be called while the process is single-
// threaded (before any thread starts: unshare affects only the calling thread otherwise, and the
// namespace of threads started earlier would differ). Errors: Unavailable without privilege,
// IoError when `ip` fails.
Status EnterPrivateNetns();

// True only when the calling thread is in the namespace that EnterPrivateNetns() created in this
// process (a positive proof, recorded at creation: iptables may be touched only then).
bool InPrivateNetns();

}  // namespace faultline::harness
