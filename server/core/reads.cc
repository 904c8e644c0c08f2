// Client reads (zab.md 9e; contracts.md 1 READMODE):
//  * linearizable: served by the leader once a quorum confirmed its leadership AFTER the read
//    arrived (ReadIndex: commit index noted at arrival, a fresh Ping round, serve when a quorum
//    acked that round and the index is applied). Followers forward and relay.
//  * sync: ZooKeeper sync(): the leader answers when its lastProposed at the time of the sync is
//    committed (no quorum check, ZOOKEEPER-1675); a follower then reads locally once it applied it.
//  * local: the local applied state, only while serving (BROADCAST).
#include <algorithm>
#include <limits>

#include "server/core/peer_impl.h"

namespace zab {

void PeerImpl::OnClientRead(const ClientRead& r) {
  counters_.reads++;
  PendingRead p{r.request_id, r.key, r.mode, std::nullopt, 0, Zxid{}, false};
  // local-read-as-linearizable: a `linearizable` read takes the local path (no quorum round).
  const bool local = r.mode == ReadMode::kLocal ||
                     (r.mode == ReadMode::kLinearizable && faults_.local_read_as_linearizable);
  if (local) {
    if (serving()) return ServeLocal(p);
    return Reply(ClientReply{r.request_id, ReplyStatus::kNotApplied, "not serving", Zxid{}, false,
                             std::nullopt});
  }
  if (role_ == Role::kLeading && established_) {
    if (r.mode == ReadMode::kLinearizable) {
      p.round_needed = ping_round_ + 1;
      p.index = last_applied_;
      read_round_needed_ = true;
    } else {
      if (outstanding_.empty()) return ServeLocal(p);
      p.index = last_proposed_;
    }
    pending_reads_.push_back(std::move(p));
    return;
  }
  if (role_ == Role::kFollowing && serving()) {
    Send(*leader_, ReadRequest{epoch_, r.request_id,
                               static_cast<uint8_t>(r.mode == ReadMode::kSync ? 1 : 0), r.key});
    pending_reads_.push_back(std::move(p));
    return;
  }
  Reply(ClientReply{r.request_id, ReplyStatus::kNotApplied,
                    role_ == Role::kLooking ? "no leader" : "not serving yet", Zxid{}, false,
                    std::nullopt});
}

void PeerImpl::LeaderOnReadRequest(PeerId from, const ReadRequest& m) {
  if (!established_) return Send(from, ReadReply{epoch_, m.request_id, false, Zxid{}, {}});
  PendingRead p{m.request_id, m.key, m.mode == 1 ? ReadMode::kSync : ReadMode::kLinearizable,
                from,         0,     Zxid{},
                false};
  if (p.mode == ReadMode::kLinearizable) {
    p.round_needed = ping_round_ + 1;
    p.index = last_applied_;
    read_round_needed_ = true;
  } else {
    p.index = outstanding_.empty() ? last_applied_ : last_proposed_;
  }
  pending_reads_.push_back(std::move(p));
  LeaderServeReads();
}

void PeerImpl::StartReadRound() {
  read_round_needed_ = false;
  if (role_ != Role::kLeading || !established_) return;
  ++ping_round_;
  for (const auto& [sid, l] : learners_) {
    if (l.stage == Learner::Stage::kAcked || l.stage == Learner::Stage::kSyncing) {
      Send(PeerId{sid}, Ping{epoch_, last_applied_, ping_round_});
    }
  }
  LeaderServeReads();
}

void PeerImpl::LeaderOnPingAck(PeerId from, const PingAck& m) {
  Learner& l = learners_.at(from.value);
  l.ping_round_acked = std::max(l.ping_round_acked, m.round);
  // The PingAck re-acknowledges what the follower has logged: a lost ACK cannot stall commits,
  // nor get it dropped for lagging (DropLaggingLearners).
  if (established_ && l.stage == Learner::Stage::kAcked && m.last_logged.epoch() == epoch_) {
    LearnerLogged(l, m.last_logged);
    if (!outstanding_.empty()) LeaderOnAck(from, Ack{epoch_, m.last_logged});
  }
  if (!pending_reads_.empty()) LeaderServeReads();
}

void PeerImpl::LeaderServeReads() {
  if (pending_reads_.empty() || !established_) return;
  // The highest round acked by the leader plus a quorum. A learner past ACKEPOCH of e' cannot be
  // part of any other epoch's quorum without first leaving us, so its PingAck(round) proves no
  // newer leader had been established when it answered.
  uint64_t confirmed = std::numeric_limits<uint64_t>::max();
  if (quorum_ > 1) {
    std::vector<uint64_t>& acked = acked_scratch_;
    acked.clear();
    for (const auto& [sid, l] : learners_) acked.push_back(l.ping_round_acked);
    std::sort(acked.rbegin(), acked.rend());
    confirmed = acked.size() >= quorum_ - 1 ? acked[quorum_ - 2] : 0;
  }
  // Served reads leave the list in place (the kept ones keep their order): no allocation per
  // round (issue 12).
  std::size_t kept = 0;
  for (std::size_t i = 0; i < pending_reads_.size(); ++i) {
    PendingRead& p = pending_reads_[i];
    bool ready = p.mode == ReadMode::kLinearizable
                     ? p.round_needed <= confirmed && last_applied_ >= p.index
                     : last_applied_ >= p.index;
    if (!ready) {
      if (kept != i) pending_reads_[kept] = std::move(p);
      ++kept;
      continue;
    }
    if (p.from) {
      std::optional<std::string> value;
      if (p.mode == ReadMode::kLinearizable) value = LocalGet(p.key);
      Zxid z = p.mode == ReadMode::kLinearizable ? last_applied_ : p.index;
      Send(*p.from, ReadReply{epoch_, p.request_id, true, z, value});
    } else {
      ServeLocal(p);
    }
  }
  pending_reads_.erase(pending_reads_.begin() + static_cast<std::ptrdiff_t>(kept),
                       pending_reads_.end());
}

void PeerImpl::FollowerOnReadReply(const ReadReply& m) {
  auto it = std::find_if(pending_reads_.begin(), pending_reads_.end(),
                         [&](const PendingRead& p) { return p.request_id == m.request_id; });
  if (it == pending_reads_.end()) return;
  if (!m.ok) {
    Reply(ClientReply{m.request_id, ReplyStatus::kNotApplied, "leader could not serve the read",
                      Zxid{}, false, std::nullopt});
    pending_reads_.erase(it);
    return;
  }
  if (it->mode == ReadMode::kLinearizable) {
    Reply(ClientReply{m.request_id, ReplyStatus::kOk, "", m.zxid, true, m.value});
    pending_reads_.erase(it);
    return;
  }
  it->index = m.zxid;
  it->answered_by_leader = true;
  FollowerServeSyncReads();
}

void PeerImpl::FollowerServeSyncReads() {
  std::size_t kept = 0;
  for (std::size_t i = 0; i < pending_reads_.size(); ++i) {
    PendingRead& p = pending_reads_[i];
    if (p.mode == ReadMode::kSync && p.answered_by_leader && last_applied_ >= p.index) {
      ServeLocal(p);
    } else {
      if (kept != i) pending_reads_[kept] = std::move(p);
      ++kept;
    }
  }
  pending_reads_.erase(pending_reads_.begin() + static_cast<std::ptrdiff_t>(kept),
                       pending_reads_.end());
}

void PeerImpl::ServeLocal(const PendingRead& p) {
  Reply(ClientReply{p.request_id, ReplyStatus::kOk, "", last_applied_, true, LocalGet(p.key)});
}

void PeerImpl::FailPendingReads(const std::string& reason) {
  for (const PendingRead& p : pending_reads_) {
    if (p.from) {
      Send(*p.from, ReadReply{epoch_, p.request_id, false, Zxid{}, {}});
    } else {
      Reply(ClientReply{p.request_id, ReplyStatus::kNotApplied, "read not served: " + reason,
                        Zxid{}, false, std::nullopt});
    }
  }
  pending_reads_.clear();
}

}  // namespace zab
