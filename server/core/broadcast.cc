// Phase 3: Broadcast (zab.md 6): PROPOSAL / ACK / COMMIT, pings and the liveness timeouts.
#include <algorithm>

#include "server/core/peer_impl.h"

namespace zab {

void PeerImpl::OnClientWrite(const ClientWrite& w) {
  counters_.writes++;
  Origin origin{config_.self, w.request_id, incarnation_};
  if (role_ == Role::kLeading && established_) {
    if (next_counter_ > config_.counter_max) {
      Reply(ClientReply{
          w.request_id, ReplyStatus::kNotApplied, "epoch counter exhausted", Zxid{}, false, {}});
      return GoLooking("zxid counter exhausted; forcing a new epoch (ZOOKEEPER-1277)");
    }
    pending_writes_[w.request_id] = false;
    return LeaderPropose(origin, w.op);
  }
  if (role_ == Role::kFollowing && phase_ == Phase::kBroadcast) {
    pending_writes_[w.request_id] = true;
    return Send(*leader_, Request{epoch_, origin, w.op});
  }
  Reply(ClientReply{w.request_id,
                    ReplyStatus::kNotApplied,
                    role_ == Role::kLooking ? "no leader" : "not serving yet",
                    Zxid{},
                    false,
                    {}});
}

void PeerImpl::LeaderOnRequest(PeerId from, const Request& m) {
  if (!established_) {
    return Send(from, RequestReject{epoch_, m.origin.request_id, "leader not established"});
  }
  if (next_counter_ > config_.counter_max) {
    Send(from, RequestReject{epoch_, m.origin.request_id, "epoch counter exhausted"});
    return GoLooking("zxid counter exhausted; forcing a new epoch (ZOOKEEPER-1277)");
  }
  LeaderPropose(m.origin, m.op);
}

void PeerImpl::LeaderPropose(Origin origin, const kv::Op& op) {
  // zxid = epoch << 32 | counter (zab.md 1); counter 0 is the epoch marker, never a txn.
  Txn t{Zxid::Make(epoch_, next_counter_++), origin, op};
  const Zxid prev = last_logged();
  // The leader's own ACK is its own log write. The runtime may send the PROPOSAL before that
  // write's fsync (node_runtime.h "Overlap"); the ACK counted here takes effect only after it.
  Append(t);
  last_proposed_ = t.zxid;
  counters_.proposals++;
  Outstanding& o = outstanding_[t.zxid.value];
  o.txn = t;
  o.acks.insert(config_.self.value);
  for (auto& [sid, l] : learners_) {
    if (!l.forwarding) continue;
    Send(PeerId{sid}, Proposal{epoch_, t, prev});
    l.unacked.emplace_back(t.zxid, now_ms_);
  }
  LeaderTryCommit();
}

void PeerImpl::LeaderOnAck(PeerId from, const Ack& m) {
  if (!established_) return;  // before activation only ACK(e<<32) counts (ZOOKEEPER-4685)
  Learner& l = learners_.at(from.value);
  if (!l.forwarding) return;
  LearnerLogged(l, m.zxid);
  // ACKs are cumulative: the follower logs this epoch's proposals gap-free and in order.
  for (auto& [z, o] : outstanding_) {
    if (z > m.zxid.value) break;
    o.acks.insert(from.value);
  }
  LeaderTryCommit();
}

void PeerImpl::LearnerLogged(Learner& l, Zxid z) {
  while (!l.unacked.empty() && l.unacked.front().first <= z) l.unacked.pop_front();
}

void PeerImpl::DropLaggingLearners() {
  // zab.md 6: "A handler is dropped if its oldest un-ACKed proposal is older than
  // syncLimit*tickTime" (ZooKeeper's SyncLimitCheck, checked from the NEWLEADER ACK on). Its
  // pings may still be answered (a follower whose log no longer advances); dropping it stops
  // the forwarding, it times out on the silence and rejoins through a fresh sync.
  std::vector<uint64_t> lagging;
  for (const auto& [sid, l] : learners_) {
    if (l.stage == Learner::Stage::kAcked && !l.unacked.empty() &&
        now_ms_ - l.unacked.front().second > TickMs(config_.sync_limit_ticks)) {
      lagging.push_back(sid);
    }
  }
  for (uint64_t sid : lagging) {
    const Zxid oldest = learners_.at(sid).unacked.front().first;
    learners_.erase(sid);
    Emit("learner_dropped", {{"peer", sid},
                             {"epoch", uint64_t{epoch_.value}},
                             {"unacked_zxid", oldest.value},
                             {"reason", std::string("proposal not acked within sync_limit")}});
  }
}

void PeerImpl::LeaderTryCommit() {
  // Commit strictly in zxid order (7.3 rule 8): only the lowest outstanding proposal may commit.
  bool any = false;
  while (!outstanding_.empty()) {
    auto it = outstanding_.begin();
    // commit-without-quorum: the leader's own ACK (its log write) is taken as enough.
    const size_t needed = faults_.commit_without_quorum ? 1 : quorum_;
    if (it->second.acks.size() < needed) break;
    Txn t = std::move(it->second.txn);
    outstanding_.erase(it);
    for (const auto& [sid, l] : learners_) {
      if (l.forwarding) Send(PeerId{sid}, Commit{epoch_, t.zxid});
    }
    ApplyCommitted(t);
    any = true;
  }
  if (any) LeaderServeReads();
}

void PeerImpl::LeaderTick() {
  if (!established_) {
    if (now_ms_ >= phase_deadline_ms_) {
      GoLooking("discovery+sync did not finish within init_limit");
    }
    return;
  }
  if (now_ms_ >= next_ping_ms_) {
    // Every tickTime/2: PING with lastCommitted so a follower that missed a COMMIT catches up.
    next_ping_ms_ = now_ms_ + std::max<uint64_t>(1, config_.tick_time_ms / 2);
    for (const auto& [sid, l] : learners_) {
      if (l.stage == Learner::Stage::kAcked || l.stage == Learner::Stage::kSyncing) {
        Send(PeerId{sid}, Ping{epoch_, last_applied_, ping_round_});
      }
    }
  }
  DropLaggingLearners();
  // The leader steps down when the learners it heard from within syncLimit, plus itself, are no
  // longer a quorum (zab.md 6).
  size_t synced = 1;
  for (const auto& [sid, l] : learners_) {
    if (l.stage == Learner::Stage::kAcked &&
        now_ms_ - l.last_heard_ms <= TickMs(config_.sync_limit_ticks)) {
      synced++;
    }
  }
  if (synced < quorum_) GoLooking("lost quorum for sync_limit");
}

void PeerImpl::FollowerOnProposal(PeerId from, const Proposal& m) {
  // no-epoch-fence: the proposal is taken in its own epoch, from whoever sent it (the check
  // below is then the only one; ZooKeeper's follower checks nothing but TCP identity).
  const Epoch epoch = faults_.no_epoch_fence ? m.epoch : epoch_;
  Zxid last = last_logged();
  if (faults_.no_epoch_fence && m.epoch < epoch_ && m.prev < last) {
    // no-epoch-fence: without the fence, the only consistency check left is log matching on
    // prev (ZooKeeper's follower only warns on a zxid gap). A stale leader's PROPOSAL whose prev
    // this node holds is taken as the truth: the log (and the applied state) go back to prev,
    // dropping what the newer epoch wrote after it, and the stale txn follows.
    const Zxid next = m.prev.epoch() == m.epoch ? Zxid{m.prev.value + 1} : Zxid::Make(m.epoch, 1);
    const bool held =
        m.prev == snapshot_zxid_ ||
        std::any_of(log_.begin(), log_.end(), [&](const Txn& t) { return t.zxid == m.prev; });
    if (m.txn.zxid == next && held && RollbackTo(m.prev)) {
      TruncateTo(m.prev);
      last = last_logged();
    }
  }
  // Same-epoch gap = lost packets: refuse and resync (7.3 rule 3).
  Zxid expect = last.epoch() == epoch ? Zxid{last.value + 1} : Zxid::Make(epoch, 1);
  if (m.txn.zxid != expect || m.prev != last) {
    return GoLooking("proposal gap: expected " + ToHex(expect) + " after " + ToHex(last) +
                     ", got " + ToHex(m.txn.zxid) + " after " + ToHex(m.prev));
  }
  if (faults_.ack_before_fsync) {
    // ack-before-fsync: ACK on receipt; the log writer appends and fsyncs it on the next tick.
    AppendQueued(m.txn);
    return Send(from, Ack{epoch, m.txn.zxid});
  }
  // ACK after the AppendTxn of the same Output: durable before the ACK is sent (7.3 rule 1).
  Append(m.txn);
  Send(from, Ack{epoch, m.txn.zxid});
}

void PeerImpl::FollowerOnCommit(Zxid z) {
  if (z <= last_applied_) return;
  if (z > last_logged()) return GoLooking("COMMIT " + ToHex(z) + " of a txn we never logged");
  // Apply strictly in zxid order, head of the pending queue first (7.3 rule 8).
  ApplyLogUpTo(z);
  FollowerServeSyncReads();
}

void PeerImpl::FollowerOnPing(const Ping& m) {
  Send(*leader_, PingAck{epoch_, m.round, last_logged()});
  if (phase_ != Phase::kBroadcast || m.last_committed <= last_applied_) return;
  // A missed COMMIT: lastCommitted in the PING lets us catch up; a missed PROPOSAL is a gap.
  if (m.last_committed > last_logged()) {
    return GoLooking("leader committed " + ToHex(m.last_committed) + " beyond our log");
  }
  ApplyLogUpTo(m.last_committed);
  FollowerServeSyncReads();
}

void PeerImpl::FollowerTick() {
  if (phase_ != Phase::kBroadcast) {
    if (now_ms_ >= phase_deadline_ms_) {
      return GoLooking("discovery+sync did not finish within init_limit");
    }
    // FOLLOWERINFO may have been sent before the link to the leader was up: repeat it every
    // tick until LEADERINFO arrives (the leader treats a repeat as a reconnect).
    if (phase_ == Phase::kDiscovery && now_ms_ - last_heard_leader_ms_ >= config_.tick_time_ms) {
      last_heard_leader_ms_ = now_ms_;
      Send(*leader_, FollowerInfo{accepted_epoch_});
    }
    return;
  }
  if (now_ms_ - last_heard_leader_ms_ > TickMs(config_.sync_limit_ticks)) {
    GoLooking("leader silent for sync_limit");
  }
}

}  // namespace zab
