// Every bound of the etcd system in one place (STYLE.md, TigerBeetle): response sizes and the
// timings passed to etcd. Tied together by static_asserts.
#pragma once

#include <cstddef>
#include <cstdint>

namespace faultline::harness::etcd {

// ---- JSON gateway client ------------------------------------------------------------------
// A single response body. The largest is a final read-set range over one key's elements.
inline constexpr std::size_t kResponseBytesMax = 16u << 20;

// ---- Launcher: timings given to every etcd node --------------------------------------------
// One machine, loopback peers: heartbeats every 50 ms and an election after 500 ms of silence
// give fail-overs around a second. Not lower: on a loaded 2-core machine etcd already logs
// "leader failed to send out heartbeat on time" at 50 ms (testdata/etcd/server-3.4/).
inline constexpr int64_t kHeartbeatIntervalMs = 50;
inline constexpr int64_t kElectionTimeoutMs = 500;
// etcd refuses to start with an election timeout below 5 heartbeats ("error verifying flags").
static_assert(kElectionTimeoutMs >= 5 * kHeartbeatIntervalMs);
// etcd's own bound on a proposal (its "request timed out"): 5 s + 2 election timeouts. An op
// timeout shorter than this can end an op as info that etcd would still have answered.
inline constexpr int64_t kServerRequestTimeoutMs = 5000 + 2 * kElectionTimeoutMs;

}  // namespace faultline::harness::etcd
