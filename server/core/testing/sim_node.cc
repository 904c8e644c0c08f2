#include "server/core/testing/sim_node.h"

#include <algorithm>

#include "server/core/codec.h"
#include "server/core/testing/cluster.h"
#include "server/storage/log_format.h"
#include "server/storage/snapshot_format.h"

namespace zab::testing {

namespace {

constexpr char kDir[] = "/data";

// Every durable snapshot file and every log record of a recovered disk, for DurableState.
void ReadFiles(storage::Env* env, DurableState* d) {
  auto names = env->ListDir(kDir);
  if (names.ok()) {
    for (const std::string& name : *names) {
      if (name.rfind(storage::kSnapshotPrefix, 0) != 0) continue;
      auto z =
          storage::ParseHex16(std::string_view(name).substr(sizeof(storage::kSnapshotPrefix) - 1));
      if (!z) continue;  // a leftover temp file
      auto bytes = env->ReadFile(storage::JoinPath(kDir, name));
      uint64_t zxid = 0;
      std::string state;
      if (!bytes.ok() || !storage::DecodeSnapshot(*bytes, *z, &zxid, &state).empty()) continue;
      d->snapshots.emplace_back(Zxid{zxid}, std::move(state));
    }
    std::sort(d->snapshots.begin(), d->snapshots.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
  }
  const std::string log_dir = storage::JoinPath(kDir, "log");
  auto segments = env->ListDir(log_dir);
  if (!segments.ok()) return;
  std::vector<std::string> sorted;
  for (const std::string& name : *segments) {
    if (name.rfind("log.", 0) == 0) sorted.push_back(name);
  }
  std::sort(sorted.begin(), sorted.end());  // 16 hex digits: name order is zxid order
  for (const std::string& name : sorted) {
    auto data = env->ReadFile(storage::JoinPath(log_dir, name));
    if (!data.ok()) continue;
    for (size_t offset = 0; offset < data->size();) {
      storage::DecodedRecord r = storage::DecodeRecord(*data, offset);
      if (r.kind != storage::DecodedRecord::Kind::kOk) break;  // recovery cut any torn tail
      auto txn = DecodeTxn(r.payload);
      if (txn.ok()) d->log.push_back(std::move(*txn));
      offset = r.next_offset;
    }
  }
}

}  // namespace

SimNode::SimNode() = default;
SimNode::~SimNode() = default;

std::string SimNode::WriteDisk(const DurableState& d) {
  Kill();
  disk_ = storage::MemEnv();
  ++generation_;
  auto opened = storage::Storage::Open(&disk_, kDir, storage::Options{}, nullptr);
  if (!opened.ok()) return "write disk: " + opened.status().ToString();
  storage::Storage& st = **opened;
  auto check = [](const faultline::Status& s, const char* what) {
    return s.ok() ? std::string() : std::string("write disk: ") + what + ": " + s.ToString();
  };
  std::vector<std::pair<Zxid, std::string>> snapshots = d.snapshots;
  std::sort(snapshots.begin(), snapshots.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  size_t next = 0;  // next log entry to append
  auto append_upto = [&](Zxid z) -> std::string {
    for (; next < d.log.size() && d.log[next].zxid <= z; ++next) {
      const Txn& t = d.log[next];
      if (auto e = check(st.Append(storage::Record{t.zxid.value, EncodeTxn(t)}), "append");
          !e.empty()) {
        return e;
      }
    }
    return "";
  };
  for (const auto& [zxid, state] : snapshots) {
    if (auto e = append_upto(zxid); !e.empty()) return e;
    // A snapshot the log reaches is written beside it; one ahead of the log replaces it (SNAP).
    faultline::Status s = st.last_zxid() >= zxid.value ? st.WriteSnapshot(zxid.value, state)
                                                       : st.InstallSnapshot(zxid.value, state);
    if (auto e = check(s, "snapshot"); !e.empty()) return e;
  }
  if (auto e = append_upto(Zxid{UINT64_MAX}); !e.empty()) return e;
  if (auto e = check(st.Sync(), "sync"); !e.empty()) return e;
  if (auto e = check(st.WriteAcceptedEpoch(d.accepted_epoch.value), "acceptedEpoch"); !e.empty()) {
    return e;
  }
  return check(st.WriteCurrentEpoch(d.current_epoch.value), "currentEpoch");
}

std::string SimNode::Boot(const Config& config, const storage::Options& options, uint64_t now_ms,
                          runtime::Transport* transport, runtime::EventSink* events,
                          runtime::ReplyHandler replies) {
  Kill();
  faulty_.Heal();
  storage::Recovered rec;
  auto opened = storage::Storage::Open(&faulty_, kDir, options, &rec);
  ++generation_;  // recovery may cut a torn tail or remove leftovers
  if (!opened.ok()) return "recovery refused the disk: " + opened.status().ToString();
  auto core = runtime::ToCoreRecovered(std::move(rec));
  if (!core.ok()) return "recovery: " + core.status().ToString();
  storage_ = std::move(opened).value();
  runtime_ = std::make_unique<runtime::NodeRuntime>(
      config, std::move(*core), now_ms, storage_.get(), transport, events, std::move(replies));
  return "";
}

void SimNode::Kill(bool power_cut) {
  if (!runtime_ && !storage_) return;
  // A process death keeps what was written: the kernel has it (a fsync would make it durable,
  // which is what a machine that keeps running does with it eventually).
  if (sync_job_ && !power_cut) (void)sync_job_();
  sync_job_ = nullptr;
  runtime_.reset();  // the queued batch was never synced: lost
  storage_.reset();  // never syncs on destruction
  disk_.Crash();
  faulty_.Heal();
  ++generation_;
}

std::string SimNode::Flush() {
  if (!runtime_->has_queued()) return "";
  // Every durable change fsyncs something: a batch without fsyncs left the disk as it was, and
  // the view cached before it stays good (unless one was taken during it, by an observer).
  const uint64_t fsyncs = storage_->fsync_count();
  const uint64_t before = generation_++;
  faultline::Status s = runtime_->Flush();
  if (s.ok() && storage_->fsync_count() == fsyncs && view_generation_ != generation_) {
    generation_ = before;
  }
  return s.ok() ? "" : s.ToString();
}

std::string SimNode::Begin() {
  ++generation_;  // a non-append batch syncs inside Begin
  faultline::Status s = runtime_->Begin();
  return s.ok() ? "" : s.ToString();
}

std::string SimNode::StartSync(bool* started) {
  *started = false;
  if (sync_job_) return "";
  sync_job_ = runtime_->StartSync();
  if (sync_job_) {
    *started = true;
    return "";
  }
  const runtime::StorageFailure* f = runtime_->failure();
  return f ? "storage failure during " + f->op + ": " + f->status.ToString() : "";
}

std::string SimNode::FinishSync() {
  if (!sync_job_) return "";
  std::function<faultline::Status()> job = std::move(sync_job_);
  sync_job_ = nullptr;
  ++generation_;
  faultline::Status s = runtime_->FinishSync(job());
  return s.ok() ? "" : s.ToString();
}

const DurableState& SimNode::durable() const {
  if (view_ && view_generation_ == generation_) return *view_;
  view_ = std::make_unique<DurableState>();
  view_generation_ = generation_;
  auto image = disk_.CrashImage();
  storage::Recovered rec;
  auto opened = storage::Storage::Open(image.get(), kDir, storage::Options{}, &rec);
  if (!opened.ok())
    return *view_;  // Boot() reports why; the view of an unrecoverable disk is empty
  view_->accepted_epoch = Epoch{rec.accepted_epoch};
  view_->current_epoch = Epoch{rec.current_epoch};
  opened.value().reset();
  ReadFiles(image.get(), view_.get());
  return *view_;
}

}  // namespace zab::testing
