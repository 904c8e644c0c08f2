// zab::Peer — one ZAB server as a pure state machine (zab.md sections 3-7).
//
// CONTRACT (read this before touching the driver or the core):
//  * No sockets, files, clocks, threads or randomness inside. Time arrives as Tick(now_ms);
//    messages arrive as Receive; client requests as ClientWrite / ClientRead.
//  * Every call to Step() returns one Output batch. The driver MUST execute it in this order:
//      1. storage ops, in order, then ONE fsync covering them (if output.storage is non-empty);
//      2. then send output.messages;
//      3. then deliver output.replies to clients and write output.events to the event log.
//    Because of (1) before (2), an ACK/ACKEPOCH/NEWLEADER-ACK in `messages` is never seen by a
//    peer before the log records / epoch files it certifies are durable (zab.md 7.3 rules 1, 4).
//    The driver may merge the batches of several consecutive Step() calls and execute them
//    together with a single fsync (group commit): order within and across batches is preserved.
//    Exception (runtime/node_runtime.h "Overlap"): a message certifying nothing the fsync makes
//    durable (a PROPOSAL; a COMMIT of a zxid already fsynced) may go before the fsync, keeping
//    per-link order; no input is stepped until the fsync completed.
//  * If the driver cannot execute a storage op (EIO, ENOSPC) it must stop the process (exit);
//    the core assumes every emitted storage op becomes durable before any later message is sent.
//  * The transport may drop messages (a broken TCP connection) but never reorders messages on one
//    directed link (sender -> receiver). The core tolerates loss by detecting gaps (7.3 rule 3)
//    and by timeouts.
//  * Same state + same inputs = same outputs: protocol tests are deterministic.
//  * Time arrives with Tick and with Receive (the time the driver read the message). Timers use
//    that time, never the tick count, and run on the core's own clock: with Config::stall_guard
//    it advances by at most one tick_time_ms per input, so the driver must Tick much more often
//    (zabd: every 10 ms). A longer gap between inputs means this process was not running (a
//    long fsync, SIGSTOP, starved of CPU): its peers' silence during the gap is unknown, since
//    the messages that would prove them alive wait unread, and does not count (issue 8).
//
// DURABLE-STATE MODEL (what the core assumes storage holds):
//  * The kv store holds APPLIED (committed) state only. After a restart the recovered log tail
//    is "logged, commit unknown": advertised in votes and ACKEPOCH (7.3 rule 2) but applied
//    only once a sync proves it (DIFF from P: all <= P committed; TRUNC(z): all <= z), or,
//    as leader, at the start of synchronization (its whole log is its initial history, 9c).
//  * WriteSnapshot is emitted only while serving (BROADCAST), every snapshot_every_commits
//    commits, so a snapshot never holds an uncommitted tail (7.3 rule 5).
//  * A follower logs the committed part of a sync stream at NEWLEADER (in every mode: zabd logs
//    instead of taking ZooKeeper's NEWLEADER snapshot), then WriteCurrentEpoch, then ACKs.
//  * Sync decision: zab.md 5.1 rows 2-4 and 6 exactly; row 5 (on-disk txnlog) does not exist
//    in the pure core, so P < min is SNAP. Refinement: a TRUNC below the peer's newest snapshot
//    (reported in ACKEPOCH) becomes SNAP.
//
// CLIENT OUTCOMES: ReplyStatus::kNotApplied -> RESP -NOTAPPLIED (no leader, not serving,
// rejected before any proposal); kUnknown -> -UNKNOWN (proposed/forwarded, then leadership or
// the leader connection was lost). kOk replies to writes come from the node the client used,
// when it applies the commit; ClientReply.zxid is the commit zxid (reads: the zxid of the state
// read). A forwarded write or read never answered stays pending until the node leaves its
// leader: the driver should time requests out itself (and report -UNKNOWN for writes).
//
// Thread-safety: none; the driver calls everything from one thread.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include "server/core/fault_points.h"
#include "server/core/messages.h"
#include "server/core/types.h"
#include "server/kv/op.h"

namespace zab {

enum class Role : uint8_t { kLooking, kFollowing, kLeading };
// Finer ZAB phase, reported in ROLE/INFO and the event log (zab.md 3-6).
enum class Phase : uint8_t { kElection, kDiscovery, kSynchronization, kBroadcast };
enum class ReadMode : uint8_t { kLinearizable, kSync, kLocal };

const char* ToString(Role r);
const char* ToString(Phase p);
const char* ToString(ReadMode m);

// ---- Fault points (zab.md 8; fault_points.h) ------------------------------------------------
// Config::faults names the enabled points (KnownFaults()); empty = the correct protocol.

struct ServerAddress {
  PeerId id;
};

struct Config {
  PeerId self;
  std::vector<PeerId> voters;  // every server of the ensemble, including self; quorum = n/2+1
  // Timing in milliseconds of the Tick clock (ZooKeeper names; zabd defaults favour fast failover
  // on one machine).
  uint64_t tick_time_ms = 100;
  uint32_t init_limit_ticks = 10;  // discovery + sync must finish within this
  uint32_t sync_limit_ticks = 5;   // a follower silent this long is dropped; leader silence too
  uint64_t finalize_wait_ms = 50;  // FLE finalizeWait (zab.md 3 step 4)
  uint64_t election_resend_ms_min = 50;  // FLE notification timeout, doubles up to max
  uint64_t election_resend_ms_max = 2000;
  // See CONTRACT: an input gap beyond tick_time_ms advances the timers by one tick only (and
  // emits a `stall` event). Off only for scripted tests that jump the clock in one Tick.
  bool stall_guard = true;
  uint64_t snapshot_every_commits = 10000;   // emit a WriteSnapshot after this many commits
  uint64_t committed_log_entries_min = 500;  // zookeeper.commitLogCount: DIFF window kept in memory
  uint32_t counter_max = kCounterMax;        // test knob for ZK-1277 (counter exhaustion)
  std::set<std::string> faults;  // named fault points (fault_points.h); empty = correct protocol
};

// What storage recovered at start (server/storage), handed to the core once.
struct Recovered {
  Epoch accepted_epoch;
  Epoch current_epoch;
  Zxid snapshot_zxid;          // 0 if none
  std::string snapshot_state;  // kv::Store::Serialize() at snapshot_zxid ("" = empty store)
  std::vector<Txn> log;        // every logged txn after snapshot_zxid, in zxid order,
                               // committed or not (zab.md 1: the tail counts for the vote)
};

// ---- Inputs ------------------------------------------------------------------------------
struct Tick {
  uint64_t now_ms;
};
struct Receive {
  PeerId from;
  Message message;
  // When the driver read it, on the Tick clock (issue 8, "Receive must carry its own time"): a
  // message read after a stall proves its sender alive at that time, not at the last Tick.
  // 0 = unstamped (the last input's time).
  uint64_t now_ms = 0;
};
// A client write submitted at this node. request_id is unique per node for the process life.
struct ClientWrite {
  uint64_t request_id;
  kv::Op op;
};
struct ClientRead {
  uint64_t request_id;
  std::string key;
  ReadMode mode;
};
// The transport noticed the link to/from `peer` broke (optional hint; timeouts suffice).
struct PeerDisconnected {
  PeerId peer;
};
// The transport (re)established its link to `peer` (optional hint). Whatever that peer missed
// while the link was down and this node still needs it to hear is sent again: the current vote
// while LOOKING (ZooKeeper's QuorumCnxManager resends the last notification on a new
// connection), FOLLOWERINFO while following in discovery. Without it the resend timers recover
// the same, later (at cluster start, one backed-off FLE resend per node that came up late).
struct PeerConnected {
  PeerId peer;
};
using Input = std::variant<Tick, Receive, ClientWrite, ClientRead, PeerDisconnected, PeerConnected>;

// ---- Outputs -----------------------------------------------------------------------------
// Storage ops, executed in order, then one fsync (see CONTRACT).
struct AppendTxn {
  Txn txn;
};
struct TruncateLog {
  Zxid keep_up_to;
};  // remove every logged txn > keep_up_to, and every
    // snapshot newer than it (7.3 rule 5)
struct WriteAcceptedEpoch {
  Epoch epoch;
};
struct WriteCurrentEpoch {
  Epoch epoch;
};
struct WriteSnapshot {
  Zxid zxid;
  std::string state;
};  // committed state only (7.3 rule 5)
struct InstallSnapshot {
  Zxid zxid;
  std::string state;
};  // SNAP sync: discard the whole log
using StorageOp = std::variant<AppendTxn, TruncateLog, WriteAcceptedEpoch, WriteCurrentEpoch,
                               WriteSnapshot, InstallSnapshot>;

struct Envelope {
  PeerId to;
  Message message;
};

enum class ReplyStatus : uint8_t {
  kOk,
  kNotApplied,  // certainly not applied: no leader, not serving, rejected before proposal
  kUnknown,     // may or may not be applied: leadership lost after proposal/forwarding
};

struct ClientReply {
  uint64_t request_id = 0;
  ReplyStatus status = ReplyStatus::kOk;
  std::string error;    // human reason when status != kOk
  Zxid zxid;            // write: the zxid it committed at; read: zxid of the state read
  bool applied = true;  // write: kv::ApplyResult::applied (CAS swapped, DEL existed)
  std::optional<std::string> value;  // read: the value, nullopt if the key is absent
};

// One event-log record (JSON lines written by the driver; schema in docs/contracts.md section 3).
// `type` is the record type; `fields` is a flat list of name -> integer or string.
struct Event {
  std::string type;
  std::vector<std::pair<std::string, std::variant<int64_t, uint64_t, std::string>>> fields;
};

struct Output {
  std::vector<StorageOp> storage;
  std::vector<Envelope> messages;
  std::vector<ClientReply> replies;
  std::vector<Event> events;
  bool empty() const {
    return storage.empty() && messages.empty() && replies.empty() && events.empty();
  }
};

// What ROLE / INFO report.
struct Status {
  Role role = Role::kLooking;
  Phase phase = Phase::kElection;
  Epoch accepted_epoch;
  Epoch current_epoch;
  Zxid last_logged;
  Zxid last_committed;
  Zxid last_applied;
  std::optional<PeerId> leader;  // established leader this node follows or is
};

struct Counters {
  uint64_t proposals = 0, commits = 0, elections = 0;
  uint64_t sync_diff = 0, sync_trunc = 0, sync_snap = 0;  // as leader, decisions made
  uint64_t reads = 0, writes = 0;
  uint64_t fenced = 0;  // quorum packets dropped by epoch fencing (zab.md 7.3 rule 7)
  uint64_t stalls = 0;  // input gaps the stall guard did not count as peer silence
};

class PeerImpl;

class Peer {
 public:
  // `recovered` is what storage found on disk. The core starts LOOKING at now_ms; the output of
  // the first Step() also carries what construction did (the first FLE notifications).
  // now_ms must differ between incarnations of a node (it tags forwarded requests).
  Peer(Config config, Recovered recovered, uint64_t now_ms);
  ~Peer();
  Peer(const Peer&) = delete;
  Peer& operator=(const Peer&) = delete;

  Output Step(const Input& input);
  // Hands back an Output the driver has executed: its vectors are emptied and a later Step()
  // fills them again, so that a Step allocates nothing for them once they have grown (issue 12:
  // allocation was a fifth of the simulator's time). Optional; nothing else changes.
  void Recycle(Output&& spent);

  Status status() const;
  const Counters& counters() const;
  // Local (possibly stale) read of the applied state, for tests and INFO.
  std::optional<std::string> LocalGet(const std::string& key) const;
  // kv::Store::Digest() of the applied state: equal digests = equal replicas (tests, INFO).
  uint64_t StateDigest() const;

 private:
  std::unique_ptr<PeerImpl> impl_;
};

}  // namespace zab
