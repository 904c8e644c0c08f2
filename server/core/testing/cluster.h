// zab::testing::Cluster — N pure zab::Peer cores wired through an in-memory network, with a
// logical clock and a per-node model of durable storage. Used by the unit tests (zab_core_test)
// and the simulator (tests/sim/core).
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
//  * Storage: every Output's storage ops become durable at the sync point right after the Output
//    (peer.h CONTRACT), before its messages are sent. StepAndCrash() models a crash between the
//    Output's storage ops and that sync: the ops, the messages and the replies are all lost.
//  * Everything is deterministic for a given seed and sequence of calls.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "server/core/peer.h"

namespace zab::testing {

// What survives a crash of one node (the durable artefacts of zab.md 1).
struct DurableState {
  Epoch accepted_epoch;
  Epoch current_epoch;
  std::vector<std::pair<Zxid, std::string>> snapshots;  // oldest first
  std::vector<Txn> log;                                 // every appended txn, never compacted
  // Executes one storage op. Returns an error string when the op breaks a storage rule (a zxid
  // not above the last, a same-epoch gap: zab.md 7.3 rule 3), "" otherwise.
  std::string Execute(const StorageOp& op);
  Recovered ToRecovered() const;
  Zxid last_logged() const;
};

struct NetOptions {
  double drop_probability = 0;   // per message, at send time
  uint64_t delay_ms_max = 0;     // uniform extra delay in [0, delay_ms_max]
  double late_probability = 0;   // per message that was not dropped: held back as a late packet
  uint64_t late_ttl_ms = 10000;  // a held packet not released this long after it was sent is
                                 // dropped (bounds the pool)
};

struct SentMessage {
  PeerId from, to;
  Message message;
  uint64_t deliver_at_ms = 0;
};

class Cluster {
 public:
  // Voters 1..n; `base` supplies the timing knobs (self/voters are filled in).
  Cluster(size_t n, Config base = Config{}, uint64_t seed = 1);
  // Starts node i+1 from disks[i] (hand-made durable states).
  Cluster(std::vector<DurableState> disks, Config base = Config{}, uint64_t seed = 1);

  size_t size() const { return nodes_.size(); }
  uint64_t now_ms() const { return now_ms_; }
  bool up(uint64_t id) const { return node(id).peer != nullptr; }
  Peer& peer(uint64_t id) { return *node(id).peer; }
  const DurableState& durable(uint64_t id) const { return node(id).durable; }
  DurableState& mutable_durable(uint64_t id) { return node(id).durable; }
  const std::vector<Event>& events(uint64_t id) const { return node(id).events; }
  NetOptions& net() { return net_; }
  // Late packets delivered so far (statistics: a sim can show the fault mix is not idle).
  uint64_t late_delivered() const { return late_delivered_; }
  // Holds the next message `from` sends `to` for which match() holds as a late packet (see
  // "Late packets"), for scripted tests of the epoch fences. With `copy` the message is also
  // delivered as usual and only a duplicate is held back. One-shot.
  void HoldLate(uint64_t from, uint64_t to, std::function<bool(const Message&)> match,
                bool copy = false);
  // Group commit (the driver may merge consecutive Outputs under one fsync, peer.h CONTRACT):
  // when on, each node's Outputs accumulate and execute together at the next Flush (RunFor /
  // RunUntil flush every node after each delivery round). A crash drops the unflushed batch:
  // its storage ops, its messages and its replies.
  void set_group_commit(bool on) { group_commit_ = on; }
  void FlushAll();
  std::mt19937_64& rng() { return rng_; }

  // Feeds one input to a node and executes its Output (storage, then messages, then replies
  // and events), or queues it for the next flush under group commit. Returns the Output.
  Output Step(uint64_t id, const Input& input);
  // Like Step, but the node crashes before the Output's sync point: nothing of it survives.
  void StepAndCrash(uint64_t id, const Input& input);

  // Delivers one ready message (false if none). Advances nothing else.
  bool DeliverOne();
  // Delivers ready messages until none is left (bounded).
  void DeliverAll();
  // Advances the clock by `ms` in steps of `step_ms`, ticking every live node and delivering.
  void RunFor(uint64_t ms, uint64_t step_ms = 10);
  // Runs until pred() holds (checked after every step) or max_ms elapse. Returns pred().
  bool RunUntil(const std::function<bool()>& pred, uint64_t max_ms, uint64_t step_ms = 10);

  void Crash(uint64_t id);
  void Restart(uint64_t id);
  // Rebuilds the node's durable state (for tests that start from a hand-made disk).
  void SetDurable(uint64_t id, DurableState d);

  // Partitions. Block(a, b) drops everything a sends to b (one-way).
  void Block(uint64_t from, uint64_t to);
  void Unblock(uint64_t from, uint64_t to);
  void Isolate(uint64_t id);  // both directions with everyone
  void HealAll();
  bool blocked(uint64_t from, uint64_t to) const;

  // Client helpers: submit at a node, return the request id.
  uint64_t Write(uint64_t id, kv::Op op);
  uint64_t Read(uint64_t id, std::string key, ReadMode mode);
  std::optional<ClientReply> ReplyFor(uint64_t id, uint64_t request_id) const;

  // The node that is LEADING in BROADCAST (established), if exactly one live node is.
  std::optional<uint64_t> Leader() const;

  // Hook: every Output, right after it was executed (durable state already updated).
  std::function<void(uint64_t, const Input&, const Output&)> on_output;
  // Storage-rule violations seen while executing outputs (should stay empty).
  std::vector<std::string> violations;

 private:
  struct Node {
    std::unique_ptr<Peer> peer;
    DurableState durable;
    std::vector<Event> events;
    std::map<uint64_t, ClientReply> replies;
    uint64_t next_request_id = 1;
    std::vector<std::pair<Input, Output>> unflushed;  // group commit batch
  };
  Node& node(uint64_t id) { return nodes_.at(id - 1); }
  const Node& node(uint64_t id) const { return nodes_.at(id - 1); }
  void StartAll();
  void Execute(uint64_t id, const Output& out);
  void SendMsg(uint64_t from, const Envelope& e);

  Config base_;
  std::vector<Node> nodes_;
  std::map<std::pair<uint64_t, uint64_t>, std::deque<SentMessage>> links_;
  std::deque<SentMessage> late_;  // held packets, in send order; deliver_at_ms = when sent
  struct HoldRule {
    uint64_t from, to;
    std::function<bool(const Message&)> match;
    bool copy;
  };
  std::vector<HoldRule> hold_rules_;
  void ReleaseLateBehind(const SentMessage& newer);
  std::map<std::pair<uint64_t, uint64_t>, bool> blocked_;
  NetOptions net_;
  bool group_commit_ = false;
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
