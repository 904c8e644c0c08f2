// PowerLossEnv: unsynced writes and directory operations held in memory (power_loss_env.h).
#include "server/storage/power_loss_env.h"

#include <set>

namespace storage {
namespace {

using faultline::Result;
using faultline::Status;

constexpr std::string_view kStagingPrefix = ".powerloss-";

bool IsStaging(const std::string& name) { return name.rfind(kStagingPrefix, 0) == 0; }

std::string Basename(const std::string& path) {
  size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

class HeldFile final : public WritableFile {
 public:
  HeldFile(PowerLossEnv* env, std::shared_ptr<PowerLossEnv::Inode> inode)
      : env_(env), inode_(std::move(inode)) {}
  Status Append(std::string_view data) override {
    inode_->held.append(data);
    return Status::Ok();
  }
  Status Sync() override { return env_->SyncInode(*inode_); }
  // Ignored: held bytes reach the disk only at Sync, appended there, so no zeros are ever ahead.
  Status Reserve(uint64_t /*bytes*/) override { return Status::Ok(); }

 private:
  PowerLossEnv* env_;
  std::shared_ptr<PowerLossEnv::Inode> inode_;
};

}  // namespace

std::shared_ptr<PowerLossEnv::Inode> PowerLossEnv::Lookup(const std::string& path) {
  auto it = view_.find(path);
  if (it != view_.end()) return it->second;
  if (IsStaging(Basename(path)) || !base_->FileSize(path).ok()) return nullptr;
  auto inode = std::make_shared<Inode>();
  inode->disk_name = path;
  view_[path] = inode;
  return inode;
}

Result<std::shared_ptr<PowerLossEnv::Inode>> PowerLossEnv::Create(const std::string& path) {
  const std::string dir = Dirname(path);
  auto inode = std::make_shared<Inode>();
  inode->disk_name = JoinPath(dir, std::string(kStagingPrefix) + std::to_string(next_staging_++));
  // The staging file exists on disk at once (empty, hidden); the name waits for SyncDir.
  auto file = base_->NewWritableFile(inode->disk_name);
  if (!file.ok()) return file.status();
  inode->disk = std::move(file).value();
  view_[path] = inode;
  pending_[dir].push_back(DirOp{inode, path});
  return inode;
}

Status PowerLossEnv::SyncInode(Inode& inode) {
  if (inode.disk_name.empty()) {  // removed, and the removal synced: nothing left to keep
    inode.held.clear();
    return Status::Ok();
  }
  if (inode.emptied || !inode.disk) {
    auto file = inode.emptied ? base_->NewWritableFile(inode.disk_name)
                              : base_->NewAppendableFile(inode.disk_name);
    if (!file.ok()) return file.status();
    inode.disk = std::move(file).value();
    inode.emptied = false;
  }
  if (auto s = inode.disk->Append(inode.held); !s.ok()) return s;
  inode.held.clear();
  return inode.disk->Sync();
}

Result<std::unique_ptr<WritableFile>> PowerLossEnv::Open(const std::string& path, bool empty) {
  std::shared_ptr<Inode> inode = Lookup(path);
  if (!inode) {
    auto created = Create(path);
    if (!created.ok()) return created.status();
    inode = std::move(created).value();
  } else if (empty) {
    inode->emptied = true;  // not durably: the old bytes stay on disk until the next Sync
    inode->held.clear();
  }
  return std::unique_ptr<WritableFile>(std::make_unique<HeldFile>(this, inode));
}

Result<std::unique_ptr<WritableFile>> PowerLossEnv::NewAppendableFile(const std::string& path) {
  return Open(path, /*empty=*/false);
}

Result<std::unique_ptr<WritableFile>> PowerLossEnv::NewWritableFile(const std::string& path) {
  return Open(path, /*empty=*/true);
}

Result<std::string> PowerLossEnv::ReadFile(const std::string& path) {
  std::shared_ptr<Inode> inode = Lookup(path);
  if (!inode) return Status::NotFound(path + ": no such file");
  std::string content;
  if (!inode->emptied && !inode->disk_name.empty()) {
    auto disk = base_->ReadFile(inode->disk_name);
    if (!disk.ok()) return disk.status();
    content = std::move(disk).value();
  }
  return content + inode->held;
}

Result<uint64_t> PowerLossEnv::FileSize(const std::string& path) {
  std::shared_ptr<Inode> inode = Lookup(path);
  if (!inode) return Status::NotFound(path + ": no such file");
  uint64_t size = 0;
  if (!inode->emptied && !inode->disk_name.empty()) {
    auto disk = base_->FileSize(inode->disk_name);
    if (!disk.ok()) return disk.status();
    size = *disk;
  }
  return size + inode->held.size();
}

Status PowerLossEnv::Truncate(const std::string& path, uint64_t size) {
  std::shared_ptr<Inode> inode = Lookup(path);
  if (!inode) return Status::NotFound(path + ": no such file");
  // Durable on return (env.h): everything up to `size` must be on disk, so sync, then cut.
  if (auto s = SyncInode(*inode); !s.ok()) return s;
  if (inode->disk_name.empty()) return Status::Ok();
  return base_->Truncate(inode->disk_name, size);
}

Status PowerLossEnv::Rename(const std::string& from, const std::string& to) {
  std::shared_ptr<Inode> inode = Lookup(from);
  if (!inode) return Status::NotFound(from + ": rename to " + to + ": no such file");
  view_[from] = nullptr;
  view_[to] = inode;
  pending_[Dirname(to)].push_back(DirOp{inode, to});
  return Status::Ok();
}

Status PowerLossEnv::Remove(const std::string& path) {
  std::shared_ptr<Inode> inode = Lookup(path);
  if (!inode) return Status::NotFound(path + ": unlink: no such file");
  view_[path] = nullptr;
  pending_[Dirname(path)].push_back(DirOp{inode, ""});
  return Status::Ok();
}

Result<std::vector<std::string>> PowerLossEnv::ListDir(const std::string& dir) {
  auto on_disk = base_->ListDir(dir);
  if (!on_disk.ok()) return on_disk.status();
  std::set<std::string> names;
  for (const std::string& name : *on_disk) {
    if (IsStaging(name)) continue;
    auto it = view_.find(JoinPath(dir, name));
    if (it == view_.end() || it->second) names.insert(name);
  }
  for (const auto& [path, inode] : view_) {
    if (inode && Dirname(path) == dir) names.insert(Basename(path));
  }
  return std::vector<std::string>(names.begin(), names.end());
}

Status PowerLossEnv::CreateDir(const std::string& dir) { return base_->CreateDir(dir); }

Status PowerLossEnv::SyncDir(const std::string& dir) {
  auto it = pending_.find(dir);
  if (it != pending_.end()) {
    std::vector<DirOp> ops = std::move(it->second);
    pending_.erase(it);
    for (DirOp& op : ops) {
      Inode& inode = *op.inode;
      if (inode.disk_name.empty()) continue;  // already removed on disk
      if (op.to.empty()) {
        if (auto s = base_->Remove(inode.disk_name);
            !s.ok() && s.code() != faultline::StatusCode::kNotFound)
          return s;
        inode.disk_name.clear();
      } else if (inode.disk_name != op.to) {
        if (auto s = base_->Rename(inode.disk_name, op.to); !s.ok()) return s;
        inode.disk_name = op.to;
      }
    }
  }
  return base_->SyncDir(dir);
}

bool PowerLossEnv::Exists(const std::string& path) {
  auto it = view_.find(path);
  if (it != view_.end()) return it->second != nullptr;
  if (IsStaging(Basename(path))) return false;
  return base_->Exists(path);
}

Result<std::unique_ptr<FileLock>> PowerLossEnv::LockFile(const std::string& path) {
  return base_->LockFile(path);
}

uint64_t PowerLossEnv::held_bytes() const {
  uint64_t n = 0;
  std::set<const Inode*> seen;
  for (const auto& [path, inode] : view_) {
    if (inode && seen.insert(inode.get()).second) n += inode->held.size();
  }
  return n;
}

size_t PowerLossEnv::held_dir_ops() const {
  size_t n = 0;
  for (const auto& [dir, ops] : pending_) n += ops.size();
  return n;
}

}  // namespace storage
