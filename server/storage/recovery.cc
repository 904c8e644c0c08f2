// Storage::Open: rebuild the durable state of a data directory, or refuse with a Corruption that
// names the file, the byte offset and the zxid. What may be repaired silently is exactly what a
// crash can legitimately leave behind, and each repair is reported (RecoveryReport):
//   - a torn record at the tail of the last segment (cut off, durably);
//   - zeros after the last record of the last segment (space reserved ahead, Options::
//     reserve_bytes, or appends the file system never wrote; cut off, durably);
//   - an empty last segment (created by a roll just before the crash; removed);
//   - leftover temp files of interrupted atomic writes (removed; currentEpoch.tmp is consulted
//     first, zab.md section 1 startup checks).
// Everything else (damage before the tail, a zxid gap, non-increasing zxids, epoch files that
// contradict the log or are missing beside it, a corrupt snapshot the log cannot stand in for) is
// an error. Only a fresh directory (no log record, no snapshot) gets its epoch files created.
#include <algorithm>

#include "server/storage/atomic_file.h"
#include "server/storage/log_format.h"
#include "server/storage/snapshot_format.h"
#include "server/storage/storage_impl.h"

namespace storage {
namespace {

using faultline::Result;
using faultline::Status;

std::string At(const std::string& file, uint64_t offset) {
  return file + " at offset " + std::to_string(offset);
}

// Where the run of zeros that ends `data` begins (data.size() if it ends in a non-zero byte).
size_t ZeroTailStart(std::string_view data) {
  size_t end = data.size();
  while (end > 0 && data[end - 1] == 0) --end;
  return end;
}

// Whether damage found at `offset` of the last segment is a torn write rather than corruption.
// A torn write leaves a short header, a short payload, or a bad checksum on the very last record
// (the file ends there, or only zeros follow it: a write cut short inside space reserved ahead,
// Options::reserve_bytes). A damaged length field in the middle of the file looks the same, so the
// bytes after the damage are searched: any whole record with a plausible zxid there means the
// damage is not at the tail, and cutting would silently lose it. A zero header never decodes (its
// checksum is wrong), so no record starts inside the trailing zeros and the search stops there.
// `zeros` is ZeroTailStart(data).
bool IsTornTail(std::string_view data, size_t offset, const DecodedRecord& r, uint64_t prev,
                size_t zeros) {
  if (offset >= zeros) return true;  // nothing but zeros from the damage on
  bool tail_shaped = r.kind == DecodedRecord::Kind::kShortHeader ||
                     r.kind == DecodedRecord::Kind::kShortPayload ||
                     (r.kind == DecodedRecord::Kind::kBadChecksum && r.next_offset >= zeros);
  if (!tail_shaped) return false;
  for (size_t o = offset + 1; o < zeros && o + kRecordHeaderBytes <= data.size(); ++o) {
    DecodedRecord later = DecodeRecord(data, o);
    if (later.kind == DecodedRecord::Kind::kOk && later.zxid > prev) return false;
  }
  return true;
}

// mkdir -p, each new directory made durable in its parent.
Status CreateDirs(Env* env, const std::string& dir) {
  if (env->Exists(dir)) return Status::Ok();
  const std::string parent = Dirname(dir);
  if (parent != dir) {
    if (auto s = CreateDirs(env, parent); !s.ok()) return s;
  }
  if (auto s = env->CreateDir(dir); !s.ok()) return s;
  return env->SyncDir(parent);
}

}  // namespace

Result<std::unique_ptr<Storage>> Storage::Open(Env* env, std::string dir, Options options,
                                               Recovered* recovered) {
  auto impl = std::make_unique<StorageImpl>(env, std::move(dir), options);
  Recovered local;
  if (recovered == nullptr) recovered = &local;
  *recovered = Recovered{};
  if (auto s = impl->Recover(recovered); !s.ok()) return s;
  return std::unique_ptr<Storage>(std::move(impl));
}

Status StorageImpl::Recover(Recovered* out) {
  RecoveryReport& report = out->report;
  if (auto s = CreateDirs(env_, dir_); !s.ok()) return s;
  if (auto s = CreateDirs(env_, log_dir_); !s.ok()) return s;
  // Two writers on one directory would interleave logs: refuse the second.
  auto lock = env_->LockFile(JoinPath(dir_, kLockFile));
  if (!lock.ok()) return lock.status();
  lock_ = std::move(lock).value();

  // --- Directory listing: snapshots, leftovers of interrupted atomic writes, log segments.
  auto names = env_->ListDir(dir_);
  if (!names.ok()) return names.status();
  std::vector<uint64_t> snapshot_files;
  bool removed = false;
  for (const std::string& name : names.value()) {
    if (name.rfind(kSnapshotPrefix, 0) == 0) {
      std::string_view rest = std::string_view(name).substr(sizeof(kSnapshotPrefix) - 1);
      if (auto z = ParseHex16(rest)) {
        snapshot_files.push_back(*z);
      } else if (rest.ends_with(kTmpSuffix)) {
        if (auto s = env_->Remove(JoinPath(dir_, name)); !s.ok()) return s;
        report.removed_files.push_back(JoinPath(dir_, name));
        report.removed_files.push_back(JoinPath(dir_, name));
        removed = true;
      }
    } else if (name == std::string(kAcceptedEpochFile) + kTmpSuffix) {
      if (auto s = env_->Remove(JoinPath(dir_, name)); !s.ok()) return s;
      report.removed_files.push_back(JoinPath(dir_, name));
      removed = true;
    }
  }
  if (removed) {
    if (auto s = SyncDirCounted(dir_); !s.ok()) return s;
  }
  auto log_names = env_->ListDir(log_dir_);
  if (!log_names.ok()) return log_names.status();
  for (const std::string& name : log_names.value()) {
    if (name == std::string(kLogBaseFile) + kTmpSuffix) {  // an interrupted marker write
      if (auto s = env_->Remove(JoinPath(log_dir_, name)); !s.ok()) return s;
      report.removed_files.push_back(JoinPath(log_dir_, name));
      if (auto s = SyncDirCounted(log_dir_); !s.ok()) return s;
      continue;
    }
    if (name.rfind(kLogPrefix, 0) != 0) continue;
    auto z = ParseHex16(std::string_view(name).substr(sizeof(kLogPrefix) - 1));
    if (!z) continue;
    Segment seg;
    seg.first_zxid = *z;
    seg.name = name;
    segments_.push_back(seg);
  }
  std::sort(segments_.begin(), segments_.end(),
            [](const Segment& a, const Segment& b) { return a.first_zxid < b.first_zxid; });

  // --- The log base marker (absent: the log holds the whole history).
  const std::string base_path = JoinPath(log_dir_, kLogBaseFile);
  if (auto text = env_->ReadFile(base_path); text.ok()) {
    std::string_view digits = text.value();
    if (digits.ends_with('\n')) digits.remove_suffix(1);
    auto base = ParseHex16(digits);
    if (!base) return Status::Corruption(At(base_path, 0) + ": not a 16-digit hex zxid");
    log_base_ = *base;
  } else if (text.status().code() != faultline::StatusCode::kNotFound) {
    return text.status();
  }

  // --- The newest valid snapshot; corrupt newer ones are skipped and reported.
  std::sort(snapshot_files.rbegin(), snapshot_files.rend());
  uint64_t snap = 0;
  uint64_t newest_corrupt = 0;
  for (uint64_t z : snapshot_files) {
    const std::string name = SnapshotName(z);
    auto data = env_->ReadFile(JoinPath(dir_, name));
    if (!data.ok()) return data.status();
    std::string why = DecodeSnapshot(data.value(), z, &out->snapshot.zxid, &out->snapshot.state);
    if (why.empty()) {
      snap = z;
      break;
    }
    report.skipped_snapshots += JoinPath(dir_, name) + ": " + why + " (zxid " + ZxidHex(z) + "); ";
    newest_corrupt = std::max(newest_corrupt, z);
  }
  for (uint64_t z : snapshot_files) {
    if (snap != 0 && z <= snap) snapshots_.push_back(z);  // older ones are checked when needed
  }
  std::sort(snapshots_.begin(), snapshots_.end());

  // --- Every segment, every record: checksums, names, zxid order (zab.md 7.3 rule 3).
  uint64_t prev = 0;
  std::string last_where = "no log record";
  for (size_t i = 0; i < segments_.size(); ++i) {
    Segment& seg = segments_[i];
    const std::string path = SegmentPath(seg);
    const bool is_last = i + 1 == segments_.size();
    auto data = env_->ReadFile(path);
    if (!data.ok()) return data.status();
    std::string_view bytes = data.value();
    size_t offset = 0;
    uint64_t count = 0;
    while (offset < bytes.size()) {
      DecodedRecord r = DecodeRecord(bytes, offset);
      if (r.kind != DecodedRecord::Kind::kOk) {
        const size_t zeros = ZeroTailStart(bytes);
        if (!is_last || !IsTornTail(bytes, offset, r, prev, zeros)) {
          return Status::Corruption(At(path, offset) + ": " + KindName(r.kind) +
                                    " before the tail (zxid in header " + ZxidHex(r.zxid) +
                                    ", last good zxid " + ZxidHex(prev) + ")");
        }
        ++fsync_count_;
        if (auto s = env_->Truncate(path, offset); !s.ok()) return s;
        if (offset >= zeros) {
          report.zero_tail_bytes = bytes.size() - offset;  // reserved space: not a torn write
        } else {
          report.torn_tail_truncated = true;
          report.torn_tail_file = path;
          report.torn_tail_offset = offset;
        }
        break;
      }
      if (count == 0 && r.zxid != seg.first_zxid) {
        return Status::Corruption(At(path, offset) + ": first zxid " + ZxidHex(r.zxid) +
                                  " does not match the segment name " + ZxidHex(seg.first_zxid));
      }
      if (std::string why = CheckSuccessor(prev, r.zxid); !why.empty()) {
        // Compaction removes old segments with one directory sync, so a crash may leave a hole
        // between segments; it is harmless when the snapshot covers it.
        bool covered_hole = count == 0 && r.zxid > prev && r.zxid <= snap + 1;
        if (!covered_hole) return Status::Corruption(At(path, offset) + ": " + why);
      }
      if (r.zxid > snap) out->log.push_back(Record{r.zxid, std::string(r.payload)});
      prev = r.zxid;
      last_where = At(path, offset);
      ++count;
      offset = r.next_offset;
    }
    seg.size = offset;
    seg.last_zxid = prev;
    if (count == 0) {
      if (!is_last) return Status::Corruption(path + ": empty segment before the last one");
      // A roll created it just before a crash: nothing in it was ever synced or acknowledged.
      if (auto s = env_->Remove(path); !s.ok()) return s;
      report.removed_files.push_back(path);
      if (auto s = SyncDirCounted(log_dir_); !s.ok()) return s;
      segments_.pop_back();
    }
  }

  // --- The log must continue the chosen snapshot without a hole.
  const uint64_t log_first = segments_.empty() ? 0 : segments_.front().first_zxid;
  if (snap < log_base_ || prev < newest_corrupt) {
    // The log was compacted behind a snapshot that is now corrupt (or it does not reach a corrupt
    // snapshot's zxid): the state cannot be rebuilt without losing committed transactions.
    return Status::Corruption(
        report.skipped_snapshots + "no valid snapshot from which the log rebuilds the state: " +
        (snap ? "newest valid " + JoinPath(dir_, SnapshotName(snap)) : std::string("none")) +
        ", log complete only after " + ZxidHex(log_base_) + " (" +
        JoinPath(log_dir_, kLogBaseFile) + "), log ends at " + ZxidHex(prev));
  }
  if (!segments_.empty() && log_first > snap + 1 && snap != 0) {
    // A log that starts past snap + 1 began after a SNAP install; a same-epoch jump is a hole.
    if (std::string why = CheckSuccessor(snap, log_first); !why.empty()) {
      return Status::Corruption(At(SegmentPath(segments_.front()), 0) + ": " + why + " (after " +
                                SnapshotName(snap) + ")");
    }
  }
  last_zxid_ = std::max(snap, prev);
  if (snap > prev) last_where = JoinPath(dir_, SnapshotName(snap)) + " at offset 8";

  // --- Epoch files against the log (zab.md 1, startup checks; QuorumPeer.loadDataBase).
  const uint32_t last_epoch = EpochOf(last_zxid_);
  const std::string where = "last zxid " + ZxidHex(last_zxid_) + " (" + last_where + ")";
  const std::string current_path = JoinPath(dir_, kCurrentEpochFile);
  const std::string current_tmp = current_path + kTmpSuffix;
  auto read_epoch = [&](const std::string& path, uint32_t* epoch, bool* missing) -> Status {
    auto text = env_->ReadFile(path);
    if (!text.ok()) {
      if (text.status().code() != faultline::StatusCode::kNotFound) return text.status();
      *missing = true;
      return Status::Ok();
    }
    if (!ParseEpoch(text.value(), epoch)) {
      return Status::Corruption(At(path, 0) + ": not an epoch number; " + where);
    }
    return Status::Ok();
  };
  // A data dir with history had both epoch files since its first start (they are created
  // before the first record or snapshot). One missing now was deleted or lost: recreating it
  // from the log's epoch could lower an epoch this node promised to a leader (acceptedEpoch,
  // zab.md 7.3 rule 4) or certified (currentEpoch, rule 1). Refuse, unless the operator said
  // --repair (Options::repair_missing_epoch_files).
  const bool has_history = last_zxid_ != 0;
  auto recreate = [&](const char* name, const std::string& path, uint32_t epoch) -> Status {
    if (has_history && !options_.repair_missing_epoch_files) {
      return Status::Corruption(
          path + ": missing, but the data dir holds history up to its " + where +
          "; recreating it could lower an epoch this node already promised (zab.md 7.3). "
          "Restore the file, or start with --repair to recreate it as " +
          std::to_string(epoch));
    }
    if (auto s = WriteFileAtomically(env_, dir_, name, FormatEpoch(epoch), &fsync_count_);
        !s.ok()) {
      return s;
    }
    if (has_history) report.repaired_files.push_back(path + "=" + std::to_string(epoch));
    return Status::Ok();
  };
  bool missing = false;
  if (auto s = read_epoch(current_path, &current_epoch_, &missing); !s.ok()) return s;
  if (missing) {
    current_epoch_ = last_epoch;
    if (auto s = recreate(kCurrentEpochFile, current_path, current_epoch_); !s.ok()) return s;
  }
  if (last_epoch > current_epoch_) {
    // A crash between the NEWLEADER history and the currentEpoch rename (ZOOKEEPER-2307).
    uint32_t tmp_epoch = 0;
    bool tmp_missing = false;
    if (auto s = read_epoch(current_tmp, &tmp_epoch, &tmp_missing); !s.ok()) return s;
    if (tmp_missing || tmp_epoch < last_epoch) {
      return Status::Corruption(At(current_path, 0) + ": currentEpoch " +
                                std::to_string(current_epoch_) + " is below epoch " +
                                std::to_string(last_epoch) + " of the " + where +
                                (tmp_missing ? " and there is no currentEpoch.tmp"
                                             : " and currentEpoch.tmp is below it too"));
    }
    if (auto s = WriteFileAtomically(env_, dir_, kCurrentEpochFile, FormatEpoch(tmp_epoch),
                                     &fsync_count_);
        !s.ok()) {
      return s;
    }
    current_epoch_ = tmp_epoch;
    report.used_current_epoch_tmp = true;
  } else if (env_->Exists(current_tmp)) {
    // Stale: its write never completed and nothing needs it; it must not be used later.
    if (auto s = env_->Remove(current_tmp); !s.ok()) return s;
    report.removed_files.push_back(current_tmp);
    if (auto s = SyncDirCounted(dir_); !s.ok()) return s;
  }
  missing = false;
  const std::string accepted_path = JoinPath(dir_, kAcceptedEpochFile);
  if (auto s = read_epoch(accepted_path, &accepted_epoch_, &missing); !s.ok()) return s;
  if (missing) {
    accepted_epoch_ = std::max(last_epoch, current_epoch_);
    if (auto s = recreate(kAcceptedEpochFile, accepted_path, accepted_epoch_); !s.ok()) return s;
  }
  if (accepted_epoch_ < current_epoch_) {
    return Status::Corruption(At(accepted_path, 0) + ": acceptedEpoch " +
                              std::to_string(accepted_epoch_) + " is below currentEpoch " +
                              std::to_string(current_epoch_) + "; " + where);
  }

  if (auto s = OpenWriter(); !s.ok()) return s;
  out->accepted_epoch = accepted_epoch_;
  out->current_epoch = current_epoch_;
  out->snapshot.zxid = snap;
  if (snap == 0) out->snapshot.state.clear();
  report.records_loaded = out->log.size();
  report.last_zxid = last_zxid_;
  return Status::Ok();
}

}  // namespace storage
