// Storage's write path: append with group commit, segment rolling, truncation, snapshots and
// compaction, atomic epoch files. Recovery (Open) is in recovery.cc.
#include <algorithm>
#include <charconv>

#include "server/storage/atomic_file.h"
#include "server/storage/log_format.h"
#include "server/storage/snapshot_format.h"
#include "server/storage/storage_impl.h"

namespace storage {

using faultline::Status;

std::string FormatEpoch(uint32_t epoch) { return std::to_string(epoch) + "\n"; }

bool ParseEpoch(const std::string& text, uint32_t* epoch) {
  std::string_view digits = text;
  if (!digits.empty() && digits.back() == '\n') digits.remove_suffix(1);
  if (digits.empty() || digits.size() > 10) return false;
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v);
  if (ec != std::errc() || end != digits.data() + digits.size() || v > UINT32_MAX) return false;
  *epoch = static_cast<uint32_t>(v);
  return true;
}

StorageImpl::StorageImpl(Env* env, std::string dir, Options options)
    : env_(env), dir_(std::move(dir)), log_dir_(JoinPath(dir_, kLogDirName)), options_(options) {
  if (options_.snapshots_retained == 0) options_.snapshots_retained = 1;
}

std::string StorageImpl::SnapshotName(uint64_t zxid) const { return kSnapshotPrefix + Hex16(zxid); }

Status StorageImpl::Fail(Status s) {
  if (!s.ok() && failed_.ok()) failed_ = s;
  return s;
}

Status StorageImpl::Usable(const char* call) const {
  if (!failed_.ok()) return failed_;
  if (sync_in_flight_) {
    return Status::InvalidArgument(std::string(call) + " refused: an fsync is still in flight");
  }
  return Status::Ok();
}

Status StorageImpl::SyncDirCounted(const std::string& dir) {
  ++fsync_count_;
  return env_->SyncDir(dir);
}

Status StorageImpl::WritePending() {
  if (pending_.empty()) return Status::Ok();
  // Allocate ahead (Options::reserve_bytes), so that this write's fdatasync and the next ones'
  // find the file's size already durable; not past the roll point by more than the write itself.
  const uint64_t end = segments_.back().size;
  if (options_.reserve_bytes > 0 && end > reserved_end_) {
    const uint64_t written = end - pending_.size();
    const uint64_t room =
        options_.segment_bytes_max > written ? options_.segment_bytes_max - written : 0;
    const uint64_t ahead =
        std::max<uint64_t>(pending_.size(), std::min(options_.reserve_bytes, room));
    // A hint: a disk without room for the reserve (ENOSPC, EFBIG) may still have room for the
    // records, and the write below says whether it has; failing here would stop a node a reserve
    // before its disk is full (or at once, on a file system without fallocate). The next write
    // past the end tries again.
    reserved_end_ = writer_->Reserve(ahead).ok() ? written + ahead : end;
  }
  Status s = writer_->Append(pending_);
  pending_.clear();  // on error the file holds an unknown prefix; failed_ stops further use
  return s;
}

Status StorageImpl::OpenWriter() {
  writer_.reset();
  if (segments_.empty()) return Status::Ok();
  // Appends go at the file's end, which is the last record's end: recovery cut any zero tail,
  // every rolled segment was trimmed (Roll), and CutLogAfter truncates the open segment or
  // removes it (PosixStorageTest.*Reserved*, *Rolled*, *CutNothing*).
  reserved_end_ = segments_.back().size;
  auto file = env_->NewAppendableFile(SegmentPath(segments_.back()));
  if (!file.ok()) return file.status();
  writer_ = std::move(file).value();
  return Status::Ok();
}

// Cuts `seg`'s file back to its records if Reserve left it longer; durable on return.
Status StorageImpl::TrimReserve(const Segment& seg) {
  auto size = env_->FileSize(SegmentPath(seg));
  if (!size.ok()) return size.status();
  if (*size <= seg.size) return Status::Ok();
  ++fsync_count_;
  return env_->Truncate(SegmentPath(seg), seg.size);
}

// Starts segment log.<first_zxid>. The previous segment is written and fsynced first, and the new
// file's directory entry is fsynced before any record goes in: only the last segment can be torn.
Status StorageImpl::Roll(uint64_t first_zxid) {
  if (writer_) {
    if (auto s = WritePending(); !s.ok()) return s;
    // An in-flight StartSync job may still be running on this segment: sync it here too.
    if (unsynced_ || sync_in_flight_) {
      ++fsync_count_;
      if (auto s = writer_->Sync(); !s.ok()) return s;
      unsynced_ = false;
    }
    // Only the last segment may end in reserved zeros (recovery trims only there).
    if (auto s = TrimReserve(segments_.back()); !s.ok()) return s;
  }
  Segment seg;
  seg.first_zxid = first_zxid;
  seg.name = kLogPrefix + Hex16(first_zxid);
  auto file = env_->NewWritableFile(SegmentPath(seg));
  if (!file.ok()) return file.status();
  writer_ = std::move(file).value();
  reserved_end_ = 0;
  segments_.push_back(seg);
  return SyncDirCounted(log_dir_);
}

Status StorageImpl::Append(const Record& record) {
  if (!failed_.ok()) return failed_;
  // zab.md 7.3 rule 3: strictly increasing, gap-free within an epoch; reject, never warn.
  if (std::string why = CheckSuccessor(last_zxid_, record.zxid); !why.empty()) {
    return Status::InvalidArgument("append rejected: " + why);
  }
  if (record.payload.size() > kRecordPayloadMax) {
    return Status::InvalidArgument("append rejected: payload of " +
                                   std::to_string(record.payload.size()) + " bytes for zxid " +
                                   ZxidHex(record.zxid) + " exceeds the record bound");
  }
  if (auto s = MarkEpochAhead(record.zxid); !s.ok()) return Fail(s);
  const uint64_t bytes = kRecordHeaderBytes + record.payload.size();
  if (segments_.empty() ||
      (segments_.back().size > 0 && segments_.back().size + bytes > options_.segment_bytes_max)) {
    if (auto s = Roll(record.zxid); !s.ok()) return Fail(s);
  }
  EncodeRecord(record.zxid, record.payload, &pending_);
  Segment& seg = segments_.back();
  seg.size += bytes;
  seg.last_zxid = record.zxid;
  last_zxid_ = record.zxid;
  unsynced_ = true;
  if (pending_.size() >= kPendingWriteBytes) return Fail(WritePending());
  return Status::Ok();
}

// Group commit: one write of everything buffered and one fdatasync cover every Append since the
// previous Sync (zab.md 7.3 rule 1: the caller ACKs only after this returns ok).
Status StorageImpl::Sync() {
  if (auto s = Usable("sync"); !s.ok()) return s;
  if (!unsynced_) return Status::Ok();
  if (auto s = WritePending(); !s.ok()) return Fail(s);
  ++fsync_count_;
  if (auto s = writer_->Sync(); !s.ok()) return Fail(s);
  unsynced_ = false;
  return Status::Ok();
}

// The same fsync as Sync(), run by the owner wherever it likes. Appends made while it runs set
// unsynced_ again, so the next StartSync covers them.
Storage::SyncJob StorageImpl::StartSync() {
  if (Status s = Usable("StartSync"); !s.ok()) {
    if (sync_in_flight_) return [s] { return s; };  // misuse: the running job stays the one
    sync_in_flight_ = true;
    return [s] { return s; };
  }
  if (!unsynced_) return nullptr;
  sync_in_flight_ = true;
  if (Status s = Fail(WritePending()); !s.ok()) {
    return [s] { return s; };
  }
  ++fsync_count_;
  unsynced_ = false;
  return [file = writer_] { return file->Sync(); };
}

Status StorageImpl::FinishSync(Status job_result) {
  if (!sync_in_flight_) return Status::InvalidArgument("FinishSync without a StartSync job");
  sync_in_flight_ = false;
  return Fail(job_result);
}

// Removes every snapshot file named above `zxid`, one durable removal at a time.
Status StorageImpl::RemoveSnapshotsAbove(uint64_t zxid) {
  auto names = env_->ListDir(dir_);
  if (!names.ok()) return names.status();
  for (const std::string& name : names.value()) {
    if (name.rfind(kSnapshotPrefix, 0) != 0) continue;
    auto z = ParseHex16(std::string_view(name).substr(sizeof(kSnapshotPrefix) - 1));
    if (!z || *z <= zxid) continue;  // also skips "<name>.tmp" leftovers (not 16 digits)
    if (auto s = env_->Remove(JoinPath(dir_, name)); !s.ok()) return s;
    if (auto s = SyncDirCounted(dir_); !s.ok()) return s;
  }
  std::erase_if(snapshots_, [zxid](uint64_t z) { return z > zxid; });
  return Status::Ok();
}

// Durably cuts every record above keep_up_to. Later segments go first, each removal synced on its
// own, so a crash leaves a prefix of the log, never a log with a hole in the middle.
Status StorageImpl::CutLogAfter(uint64_t keep_up_to) {
  writer_.reset();
  while (!segments_.empty() && segments_.back().first_zxid > keep_up_to) {
    if (auto s = env_->Remove(SegmentPath(segments_.back())); !s.ok()) return s;
    if (auto s = SyncDirCounted(log_dir_); !s.ok()) return s;
    segments_.pop_back();
  }
  if (!segments_.empty() && segments_.back().last_zxid > keep_up_to) {
    Segment& seg = segments_.back();
    auto data = env_->ReadFile(SegmentPath(seg));
    if (!data.ok()) return data.status();
    size_t offset = 0;
    uint64_t last = 0;
    while (offset < data.value().size()) {
      DecodedRecord r = DecodeRecord(data.value(), offset);
      if (r.kind != DecodedRecord::Kind::kOk) {
        return Status::Corruption(SegmentPath(seg) + ": " + KindName(r.kind) + " at offset " +
                                  std::to_string(offset) + " while truncating after " +
                                  ZxidHex(keep_up_to));
      }
      if (r.zxid > keep_up_to) break;
      last = r.zxid;
      offset = r.next_offset;
    }
    ++fsync_count_;
    if (auto s = env_->Truncate(SegmentPath(seg), offset); !s.ok()) return s;
    seg.size = offset;
    seg.last_zxid = last;
  }
  return OpenWriter();
}

// zab.md 7.3 rule 5: the uncommitted entries leave every durable artefact, snapshots first (a
// snapshot newer than the log would resurrect them), then the log.
Status StorageImpl::TruncateAfter(uint64_t keep_up_to) {
  if (auto s = Usable("truncate"); !s.ok()) return s;
  if (auto s = Sync(); !s.ok()) return s;
  if (keep_up_to >= last_zxid_) return Status::Ok();  // nothing above it, not even a snapshot
  uint64_t newest_kept = 0;
  for (uint64_t z : snapshots_) {
    if (z <= keep_up_to) newest_kept = z;
  }
  // The state at keep_up_to must stay rebuildable: from a kept snapshot plus the log after it.
  if (newest_kept < log_base_) {
    return Status::InvalidArgument("cannot truncate after " + ZxidHex(keep_up_to) +
                                   ": the log is compacted up to " + ZxidHex(log_base_) +
                                   " and no snapshot at or below it would remain");
  }
  if (auto s = RemoveSnapshotsAbove(keep_up_to); !s.ok()) return Fail(s);
  if (auto s = CutLogAfter(keep_up_to); !s.ok()) return Fail(s);
  last_zxid_ = std::max(segments_.empty() ? 0 : segments_.back().last_zxid, newest_kept);
  if (segments_.empty()) log_base_ = last_zxid_;  // an empty log is complete after the state
  return Status::Ok();
}

// Drops snapshots beyond snapshots_retained, then every log segment wholly below the oldest
// retained snapshot O. Segment i is wholly below O only if segment i+1 starts at or before O+1;
// the last segment is never removed.
Status StorageImpl::Compact() {
  while (snapshots_.size() > options_.snapshots_retained) snapshots_.erase(snapshots_.begin());
  if (snapshots_.empty()) return Status::Ok();
  // By listing, not from memory: corrupt snapshots skipped at recovery go too once superseded.
  auto names = env_->ListDir(dir_);
  if (!names.ok()) return names.status();
  bool removed_snapshot = false;
  for (const std::string& name : names.value()) {
    if (name.rfind(kSnapshotPrefix, 0) != 0) continue;
    auto z = ParseHex16(std::string_view(name).substr(sizeof(kSnapshotPrefix) - 1));
    if (!z || *z >= snapshots_.front()) continue;
    if (auto s = env_->Remove(JoinPath(dir_, name)); !s.ok()) return s;
    removed_snapshot = true;
  }
  if (removed_snapshot) {
    if (auto s = SyncDirCounted(dir_); !s.ok()) return s;
  }
  const uint64_t oldest = snapshots_.front();
  size_t drop = 0;
  while (drop + 1 < segments_.size() && segments_[drop + 1].first_zxid <= oldest + 1) ++drop;
  if (drop == 0) return Status::Ok();
  // The base marker lands before any segment goes, so a crash never leaves a log that claims to
  // start from zero while its prefix is missing.
  if (auto s = WriteLogBase(segments_[drop].first_zxid - 1); !s.ok()) return s;
  for (size_t i = 0; i < drop; ++i) {
    if (auto s = env_->Remove(SegmentPath(segments_[i])); !s.ok()) return s;
  }
  segments_.erase(segments_.begin(), segments_.begin() + static_cast<ptrdiff_t>(drop));
  return SyncDirCounted(log_dir_);
}

Status StorageImpl::WriteLogBase(uint64_t base) {
  if (auto s = WriteFileAtomically(env_, log_dir_, kLogBaseFile, Hex16(base) + "\n", &fsync_count_);
      !s.ok()) {
    return s;
  }
  log_base_ = base;
  return Status::Ok();
}

Status StorageImpl::WriteSnapshot(uint64_t zxid, const std::string& state) {
  if (auto s = Usable("write snapshot"); !s.ok()) return s;
  if (zxid > last_zxid_) {
    return Status::InvalidArgument("snapshot at " + ZxidHex(zxid) + " is ahead of the log (last " +
                                   ZxidHex(last_zxid_) + ")");
  }
  // The log up to zxid is durable before the snapshot is, so the log never has a hole behind it.
  if (auto s = Sync(); !s.ok()) return s;
  if (auto s = MarkEpochAhead(zxid); !s.ok()) return Fail(s);
  if (auto s = WriteFileAtomically(env_, dir_, SnapshotName(zxid), EncodeSnapshot(zxid, state),
                                   &fsync_count_);
      !s.ok()) {
    return Fail(s);
  }
  if (std::find(snapshots_.begin(), snapshots_.end(), zxid) == snapshots_.end()) {
    snapshots_.push_back(zxid);
    std::sort(snapshots_.begin(), snapshots_.end());
  }
  return Fail(Compact());
}

// SNAP sync (zab.md 5.2). Each step leaves a recoverable state: (1) records and snapshots above
// zxid go, as in TRUNC; (2) the snapshot lands atomically; (3) everything older goes.
Status StorageImpl::InstallSnapshot(uint64_t zxid, const std::string& state) {
  if (auto s = Usable("install snapshot"); !s.ok()) return s;
  if (auto s = Sync(); !s.ok()) return s;
  if (auto s = MarkEpochAhead(zxid); !s.ok()) return Fail(s);
  if (auto s = RemoveSnapshotsAbove(zxid); !s.ok()) return Fail(s);
  if (auto s = CutLogAfter(zxid); !s.ok()) return Fail(s);
  if (auto s = WriteFileAtomically(env_, dir_, SnapshotName(zxid), EncodeSnapshot(zxid, state),
                                   &fsync_count_);
      !s.ok()) {
    return Fail(s);
  }
  if (auto s = WriteLogBase(zxid); !s.ok()) return Fail(s);
  writer_.reset();
  while (!segments_.empty()) {
    if (auto s = env_->Remove(SegmentPath(segments_.back())); !s.ok()) return Fail(s);
    segments_.pop_back();
  }
  if (auto s = SyncDirCounted(log_dir_); !s.ok()) return Fail(s);
  for (uint64_t z : snapshots_) {
    if (z == zxid) continue;
    if (auto s = env_->Remove(JoinPath(dir_, SnapshotName(z))); !s.ok()) return Fail(s);
  }
  snapshots_ = {zxid};
  if (auto s = SyncDirCounted(dir_); !s.ok()) return Fail(s);
  last_zxid_ = zxid;
  return Status::Ok();
}

// ZOOKEEPER-2307: the file first, the in-memory value only once it is durable. Appends before it
// are made durable first (durable order, storage.h): zab.md 5.2 fsyncs the synced history
// before currentEpoch certifies it (7.3 rule 1, ZOOKEEPER-4643).
Status StorageImpl::WriteEpochFile(const char* name, uint32_t epoch) {
  if (auto s = Usable(name); !s.ok()) return s;
  if (auto s = Sync(); !s.ok()) return s;
  return Fail(WriteFileAtomically(env_, dir_, name, FormatEpoch(epoch), &fsync_count_));
}

// A follower writes an epoch's history (a SNAP install, the DIFF txns at NEWLEADER) before the
// currentEpoch that certifies it (zab.md 5.2, 7.3 rule 1). A crash in between leaves epoch(last
// zxid) > currentEpoch, which recovery refuses unless currentEpoch.tmp names that epoch; this
// marker is durable before the first such byte is written (ZOOKEEPER-1653 / 2307). Recovery then
// adopts the epoch only if the files reach it, i.e. hold that epoch's whole initial history.
Status StorageImpl::MarkEpochAhead(uint64_t zxid) {
  const uint32_t epoch = EpochOf(zxid);
  if (epoch <= current_epoch_ || epoch <= marked_epoch_) return Status::Ok();
  const std::string tmp = JoinPath(dir_, std::string(kCurrentEpochFile) + kTmpSuffix);
  auto file = env_->NewWritableFile(tmp);
  if (!file.ok()) return file.status();
  if (auto s = file.value()->Append(FormatEpoch(epoch)); !s.ok()) return s;
  ++fsync_count_;
  if (auto s = file.value()->Sync(); !s.ok()) return s;
  if (auto s = SyncDirCounted(dir_); !s.ok()) return s;
  marked_epoch_ = epoch;
  return Status::Ok();
}

Status StorageImpl::WriteAcceptedEpoch(uint32_t epoch) {
  if (auto s = WriteEpochFile(kAcceptedEpochFile, epoch); !s.ok()) return s;
  accepted_epoch_ = epoch;
  return Status::Ok();
}

Status StorageImpl::WriteCurrentEpoch(uint32_t epoch) {
  if (auto s = WriteEpochFile(kCurrentEpochFile, epoch); !s.ok()) return s;
  current_epoch_ = epoch;
  marked_epoch_ = 0;  // the rename consumed currentEpoch.tmp
  return Status::Ok();
}

}  // namespace storage
