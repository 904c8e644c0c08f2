// FaultyEnv: wraps another Env and makes chosen operations fail, to prove that storage turns disk
// errors into a Status (never a crash, never a silently lost record). ZooKeeper's ZOOKEEPER-4882
// (a transient EIO left a hole in the log) is the bug class this exists to catch.
//
// Fault kinds (each can be combined; a failing operation returns IoError "<path>: <strerror>"):
//   - FailWritesAfter(n, err): after n more successful writes (WritableFile::Append, Truncate),
//     every write fails. With ENOSPC, a failing append first writes half of its bytes (a short
//     write, as a full disk does), so storage must cope with a partial record on disk.
//   - FailSyncsAfter(n, err): after n more successful syncs (WritableFile::Sync, SyncDir), every
//     sync fails without syncing anything.
//   - FailPathsContaining(substring, err): every write and sync touching such a path fails.
//   - FailEverythingAfter(n): after n more successful mutating operations of any kind (append,
//     sync, file creation, truncate, rename, remove, mkdir, dir sync) every one fails with EIO
//     and has no effect: the process "died" at that point. Combine with MemEnv::Crash() to test a
//     crash at every step of a protocol.
// Heal() clears every fault. Reads are never failed. Thread-safety: none. Does not own `base`.
#pragma once

#include <cstdint>
#include <limits>
#include <memory>
#include <string>

#include "server/storage/env.h"

namespace storage {

class FaultyEnv final : public Env {
 public:
  explicit FaultyEnv(Env* base) : base_(base) {}

  void FailWritesAfter(uint64_t n, int err);
  void FailSyncsAfter(uint64_t n, int err);
  void FailPathsContaining(std::string substring, int err);
  void FailEverythingAfter(uint64_t n);
  void Heal();

  // Operations that were made to fail so far.
  uint64_t injected_failures() const { return injected_failures_; }

  faultline::Result<std::unique_ptr<WritableFile>> NewAppendableFile(
      const std::string& path) override;
  faultline::Result<std::unique_ptr<WritableFile>> NewWritableFile(
      const std::string& path) override;
  faultline::Result<std::string> ReadFile(const std::string& path) override;
  faultline::Status Truncate(const std::string& path, uint64_t size) override;
  faultline::Status Rename(const std::string& from, const std::string& to) override;
  faultline::Status Remove(const std::string& path) override;
  faultline::Result<std::vector<std::string>> ListDir(const std::string& dir) override;
  faultline::Status CreateDir(const std::string& dir) override;
  faultline::Status SyncDir(const std::string& dir) override;
  bool Exists(const std::string& path) override;
  faultline::Result<uint64_t> FileSize(const std::string& path) override;
  faultline::Result<std::unique_ptr<FileLock>> LockFile(const std::string& path) override;

  // Used by the wrapped files. Each returns ok, or the injected error for `path`.
  faultline::Status CheckWrite(const std::string& path);
  faultline::Status CheckSync(const std::string& path);
  faultline::Status CheckMutation(const std::string& path);
  int write_errno() const { return write_errno_; }

 private:
  static constexpr uint64_t kNever = std::numeric_limits<uint64_t>::max();
  faultline::Status Inject(const std::string& path, int err);

  Env* base_;
  uint64_t writes_left_ = kNever;
  int write_errno_ = 0;
  uint64_t syncs_left_ = kNever;
  int sync_errno_ = 0;
  std::string path_substring_;
  int path_errno_ = 0;
  uint64_t mutations_left_ = kNever;
  uint64_t injected_failures_ = 0;
};

}  // namespace storage
