// WriteFileAtomically: see atomic_file.h.
#include "server/storage/atomic_file.h"

namespace storage {

faultline::Status WriteFileAtomically(Env* env, const std::string& dir, const std::string& name,
                                      const std::string& contents, uint64_t* fsyncs) {
  const std::string path = JoinPath(dir, name);
  const std::string tmp = path + kTmpSuffix;
  auto file = env->NewWritableFile(tmp);
  if (!file.ok()) return file.status();
  if (auto s = file.value()->Append(contents); !s.ok()) return s;
  // The bytes are durable before the name points at them, or a crash could expose an empty file.
  if (auto s = file.value()->Sync(); !s.ok()) return s;
  if (fsyncs) ++*fsyncs;
  file.value().reset();
  if (auto s = env->Rename(tmp, path); !s.ok()) return s;
  if (auto s = env->SyncDir(dir); !s.ok()) return s;
  if (fsyncs) ++*fsyncs;
  return faultline::Status::Ok();
}

}  // namespace storage
