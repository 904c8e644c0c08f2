// zab::Peer facade, Step() dispatch and the helpers every phase shares: role changes, the
// durable-state mirror (log, snapshot, epochs) and event emission.
#include "server/core/peer.h"

#include <algorithm>
#include <cassert>
#include <cstdio>
#include <cstdlib>

#include "server/core/peer_impl.h"

namespace zab {

const char* ToString(Role r) {
  switch (r) {
    case Role::kLooking:
      return "looking";
    case Role::kFollowing:
      return "following";
    case Role::kLeading:
      return "leading";
  }
  return "?";
}
const char* ToString(Phase p) {
  switch (p) {
    case Phase::kElection:
      return "election";
    case Phase::kDiscovery:
      return "discovery";
    case Phase::kSynchronization:
      return "synchronization";
    case Phase::kBroadcast:
      return "broadcast";
  }
  return "?";
}
const char* ToString(ReadMode m) {
  switch (m) {
    case ReadMode::kLinearizable:
      return "linearizable";
    case ReadMode::kSync:
      return "sync";
    case ReadMode::kLocal:
      return "local";
  }
  return "?";
}

std::string ToHex(Zxid z) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(z.value));
  return buf;
}

// ---- Peer facade ----------------------------------------------------------------------------
Peer::Peer(Config config, Recovered recovered, uint64_t now_ms)
    : impl_(std::make_unique<PeerImpl>(std::move(config), std::move(recovered), now_ms)) {}
Peer::~Peer() = default;
Output Peer::Step(const Input& input) { return impl_->Step(input); }
void Peer::Recycle(Output&& spent) { impl_->Recycle(std::move(spent)); }
Status Peer::status() const { return impl_->status(); }
const Counters& Peer::counters() const { return impl_->counters(); }
std::optional<std::string> Peer::LocalGet(const std::string& key) const {
  return impl_->LocalGet(key);
}
uint64_t Peer::StateDigest() const { return impl_->StateDigest(); }

// ---- PeerImpl --------------------------------------------------------------------------------
PeerImpl::PeerImpl(Config config, Recovered recovered, uint64_t now_ms)
    : config_(std::move(config)), now_ms_(now_ms), input_ms_(now_ms), incarnation_(now_ms) {
  quorum_ = config_.voters.size() / 2 + 1;
  faults_ = FaultPoints::FromNames(config_.faults);
  accepted_epoch_ = recovered.accepted_epoch;
  current_epoch_ = recovered.current_epoch;
  snapshot_zxid_ = recovered.snapshot_zxid;
  snapshot_state_ = std::move(recovered.snapshot_state);
  if (!snapshot_state_.empty()) {
    auto s = kv::Store::Deserialize(snapshot_state_);
    if (!s.ok()) {
      // Storage verified its own checksum, so this is a bug, not an operating error: crash loudly.
      std::fprintf(stderr, "zab: recovered snapshot %s unreadable: %s\n",
                   ToHex(snapshot_zxid_).c_str(), s.status().ToString().c_str());
      std::abort();
    }
    store_ = std::move(s.value());
  }
  last_applied_ = snapshot_zxid_;
  // The recovered tail is "logged, commit unknown": kept, advertised in votes (7.3 rule 2), but
  // not applied until a sync proves it committed (DIFF/TRUNC) or this node leads (zab.md 9c).
  for (Txn& t : recovered.log) {
    if (t.zxid <= snapshot_zxid_) continue;
    log_.push_back(std::move(t));
  }
  StartElection();
}

Output PeerImpl::Step(const Input& input) {
  // out_ may already hold what the constructor did (the first votes): it is returned here.
  std::visit(
      [&](const auto& in) {
        using T = std::decay_t<decltype(in)>;
        if constexpr (std::is_same_v<T, Tick>) {
          OnTick(in.now_ms);
        } else if constexpr (std::is_same_v<T, Receive>) {
          AdvanceClock(in.now_ms);
          OnReceive(in.from, in.message);
        } else if constexpr (std::is_same_v<T, ClientWrite>) {
          OnClientWrite(in);
        } else if constexpr (std::is_same_v<T, ClientRead>) {
          OnClientRead(in);
        } else if constexpr (std::is_same_v<T, PeerDisconnected>) {
          // The leader connection broke: the follower gives up on it (zab.md 6, one leader
          // connection per epoch, rule 7); the leader stops forwarding to that learner.
          if (role_ == Role::kFollowing && leader_ == in.peer) {
            GoLooking("leader connection lost");
          } else if (role_ == Role::kLeading) {
            learners_.erase(in.peer.value);
          }
        } else if constexpr (std::is_same_v<T, PeerConnected>) {
          OnPeerConnected(in.peer);
        }
      },
      input);
  if (read_round_needed_) StartReadRound();
  Output result = std::move(out_);
  out_ = Output{};
  if (!spare_outputs_.empty()) {
    out_ = std::move(spare_outputs_.back());
    spare_outputs_.pop_back();
  }
  return result;
}

void PeerImpl::Recycle(Output&& spent) {
  // A few are enough: the driver holds one per Step of the batches it has not released.
  if (spare_outputs_.size() >= kSpareOutputsMax) return;
  spent.storage.clear();
  spent.messages.clear();
  spent.replies.clear();
  spent.events.clear();
  spare_outputs_.push_back(std::move(spent));
}

// Issue 8: a process that stalled must not step down while the messages that prove its quorum
// alive wait unread. Its clock follows the inputs' time (Tick, and Receive stamped when read,
// so a message read before the first Tick after a stall counts as heard now), but with
// stall_guard a gap longer than a tick between two inputs advances it by one tick only: the
// driver ticks every few ms, so such a gap is time this process did not run, and its peers'
// silence then is unknown. The zab.md 6 timeouts (sync_limit silence, un-ACKed proposals,
// init_limit) therefore count only time this process was running; they never decide safety.
void PeerImpl::AdvanceClock(uint64_t input_ms) {
  if (input_ms <= input_ms_) return;
  uint64_t gap = input_ms - input_ms_;
  input_ms_ = input_ms;
  if (config_.stall_guard && gap > config_.tick_time_ms) {
    counters_.stalls++;
    Emit("stall", {{"gap_ms", gap}, {"counted_ms", uint64_t{config_.tick_time_ms}}});
    gap = config_.tick_time_ms;
  }
  now_ms_ += gap;
}

void PeerImpl::OnTick(uint64_t now_ms) {
  AdvanceClock(now_ms);
  if (!log_queue_.empty() && now_ms_ >= log_queue_flush_at_ms_) FlushLogQueue();
  switch (role_) {
    case Role::kLooking:
      ElectionTick();
      break;
    case Role::kLeading:
      LeaderTick();
      break;
    case Role::kFollowing:
      FollowerTick();
      break;
  }
}

void PeerImpl::OnReceive(PeerId from, const Message& m) {
  if (!IsVoter(from) || from == config_.self) return;
  if (const auto* v = std::get_if<Vote>(&m)) return OnVote(from, *v);
  if (role_ == Role::kLeading) {
    std::visit(
        [&](const auto& msg) {
          using T = std::decay_t<decltype(msg)>;
          if constexpr (std::is_same_v<T, FollowerInfo>) {
            LeaderOnFollowerInfo(from, msg);
          } else if constexpr (std::is_same_v<T, AckEpoch>) {
            LeaderOnAckEpoch(from, msg);
          } else if constexpr (std::is_same_v<T, Ack>) {
            if (!FromMyLearner(from, msg.epoch)) return;
            if (msg.zxid == Zxid::Make(epoch_, 0)) {
              LeaderOnNewLeaderAck(from);
            } else {
              LeaderOnAck(from, msg);
            }
          } else if constexpr (std::is_same_v<T, PingAck>) {
            if (FromMyLearner(from, msg.epoch)) LeaderOnPingAck(from, msg);
          } else if constexpr (std::is_same_v<T, Request>) {
            if (FromMyLearner(from, msg.epoch)) LeaderOnRequest(from, msg);
          } else if constexpr (std::is_same_v<T, ReadRequest>) {
            if (FromMyLearner(from, msg.epoch)) LeaderOnReadRequest(from, msg);
          }
        },
        m);
    return;
  }
  if (role_ != Role::kFollowing) return;
  if (const auto* li = std::get_if<LeaderInfo>(&m)) return FollowerOnLeaderInfo(from, *li);
  std::visit(
      [&](const auto& msg) {
        using T = std::decay_t<decltype(msg)>;
        if constexpr (std::is_same_v<T, Diff> || std::is_same_v<T, Trunc> ||
                      std::is_same_v<T, Snap> || std::is_same_v<T, NewLeader> ||
                      std::is_same_v<T, UpToDate> || std::is_same_v<T, Proposal> ||
                      std::is_same_v<T, Commit> || std::is_same_v<T, Ping> ||
                      std::is_same_v<T, RequestReject> || std::is_same_v<T, ReadReply>) {
          // Epoch fencing: only the connected leader's epoch is accepted (7.3 rule 7).
          // no-epoch-fence: a PROPOSAL/COMMIT of an older (or the same) epoch is let through,
          // whoever sent it.
          bool unfenced = false;
          if constexpr (std::is_same_v<T, Proposal> || std::is_same_v<T, Commit>) {
            unfenced = faults_.no_epoch_fence && phase_ == Phase::kBroadcast && msg.epoch <= epoch_;
          }
          if (!unfenced && !FromMyLeader(from, msg.epoch)) return;
          if (!unfenced || from == *leader_) last_heard_leader_ms_ = now_ms_;
          if constexpr (std::is_same_v<T, Ping>) {
            FollowerOnPing(msg);
          } else if constexpr (std::is_same_v<T, RequestReject>) {
            if (pending_writes_.erase(msg.request_id) > 0) {
              Reply(ClientReply{msg.request_id,
                                ReplyStatus::kNotApplied,
                                "leader rejected: " + msg.reason,
                                Zxid{},
                                false,
                                {}});
            }
          } else if constexpr (std::is_same_v<T, ReadReply>) {
            FollowerOnReadReply(msg);
          } else if (phase_ == Phase::kBroadcast) {
            if constexpr (std::is_same_v<T, Proposal>) {
              FollowerOnProposal(from, msg);
            } else if constexpr (std::is_same_v<T, Commit>) {
              FollowerOnCommit(msg.zxid);
            }
            // DIFF/TRUNC/SNAP/NEWLEADER/UPTODATE after UPTODATE: stale duplicates, ignored.
          } else if (phase_ == Phase::kSynchronization) {
            FollowerOnSyncPacket(m);
          }
        }
      },
      m);
}

void PeerImpl::OnPeerConnected(PeerId p) {
  if (!IsVoter(p) || p == config_.self) return;
  if (role_ == Role::kLooking) return Send(p, MyVote());  // zab.md 3 step 2, without the wait
  // Decided: step 6 answers a LOOKING peer with the current vote, but the notification that
  // would ask for it may have been dropped while this link was down (a peer that started last
  // dialled us first, and our votes to it went nowhere). Send the vote now, ahead of anything
  // else on the link: a LOOKING peer decides from it (step 5) instead of at its next resend, a
  // tick later (issue 8, the slow starts of bench/election); a non-LOOKING one ignores it.
  Send(p, MyVote());
  if (role_ == Role::kFollowing && phase_ == Phase::kDiscovery && leader_ == p) {
    // The FOLLOWERINFO of Decide may have gone out before this link was up (as the tick repeat).
    last_heard_leader_ms_ = now_ms_;
    Send(p, FollowerInfo{accepted_epoch_});
  }
}

bool PeerImpl::FromMyLeader(PeerId from, Epoch epoch) const {
  if (!leader_ || from != *leader_) return false;
  if (phase_ == Phase::kDiscovery || epoch != epoch_) {
    const_cast<Counters&>(counters_).fenced++;
    return false;
  }
  return true;
}

bool PeerImpl::FromMyLearner(PeerId from, Epoch epoch) {
  auto it = learners_.find(from.value);
  if (it == learners_.end() || !epoch_decided_ || epoch != epoch_) {
    counters_.fenced++;
    return false;
  }
  it->second.last_heard_ms = now_ms_;
  return true;
}

void PeerImpl::SetRole(Role role, Phase phase) {
  if (role == role_ && phase == phase_) return;
  role_ = role;
  phase_ = phase;
  Emit("role", {{"role", std::string(ToString(role))},
                {"phase", std::string(ToString(phase))},
                {"epoch", uint64_t{epoch_.value}}});
}

void PeerImpl::GoLooking(const std::string& reason) {
  if (role_ != Role::kLooking) {
    Emit("step_down", {{"epoch", uint64_t{epoch_.value}}, {"reason", reason}});
  }
  // Requests whose fate is decided by a leader we no longer talk to: a proposed or forwarded
  // write may still commit (UNKNOWN); reads are simply not served.
  for (const auto& [id, forwarded] : pending_writes_) {
    Reply(ClientReply{id, ReplyStatus::kUnknown, "leadership lost: " + reason, Zxid{}, false, {}});
  }
  pending_writes_.clear();
  FailPendingReads(reason);
  // An interrupted sync discards its in-memory state (7.3 rule 6): buffered proposals were never
  // logged. Applied state stays consistent with the durable log (it is a prefix of it).
  sync_buffer_.clear();
  // Faults zk-4643 / ack-before-fsync: the log writer still writes what it holds (it is in log_),
  // but a NEWLEADER ACK waiting for it is for a leader we left.
  newleader_ack_queued_ = false;
  FlushLogQueue();
  if (!unlogged_synced_.empty()) {
    // Fault zk-3911 only: the synced txns applied at NEWLEADER were never logged. Reload the
    // applied state from the durable log, as a ZooKeeper restart would (keeps the mirror sane).
    unlogged_synced_.clear();
    RollbackTo(last_logged());
  }
  sync_mode_known_ = false;
  newleader_done_ = false;
  sync_commit_upto_ = Zxid{};
  learners_.clear();
  outstanding_.clear();
  epoch_decided_ = epoch_quorum_acked_ = established_ = false;
  leader_.reset();
  StartElection();
}

void PeerImpl::Send(PeerId to, Message m) { out_.messages.push_back(Envelope{to, std::move(m)}); }

void PeerImpl::Emit(
    std::string type,
    std::vector<std::pair<std::string, std::variant<int64_t, uint64_t, std::string>>> fields) {
  out_.events.push_back(Event{std::move(type), std::move(fields)});
}

void PeerImpl::EmitRange(const char* type, Zxid z) {
  // {first, last, count}: extend the previous event when it is the same type (one range per
  // batch), else start a new one.
  if (!out_.events.empty() && out_.events.back().type == type) {
    auto& f = out_.events.back().fields;
    f[1].second = z.value;
    f[2].second = std::get<uint64_t>(f[2].second) + 1;
    return;
  }
  Emit(type, {{"first", z.value}, {"last", z.value}, {"count", uint64_t{1}}});
}

Zxid PeerImpl::last_logged() const {
  Zxid z = snapshot_zxid_;
  if (!log_.empty() && log_.back().zxid > z) z = log_.back().zxid;
  return z;
}

bool PeerImpl::IsVoter(PeerId p) const {
  for (PeerId v : config_.voters) {
    if (v == p) return true;
  }
  return false;
}

void PeerImpl::Append(const Txn& txn) {
  // Logs are gap-free within an epoch (7.3 rule 3); callers check before appending.
  assert(txn.zxid > last_logged());
  Persist(AppendTxn{txn});
  log_.push_back(txn);
  EmitRange("logged", txn.zxid);
}

void PeerImpl::AppendQueued(const Txn& txn) {
  assert(txn.zxid > last_logged());
  log_.push_back(txn);
  if (log_queue_.empty()) log_queue_flush_at_ms_ = now_ms_ + config_.tick_time_ms;
  log_queue_.push_back(txn);
}

void PeerImpl::FlushLogQueue() {
  if (log_queue_.empty() && !newleader_ack_queued_) return;
  std::vector<Txn> queue = std::move(log_queue_);
  log_queue_.clear();
  for (Txn& t : queue) {
    out_.storage.emplace_back(std::in_place_type<AppendTxn>, AppendTxn{std::move(t)});
    EmitRange("logged", std::get<AppendTxn>(out_.storage.back()).txn.zxid);
  }
  if (newleader_ack_queued_) {
    // zk-4643: the synced history is in this Output's storage now; the ACK follows it.
    newleader_ack_queued_ = false;
    Send(*leader_, Ack{epoch_, Zxid::Make(epoch_, 0)});
    Emit("newleader", {{"epoch", uint64_t{epoch_.value}}, {"leader", leader_->value}});
  }
}

void PeerImpl::PersistAcceptedEpoch(Epoch e) {
  // forget-accepted-epoch: the promise lives in memory only (7.3 rule 4 broken); on disk
  // acceptedEpoch follows currentEpoch (PersistCurrentEpoch), so a restart forgets it.
  if (!faults_.forget_accepted_epoch) Persist(WriteAcceptedEpoch{e});
  accepted_epoch_ = e;
  Emit("accepted_epoch", {{"epoch", uint64_t{e.value}}});
}

void PeerImpl::PersistCurrentEpoch(Epoch e, std::optional<Zxid> history) {
  if (faults_.forget_accepted_epoch)
    Persist(WriteAcceptedEpoch{e});  // storage: accepted >= current
  Persist(WriteCurrentEpoch{e});
  current_epoch_ = e;
  // A follower's currentEpoch certifies the NEWLEADER history (7.3 rule 1): the event says
  // which, so the checkers can hold a later restart to it (zab-invariants).
  if (history) {
    Emit("current_epoch", {{"epoch", uint64_t{e.value}}, {"history", history->value}});
  } else {
    Emit("current_epoch", {{"epoch", uint64_t{e.value}}});
  }
}

void PeerImpl::ApplyCommitted(const Txn& txn) {
  assert(txn.zxid > last_applied_);
  // Only a dirty snapshot (snapshot-uncommitted-tail) can already hold the txn: its state runs
  // ahead of its name, as a fuzzy ZooKeeper snapshot does. Otherwise store_ ends at last_applied_.
  kv::ApplyResult r;
  if (txn.zxid.value > store_.last_zxid()) r = store_.Apply(txn.op, txn.zxid.value);
  last_applied_ = txn.zxid;
  counters_.commits++;
  commits_since_snapshot_++;
  if (serving()) {
    EmitRange("committed", txn.zxid);
  } else {
    unannounced_.push_back(txn.zxid);
  }
  // The origin node completes its client's write when it applies the commit.
  if (txn.origin.node == config_.self && txn.origin.incarnation == incarnation_) {
    auto it = pending_writes_.find(txn.origin.request_id);
    if (it != pending_writes_.end()) {
      pending_writes_.erase(it);
      Reply(ClientReply{txn.origin.request_id, ReplyStatus::kOk, "", txn.zxid, r.applied, {}});
    }
  }
  MaybeSnapshot();  // last: it may trim log_, where `txn` may live
}

std::deque<Txn>::const_iterator PeerImpl::FirstLoggedAfter(Zxid z) const {
  // log_ is sorted by zxid: binary search instead of a scan (this runs on every COMMIT).
  return std::upper_bound(log_.begin(), log_.end(), z,
                          [](Zxid v, const Txn& t) { return v < t.zxid; });
}

void PeerImpl::ApplyLogUpTo(Zxid z) {
  // ApplyCommitted may trim log_ (MaybeSnapshot, its last action), which invalidates iterators:
  // search again after each apply.
  for (auto it = FirstLoggedAfter(last_applied_); it != log_.end() && it->zxid <= z;
       it = FirstLoggedAfter(last_applied_)) {
    ApplyCommitted(*it);
  }
}

void PeerImpl::FlushUnannounced() {
  for (Zxid z : unannounced_) EmitRange("committed", z);
  unannounced_.clear();
}

void PeerImpl::MaybeSnapshot() {
  // Snapshots hold committed state only (7.3 rule 5): taken only while serving, where everything
  // applied is committed by an established leader (never the NEWLEADER-time tail of a leader
  // that may still fail to establish).
  if (!serving() || commits_since_snapshot_ < config_.snapshot_every_commits) return;
  commits_since_snapshot_ = 0;
  snapshot_zxid_ = last_applied_;
  snapshot_state_ = store_.Serialize();
  Persist(WriteSnapshot{snapshot_zxid_, snapshot_state_});
  // The digest of the state written, so the checkers can hold it to the state committed at its
  // name (zab.md 7.3 rule 5: never snapshot an uncommitted tail).
  Emit("snapshot", {{"zxid", snapshot_zxid_.value}, {"digest", store_.Digest()}});
  // Keep at least committed_log_entries_min entries for DIFF sync (the committedLog window).
  while (log_.size() > config_.committed_log_entries_min && log_.front().zxid <= snapshot_zxid_) {
    log_.pop_front();
  }
}

bool PeerImpl::RollbackTo(Zxid z) {
  if (z >= last_applied_) return true;
  if (z < snapshot_zxid_) return false;
  // zab.md 5.2 TRUNC: "reload the DB from the newest snapshot plus the log".
  kv::Store s;
  if (!snapshot_state_.empty()) s = std::move(kv::Store::Deserialize(snapshot_state_).value());
  store_ = std::move(s);
  last_applied_ = snapshot_zxid_;
  std::erase_if(unannounced_, [&](Zxid u) { return u > z; });
  for (auto it = FirstLoggedAfter(last_applied_); it != log_.end() && it->zxid <= z; ++it) {
    if (it->zxid.value > store_.last_zxid()) store_.Apply(it->op, it->zxid.value);  // (as above)
    last_applied_ = it->zxid;
  }
  return true;
}

void PeerImpl::TruncateTo(Zxid z) {
  Persist(TruncateLog{z});
  uint64_t removed = 0;
  Zxid first, last;
  while (!log_.empty() && log_.back().zxid > z) {
    if (removed == 0) last = log_.back().zxid;
    first = log_.back().zxid;
    log_.pop_back();
    removed++;
  }
  Emit("truncate", {{"keep_up_to", z.value},
                    {"removed_first", first.value},
                    {"removed_last", last.value},
                    {"removed_count", removed}});
}

Status PeerImpl::status() const {
  Status s;
  s.role = role_;
  s.phase = phase_;
  s.accepted_epoch = accepted_epoch_;
  s.current_epoch = current_epoch_;
  s.last_logged = last_logged();
  s.last_committed = last_applied_;
  s.last_applied = last_applied_;
  if (established_ || (role_ == Role::kFollowing && phase_ == Phase::kBroadcast))
    s.leader = leader_;
  return s;
}

std::optional<std::string> PeerImpl::LocalGet(const std::string& key) const {
  auto e = store_.Get(key);
  if (!e) return std::nullopt;
  return e->value;
}

}  // namespace zab
