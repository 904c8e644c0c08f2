// zabd's durable state behind one interface (zab.md section 1, issue #2 "Storage"):
//   <dir>/log/log.<first-zxid-hex>     append-only txn log segments, one checksummed record each
//   <dir>/snapshot.<zxid-hex>          snapshots of the committed kv state
//   <dir>/acceptedEpoch, currentEpoch  written atomically: temp, fsync, rename, fsync dir
//   <dir>/log/base                     once compaction or a SNAP install dropped a log prefix:
//                                      the zxid after which the log is complete
//
// Records are opaque to storage: a zxid plus payload bytes (the core's encoded Txn). Storage
// enforces what it can see: zxids strictly increase, no gap inside an epoch (counter +1), a
// per-record checksum, and epoch files consistent with the log.
//
// All file access goes through Env (env.h) so tests can run storage in memory, crash it (drop
// every byte not synced) and inject EIO/ENOSPC.
//
// Errors: InvalidArgument = the call was refused and changed nothing (a zxid out of order, a
// snapshot ahead of the log, a truncation the log can no longer rebuild). IoError = the disk said
// no; from then on every mutating call returns that same error (a failed fsync leaves the file in
// an unknown state, so nothing is retried): the owner must stop and reopen, and recovery decides
// what survived. The destructor never syncs (what was not synced is lost, as in a crash).
//
// Durable order: a crash leaves the result of a PREFIX of the mutating calls, never a later call
// durable while an earlier one is lost. Append is the only call that is not durable on return
// (group commit: durable at the next Sync); every other mutating call first makes every earlier
// Append durable. So a caller executes its ops in order and needs no ordering rules of its own
// (the ZAB rule "the log is fsynced before currentEpoch is persisted", zab.md 5.2, lives here).
//
// Thread-safety: none; one owner thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/status.h"

namespace storage {

class Env;

struct Record {
  uint64_t zxid = 0;
  std::string payload;
  bool operator==(const Record&) const = default;
};

struct Snapshot {
  uint64_t zxid = 0;  // 0 = no snapshot
  std::string state;
};

// What recovery found and did; the driver logs it as a "recovery" event.
struct RecoveryReport {
  uint64_t records_loaded = 0;
  uint64_t last_zxid = 0;
  bool torn_tail_truncated = false;  // a partial record at the very end was cut off
  std::string torn_tail_file;        // which segment, and where
  uint64_t torn_tail_offset = 0;
  // Zeros after the last record of the last segment, cut off: space reserved ahead of the log
  // (Options::reserve_bytes), or unsynced appends the file system had not written. Never data: a
  // record header of zeros has a bad checksum.
  uint64_t zero_tail_bytes = 0;
  bool used_current_epoch_tmp = false;
  // Non-empty when newer snapshots were corrupt and an older one was used: which, and why.
  std::string skipped_snapshots;
  // Leftovers recovery deleted: an empty last segment (a roll cut short by a crash), temp files
  // of interrupted atomic writes, a stale currentEpoch.tmp. Never a record or a snapshot.
  std::vector<std::string> removed_files;
  // Epoch files recreated under Options::repair_missing_epoch_files: "path=epoch".
  std::vector<std::string> repaired_files;
};

struct Recovered {
  uint32_t accepted_epoch = 0;
  uint32_t current_epoch = 0;
  Snapshot snapshot;
  std::vector<Record> log;  // every record after snapshot.zxid, in zxid order
  RecoveryReport report;
};

struct Options {
  uint64_t segment_bytes_max = 64 << 20;  // roll to a new log segment past this
  // Log space allocated ahead of the records (WritableFile::Reserve), in steps of this many bytes
  // (0: none). With it, an fdatasync after an append has only data to flush, not a new file size.
  // `storage_bench --benchmark_filter=AppendSync/` on this machine's ext4, 2026-12-04, two runs:
  // one 128-byte record per fdatasync 169-215 us without, 116-120 us with 1 MiB (130-147 with
  // 16 MiB); 16 records per fdatasync 232-272 us without, 187-211 us with 1 MiB. 1 MiB, not more:
  // faultline keeps every run's three data dirs, and at 16 MiB each run folder grew by 48 MiB of
  // zeros. A roll trims the zeros off the segment it leaves; recovery trims them off the last one
  // (RecoveryReport::zero_tail_bytes).
  uint64_t reserve_bytes = 1 << 20;
  uint32_t snapshots_retained = 2;  // older snapshots, and log segments wholly below the
                                    // oldest retained snapshot, are deleted (0 acts as 1)
  // zabd --repair. A missing acceptedEpoch / currentEpoch file on a data dir that holds a log or
  // a snapshot is corruption: recreating it from the log's epoch could lower an epoch this node
  // already promised (zab.md 7.3 rule 4) or certified (rule 1). Only with this set does recovery
  // recreate it (acceptedEpoch = max(currentEpoch, epoch of the last zxid), currentEpoch = the
  // epoch of the last zxid) and report it in RecoveryReport::repaired_files. An operator's
  // decision, never a default.
  bool repair_missing_epoch_files = false;
};

class Storage {
 public:
  // Opens (creating if absent) the data directory and recovers it. Errors (exit code 2 in zabd):
  // corruption before the tail, a zxid gap, epoch files contradicting the log or missing beside
  // a log or snapshot (see Options::repair_missing_epoch_files) — the message names the file,
  // offset and zxid. A torn record at the very tail is cut off and reported.
  // A corrupt newest snapshot falls back to an older one only if the log rebuilds from there (see
  // report.skipped_snapshots). `recovered` may be null.
  static faultline::Result<std::unique_ptr<Storage>> Open(Env* env, std::string dir,
                                                          Options options, Recovered* recovered);
  virtual ~Storage() = default;

  // Buffered append; durable only after Sync(). Rejects a zxid that is not above the last one,
  // or a same-epoch gap (zab.md 7.3 rule 3).
  virtual faultline::Status Append(const Record& record) = 0;
  // One fsync covering every record appended since the last Sync (group commit); no fsync when
  // nothing was appended. A segment roll inside Append fsyncs the finished segment.
  virtual faultline::Status Sync() = 0;
  // Sync split in two, for an owner that fsyncs off its own thread (zabd: its event loop keeps
  // reading, pinging and logging new appends while the disk works). StartSync() writes out what
  // Append buffered and returns the fsync to run, on any one thread, covering every Append so
  // far; or an empty job when nothing is unsynced. The job touches only the segment file it
  // captured (and keeps it alive), so the owner may keep calling Append meanwhile: the next
  // StartSync covers those. Until FinishSync(), every other mutating call (Sync, TruncateAfter,
  // the snapshots, the epoch files) and a second StartSync return InvalidArgument and change
  // nothing: they promise durable order, which an fsync still running cannot give.
  // FinishSync(the job's result) ends it; an error is kept as a Sync error is.
  using SyncJob = std::function<faultline::Status()>;
  virtual SyncJob StartSync() = 0;
  virtual faultline::Status FinishSync(faultline::Status job_result) = 0;
  virtual bool sync_in_flight() const = 0;
  // Durably remove every record with zxid > keep_up_to and every snapshot newer than it
  // (zab.md 7.3 rule 5). Syncs pending appends first. InvalidArgument (nothing changed) if no
  // snapshot at or below keep_up_to would remain and the log no longer reaches back to it.
  virtual faultline::Status TruncateAfter(uint64_t keep_up_to) = 0;
  // Durably write a snapshot of committed state at zxid, then compact: drop snapshots beyond
  // `snapshots_retained` and log segments wholly covered by the oldest retained snapshot. Syncs
  // pending appends first. InvalidArgument if zxid > last_zxid().
  virtual faultline::Status WriteSnapshot(uint64_t zxid, const std::string& state) = 0;
  // SNAP sync: durably replace everything (log and snapshots) with this snapshot; afterwards
  // last_zxid() == zxid. A crash part-way leaves the old state or the new one (records above zxid
  // may already be gone, as after a TRUNC).
  virtual faultline::Status InstallSnapshot(uint64_t zxid, const std::string& state) = 0;
  // Atomically and durably replace an epoch file. Syncs pending appends first (durable order).
  virtual faultline::Status WriteAcceptedEpoch(uint32_t epoch) = 0;
  virtual faultline::Status WriteCurrentEpoch(uint32_t epoch) = 0;

  // The newest zxid appended (synced or not), or of the snapshot if the log holds nothing newer.
  virtual uint64_t last_zxid() const = 0;
  // Every fsync/fdatasync issued so far: log segments, snapshots, epoch files, directories.
  virtual uint64_t fsync_count() const = 0;
};

}  // namespace storage
