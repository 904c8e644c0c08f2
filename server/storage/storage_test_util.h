// Helpers shared by the storage tests: zxids, payloads, and a Storage opened on a MemEnv.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "server/storage/log_format.h"
#include "server/storage/mem_env.h"
#include "server/storage/storage.h"

namespace storage {

// gtest prints records readably in failures.
inline void PrintTo(const Record& r, std::ostream* os) {
  *os << ZxidHex(r.zxid) << ":\"" << r.payload << "\"";
}

namespace testing {

inline uint64_t Z(uint32_t epoch, uint32_t counter) { return (uint64_t{epoch} << 32) | counter; }

inline std::string PayloadFor(uint64_t zxid) { return "txn-" + ZxidHex(zxid) + "-payload"; }

inline Record R(uint32_t epoch, uint32_t counter) {
  return Record{Z(epoch, counter), PayloadFor(Z(epoch, counter))};
}

// Records (epoch, 1..n).
inline std::vector<Record> Recs(uint32_t epoch, uint32_t first, uint32_t last) {
  std::vector<Record> out;
  for (uint32_t c = first; c <= last; ++c) out.push_back(R(epoch, c));
  return out;
}

inline std::string SegmentPath(const std::string& dir, uint64_t first_zxid) {
  return dir + "/log/log." + Hex16(first_zxid);
}

// A data directory on an Env (a MemEnv by default) that a test opens, fills, crashes, reopens.
class StorageFixture : public ::testing::Test {
 protected:
  static constexpr char kDir[] = "/db";

  faultline::Status Open(Env* env = nullptr) {
    st_.reset();
    rec_ = Recovered{};
    auto r = Storage::Open(env ? env : &mem_, kDir, options_, &rec_);
    if (!r.ok()) return r.status();
    st_ = std::move(r).value();
    return faultline::Status::Ok();
  }

  void OpenOk(Env* env = nullptr) {
    faultline::Status s = Open(env);
    ASSERT_TRUE(s.ok()) << s.ToString();
  }

  // Fresh directory with both epoch files at `epoch`.
  void OpenFresh(uint32_t epoch) {
    OpenOk();
    ASSERT_TRUE(st_->WriteAcceptedEpoch(epoch).ok());
    ASSERT_TRUE(st_->WriteCurrentEpoch(epoch).ok());
  }

  void AppendAll(const std::vector<Record>& records, bool sync = true) {
    for (const Record& r : records) {
      faultline::Status s = st_->Append(r);
      ASSERT_TRUE(s.ok()) << s.ToString();
    }
    if (sync) {
      ASSERT_TRUE(st_->Sync().ok());
    }
  }

  // Destroys the Storage (no sync), drops what was not synced, reopens.
  void CrashAndReopen() {
    st_.reset();
    mem_.Crash();
    OpenOk();
  }

  // Writes `bytes` as the durable content of `path` (created and its directory synced).
  void Plant(const std::string& path, const std::string& bytes) {
    auto f = mem_.NewWritableFile(path);
    ASSERT_TRUE(f.ok()) << f.status().ToString();
    ASSERT_TRUE(f.value()->Append(bytes).ok());
    ASSERT_TRUE(f.value()->Sync().ok());
    ASSERT_TRUE(mem_.SyncDir(Dirname(path)).ok());
  }

  std::string Contents(const std::string& path) {
    auto r = mem_.ReadFile(path);
    return r.ok() ? r.value() : "";
  }

  std::vector<std::string> List(const std::string& dir) {
    auto names = mem_.ListDir(dir);
    if (!names.ok()) return {};
    std::sort(names.value().begin(), names.value().end());
    return names.value();
  }

  // Segment file names in the log directory, sorted.
  std::vector<std::string> Segments() {
    std::vector<std::string> out;
    for (const std::string& name : List(std::string(kDir) + "/log")) {
      if (name.rfind("log.", 0) == 0) out.push_back(name);
    }
    return out;
  }

  MemEnv mem_;
  Options options_;
  std::unique_ptr<Storage> st_;
  Recovered rec_;
};

inline std::vector<Record> Concat(std::vector<Record> a, const std::vector<Record>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

}  // namespace testing
}  // namespace storage
