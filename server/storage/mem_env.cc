// MemEnv: see mem_env.h for the crash model.
#include "server/storage/mem_env.h"

#include <utility>

namespace storage {
namespace {

using faultline::Result;
using faultline::Status;

class MemWritableFile final : public WritableFile {
 public:
  explicit MemWritableFile(std::shared_ptr<MemEnv::Inode> inode) : inode_(std::move(inode)) {}
  Status Append(std::string_view data) override {
    inode_->data.append(data);
    return Status::Ok();
  }
  Status Sync() override {
    if (inode_->durable_is_prefix) {
      inode_->durable.append(inode_->data, inode_->durable.size());
    } else {
      inode_->durable = inode_->data;
      inode_->durable_is_prefix = true;
    }
    return Status::Ok();
  }
  // The hint is ignored: memory has no blocks to allocate, and the simulator's disk stays lean.
  Status Reserve(uint64_t /*bytes*/) override { return Status::Ok(); }

 private:
  std::shared_ptr<MemEnv::Inode> inode_;
};

class MemFileLock final : public FileLock {
 public:
  MemFileLock(std::shared_ptr<std::set<std::string>> locked, std::string path)
      : locked_(std::move(locked)), path_(std::move(path)) {}
  ~MemFileLock() override { locked_->erase(path_); }

 private:
  std::shared_ptr<std::set<std::string>> locked_;
  std::string path_;
};

}  // namespace

Result<std::unique_ptr<FileLock>> MemEnv::LockFile(const std::string& path) {
  if (!locked_->insert(path).second) {
    return Status::IoError(path + ": locked by another user of the directory");
  }
  return std::unique_ptr<FileLock>(std::make_unique<MemFileLock>(locked_, path));
}

std::shared_ptr<MemEnv::Inode> MemEnv::Find(const std::string& path) const {
  auto it = current_.find(path);
  return it == current_.end() ? nullptr : it->second;
}

bool MemEnv::DirExists(const std::string& dir) const {
  if (auto inode = Find(dir)) return inode->is_dir;
  return created_dirs_.count(dir) == 0;  // never created by us: an implicit root
}

Result<std::unique_ptr<WritableFile>> MemEnv::NewAppendableFile(const std::string& path) {
  auto inode = Find(path);
  if (inode && inode->is_dir) return Status::IoError(path + ": is a directory");
  if (!inode) {
    if (!DirExists(Dirname(path))) return Status::NotFound(path + ": no such directory");
    inode = std::make_shared<Inode>();
    current_[path] = inode;
  }
  return std::unique_ptr<WritableFile>(std::make_unique<MemWritableFile>(inode));
}

Result<std::unique_ptr<WritableFile>> MemEnv::NewWritableFile(const std::string& path) {
  auto file = NewAppendableFile(path);
  if (!file.ok()) return file.status();
  Inode& inode = *current_[path];
  inode.data.clear();  // O_TRUNC on the same inode; not durable until Sync
  inode.durable_is_prefix = inode.durable.empty();
  return file;
}

Result<std::string> MemEnv::ReadFile(const std::string& path) {
  auto inode = Find(path);
  if (!inode || inode->is_dir) return Status::NotFound(path + ": no such file");
  return inode->data;
}

Status MemEnv::Truncate(const std::string& path, uint64_t size) {
  auto inode = Find(path);
  if (!inode || inode->is_dir) return Status::NotFound(path + ": no such file");
  if (size < inode->data.size()) inode->data.resize(size);
  inode->durable = inode->data;  // truncate + fsync
  inode->durable_is_prefix = true;
  return Status::Ok();
}

Status MemEnv::Rename(const std::string& from, const std::string& to) {
  auto inode = Find(from);
  if (!inode) return Status::NotFound(from + ": no such file");
  if (!DirExists(Dirname(to))) return Status::NotFound(to + ": no such directory");
  current_[to] = inode;
  current_.erase(from);
  return Status::Ok();
}

Status MemEnv::Remove(const std::string& path) {
  auto inode = Find(path);
  if (!inode || inode->is_dir) return Status::NotFound(path + ": no such file");
  current_.erase(path);
  return Status::Ok();
}

Result<std::vector<std::string>> MemEnv::ListDir(const std::string& dir) {
  if (!DirExists(dir)) return Status::NotFound(dir + ": no such directory");
  std::vector<std::string> names;
  for (const auto& [path, inode] : current_) {
    if (Dirname(path) == dir) names.push_back(path.substr(path.find_last_of('/') + 1));
  }
  return names;
}

Status MemEnv::CreateDir(const std::string& dir) {
  if (auto inode = Find(dir)) {
    return inode->is_dir ? Status::Ok() : Status::IoError(dir + ": exists, not a directory");
  }
  if (!DirExists(Dirname(dir))) return Status::NotFound(dir + ": no parent directory");
  auto inode = std::make_shared<Inode>();
  inode->is_dir = true;
  current_[dir] = inode;
  created_dirs_.insert(dir);
  return Status::Ok();
}

Status MemEnv::SyncDir(const std::string& dir) {
  if (!DirExists(dir)) return Status::NotFound(dir + ": no such directory");
  for (auto it = durable_.begin(); it != durable_.end();) {
    it = Dirname(it->first) == dir ? durable_.erase(it) : std::next(it);
  }
  for (const auto& [path, inode] : current_) {
    if (Dirname(path) == dir) durable_[path] = inode;
  }
  return Status::Ok();
}

bool MemEnv::Exists(const std::string& path) { return Find(path) != nullptr; }

Result<uint64_t> MemEnv::FileSize(const std::string& path) {
  auto inode = Find(path);
  if (!inode || inode->is_dir) return Status::NotFound(path + ": no such file");
  return static_cast<uint64_t>(inode->data.size());
}

void MemEnv::Crash() {
  current_ = durable_;
  // Entries below a directory whose own creation was lost vanish with it.
  for (bool changed = true; changed;) {
    changed = false;
    for (auto it = current_.begin(); it != current_.end();) {
      if (!DirExists(Dirname(it->first))) {
        it = current_.erase(it);
        changed = true;
      } else {
        ++it;
      }
    }
  }
  durable_ = current_;
  for (auto& [path, inode] : current_) {
    inode->data = inode->durable;
    inode->durable_is_prefix = true;
  }
}

std::unique_ptr<MemEnv> MemEnv::CrashImage() const {
  auto image = std::make_unique<MemEnv>();
  std::map<const Inode*, std::shared_ptr<Inode>> copies;  // one copy per inode (hard links)
  for (const auto& [path, inode] : durable_) {
    std::shared_ptr<Inode>& copy = copies[inode.get()];
    if (!copy) {
      copy = std::make_shared<Inode>();
      copy->data = inode->durable;
      copy->durable = inode->durable;
      copy->is_dir = inode->is_dir;
    }
    image->durable_[path] = copy;
  }
  image->created_dirs_ = created_dirs_;
  image->Crash();  // drops entries below directories whose creation was not durable
  return image;
}

void MemEnv::CorruptFile(const std::string& path, const std::string& bytes) {
  auto inode = Find(path);
  if (!inode) return;
  inode->data = bytes;
  inode->durable = bytes;
  inode->durable_is_prefix = true;
}

uint64_t MemEnv::UnsyncedBytes(const std::string& path) {
  auto inode = Find(path);
  if (!inode || inode->data.size() < inode->durable.size()) return 0;
  return inode->data.size() - inode->durable.size();
}

}  // namespace storage
