#include "server/runtime/node_runtime.h"

#include <algorithm>
#include <utility>

#include "server/core/codec.h"
#include "server/storage/storage.h"

namespace runtime {

using faultline::Status;

faultline::Result<zab::Recovered> ToCoreRecovered(storage::Recovered rec) {
  zab::Recovered r;
  r.accepted_epoch = zab::Epoch{rec.accepted_epoch};
  r.current_epoch = zab::Epoch{rec.current_epoch};
  r.snapshot_zxid = zab::Zxid{rec.snapshot.zxid};
  r.snapshot_state = std::move(rec.snapshot.state);
  r.log.reserve(rec.log.size());
  for (const storage::Record& record : rec.log) {
    auto txn = zab::DecodeTxn(record.payload);
    if (!txn.ok()) {
      return Status::Corruption("log record zxid " + zab::ToHex(zab::Zxid{record.zxid}) + ": " +
                                txn.status().ToString());
    }
    if (txn->zxid.value != record.zxid) {
      return Status::Corruption("log record zxid " + zab::ToHex(zab::Zxid{record.zxid}) +
                                ": payload names another zxid (" + zab::ToHex(txn->zxid) + ")");
    }
    r.log.push_back(std::move(*txn));
  }
  return r;
}

namespace {

// The {first, last, count} fields of a range event, or false.
bool RangeOf(zab::Event& e, uint64_t** first, uint64_t** last, uint64_t** count) {
  if (e.type != "logged" && e.type != "committed") return false;
  if (e.fields.size() < 3) return false;
  auto& f = e.fields;
  const char* names[3] = {"first", "last", "count"};
  uint64_t* v[3] = {};
  for (int i = 0; i < 3; ++i) {
    if (f[i].first != names[i]) return false;
    v[i] = std::get_if<uint64_t>(&f[i].second);
    if (v[i] == nullptr) return false;
  }
  *first = v[0];
  *last = v[1];
  *count = v[2];
  return true;
}

}  // namespace

void AppendMergingRanges(std::vector<zab::Event>* events, zab::Event event) {
  uint64_t *f1, *l1, *c1, *f2, *l2, *c2;
  if (RangeOf(event, &f2, &l2, &c2)) {
    // The last range of the same type, looking back over range events only: a `logged` and a
    // `committed` range interleave freely, any other event (a role change, a truncation) ends
    // the run so the log keeps its order around it.
    for (auto it = events->rbegin(); it != events->rend() && RangeOf(*it, &f1, &l1, &c1); ++it) {
      if (it->type != event.type) continue;
      if (it->fields.size() != event.fields.size() || *f2 <= *l1) break;
      // Extend: the later range's end, summed count, and its other fields (a digest at `last`).
      *l1 = *l2;
      *c1 += *c2;
      for (std::size_t i = 3; i < event.fields.size(); ++i)
        it->fields[i] = std::move(event.fields[i]);
      return;
    }
  }
  events->push_back(std::move(event));
}

NodeRuntime::NodeRuntime(zab::Config config, zab::Recovered recovered, uint64_t now_ms,
                         storage::Storage* storage, Transport* transport, EventSink* events,
                         ReplyHandler replies)
    : peer_(std::move(config), std::move(recovered), now_ms),
      storage_(storage),
      transport_(transport),
      events_(events),
      replies_(std::move(replies)),
      synced_through_(storage->last_zxid()) {}

NodeRuntime::~NodeRuntime() = default;

const zab::Output& NodeRuntime::Step(const zab::Input& input) {
  static const zab::Output kEmpty;
  zab::Output out = peer_.Step(input);
  if (out.empty()) {
    peer_.Recycle(std::move(out));
    return kEmpty;
  }
  StampDigest(&out);
  if (on_executed) queued_inputs_.push_back(input);
  queued_.push_back(std::move(out));
  return queued_.back();
}

void NodeRuntime::StampDigest(zab::Output* out) const {
  // The last `committed` range of the Output ends at the applied state the Step left, unless
  // something after it changed that state (then it gets no digest).
  for (auto it = out->events.rbegin(); it != out->events.rend(); ++it) {
    if (it->type != "committed") continue;
    uint64_t *first, *last, *count;
    if (RangeOf(*it, &first, &last, &count) && it->fields.size() == 3 &&
        *last == peer_.status().last_applied.value) {
      it->fields.emplace_back("digest", peer_.StateDigest());
    }
    return;
  }
}

bool NodeRuntime::Execute(const zab::StorageOp& op) {
  const char* what = "";
  Status s = std::visit(
      [&](const auto& o) -> Status {
        using T = std::decay_t<decltype(o)>;
        if constexpr (std::is_same_v<T, zab::AppendTxn>) {
          what = "append";
          return storage_->Append(storage::Record{o.txn.zxid.value, zab::EncodeTxn(o.txn)});
        } else if constexpr (std::is_same_v<T, zab::TruncateLog>) {
          what = "truncate";
          return storage_->TruncateAfter(o.keep_up_to.value);
        } else if constexpr (std::is_same_v<T, zab::WriteAcceptedEpoch>) {
          what = "write acceptedEpoch";
          return storage_->WriteAcceptedEpoch(o.epoch.value);
        } else if constexpr (std::is_same_v<T, zab::WriteCurrentEpoch>) {
          what = "write currentEpoch";
          return storage_->WriteCurrentEpoch(o.epoch.value);
        } else if constexpr (std::is_same_v<T, zab::WriteSnapshot>) {
          what = "write snapshot";
          return storage_->WriteSnapshot(o.zxid.value, o.state);
        } else {
          static_assert(std::is_same_v<T, zab::InstallSnapshot>);
          what = "install snapshot";
          return storage_->InstallSnapshot(o.zxid.value, o.state);
        }
      },
      op);
  if (s.ok()) return true;
  failure_ = std::make_unique<StorageFailure>(StorageFailure{what, s});
  return false;
}

void NodeRuntime::SendEarly(const std::vector<zab::Output>& batch, std::vector<bool>* early) {
  std::size_t total = 0;
  for (const zab::Output& out : batch) total += out.messages.size();
  early->assign(total, false);
  if (!overlap_leader_fsync) return;
  // Per destination, only a prefix of the messages goes early: a link never reorders (peer.h
  // CONTRACT), so once one message to a peer waits for an fsync, every later one does, in this
  // batch and in every batch begun after it.
  std::vector<uint64_t>& held = held_;
  held.clear();
  for (const Waiting& w : waiting_) {
    std::size_t m = 0;
    for (const zab::Output& out : w.batch) {
      for (const zab::Envelope& e : out.messages) {
        if (!w.early[m++] && std::find(held.begin(), held.end(), e.to.value) == held.end()) {
          held.push_back(e.to.value);
        }
      }
    }
  }
  std::size_t m = 0;
  std::vector<const zab::Envelope*>& pass = pass_;
  pass.clear();
  for (const zab::Output& out : batch) {
    for (const zab::Envelope& e : out.messages) {
      const bool link_held = std::find(held.begin(), held.end(), e.to.value) != held.end();
      if (!link_held && CertifiesNothingUnsynced(e.message)) {
        (*early)[m] = true;
        pass.push_back(&e);
      } else if (!link_held) {
        held.push_back(e.to.value);
      }
      ++m;
    }
  }
  if (!pass.empty()) {
    SendPass(pass);
    transport_->Push();
  }
}

namespace {

// The zxid of a cumulative message, or nullptr: an ACK says "logged up to here" (the leader
// counts it for every outstanding zxid at or below it, broadcast.cc LeaderOnAck) and a COMMIT
// "committed up to here" (the follower applies its log up to it, in order: FollowerOnCommit,
// and sync_commit_upto_ in a sync stream). Epoch markers (counter 0: the NEWLEADER ACK and the
// ACK after UPTODATE) are not: they are never merged (zab.md 5.3, ZOOKEEPER-4685).
const zab::Zxid* CumulativeZxid(const zab::Message& message, zab::Epoch* epoch, int* kind) {
  if (const auto* a = std::get_if<zab::Ack>(&message)) {
    *epoch = a->epoch;
    *kind = 0;
    return a->zxid.counter() == 0 ? nullptr : &a->zxid;
  }
  if (const auto* c = std::get_if<zab::Commit>(&message)) {
    *epoch = c->epoch;
    *kind = 1;
    return c->zxid.counter() == 0 ? nullptr : &c->zxid;
  }
  return nullptr;
}

}  // namespace

std::vector<bool> Superseded(const std::vector<const zab::Envelope*>& pass) {
  std::vector<bool> dropped;
  Superseded(pass, &dropped);
  return dropped;
}

void Superseded(const std::vector<const zab::Envelope*>& pass, std::vector<bool>* dropped_out) {
  std::vector<bool>& dropped = *dropped_out;
  dropped.assign(pass.size(), false);
  // Walking back: per destination and kind, the next ACK / COMMIT of the pass after this one.
  struct Next {
    uint64_t to;
    int kind;
    const zab::Envelope* envelope;
  };
  thread_local std::vector<Next> next;  // scratch: a few entries (peers x 2 kinds)
  next.clear();
  for (std::size_t i = pass.size(); i-- > 0;) {
    zab::Epoch epoch;
    int kind = -1;
    const zab::Zxid* zxid = CumulativeZxid(pass[i]->message, &epoch, &kind);
    if (kind < 0) continue;
    auto it = std::find_if(next.begin(), next.end(), [&](const Next& n) {
      return n.to == pass[i]->to.value && n.kind == kind;
    });
    if (zxid != nullptr && it != next.end()) {
      zab::Epoch later_epoch;
      int later_kind;
      const zab::Zxid* later = CumulativeZxid(it->envelope->message, &later_epoch, &later_kind);
      if (later != nullptr && later_epoch == epoch && *zxid < *later) {
        dropped[i] = true;  // the later one says all this one does; it stays the next
        continue;
      }
    }
    if (it == next.end()) {
      next.push_back(Next{pass[i]->to.value, kind, pass[i]});
    } else {
      it->envelope = pass[i];
    }
  }
}

void NodeRuntime::SendPass(const std::vector<const zab::Envelope*>& pass) {
  if (!coalesce_cumulative_messages) {
    for (const zab::Envelope* e : pass) transport_->Send(*e);
    return;
  }
  Superseded(pass, &dropped_);
  for (std::size_t i = 0; i < pass.size(); ++i) {
    if (!dropped_[i]) transport_->Send(*pass[i]);
  }
}

bool NodeRuntime::CertifiesNothingUnsynced(const zab::Message& message) const {
  // A PROPOSAL asks for ACKs and certifies nothing about the leader's disk.
  if (std::holds_alternative<zab::Proposal>(message)) return true;
  // The sync stream a new leader sends once a quorum acked its epoch (zab.md 5.2): DIFF / TRUNC
  // / SNAP and NEWLEADER carry the leader's history, which is durable already, and certify
  // nothing about its currentEpoch, which it writes in the same batch: its followers write
  // theirs meanwhile, instead of after (ZooKeeper's leader, too, sets currentEpoch while its
  // learner handlers sync). The leader counts its own NEWLEADER ACK only in a later Step, after
  // this batch's write returned. LEADERINFO is not among them: the core fixes that the leader's
  // acceptedEpoch is durable before it goes out (7.3 rule 4 on the leader side).
  if (std::holds_alternative<zab::Diff>(message) || std::holds_alternative<zab::Trunc>(message) ||
      std::holds_alternative<zab::Snap>(message) ||
      std::holds_alternative<zab::NewLeader>(message)) {
    return true;
  }
  // A COMMIT certifies its zxid is durable on a quorum, the leader's own log included: only a
  // zxid an earlier fsync covered may go before this batch's fsync. The core counts its own ACK
  // at proposal time; this is where that ACK starts to count only once its fsync completed (a
  // COMMIT of a zxid this batch appends, e.g. under commit-without-quorum, waits).
  if (const auto* c = std::get_if<zab::Commit>(&message)) return c->zxid.value <= synced_through_;
  // A PING's lastCommitted lets a follower apply up to it (a COMMIT in effect), and a PINGACK's
  // lastLogged counts as an ACK of it (zab.md 6): the same rule. So a leader keeps pinging while
  // its fsync of a large txn runs (issue 8: a 1 MiB write must not starve the heartbeats).
  if (const auto* p = std::get_if<zab::Ping>(&message)) {
    return p->last_committed.value <= synced_through_;
  }
  if (const auto* p = std::get_if<zab::PingAck>(&message)) {
    return p->last_logged.value <= synced_through_;
  }
  return false;
}

Status NodeRuntime::Failed() const {
  return Status::IoError("storage failure during " + failure_->op + ": " +
                         failure_->status.ToString());
}

Status NodeRuntime::Flush() {
  if (Status s = Begin(); !s.ok()) return s;
  if (auto job = StartSync()) return FinishSync(job());
  return failure_ ? Failed() : Status::Ok();
}

bool NodeRuntime::must_finish_sync_first() const {
  if (!sync_in_flight_) return false;
  for (const zab::Output& out : queued_) {
    for (const zab::StorageOp& op : out.storage) {
      if (!std::holds_alternative<zab::AppendTxn>(op)) return true;
    }
  }
  return false;
}

Status NodeRuntime::Begin() {
  if (failure_) return Failed();
  if (queued_.empty()) return Status::Ok();
  if (must_finish_sync_first()) {
    failure_ = std::make_unique<StorageFailure>(StorageFailure{
        "begin", Status::InvalidArgument("a batch with a non-append op while an fsync runs")});
    return Failed();
  }
  Waiting w;
  if (!spare_.empty()) {
    w = std::move(spare_.back());
    spare_.pop_back();
  }
  w.batch.swap(queued_);  // queued_ takes the spare's empty vectors, their capacity kept
  w.inputs.swap(queued_inputs_);
  bool only_appends = true, appends = false;
  for (const zab::Output& out : w.batch) {
    for (const zab::StorageOp& op : out.storage) {
      const bool append = std::holds_alternative<zab::AppendTxn>(op);
      only_appends = only_appends && append;
      appends = appends || append;
      if (append) ++unsynced_appends_;
    }
  }
  // 0. The leader's fsync overlaps its followers' (zab.md 6; see CONTRACT "Overlap"): the
  //    messages that certify nothing of this batch go out before its fsync.
  SendEarly(w.batch, &w.early);
  w.ahead.clear();  // classified by the first ReleaseAhead() that reaches it
  // 1. Storage, in order; one fsync later covers every append (group commit).
  for (const zab::Output& out : w.batch) {
    for (const zab::StorageOp& op : out.storage) {
      if (!Execute(op)) return Failed();
    }
  }
  if (!only_appends) {
    // Truncations, snapshots and epoch files keep durable order inside Storage; the batch's
    // appends after them are synced here too, so everything begun so far is durable.
    if (Status s = storage_->Sync(); !s.ok()) {
      failure_ = std::make_unique<StorageFailure>(StorageFailure{"sync", s});
      return Failed();
    }
    synced_gen_ = ++appended_gen_;
    synced_through_ = storage_->last_zxid();
    unsynced_appends_ = 0;
  } else if (appends) {
    ++appended_gen_;
  }
  w.needs = appended_gen_;
  waiting_.push_back(std::move(w));
  Release();
  return Status::Ok();
}

std::function<Status()> NodeRuntime::StartSync() {
  if (failure_ || sync_in_flight_ || synced_gen_ == appended_gen_) return nullptr;
  storage::Storage::SyncJob job = storage_->StartSync();
  unsynced_appends_ = 0;
  if (!job) {  // nothing left unsynced in storage: what was begun is durable already
    synced_gen_ = appended_gen_;
    synced_through_ = storage_->last_zxid();
    Release();
    return nullptr;
  }
  sync_in_flight_ = true;
  sync_gen_ = appended_gen_;
  sync_zxid_ = storage_->last_zxid();
  return job;
}

Status NodeRuntime::FinishSync(Status job_result) {
  if (!sync_in_flight_) return Status::InvalidArgument("FinishSync without a StartSync job");
  sync_in_flight_ = false;
  if (Status s = storage_->FinishSync(std::move(job_result)); !s.ok()) {
    // Nothing the failed fsync was to cover is released: no message but the early ones, no
    // reply, no event (CONTRACT).
    failure_ = std::make_unique<StorageFailure>(StorageFailure{"sync", s});
    return Failed();
  }
  synced_gen_ = sync_gen_;
  synced_through_ = sync_zxid_;
  Release();
  return Status::Ok();
}

void NodeRuntime::Release() {
  merged_.clear();
  std::vector<Waiting> done;  // done_'s storage, swapped in: a re-entrant Release gets its own
  done.swap(done_);
  done.clear();
  while (!waiting_.empty() && waiting_.front().needs <= synced_gen_) {
    done.push_back(std::move(waiting_.front()));
    waiting_.pop_front();
  }
  // 2. The other messages, only now that what they certify is durable: those of every batch
  //    this fsync released, as one pass (so cumulative ones coalesce across batches).
  std::vector<const zab::Envelope*>& pass = pass_;
  pass.clear();
  for (const Waiting& w : done) {
    std::size_t m = 0;
    for (const zab::Output& out : w.batch) {
      for (const zab::Envelope& e : out.messages) {
        if (!w.early[m++]) pass.push_back(&e);
      }
    }
  }
  if (!pass.empty()) SendPass(pass);
  // 3. Client replies (but those released ahead already), then 4. the event log: every event,
  //    in order, ahead or not (CONTRACT "Replies ahead": events keep their batch's place).
  for (Waiting& w : done) {
    for (std::size_t i = 0; i < w.batch.size(); ++i) {
      if (!ReleasedAhead(w, i)) {
        for (const zab::ClientReply& r : w.batch[i].replies) replies_(r);
      }
    }
  }
  for (Waiting& w : done) {
    for (zab::Output& out : w.batch) {
      for (zab::Event& e : out.events) {
        AppendMergingRanges(&merged_, on_executed ? zab::Event(e) : std::move(e));
      }
    }
  }
  if (release_ahead) ReleaseAhead();
  if (!merged_.empty()) {
    for (zab::Event& e : merged_) events_->WriteOwned(std::move(e));
    events_->EndBatch();
  }
  for (Waiting& w : done) {
    if (on_executed) {
      for (std::size_t i = 0; i < w.batch.size() && i < w.inputs.size(); ++i) {
        if (!ReleasedAhead(w, i)) on_executed(w.inputs[i], w.batch[i]);
      }
    }
    // Kept for a later batch: its vectors emptied, their capacity kept (the Outputs' own, too:
    // the core fills them again).
    for (zab::Output& out : w.batch) peer_.Recycle(std::move(out));
    w.batch.clear();
    w.inputs.clear();
    spare_.push_back(std::move(w));
  }
  done.clear();
  done_.swap(done);
}

void NodeRuntime::ClassifyAhead(Waiting* w) {
  w->ahead.assign(w->batch.size(), Waiting::Ahead{});
  std::size_t m = 0;  // w->early's index of the Output's first message
  for (std::size_t i = 0; i < w->batch.size(); ++i) {
    zab::Output& out = w->batch[i];
    Waiting::Ahead& a = w->ahead[i];
    a.logs_only = out.replies.empty();
    a.may_go = out.storage.empty();
    for (zab::Event& e : out.events) {
      a.logs_only = a.logs_only && e.type == "logged";
      uint64_t *first, *last, *count;
      if (e.type == "committed" && RangeOf(e, &first, &last, &count)) {
        a.committed = std::max(a.committed, *last);
      } else {
        a.may_go = false;  // a `logged` range, a role change, a truncation: keeps its place
      }
    }
    for (std::size_t k = 0; k < out.messages.size(); ++k) a.may_go = a.may_go && w->early[m + k];
    m += out.messages.size();
  }
}

void NodeRuntime::ReleaseAhead() {
  // CONTRACT "Replies ahead". Walks the waiting Outputs in order; stops at the first that
  // neither may go ahead nor lets a later one pass it.
  for (Waiting& w : waiting_) {
    if (w.ahead.empty()) ClassifyAhead(&w);
    for (std::size_t i = 0; i < w.ahead.size(); ++i) {
      Waiting::Ahead& a = w.ahead[i];
      if (a.released || a.logs_only) continue;
      if (!a.may_go || a.committed > synced_through_) return;
      for (const zab::ClientReply& r : w.batch[i].replies) replies_(r);
      if (on_executed && i < w.inputs.size()) on_executed(w.inputs[i], w.batch[i]);
      a.released = true;
    }
  }
}

}  // namespace runtime
