// The etcd system: real etcd 3.4 servers (Debian's etcd-server), clients through etcd's v3 JSON
// gateway (etcd_client.h), roles from the maintenance status (status_query.h), Raft terms and
// leader changes imported from etcd's own log (log_import.h).
//
// Nodes: `etcd --name n<id> --data-dir <dir>/data ... --log-outputs <dir>/etcd.log` (launcher.h),
// stdout/stderr in <dir>/etcd.out. One peer port per node ("peer": etcd's Raft traffic).
//
// Network faults: iptables only. etcd derives member and cluster ids from the peer URLs, so a
// per-link proxy address splits the cluster (launcher.h); traits().proxy_refusal says so and the
// run refuses proxy mode before starting anything. Partitions go through iptables (the run's
// netns, node i on 127.0.0.(10+i), packets matched by the node's gid), with traits().
// peers_reply_on_dialed_connections set: etcd carries a -> b messages on streams that b dialled to
// a, so a cut must also drop a's packets on connections b opened
// (harness/net/iptables_partitioner.h). Checked by hand on etcd 3.4.23: without that rule a new
// leader's MsgApp reached the isolated old leader; with it the isolated leader heard nothing, lost
// leadership (check-quorum) and the other two elected a new leader within a second. One-way
// grudges are approximate on etcd (both directions of a touched connection stall).
//
// Spec keys (system: {kind: etcd, ...}): etcd (binary; default `etcd` from PATH),
// heartbeat_interval_ms (limits.h), election_timeout_ms (limits.h; at least 5 heartbeats).
// Read modes: linearizable (default: quorum reads), local (`serializable: true` ranges).
#pragma once

#include <memory>
#include <string>

#include "harness/cluster/launcher.h"
#include "harness/system/system_kind.h"

namespace faultline::harness::etcd {

SystemKind EtcdSystemKind();

struct EtcdOptions {
  std::string binary = "etcd";  // a path, or a name looked up in PATH
  int64_t heartbeat_interval_ms = 0;
  int64_t election_timeout_ms = 0;
  std::string read_mode = "linearizable";
};

std::unique_ptr<System> MakeEtcdSystem(EtcdOptions options);

// The files an etcd node uses inside its folder.
std::string EtcdDataDir(const NodeInfo& node);
std::string EtcdLogPath(const NodeInfo& node);  // zap JSON lines, read by the importer

// `binary` as found: itself when it contains a '/', else the first PATH entry holding an
// executable of that name; "" when there is none.
std::string FindExecutable(const std::string& binary);

}  // namespace faultline::harness::etcd
