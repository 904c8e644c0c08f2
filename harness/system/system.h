// System: the seam between faultline and one system under test (zabd, ZooKeeper, etcd, the
// in-process fake). Everything the run loop, nemesis, generator, history store and checkers need
// to know about a system comes through here, so adding a system adds a folder under
// harness/systems/ and one line in harness/systems/registry.cc, and touches nothing else.
//
// A System provides four things (Jepsen's Db + Client, plus what faultline adds):
//
//   1. A Db (harness/cluster/db.h): OpenDb lays out N nodes under the run folder and returns the
//      running-cluster handle. Real systems return the generic process supervisor
//      (harness/cluster/cluster.h) over their own NodeLauncher (launcher.h): the launcher writes
//      each node's config files and data dirs into the node folder before every start, gives the
//      argv/env, names its peer ports, and answers role and liveness probes (zabd `ROLE`/`PING`,
//      ZooKeeper `srvr`/`ruok`, etcd's status endpoint). Stop, kill, pause, resume and restart
//      with the same data are the supervisor's generic job: a launcher never signals anything.
//
//   2. Clients: NewClient(node, read_mode) builds the Client (harness/client/client.h) that one
//      worker uses against one node. read_mode "" means the run's read mode (the spec's).
//
//   3. Promises per read mode: which checkers judge a history of this system (PromisesFor). Only
//      promised checkers can make a run invalid; e.g. zabd linearizable -> linearizability +
//      lost-writes + zab-invariants; ZooKeeper plain get -> writes linearizable, session order,
//      lost-writes (a stale read is an observation, not an anomaly); etcd -> linearizability.
//
//   4. Optionally, an EventImporter per node: what the node's server logs (zabd's JSON event log;
//      ZooKeeper's and etcd's own log lines) as checkers::NodeEvent. The run loop polls it AS THE
//      RUN GOES (every kEventPollInterval) and once more after the nodes stopped, so a controller
//      killed mid-run still leaves the node events it had seen in the store.
//
// Network (traits()): the run partitions peer links either with iptables inside a private netns
// (every node on its own 127.0.0.x, packets matched by the node process's gid) or with a TCP proxy
// per directed link and peer port (the node's config names the proxy listener as the peer's
// address). A system that cannot run through the proxy (etcd validates its peer URLs against the
// cluster membership) says so in traits().proxy_refusal; the run then refuses proxy mode with
// that sentence instead of starting a cluster that cannot form.
//
// Systems are built from a validated SystemConfig by the registry (harness/systems/registry.h),
// which also knows each kind's system-specific spec keys and read modes, so that a bad key in a
// suite is a spec error with its line before anything starts.
//
// Thread-safety: NewClient, PromisesFor, traits and NewEventImporter may be called from any
// thread; the objects they return are used by one thread at a time. OpenDb is called once per
// run, from the run's thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "checkers/history.h"
#include "common/status.h"
#include "harness/client/client.h"
#include "harness/cluster/db.h"
#include "harness/cluster/launcher.h"
#include "harness/cluster/node.h"

namespace faultline::harness {

// How often the run loop polls every node's EventImporter while the run goes.
inline constexpr std::chrono::milliseconds kEventPollInterval{500};

// Where the nodes' addresses come from (the run decides; see harness/cluster/cluster.h).
enum class NetLayout {
  kLoopback,      // every node on 127.0.0.1 with free ports (proxy mode, or no network faults)
  kPrivateNetns,  // node i on 127.0.0.(10+i) inside the run's private netns (iptables mode)
};

struct DbOptions {
  std::string run_dir;  // the run folder; node folders go inside
  int nodes = 3;
  NetLayout layout = NetLayout::kLoopback;
  // Start every node in power-loss mode (only when Traits().power_loss): what a node has not
  // fsynced lives in its own memory, so a SIGKILL (the `power-loss` fault) loses it.
  bool power_loss = false;
};

// What a system can and cannot do, decided before a cluster is made.
struct SystemTraits {
  // Empty = the system runs through the TCP proxy; otherwise why it cannot (one sentence).
  std::string proxy_refusal;
  // False for a system with no network between nodes (the in-process fake): network faults are
  // then a spec error.
  bool has_peer_network = true;
  // True if the system can run its nodes in power-loss mode (DbOptions::power_loss): a SIGKILL
  // then loses exactly what a power cut would (zabd --power-loss-sim). `power-loss` faults on
  // another system are refused before any cluster starts.
  bool power_loss = false;
  // True when a node receives peer messages on connections it opened itself (etcd's stream
  // readers; ZooKeeper's followers, which dial their leader): iptables cuts must then also drop the sender's packets on those connections
  // (IptablesOptions::cut_connections_opened_by_target, harness/net/iptables_partitioner.h).
  bool peers_reply_on_dialed_connections = false;
  // The scenario conditions only zabd can answer (event-log `logged:` ranges, `event:` types,
  // ROLE phases, INFO state digests). Another system says which condition it cannot answer.
  bool zab_event_log = false;
  bool role_phases = false;
  bool state_digest = false;
};

// Which checkers judge this system's histories in one read mode. Names are those the run
// stores check results under: "linearizability", "lost-writes", "zab-invariants",
// "session-order". Only these can turn a run invalid.
struct Promises {
  // true: reads are checked for linearizability with the writes; false: only the writes are
  // (ZooKeeper's plain get, zabd/etcd local reads), and session order judges the reads.
  bool linearizable_reads = true;
  std::vector<std::string> checkers;
  // What is reported but never an anomaly, e.g. "stale-reads" (one sentence each for reports).
  std::vector<std::string> observations;
  // One sentence for reports: "zabd, linearizable reads: every op linearizable, ...".
  std::string summary;
  bool Promised(const std::string& checker) const;
};

// Reads what one node's server logged since the last call. Poll returns the complete new events
// (a line still being written is kept for the next call); Finish, after the node stopped, also
// judges a trailing partial line (a torn line after SIGKILL is skipped and counted).
class EventImporter {
 public:
  struct Batch {
    std::vector<checkers::NodeEvent> events;
    int skipped = 0;  // lines that were not events (counted, never fatal)
  };
  virtual ~EventImporter() = default;
  virtual Batch Poll() = 0;
  virtual Batch Finish() = 0;
};

// The generic process supervisor (harness/cluster/cluster.h) over `launcher`, laid out as the
// run asks: what OpenDb returns for every system whose nodes are real processes.
Result<std::unique_ptr<Db>> OpenProcessDb(std::shared_ptr<NodeLauncher> launcher,
                                          const DbOptions& options);

class System {
 public:
  virtual ~System() = default;

  virtual std::string Kind() const = 0;      // "zabd", "zookeeper", "etcd", "fake"
  virtual std::string ReadMode() const = 0;  // the run's read mode (validated)
  virtual SystemTraits Traits() const = 0;

  virtual Result<std::unique_ptr<Db>> OpenDb(const DbOptions& options) = 0;
  // A client for one node; `read_mode` "" = ReadMode(). The node must be in the Db's Infos().
  virtual std::unique_ptr<Client> NewClient(const NodeInfo& node, const std::string& read_mode) = 0;
  virtual Promises PromisesFor(const std::string& read_mode) const = 0;
  // nullptr when the system has no importer for its logs.
  virtual std::unique_ptr<EventImporter> NewEventImporter(const NodeInfo& node) { return nullptr; }
  // zabd only: the node's INFO state digest; NotFound-free default says the system has none.
  virtual Result<std::string> StateDigest(const NodeInfo& node, std::chrono::milliseconds timeout);
  // zabd only: the node's event log file (scenario `logged:` and `event:` conditions).
  virtual std::string EventLogPath(const NodeInfo& node) const { return ""; }
};

}  // namespace faultline::harness
