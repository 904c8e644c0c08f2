// FaultyEnv: see faulty_env.h.
#include "server/storage/faulty_env.h"

#include <cerrno>
#include <cstring>
#include <utility>

namespace storage {
namespace {

using faultline::Result;
using faultline::Status;

class FaultyWritableFile final : public WritableFile {
 public:
  FaultyWritableFile(FaultyEnv* env, std::string path, std::unique_ptr<WritableFile> base)
      : env_(env), path_(std::move(path)), base_(std::move(base)) {}

  Status Append(std::string_view data) override {
    Status s = env_->CheckWrite(path_);
    if (!s.ok()) {
      // A full disk accepts a prefix before it says no: leave half a write behind.
      if (env_->write_errno() == ENOSPC && data.size() > 1) {
        (void)base_->Append(data.substr(0, data.size() / 2));
      }
      return s;
    }
    return base_->Append(data);
  }

  Status Sync() override {
    Status s = env_->CheckSync(path_);
    if (!s.ok()) return s;
    return base_->Sync();
  }

  // Passed through, never failed: storage ignores a failed Reserve (a hint), so a full disk is
  // modelled by the writes that follow it.
  Status Reserve(uint64_t bytes) override { return base_->Reserve(bytes); }

 private:
  FaultyEnv* env_;
  std::string path_;
  std::unique_ptr<WritableFile> base_;
};

bool Take(uint64_t* left) {
  if (*left == 0) return false;
  if (*left != std::numeric_limits<uint64_t>::max()) --*left;
  return true;
}

}  // namespace

void FaultyEnv::FailWritesAfter(uint64_t n, int err) {
  writes_left_ = n;
  write_errno_ = err;
}
void FaultyEnv::FailSyncsAfter(uint64_t n, int err) {
  syncs_left_ = n;
  sync_errno_ = err;
}
void FaultyEnv::FailPathsContaining(std::string substring, int err) {
  path_substring_ = std::move(substring);
  path_errno_ = err;
}
void FaultyEnv::FailEverythingAfter(uint64_t n) { mutations_left_ = n; }
void FaultyEnv::Heal() {
  writes_left_ = syncs_left_ = mutations_left_ = kNever;
  write_errno_ = sync_errno_ = path_errno_ = 0;
  path_substring_.clear();
}

Status FaultyEnv::Inject(const std::string& path, int err) {
  ++injected_failures_;
  return Status::IoError(path + ": injected fault: " + std::strerror(err));
}

Status FaultyEnv::CheckMutation(const std::string& path) {
  if (!Take(&mutations_left_)) return Inject(path, EIO);
  return Status::Ok();
}

Status FaultyEnv::CheckWrite(const std::string& path) {
  if (Status s = CheckMutation(path); !s.ok()) return s;
  if (!path_substring_.empty() && path.find(path_substring_) != std::string::npos) {
    return Inject(path, path_errno_);
  }
  if (!Take(&writes_left_)) return Inject(path, write_errno_);
  return Status::Ok();
}

Status FaultyEnv::CheckSync(const std::string& path) {
  if (Status s = CheckMutation(path); !s.ok()) return s;
  if (!path_substring_.empty() && path.find(path_substring_) != std::string::npos) {
    return Inject(path, path_errno_);
  }
  if (!Take(&syncs_left_)) return Inject(path, sync_errno_);
  return Status::Ok();
}

Result<std::unique_ptr<WritableFile>> FaultyEnv::NewAppendableFile(const std::string& path) {
  if (Status s = CheckMutation(path); !s.ok()) return s;
  auto file = base_->NewAppendableFile(path);
  if (!file.ok()) return file.status();
  return std::unique_ptr<WritableFile>(
      std::make_unique<FaultyWritableFile>(this, path, std::move(file).value()));
}

Result<std::unique_ptr<WritableFile>> FaultyEnv::NewWritableFile(const std::string& path) {
  if (Status s = CheckMutation(path); !s.ok()) return s;
  auto file = base_->NewWritableFile(path);
  if (!file.ok()) return file.status();
  return std::unique_ptr<WritableFile>(
      std::make_unique<FaultyWritableFile>(this, path, std::move(file).value()));
}

Result<std::string> FaultyEnv::ReadFile(const std::string& path) { return base_->ReadFile(path); }

Status FaultyEnv::Truncate(const std::string& path, uint64_t size) {
  if (Status s = CheckWrite(path); !s.ok()) return s;
  return base_->Truncate(path, size);
}

Status FaultyEnv::Rename(const std::string& from, const std::string& to) {
  if (Status s = CheckMutation(from); !s.ok()) return s;
  return base_->Rename(from, to);
}

Status FaultyEnv::Remove(const std::string& path) {
  if (Status s = CheckMutation(path); !s.ok()) return s;
  return base_->Remove(path);
}

Result<std::vector<std::string>> FaultyEnv::ListDir(const std::string& dir) {
  return base_->ListDir(dir);
}

Status FaultyEnv::CreateDir(const std::string& dir) {
  if (Status s = CheckMutation(dir); !s.ok()) return s;
  return base_->CreateDir(dir);
}

Status FaultyEnv::SyncDir(const std::string& dir) {
  if (Status s = CheckSync(dir); !s.ok()) return s;
  return base_->SyncDir(dir);
}

bool FaultyEnv::Exists(const std::string& path) { return base_->Exists(path); }

Result<uint64_t> FaultyEnv::FileSize(const std::string& path) { return base_->FileSize(path); }

Result<std::unique_ptr<FileLock>> FaultyEnv::LockFile(const std::string& path) {
  return base_->LockFile(path);
}

}  // namespace storage
