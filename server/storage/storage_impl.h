// StorageImpl: the Storage of storage.h over an Env. Private to server/storage: storage.cc holds
// the write path (append, sync, truncate, snapshots), recovery.cc holds Open().
//
// In-memory picture, always equal to what is on disk plus `pending_`:
//   segments_   every log segment in zxid order; the last one is open in `writer_`
//   pending_    encoded records appended but not yet written to the file (group commit)
//   snapshots_  zxids of the valid snapshot files, ascending
//   log_base_   every record with zxid > log_base_ is in the log (the log is complete after it);
//               durable in <dir>/log/base once compaction or a SNAP install drops a log prefix
//               (absent: 0, the log holds the whole history). Recovery extends a snapshot S by
//               the log only if S >= log_base_.
// Invariant: every segment but the last is whole and fsynced (Roll syncs it before the next
// segment exists), so a torn record can only ever be at the tail of the last segment.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "server/storage/env.h"
#include "server/storage/storage.h"

namespace storage {

inline constexpr char kLogDirName[] = "log";
inline constexpr char kLogPrefix[] = "log.";
inline constexpr char kAcceptedEpochFile[] = "acceptedEpoch";
inline constexpr char kCurrentEpochFile[] = "currentEpoch";
inline constexpr char kLogBaseFile[] = "base";  // in the log directory
inline constexpr char kLockFile[] = "LOCK";
// Bound on buffered bytes: past this Append writes them out (without fsync).
inline constexpr size_t kPendingWriteBytes = 1 << 20;

struct Segment {
  uint64_t first_zxid = 0;
  uint64_t last_zxid = 0;  // including records still in pending_
  uint64_t size = 0;       // bytes, including records still in pending_
  std::string name;        // "log.<hex>"
};

class StorageImpl final : public Storage {
 public:
  StorageImpl(Env* env, std::string dir, Options options);
  ~StorageImpl() override = default;  // never syncs: unsynced appends are lost, as in a crash

  faultline::Status Append(const Record& record) override;
  faultline::Status Sync() override;
  SyncJob StartSync() override;
  faultline::Status FinishSync(faultline::Status job_result) override;
  bool sync_in_flight() const override { return sync_in_flight_; }
  faultline::Status TruncateAfter(uint64_t keep_up_to) override;
  faultline::Status WriteSnapshot(uint64_t zxid, const std::string& state) override;
  faultline::Status InstallSnapshot(uint64_t zxid, const std::string& state) override;
  faultline::Status WriteAcceptedEpoch(uint32_t epoch) override;
  faultline::Status WriteCurrentEpoch(uint32_t epoch) override;
  uint64_t last_zxid() const override { return last_zxid_; }
  uint64_t fsync_count() const override { return fsync_count_; }

  // recovery.cc
  faultline::Status Recover(Recovered* recovered);

 private:
  friend class Recovery;

  std::string SegmentPath(const Segment& s) const { return JoinPath(log_dir_, s.name); }
  std::string SnapshotName(uint64_t zxid) const;
  // Remembers the first I/O error: after it every mutating call fails (the file's state is
  // unknown, fsyncgate), until the owner reopens and recovery decides what survived.
  faultline::Status Fail(faultline::Status s);
  // failed_, or InvalidArgument naming `call` while a StartSync job is in flight, or ok.
  faultline::Status Usable(const char* call) const;
  faultline::Status SyncDirCounted(const std::string& dir);
  faultline::Status WritePending();
  faultline::Status Roll(uint64_t first_zxid);
  faultline::Status OpenWriter();
  faultline::Status TrimReserve(const Segment& seg);
  faultline::Status RemoveSnapshotsAbove(uint64_t zxid);
  faultline::Status CutLogAfter(uint64_t keep_up_to);
  faultline::Status Compact();
  faultline::Status WriteEpochFile(const char* name, uint32_t epoch);
  // Before the first record or snapshot of an epoch above currentEpoch reaches the files:
  // durably writes currentEpoch.tmp naming that epoch (ZooKeeper's updatingEpoch marker), so a
  // crash before WriteCurrentEpoch renames it still recovers (zab.md 1 startup checks).
  faultline::Status MarkEpochAhead(uint64_t zxid);
  // Durably records that the log is complete only after `base` (before any prefix is dropped).
  faultline::Status WriteLogBase(uint64_t base);

  Env* env_;
  std::string dir_;
  std::string log_dir_;
  Options options_;

  std::unique_ptr<FileLock> lock_;  // <dir>/LOCK: one Storage per directory; released last
  std::vector<Segment> segments_;
  std::shared_ptr<WritableFile> writer_;  // shared with an in-flight StartSync job
  std::string pending_;
  // The open segment's file is allocated up to here (Reserve). This is the step policy: a write
  // that ends past it reserves Options::reserve_bytes more, so fallocate runs once per step, not
  // per write. The file's own allocated_ (PosixWritableFile) only keeps a Reserve from shrinking
  // or repeating what it already did; it does not decide when to reserve.
  uint64_t reserved_end_ = 0;
  bool unsynced_ = false;        // bytes appended (pending or written) since the last fsync
  bool sync_in_flight_ = false;  // StartSync returned a job, FinishSync not yet called
  std::vector<uint64_t> snapshots_;
  uint64_t log_base_ = 0;
  uint64_t last_zxid_ = 0;
  uint32_t accepted_epoch_ = 0;
  uint32_t current_epoch_ = 0;
  uint32_t marked_epoch_ = 0;  // the epoch currentEpoch.tmp names durably, if above current_epoch_
  uint64_t fsync_count_ = 0;
  faultline::Status failed_;
};

// Epoch files hold the epoch in decimal and a newline.
std::string FormatEpoch(uint32_t epoch);
bool ParseEpoch(const std::string& text, uint32_t* epoch);

}  // namespace storage
