// What one ZooKeeper 3.8 server needs on disk and on its command line: the launcher half of the
// ZooKeeper system (docs/zookeeper.md). Rendering is pure; WriteNodeFiles is the only I/O.
//
// Per node folder (<run_dir>/node-<id>/):
//   zoo.cfg            rewritten before every start (routes may change in proxy mode)
//   data/myid          the server id
//   data/version-2/    snapshots, acceptedEpoch, currentEpoch (ZooKeeper's own)
//   datalog/version-2/ the txn log (dataLogDir, fsynced before every ACK: forceSync=yes)
//   log4j.properties   kLog4jPattern, INFO, plus DEBUG for LearnerHandler (sync decisions)
//   zookeeper.log      the server log the importer reads (appended across restarts)
//   jvm.log            the JVM's own stdout and stderr (crashes, bad flags)
//
// Addresses: every node binds its own client, quorum and election ports (its own `server.<id>`
// line). The other `server.<j>` lines are where this node dials j: j's real ports, or in proxy
// mode the proxy listeners of the links (id -> j) for quorum and election traffic.
//
// The java command is the one Debian's zkServer.sh would run, without the script:
//   java <jvm options> -cp <classpath> org.apache.zookeeper.server.quorum.QuorumPeerMain zoo.cfg
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "common/status.h"
#include "harness/cluster/node.h"

namespace faultline::harness::zookeeper {

// Timing knobs keep ZooKeeper's names. The defaults fail over within ~1.5 s on one machine:
// a follower gives up on a silent leader after syncLimit ticks (1 s), an election takes a few
// hundred ms, discovery + sync must finish within initLimit ticks (2 s).
struct ZkTimings {
  int tick_time_ms = 200;
  int init_limit = 10;
  int sync_limit = 5;
  // FLE connect timeout (zookeeper.cnxTimeout, default 5 s): how long a node waits on a peer's
  // election port that a partition drops; short so that elections after a heal are quick.
  int election_connect_timeout_ms = 1000;
};

// One node's place in the ensemble as this node sees it.
struct ServerAddress {
  Endpoint quorum;    // host:port followers dial the leader on
  Endpoint election;  // host:port of FLE traffic
};

struct ZkNodeConfig {
  int id = 0;
  std::string dir;  // <run_dir>/node-<id>
  Endpoint client;  // clientPortAddress:clientPort
  // Every voter, this node included, as this node must list it (see the header comment).
  std::map<int, ServerAddress> servers;
  ZkTimings timings;
  // Extra zoo.cfg lines ("key=value"), written last (they win over the defaults).
  std::vector<std::string> extra_config;
};

// The log layout the importer parses (log_import.h): timestamp with its UTC offset, level,
// [thread:Class@line], message.
inline constexpr const char* kLog4jPattern =
    "%d{yyyy-MM-dd'T'HH:mm:ss.SSSZ} %-5p [%t:%C{1}@%L] - %m%n";
inline constexpr const char* kMainClass = "org.apache.zookeeper.server.quorum.QuorumPeerMain";
inline constexpr const char* kJvmLogFile = "jvm.log";  // stdout + stderr, in the node folder

std::string RenderZooCfg(const ZkNodeConfig& node);
std::string RenderLog4jProperties(const std::string& log_file);

// Where java and ZooKeeper's jars are. Detect() checks the Debian layout (java on PATH or
// /usr/bin/java, /usr/share/java/zookeeper.jar, whose manifest names its dependencies, plus the
// slf4j -> log4j 1.2 binding and log4j itself so the server logs at all). NotFound names what is
// missing and the package that provides it.
struct ZkInstall {
  std::string java;
  std::vector<std::string> classpath;
  static Result<ZkInstall> Detect();
};

// Which JVM options a server runs with. Both name the node's log4j.properties, log in UTC and set
// the FLE connect timeout.
enum class JvmProfile {
  kChaos,     // a small heap and the serial collector: three JVMs on two shared cores
  kPackaged,  // heap and collector as the JVM picks them, as Debian's zkServer.sh starts ZooKeeper
};
std::vector<std::string> JvmOptions(const ZkNodeConfig& node, JvmProfile profile);

// java <jvm_options> -cp <classpath> QuorumPeerMain <dir>/zoo.cfg
std::vector<std::string> JavaCommand(const ZkInstall& install, const ZkNodeConfig& node,
                                     const std::vector<std::string>& jvm_options);

// Creates the node folder layout and writes myid, zoo.cfg and log4j.properties (the data is kept
// across restarts). IoError naming the file.
Status WriteNodeFiles(const ZkNodeConfig& node);

// Paths inside a node folder.
std::string ZooCfgPath(const ZkNodeConfig& node);
std::string ServerLogPath(const std::string& node_dir);
std::string StdoutPath(const std::string& node_dir);

}  // namespace faultline::harness::zookeeper
