// sim::World — a zabd cluster, its network and its clock inside the controller's process, for
// `faultline sim` (ARCHITECTURE.md test layer 2). It is the simulator of server/core/testing
// (zab::testing::Cluster: real zab::Peer cores, its network model, its storage) driven on
// EVENT-DRIVEN simulated time, plus what a suite run needs around it:
//   * the clock: RunUntil() jumps to the next thing that happens — a node tick (every node
//     ticks every kNodeTickIntervalMs, as zabd does), a message falling due, or an actor's wake
//     (the clients, the nemesis) — and settles that instant: every due message delivered (their
//     replies and messages in turn), every actor due woken, until nothing is left at that time;
//   * the processes: a ClusterControl (Control()) with the supervisor's states and errors, so
//     the harness Nemesis resolves targets and applies kill / pause / restart / power-loss as it
//     does against real processes; a node that dies on its own (a storage rule broken) is an
//     unexpected exit, reported through on_crash;
//   * the network: a Partitioner (Network()) that enforces the Nemesis's grudges on the
//     simulated links (a cut also drops what is in flight: a broken TCP connection);
//   * node events: what every core logs, as checkers::NodeEvent (the fields zabd's JSON event
//     log has, docs/contracts.md 3), stamped with the simulated time, in the order written, plus
//     a `start` record at every boot (what recovery found), through on_event;
//   * the record clock: NowNs() — the history store's time for this instant, strictly
//     increasing within an instant, so records keep the order in which they happened.
//
// Disk and crashes: a node flushes as zabd does (node_runtime.h "Pipelined sync"; cluster.h
// "Disk latency"): a batch's writes reach the disk at once, its fsync completes
// fsync_ms_min..fsync_ms_max simulated ms later, and only then is what it certifies released
// (ACKs, COMMITs, replies, `logged` / `committed` events); meanwhile the node keeps stepping.
// So a fault can land in the middle of a flush. A `kill` is a process death: the unflushed
// batch is lost, what was written is not (the page cache survives); in a suite that has
// `power-loss` faults every kill is a power cut (as zabd runs in power-loss mode then,
// runner.cc): the writes of the fsync in flight are lost too (MemEnv::Crash), as a real power
// cut loses them. A batch with a non-append op (epoch files, truncation, snapshots) syncs
// without taking simulated time. What a killed node had already sent is still delivered (TCP
// delivers what was written; NetOptions::deliver_after_crash).
//
// Link faults: the Partitioner's SetDelay / SetLoss act on the simulated links (delay per
// message, FIFO per link kept; loss per message), Heal() clears them with the cuts, as the
// proxy does.
//
// Determinism: everything is a function of the options (seed included) and the sequence of
// calls; no thread, no wall clock, no I/O.
//
// Re-entrancy: an actor's Wake may call RunUntil (the nemesis waiting for a leader, a client
// waiting for its reply): the nested call runs the world, other actors included, but never wakes
// an actor whose Wake is on the stack — as a real nemesis thread blocked in FindLeader fires no
// other fault meanwhile.
//
// Thread-safety: none; one thread (the simulator's) calls everything.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "checkers/history.h"
#include "harness/cluster/cluster_control.h"
#include "harness/net/partitioner.h"
#include "server/core/peer.h"

namespace zab::testing {
class Cluster;
}

namespace faultline::harness::sim {

// Bounds of the simulator (TigerBeetle: bounds together).
inline constexpr uint64_t kNodeTickIntervalMs = 10;     // zabd's tick (server/net/limits.h)
inline constexpr int kSettleRoundsMax = 10000;          // delivery/wake rounds within one instant
inline constexpr int64_t kRecordsPerMsMax = 1'000'000;  // NowNs sequence within one ms
static_assert(kSettleRoundsMax < kRecordsPerMsMax);

struct WorldOptions {
  int nodes = 3;
  zab::Config base;  // timing knobs and fault points; self/voters are filled in
  uint64_t seed = 1;
  // Per message, uniform extra latency in [0, latency_ms_max] (FIFO per link kept).
  uint64_t latency_ms_max = 2;
  // Per fsync, uniform simulated duration in [fsync_ms_min, fsync_ms_max] (max 0: no time).
  uint64_t fsync_ms_min = 1;
  uint64_t fsync_ms_max = 0;
  // Every kill is a power cut (unsynced writes lost), as zabd in power-loss mode.
  bool power_loss_mode = false;
  // The record clock's origin: NowNs() = (anchor_ms + simulated ms) * 1e6 + sequence.
  int64_t anchor_ms = 0;
};

// Something that acts at simulated times.
class Actor {
 public:
  virtual ~Actor() = default;
  // The earliest simulated ms at which it wants to run (<= now: at once); nullopt: not now.
  virtual std::optional<uint64_t> NextWakeMs() const = 0;
  virtual void Wake(uint64_t now_ms) = 0;
};

class World {
 public:
  explicit World(WorldOptions options);
  ~World();
  // Boots every node (each logs a `start` record): call once, after setting the observers.
  void Start();
  World(const World&) = delete;
  World& operator=(const World&) = delete;

  int nodes() const { return options_.nodes; }
  uint64_t now_ms() const;
  // The history store's time for a record made now (see header comment).
  int64_t NowNs();
  // Simulated ms -> the record clock's ns (the start of that ms).
  int64_t ToNs(uint64_t sim_ms) const;

  // Runs until done() holds (checked whenever an instant is settled) or the clock reaches
  // until_ms. Returns done() (false without one). Once `stop` (below) has held, it returns false
  // at once, nested calls included.
  bool RunUntil(uint64_t until_ms, const std::function<bool()>& done = nullptr);
  // Asked once per instant: true ends the simulation (an interrupt: SIGINT / SIGTERM must end a
  // long simulated run, not only the seeds after it). The world stays as it was; stopped() says so.
  std::function<bool()> stop;
  bool stopped() const { return stopped_; }

  void AddActor(Actor* actor);  // not owned; woken in the order added
  void RemoveActor(Actor* actor);

  ClusterControl& Control();
  Partitioner& Network();

  // ---- clients (sim_client.h): requests submitted at a live node, replies by request id.
  bool up(NodeId id) const;
  bool paused(NodeId id) const;
  // Bumped whenever the node's process dies; a request outlives its process only as unknown.
  uint64_t incarnation(NodeId id) const;
  uint64_t SubmitWrite(NodeId id, kv::Op op);
  uint64_t SubmitRead(NodeId id, std::string key, zab::ReadMode mode);
  std::optional<zab::ClientReply> Reply(NodeId id, uint64_t request_id) const;
  bool HasReply(NodeId id, uint64_t request_id) const;  // Reply() without the copy
  // The node leading in BROADCAST now, highest epoch first (as FindLeader picks).
  std::optional<NodeId> Leader() const;

  // ---- observers
  std::function<void(checkers::NodeEvent)> on_event;
  // A node that died on its own (a storage failure the cluster killed it for).
  std::function<void(NodeId, const std::string& why)> on_crash;
  int64_t events_emitted() const { return events_emitted_; }
  zab::testing::Cluster& cluster() { return *cluster_; }

 private:
  class ControlImpl;
  class NetworkImpl;
  struct Waking;

  // When the settled world next has something to do: the earliest actor wake and message or
  // fsync falling due (each nullopt: none), as seen by the last round that changed nothing.
  struct Upcoming {
    std::optional<uint64_t> wake;
    std::optional<uint64_t> due;
  };
  // Settles this instant; what comes next (nullopt: the round bound was hit, ask again).
  std::optional<Upcoming> Settle();
  void TickAll();
  void DrainEvents(NodeId id);
  void DrainAll();
  void DetectCrashes();
  void EmitStart(NodeId id);
  void Emit(NodeId id, std::string type, checkers::FieldList fields);
  void Emit(NodeId id, zab::Event&& event);  // the same record, made from the core's event
  // Process control for ControlImpl.
  void Boot(NodeId id);
  void Kill(NodeId id);

  WorldOptions options_;
  std::unique_ptr<zab::testing::Cluster> cluster_;
  std::unique_ptr<ControlImpl> control_;
  std::unique_ptr<NetworkImpl> network_;
  std::vector<Actor*> actors_;
  std::vector<Actor*> waking_;  // actors whose Wake is on the stack
  uint64_t start_ms_ = 0;       // the cluster clock when Start() ran: simulated time 0
  uint64_t next_tick_ms_ = 0;
  uint64_t record_ms_ = 0;  // the ms of the last NowNs()
  int64_t record_seq_ = 0;
  std::vector<NodeState> state_;       // by node id (1..nodes; [0] unused)
  std::vector<uint64_t> incarnation_;  // by node id
  size_t violations_seen_ = 0;
  bool stopped_ = false;
  int64_t events_emitted_ = 0;
  std::vector<zab::Event> drained_;  // scratch of DrainEvents, its capacity kept
};

}  // namespace faultline::harness::sim
