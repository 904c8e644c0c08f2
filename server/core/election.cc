// Phase 0: Fast Leader Election (zab.md 3, FastLeaderElection.lookForLeader).
#include "server/core/peer_impl.h"

namespace zab {
namespace {

// ZooKeeper's Vote.equals: if either side is LOOKING every field must match; between two
// non-LOOKING votes only (leader, peerEpoch) (ZOOKEEPER-1805/1732: a joiner cannot know the
// leader's current zxid or round).
bool VotesEqual(const Vote& a, const Vote& b) {
  if (a.state == PeerState::kLooking || b.state == PeerState::kLooking) {
    return a.leader == b.leader && a.zxid == b.zxid && a.round == b.round &&
           a.peer_epoch == b.peer_epoch;
  }
  return a.leader == b.leader && a.peer_epoch == b.peer_epoch;
}

}  // namespace

Vote PeerImpl::MyVote() const {
  PeerState st = role_ == Role::kLooking     ? PeerState::kLooking
                 : role_ == Role::kFollowing ? PeerState::kFollowing
                                             : PeerState::kLeading;
  return Vote{current_epoch_,
              st,
              vote_leader_,
              vote_zxid_,
              role_ == Role::kLooking ? round_ : decided_round_,
              vote_epoch_};
}

// totalOrderPredicate(new, cur): (peerEpoch, zxid, sid) lexicographic (zab.md 3).
bool PeerImpl::VoteBeats(PeerId l1, Zxid z1, Epoch e1, PeerId l2, Zxid z2, Epoch e2) const {
  if (!IsVoter(l1)) return false;
  // vote-ignores-zxid: the histories are not compared at all, the highest server id wins.
  if (faults_.vote_ignores_zxid) return l1 > l2;
  if (e1 != e2) return e1 > e2;
  if (z1 != z2) return z1 > z2;
  return l1 > l2;
}

void PeerImpl::StartElection() {
  // Step 1: new round, vote for myself with my LAST LOGGED zxid (7.3 rule 2) and currentEpoch.
  SetRole(Role::kLooking, Phase::kElection);
  counters_.elections++;
  round_++;
  recvset_.clear();
  outofelection_.clear();
  finalize_at_ms_.reset();
  vote_leader_ = config_.self;
  vote_zxid_ = advertised_zxid();  // last_logged(); zk-2845/4712: last applied
  vote_epoch_ = current_epoch_;
  Emit("vote", {{"round", round_},
                {"leader", vote_leader_.value},
                {"zxid", vote_zxid_.value},
                {"epoch", uint64_t{vote_epoch_.value}}});
  recvset_[config_.self.value] = MyVote();
  BroadcastVote();
  resend_interval_ms_ = config_.election_resend_ms_min;
  resend_at_ms_ = now_ms_ + resend_interval_ms_;
  if (QuorumAgrees(recvset_, MyVote(), false)) finalize_at_ms_ = now_ms_ + config_.finalize_wait_ms;
}

void PeerImpl::BroadcastVote() {
  Vote v = MyVote();
  for (PeerId p : config_.voters) {
    if (p != config_.self) Send(p, v);
  }
}

bool PeerImpl::QuorumAgrees(const std::map<uint64_t, Vote>& votes, const Vote& target,
                            bool loose) const {
  size_t n = 0;
  for (const auto& [sid, v] : votes) {
    if (loose ? VotesEqual(v, target)
              : (v.leader == target.leader && v.zxid == target.zxid && v.round == target.round &&
                 v.peer_epoch == target.peer_epoch)) {
      n++;
    }
  }
  return n >= quorum_;
}

// Step 4, "if have received from all nodes, then terminate" (ZooKeeper 3.4's lookForLeader):
// finalizeWait exists to let a better vote arrive, and none can once every voter's latest vote
// of this round equals mine. A node only ever moves to a better vote than its own, starting from
// its own initial vote, so a vote every voter holds is at least every initial vote: the best
// there is. Deciding at once saves finalizeWait at every cluster start.
bool PeerImpl::EveryVoterAgrees() const {
  if (recvset_.size() < config_.voters.size()) return false;
  const Vote mine = MyVote();
  for (PeerId p : config_.voters) {
    auto it = recvset_.find(p.value);
    if (it == recvset_.end()) return false;
    const Vote& v = it->second;
    if (v.leader != mine.leader || v.zxid != mine.zxid || v.round != mine.round ||
        v.peer_epoch != mine.peer_epoch) {
      return false;
    }
  }
  return true;
}

// Step 5 checkLeader: a leader other than me must itself be present and LEADING; if the leader
// is me, the round must be mine. Stops the ensemble from re-electing a dead leader.
bool PeerImpl::CheckLeader(const std::map<uint64_t, Vote>& votes, PeerId leader,
                           uint64_t round) const {
  if (leader != config_.self) {
    auto it = votes.find(leader.value);
    return it != votes.end() && it->second.state == PeerState::kLeading;
  }
  return round == round_;
}

void PeerImpl::OnVote(PeerId from, const Vote& n) {
  if (role_ != Role::kLooking) {
    // Step 6: a non-LOOKING server answers a LOOKING peer with its current vote.
    if (n.state == PeerState::kLooking) {
      Send(from, MyVote());
      // A learner that went LOOKING has left this leader.
      if (role_ == Role::kLeading) learners_.erase(from.value);
    } else if (role_ == Role::kFollowing && phase_ == Phase::kDiscovery && leader_ == from &&
               n.state == PeerState::kLeading) {
      // The leader announces it now leads (StartLeading): a FOLLOWERINFO sent while it was
      // still LOOKING was dropped there, so send it again now instead of a tick later. Only in
      // discovery, before LEADERINFO: on the FIFO link it still precedes our ACKEPOCH.
      last_heard_leader_ms_ = now_ms_;
      Send(from, FollowerInfo{accepted_epoch_});
    }
    return;
  }
  if (!IsVoter(n.leader)) return;  // step 3
  if (n.state == PeerState::kLooking) {
    bool changed = false;
    if (n.round > round_) {
      // Step 4: adopt the newer round; vote for the better of n's vote and my initial vote.
      round_ = n.round;
      recvset_.clear();
      finalize_at_ms_.reset();
      if (VoteBeats(n.leader, n.zxid, n.peer_epoch, config_.self, advertised_zxid(),
                    current_epoch_)) {
        vote_leader_ = n.leader, vote_zxid_ = n.zxid, vote_epoch_ = n.peer_epoch;
      } else {
        vote_leader_ = config_.self, vote_zxid_ = advertised_zxid(), vote_epoch_ = current_epoch_;
      }
      changed = true;
    } else if (n.round < round_) {
      Send(from, MyVote());  // the sender is behind: tell it my round and vote
      return;
    } else if (VoteBeats(n.leader, n.zxid, n.peer_epoch, vote_leader_, vote_zxid_, vote_epoch_)) {
      vote_leader_ = n.leader, vote_zxid_ = n.zxid, vote_epoch_ = n.peer_epoch;
      changed = true;
    } else if (VoteBeats(vote_leader_, vote_zxid_, vote_epoch_, n.leader, n.zxid, n.peer_epoch)) {
      // Same round, and mine is better: the sender has not heard it (my broadcast may have been
      // sent while its link was down). Tell it now rather than at its next resend, which backs
      // off (step 2); it adopts mine and the round can end without another timeout.
      Send(from, MyVote());
    }
    if (changed) {
      Emit("vote", {{"round", round_},
                    {"leader", vote_leader_.value},
                    {"zxid", vote_zxid_.value},
                    {"epoch", uint64_t{vote_epoch_.value}}});
      BroadcastVote();
      finalize_at_ms_.reset();  // a better vote arrived: keep looping (finalizeWait restarts)
    }
    recvset_[from.value] = n;
    recvset_[config_.self.value] = MyVote();
    if (EveryVoterAgrees()) return Decide(vote_leader_, vote_zxid_, vote_epoch_);
    if (QuorumAgrees(recvset_, MyVote(), false)) {
      if (!finalize_at_ms_) finalize_at_ms_ = now_ms_ + config_.finalize_wait_ms;
    } else {
      finalize_at_ms_.reset();
    }
    return;
  }
  // Step 5: an established ensemble answering me (FOLLOWING / LEADING).
  if (n.round == round_) {
    recvset_[from.value] = n;
    if (QuorumAgrees(recvset_, n, true) && CheckLeader(recvset_, n.leader, n.round)) {
      return Decide(n.leader, n.zxid, n.peer_epoch);
    }
  }
  outofelection_[from.value] = n;
  if (QuorumAgrees(outofelection_, n, true) && CheckLeader(outofelection_, n.leader, n.round)) {
    round_ = n.round;
    Decide(n.leader, n.zxid, n.peer_epoch);
  }
}

void PeerImpl::ElectionTick() {
  if (finalize_at_ms_ && now_ms_ >= *finalize_at_ms_) {
    // finalizeWait elapsed with no better vote: decide (step 4).
    if (QuorumAgrees(recvset_, MyVote(), false)) {
      return Decide(vote_leader_, vote_zxid_, vote_epoch_);
    }
    finalize_at_ms_.reset();
  }
  if (now_ms_ >= resend_at_ms_) {
    // Step 2: on timeout resend the notifications, with exponential backoff.
    BroadcastVote();
    resend_interval_ms_ = std::min(resend_interval_ms_ * 2, config_.election_resend_ms_max);
    resend_at_ms_ = now_ms_ + resend_interval_ms_;
  }
}

void PeerImpl::Decide(PeerId leader, Zxid zxid, Epoch peer_epoch) {
  vote_leader_ = leader, vote_zxid_ = zxid, vote_epoch_ = peer_epoch;
  decided_round_ = round_;
  recvset_.clear();
  outofelection_.clear();
  finalize_at_ms_.reset();
  Emit("elected", {{"round", round_},
                   {"leader", leader.value},
                   {"zxid", zxid.value},
                   {"epoch", uint64_t{peer_epoch.value}}});
  // Step 7: termination is not commitment: discovery + sync must finish within init_limit.
  leader_ = leader;
  phase_deadline_ms_ = now_ms_ + TickMs(config_.init_limit_ticks);
  if (leader == config_.self) {
    StartLeading();
  } else {
    StartFollowing();
  }
}

}  // namespace zab
