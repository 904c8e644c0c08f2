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
  if (out.empty()) return kEmpty;
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

std::vector<bool> NodeRuntime::SendEarly(const std::vector<zab::Output>& batch) {
  std::size_t total = 0;
  bool only_appends = true;
  for (const zab::Output& out : batch) {
    total += out.messages.size();
    for (const zab::StorageOp& op : out.storage) {
      only_appends = only_appends && std::holds_alternative<zab::AppendTxn>(op);
    }
  }
  std::vector<bool> early(total, false);
  if (!overlap_leader_fsync || !only_appends) return early;
  // Per destination, only a prefix of the batch's messages goes early: a link never reorders
  // (peer.h CONTRACT), so once one message to a peer waits for the fsync, every later one does.
  std::vector<uint64_t> held;
  std::size_t m = 0;
  for (const zab::Output& out : batch) {
    for (const zab::Envelope& e : out.messages) {
      const bool link_held = std::find(held.begin(), held.end(), e.to.value) != held.end();
      if (!link_held && CertifiesNothingUnsynced(e.message)) {
        early[m] = true;
        transport_->Send(e);
      } else if (!link_held) {
        held.push_back(e.to.value);
      }
      ++m;
    }
  }
  return early;
}

bool NodeRuntime::CertifiesNothingUnsynced(const zab::Message& message) const {
  // A PROPOSAL asks for ACKs and certifies nothing about the leader's disk.
  if (std::holds_alternative<zab::Proposal>(message)) return true;
  // A COMMIT certifies its zxid is durable on a quorum, the leader's own log included: only a
  // zxid an earlier batch's fsync covered may go before this batch's fsync. The core counts its
  // own ACK at proposal time; this is where that ACK starts to count only once its fsync
  // completed (a COMMIT of a zxid this batch appends, e.g. under commit-without-quorum, waits).
  if (const auto* c = std::get_if<zab::Commit>(&message)) return c->zxid.value <= synced_through_;
  return false;
}

Status NodeRuntime::Flush() {
  auto failed = [&] {
    return Status::IoError("storage failure during " + failure_->op + ": " +
                           failure_->status.ToString());
  };
  if (failure_) return failed();
  if (queued_.empty()) return Status::Ok();
  std::vector<zab::Output> batch = std::move(queued_);
  std::vector<zab::Input> inputs = std::move(queued_inputs_);
  queued_.clear();
  queued_inputs_.clear();
  // 0. The leader's fsync overlaps its followers' (zab.md 6; see CONTRACT "Overlap"): the
  //    messages that certify nothing of this batch go out before its fsync.
  std::vector<bool> early = SendEarly(batch);
  // 1. Storage, in order, then one fsync covering every append of the batch (group commit).
  for (const zab::Output& out : batch) {
    for (const zab::StorageOp& op : out.storage) {
      if (!Execute(op)) return failed();
    }
  }
  if (Status s = storage_->Sync(); !s.ok()) {
    failure_ = std::make_unique<StorageFailure>(StorageFailure{"sync", s});
    return failed();
  }
  synced_through_ = storage_->last_zxid();
  // 2. The other messages, only now that what they certify is durable.
  std::size_t m = 0;
  for (const zab::Output& out : batch) {
    for (const zab::Envelope& e : out.messages) {
      if (!early[m++]) transport_->Send(e);
    }
  }
  // 3. Client replies, then 4. the event log.
  for (const zab::Output& out : batch) {
    for (const zab::ClientReply& r : out.replies) replies_(r);
  }
  merged_.clear();
  for (zab::Output& out : batch) {
    for (zab::Event& e : out.events) {
      AppendMergingRanges(&merged_, on_executed ? zab::Event(e) : std::move(e));
    }
  }
  if (!merged_.empty()) {
    for (const zab::Event& e : merged_) events_->Write(e);
    events_->EndBatch();
  }
  if (on_executed) {
    for (std::size_t i = 0; i < batch.size() && i < inputs.size(); ++i) {
      on_executed(inputs[i], batch[i]);
    }
  }
  return Status::Ok();
}

}  // namespace runtime
