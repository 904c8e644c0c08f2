// Env: the seam between storage and the file system (LevelDB style). Every byte storage reads or
// writes, and every directory operation, goes through an Env, so tests can run storage in memory
// (MemEnv), crash it (drop every byte and directory operation that was not synced) and inject
// EIO/ENOSPC (FaultyEnv).
//
// Durability contract, the same for every implementation (it is POSIX's):
//   - WritableFile::Append makes bytes visible to readers, not durable. Sync makes every byte
//     appended so far durable.
//   - CreateDir, Rename, Remove and the creation of a file are durable only after SyncDir on the
//     directory that holds the entry. The Env never syncs a directory on its own: the caller
//     decides when (storage always does right after, so each step has a defined crash state).
//   - Truncate is durable when it returns (truncate, then fsync of the file).
// An error Status means the operation may or may not have taken effect (a failed write may have
// written a prefix; a failed fsync leaves the file in an unknown state); callers must not retry a
// failed Sync and treat the file as good (fsyncgate).
//
// Paths are plain strings joined with '/'. Thread-safety: an Env may be shared by one owner thread
// at a time; implementations are not internally synchronised.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace storage {

// A file open for appending. Owned by the caller; destroying it closes it without syncing.
class WritableFile {
 public:
  virtual ~WritableFile() = default;
  virtual faultline::Status Append(std::string_view data) = 0;
  // fdatasync: every byte appended so far, and the file size, are durable when this returns ok.
  virtual faultline::Status Sync() = 0;
  // A hint: allocate the `bytes` after the append position now, reading as zeros, so that later
  // Appends overwrite allocated blocks and their fdatasync has no file-size change to flush
  // (ZooKeeper preallocates its txn log for the same reason). The append position does not move;
  // the file may become longer than what was appended, and the zeros may survive a crash, so a
  // reader of a reserved file must treat a zero-filled tail as no data. An Env may ignore the
  // hint (the in-memory ones do); PosixEnv honours it. An error (no room: ENOSPC, EFBIG; no
  // fallocate: EOPNOTSUPP) leaves what was appended as it was; callers may go on appending.
  virtual faultline::Status Reserve(uint64_t bytes) = 0;
};

// An exclusive advisory lock (flock) on a file; released when destroyed.
class FileLock {
 public:
  virtual ~FileLock() = default;
};

class Env {
 public:
  virtual ~Env() = default;

  // Opens `path` for appending at its end, creating it (empty) if absent.
  virtual faultline::Result<std::unique_ptr<WritableFile>> NewAppendableFile(
      const std::string& path) = 0;
  // Opens `path` empty: creates it, or truncates an existing file (not durably).
  virtual faultline::Result<std::unique_ptr<WritableFile>> NewWritableFile(
      const std::string& path) = 0;
  // The whole current content (synced or not). NotFound if absent.
  virtual faultline::Result<std::string> ReadFile(const std::string& path) = 0;
  // Cuts `path` to `size` bytes and fsyncs it; durable on return.
  virtual faultline::Status Truncate(const std::string& path, uint64_t size) = 0;
  // Atomically replaces `to` with `from` (durable after SyncDir of the directory).
  virtual faultline::Status Rename(const std::string& from, const std::string& to) = 0;
  // Removes a file (durable after SyncDir). NotFound if absent.
  virtual faultline::Status Remove(const std::string& path) = 0;
  // Entry names (not paths) in `dir`, without "." and "..", in no particular order.
  virtual faultline::Result<std::vector<std::string>> ListDir(const std::string& dir) = 0;
  // Creates `dir` if absent (its parent must exist); ok if it already exists.
  virtual faultline::Status CreateDir(const std::string& dir) = 0;
  // fsync of a directory: makes creations, renames and removals of its entries durable.
  virtual faultline::Status SyncDir(const std::string& dir) = 0;
  virtual bool Exists(const std::string& path) = 0;
  virtual faultline::Result<uint64_t> FileSize(const std::string& path) = 0;
  // Locks `path` (created if absent) for the caller alone; IoError naming the path if it is held
  // already, by another process or by another lock in this one.
  virtual faultline::Result<std::unique_ptr<FileLock>> LockFile(const std::string& path) = 0;
};

// The real file system: write(2), fdatasync(2), fsync(2) on directories. Never deleted.
Env* PosixEnv();

// "a/b" + "c" -> "a/b/c"; Dirname("a/b/c") -> "a/b" ("." for a bare name).
std::string JoinPath(const std::string& dir, const std::string& name);
std::string Dirname(const std::string& path);

}  // namespace storage
