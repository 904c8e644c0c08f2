// The ZooKeeper system: real Apache ZooKeeper 3.8 (Debian packages `zookeeper` for the servers,
// `libzookeeper-mt-dev` for the client), tested by the same run loop as zabd (docs/zookeeper.md).
//
// Nodes: `java <jvm options> -cp zookeeper.jar:... QuorumPeerMain <dir>/zoo.cfg` (zk_config.h:
// one data dir and dataLogDir per node, forceSync on, small tick/init/sync limits, admin server
// off, srvr in the 4lw whitelist), the JVM's output in <dir>/jvm.log, the server log the importer
// reads in <dir>/zookeeper.log. Two peer ports per node, "quorum" and "election"; in proxy mode
// each node's zoo.cfg lists the other servers at the proxy listeners of its links. Roles from
// `srvr`, liveness = `srvr` says the server serves. Clients: ZkClient (zk_client.h), one server
// each. Node events: the server logs through the importer (log_import.h), joined across nodes as
// the run goes (log_stream.h).
//
// Promises (ZooKeeper's own guarantees), per read mode:
//   local (plain get, the default): writes and cas linearizable; reads sequentially consistent,
//     judged by session order (a read going back in time within a session is an anomaly) and
//     reported as stale-read observations otherwise; no lost acknowledged write; ZAB invariants on
//     what the servers logged.
//   sync (sync then get): every op checked for linearizability; a violation met by a partition is
//     named as the known ZOOKEEPER-1675 window (sync is not a quorum operation).
//
// Spec keys (system: {kind: zookeeper, ...}): tick_time_ms (200), init_limit (10), sync_limit (5),
// session_timeout_ms (3000), jvm (chaos | packaged), election_connect_timeout_ms (1000),
// extra_config ([] zoo.cfg lines).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "harness/cluster/launcher.h"
#include "harness/system/system_kind.h"
#include "harness/systems/zookeeper/zk_config.h"

namespace faultline::harness::zookeeper {

struct ZkSystemOptions {
  ZkTimings timings;
  std::string read_mode = "local";
  JvmProfile jvm = JvmProfile::kChaos;
  std::chrono::milliseconds session_timeout{3000};
  std::vector<std::string> extra_config;
};

std::shared_ptr<NodeLauncher> MakeZkLauncher(ZkSystemOptions options);
std::unique_ptr<System> MakeZkSystem(ZkSystemOptions options);

// Whether this faultline was built with libzookeeper-mt (the client); when not, the system's
// CheckInstalled says so and no run starts.
bool ClientBuilt();

}  // namespace faultline::harness::zookeeper

namespace faultline::harness {
SystemKind ZooKeeperSystemKind();
}  // namespace faultline::harness
