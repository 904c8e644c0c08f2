// Phase 2: Synchronization (zab.md 5): the leader's decision table (5.1), the follower's sync
// (5.2) and activation (5.3).
#include <algorithm>

#include "server/core/peer_impl.h"
#include "server/kv/store.h"

namespace zab {

// ---- 5.1 leader: LearnerHandler.syncFollower(P) ----------------------------------------------
//
// committedLog = the entries of log_ that are committed (zxid <= last_applied_): the in-memory
// window since (at least committed_log_entries_min before) the last snapshot. L = last_applied_
// (lastProcessedZxid; before activation it includes the leader's own tail, zab.md 9c).
// The pure core has no on-disk txnlog iterator, so row 5 never applies: P < min is SNAP (row 6).
void PeerImpl::LeaderSync(PeerId follower) {
  Learner& l = learners_.at(follower.value);
  const Zxid p = l.peer_zxid;
  const Zxid big_l = last_applied_;
  std::vector<const Txn*> committed;
  for (const Txn& t : log_) {
    if (t.zxid > last_applied_) break;
    committed.push_back(&t);
  }
  const Zxid min = committed.empty() ? big_l : committed.front()->zxid;
  const Zxid max = committed.empty() ? big_l : committed.back()->zxid;
  const bool new_epoch_peer = p.is_epoch_marker();

  enum class Mode { kDiff, kTrunc, kTruncDiff, kSnap } mode = Mode::kSnap;
  Zxid trunc_to;
  size_t first_pair = committed.size();  // index of the first entry sent as PROPOSAL+COMMIT
  if (p == big_l) {
    mode = Mode::kDiff;  // row 2: empty DIFF(P)
  } else if (p > max && !new_epoch_peer) {
    mode = Mode::kTrunc;  // row 3: the peer has a tail we lack
    trunc_to = max;
  } else if (min <= p && p <= max) {
    // Row 4: walk committedLog (rules a-d).
    Zxid prev;
    bool decided = false;
    for (size_t i = 0; i < committed.size() && !decided; ++i) {
      Zxid e = committed[i]->zxid;
      if (e < p) {
        prev = e;
        continue;
      }
      decided = true;
      if (e == p) {
        mode = Mode::kDiff, first_pair = i + 1;  // a
      } else if (new_epoch_peer) {
        mode = Mode::kDiff, first_pair = i;  // b
      } else if (faults_.zk1154) {
        // Fault zk-1154 (ZOOKEEPER-1154, before git 0552fada): any P inside [min, max] got a plain
        // DIFF from the first entry above it, so the peer keeps (and applies) its divergent P.
        mode = Mode::kDiff, first_pair = i;
      } else if (e.epoch() == p.epoch()) {
        mode = Mode::kTruncDiff, trunc_to = prev, first_pair = i;  // c: ZOOKEEPER-1154
      } else {
        mode = Mode::kSnap;  // d: never TRUNC across an epoch boundary
      }
    }
    // No E >= P: the safety net is SNAP (mode stays kSnap).
  }
  // Row 6 (P < min, or P > max with a new-epoch zxid != L): SNAP.

  // zabd refinement: the peer cannot truncate below its newest durable snapshot (the state
  // before it is gone; ZOOKEEPER-1549/2832 territory, 7.3 rule 5). Such a snapshot can only hold
  // a failed leader's tail that SNAP-synced it; replace its state instead.
  if ((mode == Mode::kTrunc || mode == Mode::kTruncDiff) && trunc_to < l.peer_snapshot_zxid) {
    mode = Mode::kSnap;
  }

  Zxid first_sent, last_sent;
  Zxid prev;  // the follower's last logged zxid once the mode packet is applied
  const char* mode_name = "SNAP";
  switch (mode) {
    case Mode::kDiff:
      mode_name = "DIFF";
      counters_.sync_diff++;
      Send(follower, Diff{epoch_, p == big_l ? p : max});
      prev = p;
      break;
    case Mode::kTrunc:
    case Mode::kTruncDiff:
      mode_name = mode == Mode::kTrunc ? "TRUNC" : "TRUNC+DIFF";
      counters_.sync_trunc++;
      Send(follower, Trunc{epoch_, trunc_to});
      prev = trunc_to;
      break;
    case Mode::kSnap:
      counters_.sync_snap++;
      first_pair = committed.size();
      Send(follower, Snap{epoch_, last_applied_, store_.Serialize()});
      prev = last_applied_;
      break;
  }
  for (size_t i = first_pair; i < committed.size(); ++i) {
    if (first_sent.value == 0) first_sent = committed[i]->zxid;
    last_sent = committed[i]->zxid;
    Send(follower, Proposal{epoch_, *committed[i], prev});
    Send(follower, Commit{epoch_, committed[i]->zxid});
    prev = committed[i]->zxid;
  }
  // startForwarding: every outstanding (uncommitted) proposal, then live broadcasts; NEWLEADER
  // goes last (ZOOKEEPER-3104).
  l.unacked.clear();
  for (const auto& [z, o] : outstanding_) {
    if (first_sent.value == 0) first_sent = o.txn.zxid;
    last_sent = o.txn.zxid;
    Send(follower, Proposal{epoch_, o.txn, prev});
    l.unacked.emplace_back(o.txn.zxid, now_ms_);  // acked after UPTODATE (5.2)
    prev = o.txn.zxid;
  }
  l.forwarding = true;
  l.stage = Learner::Stage::kSyncing;
  Send(follower, NewLeader{epoch_, big_l});
  Emit("sync_decision", {{"peer", follower.value},
                         {"mode", std::string(mode_name)},
                         {"peer_zxid", p.value},
                         {"leader_zxid", big_l.value},
                         {"min_zxid", min.value},
                         {"max_zxid", max.value},
                         {"trunc_to", trunc_to.value},
                         {"first_sent", first_sent.value},
                         {"last_sent", last_sent.value}});
}

// ---- 5.3 activation ----------------------------------------------------------------------
void PeerImpl::LeaderOnNewLeaderAck(PeerId from) {
  Learner& l = learners_.at(from.value);
  // Only the first ACK(e<<32) after NEWLEADER counts; the post-UPTODATE one is ignored (5.3).
  if (l.stage != Learner::Stage::kSyncing) return;
  l.stage = Learner::Stage::kAcked;
  if (established_) {
    Send(from, UpToDate{epoch_});
    l.uptodate_sent = true;
    return;
  }
  size_t acks = 1;
  for (const auto& [sid, x] : learners_) acks += x.stage == Learner::Stage::kAcked ? 1 : 0;
  if (epoch_quorum_acked_ && acks >= quorum_) Activate();
}

void PeerImpl::Activate() {
  // The leader plus a quorum acked NEWLEADER: established in epoch e' (Leadership invariant:
  // at most one per epoch, since each follower acks e' to at most one leader).
  established_ = true;
  SetRole(Role::kLeading, Phase::kBroadcast);
  std::string quorum = std::to_string(config_.self.value);
  std::vector<uint64_t> ids{config_.self.value};
  for (const auto& [sid, l] : learners_) {
    if (l.stage == Learner::Stage::kAcked) ids.push_back(sid);
  }
  std::sort(ids.begin(), ids.end());
  quorum.clear();
  for (uint64_t id : ids) quorum += (quorum.empty() ? "" : ",") + std::to_string(id);
  Emit("established",
       {{"epoch", uint64_t{epoch_.value}}, {"leader", config_.self.value}, {"quorum", quorum}});
  FlushUnannounced();
  next_counter_ = 1;
  last_proposed_ = last_applied_;
  next_ping_ms_ = now_ms_;
  for (auto& [sid, l] : learners_) {
    l.last_heard_ms = now_ms_;
    if (l.stage == Learner::Stage::kAcked) {
      Send(PeerId{sid}, UpToDate{epoch_});
      l.uptodate_sent = true;
    }
  }
}

// ---- 5.2 follower: Learner.syncWithLeader --------------------------------------------------
bool PeerImpl::SyncBufferAccepts(Zxid z, Zxid prev) const {
  // ZOOKEEPER-4925: a same-epoch zxid other than last+1 aborts the sync (7.3 rule 3). A new
  // epoch's first txn has counter 1. And the leader's prev must be our last (no lost packet).
  Zxid last = !sync_buffer_.empty()       ? sync_buffer_.back().zxid
              : !unlogged_synced_.empty() ? unlogged_synced_.back().zxid
                                          : SyncBase();
  if (z <= last || prev != last) return false;
  if (z.epoch() == last.epoch()) return z.value == last.value + 1;
  return z.counter() == 1;
}

void PeerImpl::FollowerOnSyncPacket(const Message& m) {
  auto received = [&](const char* mode, Zxid z) {
    Emit("sync_received", {{"leader", leader_->value},
                           {"epoch", uint64_t{epoch_.value}},
                           {"mode", std::string(mode)},
                           {"zxid", z.value}});
  };
  if (!sync_mode_known_) {
    // The first packet chooses the mode (5.2); anything else aborts the sync.
    sync_mode_known_ = true;
    if (const auto* d = std::get_if<Diff>(&m)) {
      received("DIFF", d->zxid);
      // The leader found our last zxid P in its history: everything we logged is committed.
      ApplyLogUpTo(SyncBase());
      return;
    }
    if (const auto* t = std::get_if<Trunc>(&m)) {
      received("TRUNC", t->zxid);
      // Everything <= z is in the leader's history; the rest of our log is not (zab.md 9a).
      if (!RollbackTo(t->zxid)) {
        return GoLooking("TRUNC to " + ToHex(t->zxid) + " below our snapshot " +
                         ToHex(snapshot_zxid_));
      }
      if (last_logged() > t->zxid) TruncateTo(t->zxid);
      ApplyLogUpTo(t->zxid);
      return;
    }
    if (const auto* s = std::get_if<Snap>(&m)) {
      received("SNAP", s->zxid);
      auto store = kv::Store::Deserialize(s->state);
      if (!store.ok()) return GoLooking("bad SNAP: " + store.status().ToString());
      // InstallSnapshot durably replaces log and snapshots before anything later is sent.
      Persist(InstallSnapshot{s->zxid, s->state});
      store_ = std::move(store.value());
      last_applied_ = snapshot_zxid_ = s->zxid;
      snapshot_state_ = s->state;
      log_.clear();
      unannounced_.clear();
      commits_since_snapshot_ = 0;
      Emit("snapshot_installed", {{"zxid", s->zxid.value}});
      return;
    }
    return GoLooking(std::string("sync: unexpected first packet ") + MessageName(m));
  }
  if (const auto* p = std::get_if<Proposal>(&m)) {
    if (p->txn.zxid.epoch() > epoch_ || !SyncBufferAccepts(p->txn.zxid, p->prev)) {
      return GoLooking("sync: gap or reorder at " + ToHex(p->txn.zxid));
    }
    sync_buffer_.push_back(p->txn);  // packetsNotLogged: logged at NEWLEADER / UPTODATE
    return;
  }
  if (const auto* c = std::get_if<Commit>(&m)) {
    if (c->zxid <= last_applied_) return;
    bool known = std::any_of(sync_buffer_.begin(), sync_buffer_.end(),
                             [&](const Txn& t) { return t.zxid == c->zxid; });
    if (!known) return GoLooking("sync: COMMIT of an unknown txn " + ToHex(c->zxid));
    sync_commit_upto_ = std::max(sync_commit_upto_, c->zxid);
    return;
  }
  if (const auto* nl = std::get_if<NewLeader>(&m)) return FollowerOnNewLeader(*nl);
  if (const auto* u = std::get_if<UpToDate>(&m)) return FollowerOnUpToDate(*u);
  return GoLooking(std::string("sync: unexpected ") + MessageName(m));
}

void PeerImpl::AppendSynced(const Txn& txn) {
  // zk-2845: the stream started at the hidden tail's base, so a txn at or below the tail is the
  // one already in our log (one leader per epoch: same zxid, same txn); it is not logged twice.
  if (faults_.zk2845 && txn.zxid <= last_logged()) return;
  Append(txn);
}

void PeerImpl::FollowerOnNewLeader(const NewLeader& m) {
  if (newleader_done_) return;
  // 5.2 NEWLEADER, in this exact order (7.3 rule 1; ZOOKEEPER-3911/3023/4646/4643/4785):
  //  1. log and apply the committed txns (uncommitted ones stay buffered, no ACK yet);
  //  2. persist currentEpoch = e';
  //  3. ACK(e'<<32).
  // All three are in this one Output, so the driver's fsync covers 1 and 2 before 3 is sent.
  // In SNAP/TRUNC mode we log the committed txns too instead of taking a NEWLEADER snapshot, so
  // no snapshot ever holds state a failed leader shipped (7.3 rule 5).
  // Everything up to m.history is committed (the stream shipped it as PROPOSAL+COMMIT pairs).
  sync_commit_upto_ = std::max(sync_commit_upto_, m.history);
  // Fault zk-4643 (ZOOKEEPER-4643, PR #2028): currentEpoch persisted BEFORE the history it
  // certifies. A crash between the two leaves a node with the new epoch and a short log, which
  // wins FLE (epoch first) and TRUNCs a node holding committed txns.
  // zabd's log writer is the driver's flush; under this fault the txns wait in the core's log
  // queue for the next tick (ZooKeeper hands them to its SyncRequestProcessor thread), and the
  // ACK waits for them (the ZOOKEEPER-4646 fix is in), so the window is a whole tick.
  const bool epoch_first = faults_.zk4643;
  if (epoch_first) PersistCurrentEpoch(epoch_, m.history);
  while (!sync_buffer_.empty() && sync_buffer_.front().zxid <= sync_commit_upto_) {
    if (epoch_first) {
      AppendQueued(sync_buffer_.front());
    } else if (faults_.zk3911) {
      // Fault zk-3911 / zk-4646 (ZOOKEEPER-3911 PR #1445, ZOOKEEPER-4646 PR #1993): the DIFF
      // txns are applied and NEWLEADER is ACKed now, but they reach the log only at UPTODATE.
      // A crash after the ACK loses txns the leader already counted as held by a quorum.
      unlogged_synced_.push_back(sync_buffer_.front());
    } else {
      AppendSynced(sync_buffer_.front());
    }
    ApplyCommitted(sync_buffer_.front());
    sync_buffer_.pop_front();
  }
  // currentEpoch certifies this history (FLE compares it first): never persist it for a
  // history we do not fully hold, e.g. after a lost packet (7.3 rule 1; ZOOKEEPER-4643 class).
  // (zk-2845: the held history is the in-memory one, as for every other decision.)
  const Zxid held = !unlogged_synced_.empty() ? unlogged_synced_.back().zxid
                    : faults_.zk2845          ? last_applied_
                                              : last_logged();
  if (held != m.history) {
    return GoLooking("NEWLEADER history " + ToHex(m.history) + " but our log ends at " +
                     ToHex(held));
  }
  newleader_done_ = true;
  if (epoch_first) {
    newleader_ack_queued_ = true;  // sent by FlushLogQueue, after the queued history
    if (log_queue_.empty()) FlushLogQueue();
    return;
  }
  PersistCurrentEpoch(epoch_, m.history);
  Send(*leader_, Ack{epoch_, Zxid::Make(epoch_, 0)});
  Emit("newleader", {{"epoch", uint64_t{epoch_.value}}, {"leader", leader_->value}});
}

void PeerImpl::FollowerOnUpToDate(const UpToDate& m) {
  if (!newleader_done_) return GoLooking("UPTODATE before NEWLEADER");
  SetRole(Role::kFollowing, Phase::kBroadcast);
  vote_epoch_ = epoch_;  // updateElectionVote (ZOOKEEPER-1732)
  Emit("uptodate", {{"epoch", uint64_t{epoch_.value}}, {"leader", leader_->value}});
  // Fault zk-3911 / zk-4646: only now do the txns synced (and ACKed) at NEWLEADER reach the log.
  for (const Txn& t : unlogged_synced_) Append(t);
  unlogged_synced_.clear();
  FlushUnannounced();
  // Push the still-buffered proposals through the normal log path (ACK after logging), then the
  // COMMITs received after NEWLEADER (ZOOKEEPER-4394).
  Send(*leader_, Ack{epoch_, Zxid::Make(epoch_, 0)});
  Zxid last;
  for (const Txn& t : sync_buffer_) {
    AppendSynced(t);
    last = t.zxid;
  }
  sync_buffer_.clear();
  if (last.value != 0) Send(*leader_, Ack{epoch_, last});
  ApplyLogUpTo(sync_commit_upto_);
  last_heard_leader_ms_ = now_ms_;
}

}  // namespace zab
