// PeerImpl: the state of one ZAB server and its phase handlers (internal to server/core).
//
// The handlers are split by phase across files:
//   peer.cc             Step() dispatch, role/phase changes, durable-state helpers, events
//   election.cc         Fast Leader Election (zab.md 3)
//   discovery.cc        FOLLOWERINFO / LEADERINFO / ACKEPOCH (zab.md 4)
//   synchronization.cc  leader decision table 5.1, follower 5.2, activation 5.3
//   broadcast.cc        PROPOSAL / ACK / COMMIT, pings, timeouts (zab.md 6)
//   reads.cc            linearizable (ReadIndex), sync (ZooKeeper sync()) and local reads
//
// Durable-state model (see peer.h): store_ holds APPLIED state only; log_ mirrors the durable log
// since (at least) the last snapshot; snapshot_state_ mirrors the last durable snapshot so the
// core can roll its applied state back on TRUNC below it (zab.md 5.2 "reload the DB").
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "server/core/peer.h"
#include "server/kv/store.h"

namespace zab {

// Leader-side view of one learner (ZooKeeper's LearnerHandler).
struct Learner {
  enum class Stage : uint8_t {
    kInfo,        // FOLLOWERINFO received, waiting for the epoch decision / ACKEPOCH
    kEpochAcked,  // ACKEPOCH received, waiting for a quorum of ACKEPOCH before syncing
    kSyncing,     // sync stream + NEWLEADER sent, waiting for the NEWLEADER ACK
    kAcked,       // NEWLEADER acked; UPTODATE sent once the leader is established
  };
  Stage stage = Stage::kInfo;
  Epoch accepted_epoch;
  Zxid peer_zxid;              // from ACKEPOCH
  Zxid peer_snapshot_zxid;     // from ACKEPOCH: no TRUNC below it
  bool epoch_counted = false;  // its ACKEPOCH counts toward the quorum (currentEpoch != -1)
  bool forwarding = false;     // receives live PROPOSAL/COMMIT (startForwarding done)
  bool uptodate_sent = false;
  uint64_t last_heard_ms = 0;
  uint64_t ping_round_acked = 0;
  // Proposals sent to it and not yet ACKed, in zxid order, with the time each was sent
  // (ZooKeeper's SyncLimitCheck): the leader drops a learner whose oldest one is older than
  // syncLimit (zab.md 6), even while its pings keep it looking alive.
  std::deque<std::pair<Zxid, uint64_t>> unacked;
};

// A proposal the leader has not committed yet (outstandingProposals).
struct Outstanding {
  Txn txn;
  std::set<uint64_t> acks;  // sids (self included once its own log write is emitted)
};

// A pending client request at this node.
struct PendingRead {
  uint64_t request_id = 0;
  std::string key;
  ReadMode mode = ReadMode::kLinearizable;
  std::optional<PeerId> from;       // leader side: the follower that forwarded it; nullopt = local
  uint64_t round_needed = 0;        // linearizable: the confirmation round that must complete
  Zxid index;                       // linearizable: commit index; sync: zxid that must be committed
  bool answered_by_leader = false;  // follower side, sync: index is known
};

class PeerImpl {
 public:
  PeerImpl(Config config, Recovered recovered, uint64_t now_ms);

  Output Step(const Input& input);
  void Recycle(Output&& spent);
  Status status() const;
  const Counters& counters() const { return counters_; }
  std::optional<std::string> LocalGet(const std::string& key) const;
  uint64_t StateDigest() const { return store_.Digest(); }

 private:
  // ---- peer.cc: common helpers ----
  void OnTick(uint64_t now_ms);
  void AdvanceClock(uint64_t input_ms);
  void OnReceive(PeerId from, const Message& m);
  void OnPeerConnected(PeerId p);
  void SetRole(Role role, Phase phase);
  // Leaves FOLLOWING/LEADING (or restarts FLE): fails pending requests, discards sync buffers
  // (7.3 rule 6), starts a new election round.
  void GoLooking(const std::string& reason);
  void Send(PeerId to, Message m);
  void Emit(
      std::string type,
      std::vector<std::pair<std::string, std::variant<int64_t, uint64_t, std::string>>> fields);
  void EmitRange(const char* type, Zxid z);  // merges into the previous event of that type
  void Append(const Txn& txn);               // AppendTxn + log_ + "logged"
  void ApplyCommitted(const Txn& txn);       // kv apply + client reply + "committed"/snapshot
  void ApplyLogUpTo(Zxid z);                 // apply own logged txns (last_applied_, z]
  std::deque<Txn>::const_iterator FirstLoggedAfter(Zxid z) const;
  bool RollbackTo(Zxid z);  // applied state back to z (false: below snapshot)
  void TruncateTo(Zxid z);  // TruncateLog + log_ + "truncate"
  void FlushUnannounced();  // "committed" for txns applied before serving
  void MaybeSnapshot();
  Zxid last_logged() const;
  bool serving() const { return phase_ == Phase::kBroadcast; }
  bool IsVoter(PeerId p) const;
  uint64_t TickMs(uint32_t ticks) const { return config_.tick_time_ms * ticks; }
  void Reply(ClientReply r) { out_.replies.push_back(std::move(r)); }
  // Appends a storage op to this Output (executed and fsynced before its messages).
  // Any queued log writes (faults zk-4643, ack-before-fsync) go first, so storage order is kept.
  template <class T>
  void Persist(T op) {
    FlushLogQueue();
    out_.storage.emplace_back(std::in_place_type<T>, std::move(op));
  }
  // Faults zk-4643 and ack-before-fsync: the txn joins log_ (the core's view) now, but its
  // AppendTxn is held in log_queue_ until the log writer's next flush (FlushLogQueue).
  void AppendQueued(const Txn& txn);
  // Emits the held AppendTxns, then (zk-4643) the NEWLEADER ACK they were holding back.
  void FlushLogQueue();
  // acceptedEpoch / currentEpoch: persist (7.3 rules 1, 4), update the mirror, emit the event.
  void PersistAcceptedEpoch(Epoch e);
  void PersistCurrentEpoch(Epoch e, std::optional<Zxid> history = std::nullopt);

  // ---- election.cc ----
  void StartElection();
  void OnVote(PeerId from, const Vote& v);
  void ElectionTick();
  void BroadcastVote();
  Vote MyVote() const;
  bool VoteBeats(PeerId l1, Zxid z1, Epoch e1, PeerId l2, Zxid z2, Epoch e2) const;
  bool EveryVoterAgrees() const;
  bool QuorumAgrees(const std::map<uint64_t, Vote>& votes, const Vote& target, bool loose) const;
  bool CheckLeader(const std::map<uint64_t, Vote>& votes, PeerId leader, uint64_t round) const;
  void Decide(PeerId leader, Zxid zxid, Epoch peer_epoch);

  // ---- discovery.cc ----
  void StartLeading();
  void StartFollowing();
  void LeaderOnFollowerInfo(PeerId from, const FollowerInfo& m);
  void LeaderOnAckEpoch(PeerId from, const AckEpoch& m);
  void FollowerOnLeaderInfo(PeerId from, const LeaderInfo& m);

  // ---- synchronization.cc ----
  void LeaderSync(PeerId follower);
  void LeaderOnNewLeaderAck(PeerId from);
  void Activate();
  void FollowerOnSyncPacket(const Message& m);
  void FollowerOnNewLeader(const NewLeader& m);
  void FollowerOnUpToDate(const UpToDate& m);
  bool SyncBufferAccepts(Zxid z, Zxid prev) const;
  void AppendSynced(const Txn& txn);  // Append of a txn the sync stream shipped

  // ---- broadcast.cc ----
  void LeaderPropose(Origin origin, const kv::Op& op);
  void LeaderOnAck(PeerId from, const Ack& m);
  void LearnerLogged(Learner& l, Zxid z);  // cumulative: forget its unacked proposals <= z
  void DropLaggingLearners();
  void LeaderTryCommit();
  void LeaderOnRequest(PeerId from, const Request& m);
  void LeaderTick();
  void FollowerOnProposal(PeerId from, const Proposal& m);
  void FollowerOnCommit(Zxid z);
  void FollowerOnPing(const Ping& m);
  void FollowerTick();
  void OnClientWrite(const ClientWrite& w);
  bool FromMyLeader(PeerId from, Epoch epoch) const;
  bool FromMyLearner(PeerId from, Epoch epoch);

  // ---- reads.cc ----
  void OnClientRead(const ClientRead& r);
  void LeaderOnReadRequest(PeerId from, const ReadRequest& m);
  void LeaderOnPingAck(PeerId from, const PingAck& m);
  void LeaderServeReads();
  void FollowerOnReadReply(const ReadReply& m);
  void FollowerServeSyncReads();
  void ServeLocal(const PendingRead& r);
  void FailPendingReads(const std::string& reason);
  void StartReadRound();

  // ---- configuration and clock ----
  Config config_;
  // Fault points (fault_points.h), all off by default.
  FaultPoints faults_;
  // The zxid votes and ACKEPOCH advertise: the last logged one (7.3 rule 2), or under zk-2845
  // the last applied one.
  Zxid advertised_zxid() const { return faults_.zk2845 ? last_applied_ : last_logged(); }
  // Where this node takes its log to end when a sync stream starts: the same zxid (zk-2845 hides
  // the uncommitted tail from the sync too, so the DIFF is appended after it, as in ZooKeeper).
  Zxid SyncBase() const { return advertised_zxid(); }
  size_t quorum_ = 1;
  uint64_t now_ms_ = 0;       // the core's clock, every timer's (AdvanceClock)
  uint64_t input_ms_ = 0;     // the latest input time seen (Tick, stamped Receive)
  uint64_t incarnation_ = 0;  // construction now_ms: Origin::incarnation of our requests
  Output out_;
  // Executed Outputs handed back (Peer::Recycle), emptied, their capacity kept: the next out_.
  static constexpr std::size_t kSpareOutputsMax = 64;
  std::vector<Output> spare_outputs_;
  Counters counters_;

  // ---- durable-state mirror (zab.md 1) ----
  Epoch accepted_epoch_;
  Epoch current_epoch_;
  kv::Store store_;
  Zxid last_applied_;
  std::deque<Txn> log_;  // durable log, every entry > snapshot_zxid_ and a window below
  Zxid snapshot_zxid_;
  std::string snapshot_state_;  // last durable snapshot (for rollback on TRUNC)
  uint64_t commits_since_snapshot_ = 0;
  std::vector<Zxid> unannounced_;  // applied before serving; "committed" once serving

  // ---- role ----
  Role role_ = Role::kLooking;
  Phase phase_ = Phase::kElection;
  std::optional<PeerId> leader_;    // prospective or established leader (self when leading)
  Epoch epoch_;                     // e': the epoch being established / run / followed
  uint64_t phase_deadline_ms_ = 0;  // init_limit deadline for discovery + sync (zab.md 3 step 7)

  // ---- election (zab.md 3) ----
  uint64_t round_ = 0;
  PeerId vote_leader_;
  Zxid vote_zxid_;
  Epoch vote_epoch_;
  uint64_t decided_round_ = 0;
  std::map<uint64_t, Vote> recvset_;
  std::map<uint64_t, Vote> outofelection_;
  std::optional<uint64_t> finalize_at_ms_;
  uint64_t resend_at_ms_ = 0;
  uint64_t resend_interval_ms_ = 0;

  // ---- leader (zab.md 4-6) ----
  std::map<uint64_t, Learner> learners_;
  bool epoch_decided_ = false;
  uint32_t epoch_proposal_ = 0;  // max(acceptedEpoch)+1 so far (getEpochToPropose)
  bool epoch_quorum_acked_ = false;
  bool established_ = false;
  Epoch summary_epoch_;  // leaderStateSummary = (currentEpoch, last logged) at lead() start
  Zxid summary_zxid_;
  uint32_t next_counter_ = 1;
  Zxid last_proposed_;
  std::map<uint64_t, Outstanding> outstanding_;
  uint64_t next_ping_ms_ = 0;
  uint64_t ping_round_ = 0;
  bool read_round_needed_ = false;

  // ---- follower (zab.md 5.2, 6) ----
  bool newleader_done_ = false;
  bool sync_mode_known_ = false;
  std::deque<Txn> sync_buffer_;      // packetsNotLogged
  std::deque<Txn> unlogged_synced_;  // zk-3911 only: applied and ACKed at NEWLEADER, not logged
  // zk-4643 / ack-before-fsync only: the log writer's queue (in log_, not yet in storage), when
  // it flushes next, and whether the NEWLEADER ACK waits for it (zk-4643).
  std::vector<Txn> log_queue_;
  uint64_t log_queue_flush_at_ms_ = 0;
  bool newleader_ack_queued_ = false;
  Zxid sync_commit_upto_;  // highest COMMIT received during sync
  uint64_t last_heard_leader_ms_ = 0;

  // ---- clients ----
  std::map<uint64_t, bool> pending_writes_;  // request_id -> forwarded (else proposed here)
  std::vector<PendingRead> pending_reads_;
  std::vector<uint64_t> acked_scratch_;  // LeaderServeReads: each learner's acked round
};

}  // namespace zab
