// Run liveness: how a reader tells a run whose controller is still at work from one whose
// controller died without finishing it (SIGKILL, power cut, OOM): the store never hears a
// "finished" from such a run, so its row says `running` forever unless a reader decides.
//
// The writer side (history_store.h) stores the controller's pid and host with the run and stamps
// runs.heartbeat_ms every kHeartbeatIntervalMs while the run is open. A reader decides `crashed`
// when the row says running and
//   - the controller ran on this host and its pid no longer exists, or
//   - the run was last heard from more than kHeartbeatStaleMs ago (any host; also a reused pid).
// Rows written before heartbeats existed (heartbeat NULL) are judged by their last recorded
// activity (the latest op or fault time, else the start).
//
// Pure except for LocalProbe(); tests build probes by hand.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "harness/history/history_store.h"

namespace faultline::harness {

struct LivenessProbe {
  std::string host;                            // this machine's host name
  int64_t now_ms = 0;                          // unix ms
  std::function<bool(int64_t pid)> pid_alive;  // does a process with this pid exist here?
};

// This host, the current time, kill(pid, 0) (EPERM counts as alive: another user's process;
// a zombie counts as gone: killed, not yet reaped).
LivenessProbe LocalProbe();

// True when `run` is recorded as running but its controller is gone (see the header comment).
// Reads recorded_status, controller_pid, controller_host and last_heard_ms.
bool ControllerGone(const LivenessProbe& probe, const RunRecord& run);

// Sets run->status to the effective status: kRunCrashed when ControllerGone, else the recorded
// one. Expects recorded_status and last_heard_ms filled.
void ApplyLiveness(const LivenessProbe& probe, RunRecord* run);

}  // namespace faultline::harness
