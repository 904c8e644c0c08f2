// zab::testing::Cluster — N zab::Peer cores wired through an in-memory network, with a logical
// clock. Each node's process and disk are a SimNode (sim_node.h): the REAL runtime::NodeRuntime
// executing the core's outputs over the REAL storage::Storage on a crashable MemEnv, as under
// zabd. Used by the unit tests (zab_core_test) and the simulator (tests/sim/core).
//
// Model:
//  * Network: one FIFO queue per directed link (the transport never reorders on a link). A
//    message may be dropped at send time (drop probability, blocked link) and delayed; delays
//    keep per-link FIFO order. Blocking a link also drops what is in flight on it (a broken TCP
//    connection). Which ready message delivers next is drawn from the seeded rng.
//  * Late packets (NetOptions::late_probability or HoldLate; off by default): a message may be
//    held back instead of queued, and surface later right behind the first packet of a NEWER
//    epoch delivered on the same directed link (to whichever incarnation of the receiver runs
//    then), across partitions, reconnects and restarts of either end; undelivered after
//    late_ttl_ms it is dropped (a loss). Within one epoch a link stays FIFO-with-loss (peer.h
//    CONTRACT); across an epoch change it does not: stale-epoch PROPOSAL / COMMIT / ACK / sync
//    packets reach a node that has moved on, which is what the epoch fences of zab.md 7.3
//    rule 7 exist for (zabd's one-connection-per-link transport never produces this; a
//    transport without connection identity would).
//  * Storage and execution: the runtime's (node_runtime.h CONTRACT): storage ops, one fsync,
//    then messages, replies and events. Without group commit every Output is flushed as soon as
//    it is produced; with it, a node's Outputs between two delivery rounds share one flush.
//    Crash() kills the process: its unflushed batch and every unsynced byte are lost. What was on
//    its way TO it is lost; what it had already sent is lost too, unless
//    NetOptions::deliver_after_crash (the suite simulator sets it): then it stays in flight and
//    is delivered, as TCP delivers what was written before the process died.
//    StepAndCrash() kills it part-way through the flush of that input's batch, after a random
//    number of storage mutations (a crash between any two file operations); the PROPOSALs the
//    runtime sends before its fsync (node_runtime.h "Overlap") are then already on their way.
//  * Disk latency (DiskOptions::fsync_ms_max > 0; the suite simulator sets it; off by default):
//    a node flushes as zabd does (node_runtime.h "Pipelined sync"): a batch's storage ops are
//    written at once, and the fsync covering them completes fsync_ms_min..fsync_ms_max simulated
//    ms later (from the rng); what it covers (ACKs, COMMITs, replies, events) is released then,
//    while the node keeps stepping and begins further batches (their appends wait for the next
//    fsync). A batch holding a non-append op first collects the fsync in flight (zabd waits for
//    it) and syncs inside Begin, taking no simulated time. Crash(id) during an fsync is a power
//    cut: the unsynced writes are lost (MemEnv::Crash); Crash(id, /*power_cut=*/false) is a
//    process death, which keeps what was written. A paused node's fsync completes when resumed.
//  * Link faults (SetLinkFault): per directed link, extra delay (per-link FIFO kept) and a loss
//    probability per message, as the harness's delay / loss faults.
//  * DurableState is a picture of a disk: hand-made ones are written through the real storage
//    calls; durable(id) reads one back from what a crash would leave (real recovery).
//  * Everything is deterministic for a given seed and sequence of calls.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <unordered_map>
#include <string>
#include <utility>
#include <vector>

#include "server/core/peer.h"
#include "server/core/testing/sim_node.h"

namespace zab::testing {

// A picture of what survives a crash of one node (the durable artefacts of zab.md 1). The Cluster
// writes hand-made ones through the real storage calls and reads the real disk back into one;
// Execute/ToRecovered are a plain model for scripted single-peer tests (LonePeer).
struct DurableState {
  Epoch accepted_epoch;
  Epoch current_epoch;
  std::vector<std::pair<Zxid, std::string>> snapshots;  // oldest first
  std::vector<Txn> log;  // every txn in the log files (a compacted prefix is gone)
  // Executes one storage op on the picture. Returns an error string when the op breaks a storage
  // rule (a zxid not above the last, a same-epoch gap: zab.md 7.3 rule 3), "" otherwise.
  std::string Execute(const StorageOp& op);
  Recovered ToRecovered() const;
  Zxid last_logged() const;
};

struct NetOptions {
  double drop_probability = 0;       // per message, at send time
  uint64_t delay_ms_max = 0;         // uniform extra delay in [0, delay_ms_max]
  double late_probability = 0;       // per message that was not dropped: held back as a late packet
  uint64_t late_ttl_ms = 10000;      // a held packet not released this long after it was sent is
                                     // dropped (bounds the pool)
  bool deliver_after_crash = false;  // Crash(): what the node sent is still delivered
};

struct DiskOptions {
  uint64_t fsync_ms_min = 1;  // an fsync takes [min, max] simulated ms, uniform
  uint64_t fsync_ms_max = 0;  // 0: an fsync takes no time (every flush synchronous)
};

struct LinkFault {
  uint64_t delay_ms = 0;  // added to every message on the link
  double loss = 0;        // per message, at send time
};

struct SentMessage {
  PeerId from, to;
  Message message;
  uint64_t deliver_at_ms = 0;
};

class Cluster {
 public:
  // Voters 1..n; `base` supplies the timing knobs (self/voters are filled in); `storage` the
  // storage options of every node (e.g. small log segments, so segments roll and compact).
  Cluster(size_t n, Config base = Config{}, uint64_t seed = 1, storage::Options storage = {});
  // Starts node i+1 from disks[i] (hand-made durable states).
  Cluster(std::vector<DurableState> disks, Config base = Config{}, uint64_t seed = 1);

  size_t size() const { return nodes_.size(); }
  uint64_t now_ms() const { return now_ms_; }
  bool up(uint64_t id) const { return node(id).sim->up(); }
  Peer& peer(uint64_t id) { return node(id).sim->runtime().peer(); }
  runtime::NodeRuntime& runtime(uint64_t id) { return node(id).sim->runtime(); }
  // What a crash of the node now would leave (recovered from its disk; not for hot paths).
  const DurableState& durable(uint64_t id) const { return node(id).sim->durable(); }
  // The event log as the runtime writes it (ranges of a batch merged, contracts.md 3).
  const std::vector<Event>& events(uint64_t id) const { return node(id).events; }
  // Moves the node's events logged so far out (events(id) is then empty): for a consumer that
  // takes them as they come (the suite simulator), so they are not kept twice.
  std::vector<Event> TakeEvents(uint64_t id) { return std::exchange(node(id).events, {}); }
  // The same into *out (which must be empty): the node keeps out's capacity for its next events.
  void TakeEvents(uint64_t id, std::vector<Event>* out) { out->swap(node(id).events); }
  NetOptions& net() { return net_; }
  DiskOptions& disk() { return disk_; }
  // Per-link delay / loss (LinkFault{} clears it).
  void SetLinkFault(uint64_t from, uint64_t to, LinkFault fault);
  // Late packets delivered so far (statistics: a sim can show the fault mix is not idle).
  uint64_t late_delivered() const { return late_delivered_; }
  // Holds the next message `from` sends `to` for which match() holds as a late packet (see
  // "Late packets"), for scripted tests of the epoch fences. With `copy` the message is also
  // delivered as usual and only a duplicate is held back. One-shot.
  void HoldLate(uint64_t from, uint64_t to, std::function<bool(const Message&)> match,
                bool copy = false);
  // Storage options of every node from its next (re)start on (e.g. small log segments).
  storage::Options& storage_options() { return storage_options_; }
  // Group commit (the runtime merges consecutive Outputs under one fsync, node_runtime.h): when
  // on, each node's Outputs accumulate and execute together at the next flush (RunFor /
  // RunUntil flush every node after each delivery round). A crash drops the unflushed batch:
  // its storage ops, its messages and its replies.
  void set_group_commit(bool on) { group_commit_ = on; }
  void FlushAll();
  std::mt19937_64& rng() { return rng_; }

  // Feeds one input to a node and executes its Output (storage, then messages, then replies
  // and events), or queues it for the next flush under group commit. Returns the Output.
  Output Step(uint64_t id, const Input& input);
  // The same without the copy of the Output (the network's deliveries, ticks, client requests).
  void Feed(uint64_t id, const Input& input);
  // on_output's observer in every runtime (NodeRuntime::on_executed: it keeps each input and
  // event until its batch executes). On by default; a driver that never sets on_output (the
  // suite simulator) turns it off, from now on and for every later boot.
  void set_observe_outputs(bool on);
  // Like Step, but the node dies part-way through the flush of its batch: after a random number
  // (0..7, from the rng) of storage mutations; what was not fsynced is lost.
  void StepAndCrash(uint64_t id, const Input& input);

  // Delivers one ready message (false if none). Advances nothing else.
  bool DeliverOne();
  // Delivers ready messages until none is left (bounded).
  void DeliverAll();
  // Advances the clock by `ms` in steps of `step_ms`, ticking every live node and delivering.
  void RunFor(uint64_t ms, uint64_t step_ms = 10);
  // Runs until pred() holds (checked after every step) or max_ms elapse. Returns pred().
  bool RunUntil(const std::function<bool()>& pred, uint64_t max_ms, uint64_t step_ms = 10);

  // A power cut by default; power_cut=false: a process death (see "Disk latency").
  void Crash(uint64_t id, bool power_cut = true);
  void Restart(uint64_t id);
  // The node's disk fails (EIO on every fsync) until its next restart: its next flush fails and
  // the node stops, as zabd exits with code 3 (not a violation). ZOOKEEPER-4882's fault class.
  void FailDisk(uint64_t id);
  bool disk_failing(uint64_t id) const { return node(id).disk_failing; }
  // Rebuilds the node's durable state (for tests that start from a hand-made disk).
  void SetDurable(uint64_t id, DurableState d);

  // Partitions. Block(a, b) drops everything a sends to b (one-way). Unblocking a link, healing,
  // and restarting a node hand the dialing side a PeerConnected hint, as zabd's transport does.
  void Block(uint64_t from, uint64_t to);
  void Unblock(uint64_t from, uint64_t to);
  void Isolate(uint64_t id);  // both directions with everyone
  void HealAll();
  bool blocked(uint64_t from, uint64_t to) const;

  // Client helpers: submit at a node, return the request id.
  uint64_t Write(uint64_t id, kv::Op op);
  uint64_t Read(uint64_t id, std::string key, ReadMode mode);
  std::optional<ClientReply> ReplyFor(uint64_t id, uint64_t request_id) const;
  // The same without a copy (nullptr: no reply yet); valid until the node's next reply.
  const ClientReply* FindReply(uint64_t id, uint64_t request_id) const;

  // The node that is LEADING in BROADCAST (established), if exactly one live node is.
  std::optional<uint64_t> Leader() const;

  // Hook: every message a node's runtime hands to the network, at that moment (before the
  // network drops or delays it; e.g. to look at the sender's disk as it sends).
  std::function<void(uint64_t from, const Envelope&)> on_send;

  // ---- For the suite-level simulator (harness/sim, `faultline sim`): event-driven time and
  // paused processes. RunFor/RunUntil tick every node every step; the simulator instead moves
  // the clock to the next thing that happens (a tick it gives itself, a message falling due, a
  // client op) and delivers what is due.
  // Moves the clock forward to `now_ms` (never back) without ticking or delivering anything.
  void AdvanceClock(uint64_t now_ms);
  // When the earliest queued message to a live, unpaused node falls due, or the earliest fsync
  // in flight of one completes (see "Disk latency"); nullopt if none.
  std::optional<uint64_t> NextDeliveryMs() const;
  // A paused process (SIGSTOP): RunFor/RunUntil do not tick it and nothing is delivered to it;
  // what peers send it waits on its links (TCP buffers), in order, until Resume. Crash() of a
  // paused node kills it (it is no longer paused). No effect on a node that is down.
  void Pause(uint64_t id);
  void Resume(uint64_t id);
  bool paused(uint64_t id) const { return id < paused_.size() && paused_[id]; }

  // Hook: every Output, right after its batch was executed (storage synced, messages sent).
  std::function<void(uint64_t, const Input&, const Output&)> on_output;
  // Storage failures (a rule broken: a zxid not above the last, a same-epoch gap, zab.md 7.3
  // rule 3) and disks recovery refused (should stay empty). The node is killed at each.
  std::vector<std::string> violations;

 private:
  struct Node;
  // runtime::Transport and EventSink of one node: into the simulated network and memory.
  struct NodeIo final : runtime::Transport, runtime::EventSink {
    Cluster* cluster = nullptr;
    uint64_t id = 0;
    void Send(const Envelope& e) override {
      if (cluster->on_send) cluster->on_send(id, e);
      cluster->SendMsg(id, e);
    }
    void Write(const Event& e) override { cluster->node(id).events.push_back(e); }
    void WriteOwned(Event&& e) override { cluster->node(id).events.push_back(std::move(e)); }
  };
  struct Node {
    std::unique_ptr<SimNode> sim = std::make_unique<SimNode>();
    std::unique_ptr<NodeIo> io = std::make_unique<NodeIo>();
    std::vector<Event> events;
    std::unordered_map<uint64_t, ClientReply> replies;  // by request id (looked up, never walked)
    uint64_t next_request_id = 1;
    bool disk_failing = false;  // FailDisk: the next storage failure is expected
    uint64_t sync_done_ms = 0;  // when the fsync in flight completes (sim->sync_pending())
  };
  Node& node(uint64_t id) { return nodes_.at(id - 1); }
  const Node& node(uint64_t id) const { return nodes_.at(id - 1); }
  void Init(size_t n);
  void StartAll();
  // Boots node `id` from its disk at now_ms_ (a violation, node left down, if refused).
  bool Boot(uint64_t id);
  // Flushes node `id`'s queued batch; a storage failure is a violation and kills the node.
  void Flush(uint64_t id);
  void SendMsg(uint64_t from, const Envelope& e);
  // Disk latency: a storage failure kills the node (a violation unless FailDisk); false then.
  bool StorageResult(uint64_t id, const std::string& error);
  void StartSyncOf(uint64_t id);
  bool FinishSyncOf(uint64_t id, bool start_next);
  bool CompleteDueSyncs();  // fsyncs that completed by now_ms_; true if any

  Config base_;
  storage::Options storage_options_;
  std::vector<Node> nodes_;
  // One queue per directed link, at (from - 1) * size() + (to - 1): index order is (from, to)
  // order, the order in which DeliverOne lists the ready links for the rng to pick from.
  std::vector<std::deque<SentMessage>> links_;
  std::deque<SentMessage>& link(uint64_t from, uint64_t to) {
    return links_[(from - 1) * nodes_.size() + (to - 1)];
  }
  uint64_t LinkFrom(size_t index) const { return index / nodes_.size() + 1; }
  uint64_t LinkTo(size_t index) const { return index % nodes_.size() + 1; }
  std::vector<size_t> ready_scratch_;  // DeliverOne's ready links (no allocation)
  std::deque<SentMessage> late_;       // held packets, in send order; deliver_at_ms = when sent
  struct HoldRule {
    uint64_t from, to;
    std::function<bool(const Message&)> match;
    bool copy;
  };
  std::vector<HoldRule> hold_rules_;
  // Releases the held packets from -> to of an epoch below `e` (a packet of epoch e was just
  // delivered on that link).
  void ReleaseLateBehind(PeerId from, PeerId to, Epoch e);
  std::map<std::pair<uint64_t, uint64_t>, bool> blocked_;
  std::vector<char> paused_;  // by node id (1..size(); [0] unused)
  NetOptions net_;
  DiskOptions disk_;
  std::map<std::pair<uint64_t, uint64_t>, LinkFault> link_faults_;
  bool group_commit_ = false;
  bool observe_outputs_ = true;
  uint64_t late_delivered_ = 0;
  std::mt19937_64 rng_;
  uint64_t now_ms_ = 1000;
};

// Convenience constructors for ops, txns, hand-made disks and event inspection.
kv::Op SetOp(std::string key, std::string value);
// Txn at (epoch, counter) setting key "k" to "e<epoch>.<counter>".
Txn MakeTxn(uint32_t epoch, uint32_t counter);
// A disk holding `log` (no snapshot) and the given epoch files.
DurableState MakeDisk(uint32_t accepted_epoch, uint32_t current_epoch,
                      const std::vector<std::pair<uint32_t, uint32_t>>& zxids);
// Events of `type` a node emitted; numeric / string field of an event (0 / "" if absent).
std::vector<Event> EventsOf(const Cluster& c, uint64_t id, const std::string& type);
uint64_t Field(const Event& e, const std::string& name);
std::string StrField(const Event& e, const std::string& name);

}  // namespace zab::testing
