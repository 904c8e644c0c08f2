// Phase 1: Discovery (zab.md 4): FOLLOWERINFO / LEADERINFO / ACKEPOCH.
#include <algorithm>

#include "server/core/peer_impl.h"

namespace zab {

void PeerImpl::StartLeading() {
  SetRole(Role::kLeading, Phase::kDiscovery);
  // Tell every voter this node now leads: a follower that decided first sent its FOLLOWERINFO
  // while this node was still LOOKING (dropped), and resends it on this vote (election.cc).
  BroadcastVote();
  learners_.clear();
  outstanding_.clear();
  epoch_decided_ = epoch_quorum_acked_ = established_ = false;
  // Leader step 1: leaderStateSummary = (currentEpoch, last logged zxid).
  summary_epoch_ = current_epoch_;
  summary_zxid_ = last_logged();
  // Leader step 2, getEpochToPropose(self, acceptedEpoch): epoch = max(acceptedEpoch) + 1.
  epoch_proposal_ = accepted_epoch_.value + 1;
  epoch_ = Epoch{};
  if (quorum_ <= 1) {
    epoch_ = Epoch{epoch_proposal_};
    epoch_decided_ = true;
    PersistAcceptedEpoch(epoch_);
    LeaderOnAckEpoch(config_.self,
                     AckEpoch{Epoch{}, -1, Zxid{}, Zxid{}});  // only to run the quorum check
  }
}

void PeerImpl::StartFollowing() {
  SetRole(Role::kFollowing, Phase::kDiscovery);
  sync_buffer_.clear();
  sync_mode_known_ = newleader_done_ = false;
  sync_commit_upto_ = Zxid{};
  epoch_ = Epoch{};
  last_heard_leader_ms_ = now_ms_;
  // Follower step 1: FOLLOWERINFO carries acceptedEpoch (CEPOCH(f.p)).
  Send(*leader_, FollowerInfo{accepted_epoch_});
}

void PeerImpl::LeaderOnFollowerInfo(PeerId from, const FollowerInfo& m) {
  Learner& l = learners_[from.value];
  l = Learner{};  // a (re)connecting learner starts over: no forwarding until re-synced
  l.accepted_epoch = m.epoch;
  l.last_heard_ms = now_ms_;
  if (epoch_decided_) {
    // After the decision a late caller gets the fixed epoch without any bump.
    Send(from, LeaderInfo{epoch_});
    return;
  }
  epoch_proposal_ = std::max(epoch_proposal_, m.epoch.value + 1);
  if (learners_.size() + 1 < quorum_) return;
  // The leader plus a quorum: fix the epoch and persist acceptedEpoch BEFORE any LEADERINFO is
  // sent (storage precedes messages in one Output; 7.3 rule 4 on the leader side).
  epoch_ = Epoch{epoch_proposal_};
  epoch_decided_ = true;
  PersistAcceptedEpoch(epoch_);
  for (const auto& [sid, learner] : learners_) Send(PeerId{sid}, LeaderInfo{epoch_});
}

void PeerImpl::LeaderOnAckEpoch(PeerId from, const AckEpoch& m) {
  if (from != config_.self) {
    auto it = learners_.find(from.value);
    if (it == learners_.end() || !epoch_decided_ || m.epoch != epoch_) {
      counters_.fenced++;
      return;
    }
    Learner& l = it->second;
    if (l.stage != Learner::Stage::kInfo) return;
    l.last_heard_ms = now_ms_;
    // vote-ignores-zxid trusts the election's winner to hold the newest history: no drop.
    if (m.current_epoch != -1 && !faults_.vote_ignores_zxid) {
      // Leader step 4: "Follower is ahead of the leader": its (currentEpoch, lastZxid) summary is
      // more recent than ours; drop it (it times out and goes LOOKING).
      Epoch fe{static_cast<uint32_t>(m.current_epoch)};
      // (No event: "step_down" means this node gives up its role, which the leader does not.)
      if (fe > summary_epoch_ || (fe == summary_epoch_ && m.last_zxid > summary_zxid_)) {
        learners_.erase(it);
        return;
      }
    }
    l.peer_zxid = m.last_zxid;
    l.peer_snapshot_zxid = m.snapshot_zxid;
    l.stage = Learner::Stage::kEpochAcked;
    // A -1 reply is not an epoch ack (the follower acked e' to another leader), but it is synced.
    l.epoch_counted = m.current_epoch != -1;
    if (epoch_quorum_acked_) return LeaderSync(from);
  }
  if (epoch_quorum_acked_) return;
  size_t acks = 1;
  for (const auto& [sid, l] : learners_) {
    if (l.stage == Learner::Stage::kEpochAcked && l.epoch_counted) acks++;
  }
  if (acks < quorum_) return;
  // Leader step 5: persist currentEpoch = e' after a quorum of ACKEPOCH, then synchronize.
  epoch_quorum_acked_ = true;
  PersistCurrentEpoch(epoch_);
  vote_epoch_ = epoch_;  // updateElectionVote: joiners compare (leader, peerEpoch)
  SetRole(Role::kLeading, Phase::kSynchronization);
  // zab.md 9c: the leader's whole log is its initial history and counts as committed (it is
  // already durable; clients see it only after activation).
  const Zxid committed_before = last_applied_;
  ApplyLogUpTo(last_logged());
  if (faults_.snapshot_uncommitted_tail && last_applied_ > committed_before &&
      committed_before.value != 0) {
    // snapshot-uncommitted-tail (ZOOKEEPER-1549/1558: the prospective leader snapshots in
    // loadData): the tail is not committed until this leader establishes, yet it goes into a
    // snapshot. It is named by the committed point it started from (a fuzzy snapshot), so a
    // later TRUNC to that point keeps it, and the reload from it brings the tail back.
    snapshot_zxid_ = committed_before;
    snapshot_state_ = store_.Serialize();
    Persist(WriteSnapshot{snapshot_zxid_, snapshot_state_});
    Emit("snapshot", {{"zxid", snapshot_zxid_.value}, {"digest", store_.Digest()}});
  }
  last_proposed_ = last_applied_;
  for (auto& [sid, l] : learners_) {
    if (l.stage == Learner::Stage::kEpochAcked) LeaderSync(PeerId{sid});
  }
  if (quorum_ <= 1) Activate();
}

void PeerImpl::FollowerOnLeaderInfo(PeerId from, const LeaderInfo& m) {
  if (!leader_ || from != *leader_ || phase_ != Phase::kDiscovery) return;
  last_heard_leader_ms_ = now_ms_;
  int64_t reply_epoch = -1;
  if (m.epoch > accepted_epoch_) {
    // Follower step 2: remember currentEpoch for the reply, then persist acceptedEpoch = e'
    // BEFORE the ACKEPOCH (same Output, storage first; 7.3 rule 4).
    reply_epoch = current_epoch_.value;
    PersistAcceptedEpoch(m.epoch);
  } else if (m.epoch < accepted_epoch_) {
    // zab.md 9d.1: a stale prospective leader; we cannot join that epoch.
    return GoLooking("LEADERINFO epoch " + std::to_string(m.epoch.value) + " below acceptedEpoch " +
                     std::to_string(accepted_epoch_.value));
  }
  // e' == acceptedEpoch: reply -1; an epoch is acked to at most one leader (7.3 rule 4), but the
  // last zxid is still reported so the leader can sync us.
  epoch_ = m.epoch;
  // 7.3 rule 2: the advertised zxid is the last durable log entry. Fault zk-2845 / zk-4712
  // (ZOOKEEPER-2845, ZOOKEEPER-4712) reports the last applied one instead, hiding a logged but
  // uncommitted tail from the leader, which then DIFFs where it must TRUNC.
  Send(from, AckEpoch{m.epoch, reply_epoch, advertised_zxid(), snapshot_zxid_});
  SetRole(Role::kFollowing, Phase::kSynchronization);
}

}  // namespace zab
