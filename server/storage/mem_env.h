// MemEnv: an in-memory Env that can crash (LevelDB fault-injection style).
//
// Model: a file is an inode holding its current bytes and the bytes that are durable (what the
// last Sync or Truncate left). A directory holds names -> inodes twice: the current entries and
// the durable entries (what the last SyncDir of that directory left). Crash() replaces every
// directory's entries with its durable entries and every inode's bytes with its durable bytes,
// so exactly what was not synced is lost:
//   - bytes appended after the last Sync of a file;
//   - creations, renames and removals (of files and directories) after the last SyncDir of the
//     directory holding them (a renamed file reappears under its old name, a removed one comes
//     back, a created one vanishes, and so does everything below a vanished directory).
// Directories that were never created through CreateDir (the root of the test's paths) exist
// implicitly and durably.
//
// Open WritableFiles keep pointing at their inode across Crash(); a test destroys its Storage
// before (or right after) Crash() and reopens. Thread-safety: none.
#pragma once

#include <map>
#include <memory>
#include <set>
#include <string>

#include "server/storage/env.h"

namespace storage {

class MemEnv final : public Env {
 public:
  MemEnv() = default;

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
  // Locks are in memory only (no file is created) and survive nothing but their holder.
  faultline::Result<std::unique_ptr<FileLock>> LockFile(const std::string& path) override;

  // Power loss: drop every unsynced byte and every unsynced directory operation (see above).
  void Crash();
  // A new MemEnv holding exactly what Crash() would leave now; this env is unchanged (tests
  // recover it to see what is durable at some instant, e.g. when an ACK leaves).
  std::unique_ptr<MemEnv> CrashImage() const;

  // Test helpers: overwrite a file's bytes, current and durable alike (to plant corruption).
  void CorruptFile(const std::string& path, const std::string& bytes);
  // Bytes of `path` that are not yet durable (0 if absent).
  uint64_t UnsyncedBytes(const std::string& path);

  struct Inode {
    std::string data;
    std::string durable;
    bool durable_is_prefix = true;  // durable == data[0, durable.size()): Sync only appends
    bool is_dir = false;
  };

 private:
  using Entries = std::map<std::string, std::shared_ptr<Inode>>;  // full path -> inode

  std::shared_ptr<Inode> Find(const std::string& path) const;
  bool DirExists(const std::string& dir) const;

  Entries current_;
  Entries durable_;
  std::set<std::string> created_dirs_;
  std::shared_ptr<std::set<std::string>> locked_ =
      std::make_shared<std::set<std::string>>();  // every dir ever made by CreateDir (others are
                                                  // implicit)
};

}  // namespace storage
