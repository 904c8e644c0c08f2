// runtime::NodeRuntime — executes the ZAB core's outputs over real storage and a transport: one
// executor for zabd (server/net/driver.cc) and for the simulator (server/core/testing), so the
// simulator crashes the storage code that runs in production (ARCHITECTURE.md "runtime/").
//
// CONTRACT (peer.h CONTRACT is the core's side of it; read both):
//  * One owner thread calls everything: zabd's io_context thread, or the simulator's loop.
//  * Step(input) feeds the core and queues its Output; nothing leaves the node yet. Flush()
//    executes every Output queued since the last Flush as one batch (group commit), in order:
//      1. every storage op, in order, over storage::Storage, then ONE Storage::Sync(). Storage
//         keeps durable order itself (storage.h: a crash leaves a prefix of the calls), so the
//         runtime adds no ordering rule of its own;
//      2. every message to the Transport, in order;
//      3. every client reply to the ReplyHandler, in order;
//      4. every event to the EventSink, adjacent `logged` / `committed` ranges of the whole
//         batch merged into one (the one place ranges are merged; contracts.md 3). A
//         `committed` range carries `digest`, the kv state digest (kv::Store::Digest) once
//         `last` is applied: replicas agree on it at every zxid, so the checker compares
//         committed prefixes at range ends and catches a divergence strictly inside a merged
//         range (issue 12).
//    Nothing of 2-4 is released before 1 returned: no peer sees an ACK / ACKEPOCH / NEWLEADER
//    ACK, and no client a reply, that certifies something not durable (zab.md 7.3 rules 1, 4).
//    With coalesce_cumulative_messages, the messages go out in passes (a batch's early ones;
//    the rest of every batch one fsync released) and of a pass's ACKs (COMMITs) to one peer in
//    one epoch only the highest leaves (Superseded()): an ACK still leaves only once all it
//    covers is durable, a COMMIT only as the last of those the core emitted, never earlier.
//  * Overlap (zab.md 6 "its own ACK comes from its own log fsync"; ZooKeeper's leader logs in
//    parallel with its followers): the messages that certify nothing the batch's disk work makes
//    durable are sent BEFORE it (then Transport::Push): PROPOSALs; COMMITs and PINGs of zxids
//    an earlier fsync covered (a PING's lastCommitted is a COMMIT in effect) and PINGACKs of
//    what an earlier fsync covered (its lastLogged is an ACK in effect); a new leader's sync
//    stream (DIFF / TRUNC / SNAP / NEWLEADER) while it writes its currentEpoch. So a follower
//    logs and fsyncs a proposal while the leader fsyncs it (one fsync of latency, not two), and
//    writes its currentEpoch while the leader writes its own. The core counts the leader's own
//    ACK when it proposes; it takes effect only after this fsync: every other ACK is handled by
//    a later Step, after the fsync, and a COMMIT of a zxid not yet synced waits for it. Per
//    destination only a prefix of the messages goes early, across every batch not yet released
//    (a link never reorders). Nothing is acknowledged that is not durable on a quorum: a leader
//    that dies before its fsync has sent proposals, never a COMMIT or a reply for them.
//  * Pipelined sync (zabd): Begin() / StartSync() / FinishSync() split Flush() so the fsync runs
//    on another thread while the owner keeps stepping the core: batches begun meanwhile log
//    their appends and send their early messages, and wait in order; the next fsync covers
//    all of them. Batches are released strictly in the order they began (messages, replies,
//    events), each only once an fsync that started after its appends completed; only what
//    "Replies ahead" allows passes a batch still waiting. A batch with any op but appends
//    (epoch files, truncation, snapshots) runs, with its fsync, inside Begin(), after the fsync
//    in flight was collected (must_finish_sync_first()).
//  * Replies ahead (issue 8): an Output that writes nothing, whose messages all went early and
//    whose `committed` ranges end at or below what the last completed fsync covered, certifies
//    only what is durable: on a quorum (a COMMIT, or the leader's commit, says so) and in this
//    node's own log. If every Output still waiting before it only appends, sends and logs
//    (no reply, no event but `logged`), nothing orders it behind them, so its replies are
//    released at once, not after the fsync of appends begun before it. So a write's reply
//    waits for its own txn's fsync, not for the next batch's too (a follower ACKs proposal z+1
//    while COMMIT z arrives; before, the reply to z waited for z+1's fsync). Reads see nothing
//    newer: every Output that committed anything was released before it, each only once what
//    it committed was durable. Its events keep their place: they are written with its batch,
//    in order, so the event log (its records, their order and how ranges merge) is what it
//    would be without this, and a reply may precede the `committed` record of what it answers.
//  * A storage error stops the batch at the failing op: no message (but those of "Overlap"),
//    reply or event of the batch is released, and Flush() returns the error naming the op. The
//    owner must stop the node
//    (zabd exits with code 3; the simulator crashes it): after an IoError Storage refuses every
//    call, and the core assumed every op it emitted would become durable (peer.h).
//  * Destroying the runtime drops the queued batch, exactly as a process death before its fsync
//    would: nothing of it was acknowledged.
//  * Time: the runtime owns no clock and no thread. Inputs carry time (Tick.now_ms); the
//    EventSink stamps records. So it runs in-process under a simulated clock (the simulator,
//    and `faultline sim` later).
//
// Ownership: the runtime owns the core (zab::Peer). Storage, Transport, EventSink are borrowed
// and must outlive it.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/status.h"
#include "server/core/peer.h"

namespace storage {
class Storage;
struct Recovered;
}  // namespace storage

namespace runtime {

// Where messages go. zabd encodes them onto its TCP links; the simulator queues them on its
// simulated network. May drop a message (peer.h: the transport may lose, never reorder).
class Transport {
 public:
  virtual ~Transport() = default;
  virtual void Send(const zab::Envelope& envelope) = 0;
  // The messages sent so far should leave now, not when the owner's loop next runs: the runtime
  // calls it after its early messages (CONTRACT "Overlap"), before it writes to the disk.
  virtual void Push() {}
};

// Where event records go (zabd: JSON lines, event_log.h; the simulator: memory).
class EventSink {
 public:
  virtual ~EventSink() = default;
  virtual void Write(const zab::Event& event) = 0;
  // The same, the record handed over (the runtime is done with it): a sink that keeps records
  // (the simulator's memory) moves it instead of copying. By default Write(event).
  virtual void WriteOwned(zab::Event&& event) { Write(event); }
  // End of a batch: a file sink flushes here (once per batch, not per record).
  virtual void EndBatch() {}
};

using ReplyHandler = std::function<void(const zab::ClientReply& reply)>;

// What storage recovered, as the core's input. Corruption if a record's payload does not decode
// as a txn or names another zxid than its record (the message names the zxid).
faultline::Result<zab::Recovered> ToCoreRecovered(storage::Recovered recovered);

// A storage failure of Flush(): which op failed, and how.
struct StorageFailure {
  std::string op;  // "append", "sync", "truncate", "write acceptedEpoch", ...
  faultline::Status status;
};

class NodeRuntime {
 public:
  // The core starts from `recovered` at now_ms (peer.h Peer constructor).
  NodeRuntime(zab::Config config, zab::Recovered recovered, uint64_t now_ms,
              storage::Storage* storage, Transport* transport, EventSink* events,
              ReplyHandler replies);
  ~NodeRuntime();
  NodeRuntime(const NodeRuntime&) = delete;
  NodeRuntime& operator=(const NodeRuntime&) = delete;

  // Feeds one input to the core and queues its Output (executed by the next Flush()). The
  // returned Output is valid until the next Step() or Flush().
  const zab::Output& Step(const zab::Input& input);
  // Executes the queued batch (see CONTRACT) and its fsync, on this thread: Begin(), then the
  // StartSync() job, then FinishSync(). Ok, or the first storage failure, "during <op>:
  // <error>" (the batch is then dropped and the node must stop; failure() has the parts).
  faultline::Status Flush();

  // The same, with the fsync run elsewhere (zabd runs it on a thread of its own, so its loop
  // keeps reading, pinging and proposing while the disk works; see CONTRACT "Pipelined sync"):
  //  * Begin(): the queued batch's early messages (CONTRACT "Overlap"), then its storage ops;
  //    the rest of it waits, behind every batch begun before it, for an fsync that covers it.
  //    A batch holding any op but appends runs them, and its fsync, right here (they keep
  //    durable order in Storage): it needs no fsync in flight (must_finish_sync_first()).
  //  * StartSync(): the fsync covering every batch begun so far, to run on any one thread; or
  //    an empty job if one is already in flight or none is needed.
  //  * FinishSync(the job's result): releases, in order, every batch that fsync covered.
  faultline::Status Begin();
  bool must_finish_sync_first() const;
  std::function<faultline::Status()> StartSync();
  faultline::Status FinishSync(faultline::Status job_result);
  bool sync_in_flight() const { return sync_in_flight_; }
  // Batches begun but not yet released (waiting for an fsync).
  std::size_t unreleased() const { return waiting_.size(); }
  // Appends begun since the last StartSync() job was made: what the next one would cover. zabd
  // runs the fsync of a lone append on its loop (driver.cc StartSync).
  std::size_t unsynced_appends() const { return unsynced_appends_; }

  bool has_queued() const { return !queued_.empty(); }

  // The leader's fsync overlaps its followers' (CONTRACT "Overlap"); off = every message waits
  // for the batch's fsync (the order before; tests show what the overlap changes).
  bool overlap_leader_fsync = true;

  // An ACK (a COMMIT) that a later one to the same peer in the same send pass covers is not sent
  // (Superseded() below; both are cumulative in zabd's core): a follower sends one ACK per fsync
  // and a leader one COMMIT per follower per batch, not one per txn (issue 8: CPU per write).
  // On in zabd and in both simulators alike (one executor): what the simulator tests is what
  // runs. Tests of the per-message path turn it off.
  bool coalesce_cumulative_messages = true;

  // Replies of what is durable already do not wait for the fsync of appends begun before them
  // (CONTRACT "Replies ahead"; events always wait for their batch); off = every reply waits for
  // its batch (the order before; tests show what it changes).
  bool release_ahead = true;

  // Observer, for tests and the simulator's oracles: called once per Output of a batch after
  // the whole batch executed (storage durable, messages sent), with the input that produced it.
  // Set it before the first Step(): from then on inputs are kept until their batch executes.
  std::function<void(const zab::Input&, const zab::Output&)> on_executed;

  const zab::Peer& peer() const { return peer_; }
  zab::Peer& peer() { return peer_; }
  const storage::Storage& storage() const { return *storage_; }
  // The failure that stopped this runtime, if any (every later Flush returns it again).
  const StorageFailure* failure() const { return failure_.get(); }

 private:
  // A batch begun and not yet released: what is left of it waits for fsync generation `needs`.
  struct Waiting {
    std::vector<zab::Output> batch;
    std::vector<zab::Input> inputs;  // only while on_executed is set
    std::vector<bool> early;         // by message position: already sent
    // By Output, for ReleaseAhead (CONTRACT "Replies ahead"); empty until the first
    // ReleaseAhead() that reaches the batch classifies it (most batches are released first).
    struct Ahead {
      bool released = false;   // released ahead of its batch
      bool logs_only = false;  // no reply, no event but `logged`: a later Output may pass it
      bool may_go = false;     // writes nothing, all its messages went early
      uint64_t committed = 0;  // the highest `last` of its `committed` ranges
    };
    std::vector<Ahead> ahead;
    uint64_t needs = 0;
  };

  faultline::Status Failed() const;
  // Executes one storage op; false (and failure_ set) on error.
  bool Execute(const zab::StorageOp& op);
  // Sends the batch's messages that may leave before its fsync; marks which, by batch position,
  // in *early.
  void SendEarly(const std::vector<zab::Output>& batch, std::vector<bool>* early);
  // Releases, in order, the waiting batches an fsync covered: messages, replies, events; then
  // what ReleaseAhead() may release before its batch.
  void Release();
  // The replies of waiting batches' Outputs that certify only what is durable already and that
  // nothing before them orders: released now, ahead of their batches (CONTRACT "Replies ahead").
  void ReleaseAhead();
  static bool ReleasedAhead(const Waiting& w, std::size_t i) {
    return !w.ahead.empty() && w.ahead[i].released;
  }
  // Fills w->ahead (after SendEarly() filled w->early).
  static void ClassifyAhead(Waiting* w);
  bool CertifiesNothingUnsynced(const zab::Message& message) const;
  // Sends one pass of messages (the early ones of a batch, or the rest of every batch an fsync
  // released), in order, without those Superseded() drops.
  void SendPass(const std::vector<const zab::Envelope*>& pass);
  // Adds {"digest": kv state digest at `last`} to the Output's last `committed` range.
  void StampDigest(zab::Output* out) const;
  void WriteEvents();

  zab::Peer peer_;
  storage::Storage* storage_;
  Transport* transport_;
  EventSink* events_;
  ReplyHandler replies_;
  std::vector<zab::Output> queued_;
  std::vector<zab::Input> queued_inputs_;  // only while on_executed is set
  std::deque<Waiting> waiting_;            // begun, in order, not yet released
  std::vector<zab::Event> merged_;         // scratch: this batch's events, ranges merged
  // Scratch kept from batch to batch, so that a batch's bookkeeping allocates nothing once the
  // vectors have grown (issue 12: allocation was a fifth of the simulator's time, and the same
  // code runs in zabd): released Waitings (their vectors cleared, capacity kept), the batches
  // one Release() takes, one send pass, its drops, and the links SendEarly() holds back.
  std::vector<Waiting> spare_;
  std::vector<Waiting> done_;
  std::vector<const zab::Envelope*> pass_;
  std::vector<bool> dropped_;
  std::vector<uint64_t> held_;
  std::unique_ptr<StorageFailure> failure_;
  uint64_t synced_through_;  // storage's last zxid as of the last completed fsync
  // fsync generations: a batch that appends needs the next one; a completed fsync covers every
  // generation up to the one it was started at.
  uint64_t appended_gen_ = 0;
  uint64_t synced_gen_ = 0;
  bool sync_in_flight_ = false;
  std::size_t unsynced_appends_ = 0;
  uint64_t sync_gen_ = 0;   // of the fsync in flight
  uint64_t sync_zxid_ = 0;  // storage's last zxid when it started
};

// Appends `event` to `events`. A `logged` / `committed` range {first, last, count, ...} is merged
// into the last range of its type when it starts after that one's end and only range events lie
// between them (other events keep their place in the log); the merged range takes the later
// one's end and extra fields (a digest at `last`) and the summed count. Other events are
// appended as they are. The one definition of range merging (contracts.md 3).
void AppendMergingRanges(std::vector<zab::Event>* events, zab::Event event);

// Which messages of one send pass say nothing a later one of the pass does not: an ACK (a
// COMMIT) followed in the pass by an ACK (a COMMIT) to the same peer, in the same epoch, for a
// higher zxid. Both are cumulative in zabd's core, so sending the later one alone changes
// nothing but the message count (a follower ACKs each proposal, a leader COMMITs each txn; a
// batch holds many). Epoch markers (counter 0) neither drop nor are dropped.
std::vector<bool> Superseded(const std::vector<const zab::Envelope*>& pass);
// The same into *dropped (its capacity kept).
void Superseded(const std::vector<const zab::Envelope*>& pass, std::vector<bool>* dropped);

}  // namespace runtime
