// Atomic replacement of a small file: the AtomicFileWritingIdiom ZooKeeper uses for its epoch
// files (zab.md section 1): write `<name>.tmp`, fsync it, rename it over `<name>`, fsync the
// directory. A crash at any step leaves `<name>` holding either its old content or the new one,
// never a mix; a leftover `<name>.tmp` may hold anything (the caller decides what it means).
#pragma once

#include <string>

#include "common/status.h"
#include "server/storage/env.h"

namespace storage {

inline constexpr char kTmpSuffix[] = ".tmp";

// Durable on ok. On error the old content may still be in place; `*fsyncs` (if given) is
// increased by the number of fsyncs issued.
faultline::Status WriteFileAtomically(Env* env, const std::string& dir, const std::string& name,
                                      const std::string& contents, uint64_t* fsyncs = nullptr);

}  // namespace storage
