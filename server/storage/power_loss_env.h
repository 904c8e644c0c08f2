// PowerLossEnv: wraps an Env (the real file system in `zabd --power-loss-sim`) and holds in this
// process's memory everything the durability contract (env.h) does not yet promise, so that a
// SIGKILL of the process loses exactly what a power cut would (issue 11). Without it the page
// cache keeps every write(2) across a SIGKILL, and fsync-ordering bugs cannot be seen by a kill.
//
// What reaches the wrapped Env, and when:
//   - WritableFile::Append: nothing; the bytes wait in memory. Sync writes them to the file and
//     syncs it, so after Sync they are on disk and durable.
//   - Creating a file: an empty hidden staging file (".powerloss-N") is made in the directory at
//     once; the name appears only at SyncDir of that directory (staging renamed to the name).
//   - Rename and Remove: recorded, applied (in order) at SyncDir of the directory that holds the
//     target name (Rename) or the removed name (Remove).
//   - Truncate: as the contract says, durable on return: the file is synced, then truncated.
//   - CreateDir and LockFile: passed through at once (storage syncs the parent right after).
// Readers in this process see the current state (held bytes and pending names included), as
// POSIX readers see the page cache. After a kill, a fresh PowerLossEnv over the same directory
// sees what was durable; staging leftovers are hidden from ListDir (and never collide: the
// counter restarts, NewWritableFile truncates).
//
// Does not own `base`. Thread-safety: none (like every Env).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "server/storage/env.h"

namespace storage {

class PowerLossEnv final : public Env {
 public:
  explicit PowerLossEnv(Env* base) : base_(base) {}

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

  // What a power cut would lose right now (for tests and INFO): appended bytes not yet synced,
  // and directory operations not yet synced.
  uint64_t held_bytes() const;
  size_t held_dir_ops() const;

  // One file's state here. disk_name is where its durable bytes live on `base`: its own name, a
  // staging name until its creation is synced, or "" once its removal is synced.
  struct Inode {
    std::string disk_name;
    bool emptied = false;  // NewWritableFile emptied it; the disk bytes are stale until Sync
    std::string held;      // appended since the last Sync
    std::unique_ptr<WritableFile> disk;  // open handle on disk_name (opened at the first Sync)
  };
  faultline::Status SyncInode(Inode& inode);

 private:
  struct DirOp {
    std::shared_ptr<Inode> inode;
    std::string to;  // the name it gets; "" = remove
  };
  // The inode at `path` (loaded from base on first use), or nullptr if there is none.
  std::shared_ptr<Inode> Lookup(const std::string& path);
  faultline::Result<std::shared_ptr<Inode>> Create(const std::string& path);
  // The file at `path`, created if absent; `empty`: NewWritableFile's (non-durable) emptying.
  faultline::Result<std::unique_ptr<WritableFile>> Open(const std::string& path, bool empty);

  Env* base_;
  std::map<std::string, std::shared_ptr<Inode>> view_;  // nullptr: known absent (hides base)
  std::map<std::string, std::vector<DirOp>> pending_;   // by directory
  uint64_t next_staging_ = 0;
};

}  // namespace storage
