// MemEnv's crash model and FaultyEnv's injection, which every storage test relies on.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>

#include "server/storage/faulty_env.h"
#include "server/storage/log_format.h"
#include "server/storage/mem_env.h"

namespace storage {
namespace {

std::string Read(Env* env, const std::string& path) {
  auto r = env->ReadFile(path);
  return r.ok() ? r.value() : "<" + r.status().ToString() + ">";
}

TEST(MemEnvTest, CrashDropsUnsyncedBytesAndKeepsSyncedOnes) {
  MemEnv env;
  auto f = env.NewAppendableFile("/f");
  ASSERT_TRUE(f.ok());
  ASSERT_TRUE(env.SyncDir("/").ok());
  ASSERT_TRUE(f.value()->Append("synced").ok());
  ASSERT_TRUE(f.value()->Sync().ok());
  ASSERT_TRUE(f.value()->Append("-lost").ok());
  EXPECT_EQ(Read(&env, "/f"), "synced-lost");
  EXPECT_EQ(env.UnsyncedBytes("/f"), 5u);
  env.Crash();
  EXPECT_EQ(Read(&env, "/f"), "synced");
}

TEST(MemEnvTest, CrashForgetsACreationWhoseDirectoryWasNotSynced) {
  MemEnv env;
  auto f = env.NewAppendableFile("/new");
  ASSERT_TRUE(f.ok());
  ASSERT_TRUE(f.value()->Append("x").ok());
  ASSERT_TRUE(f.value()->Sync().ok());
  env.Crash();
  EXPECT_FALSE(env.Exists("/new"));
}

TEST(MemEnvTest, CrashUndoesAnUnsyncedRenameAndRemove) {
  MemEnv env;
  ASSERT_TRUE(env.CreateDir("/d").ok());
  ASSERT_TRUE(env.SyncDir("/").ok());
  for (const char* name : {"/d/a", "/d/b"}) {
    auto f = env.NewAppendableFile(name);
    ASSERT_TRUE(f.ok());
    ASSERT_TRUE(f.value()->Append(name).ok());
    ASSERT_TRUE(f.value()->Sync().ok());
  }
  ASSERT_TRUE(env.SyncDir("/d").ok());
  ASSERT_TRUE(env.Rename("/d/a", "/d/c").ok());
  ASSERT_TRUE(env.Remove("/d/b").ok());
  EXPECT_FALSE(env.Exists("/d/a"));
  env.Crash();
  EXPECT_EQ(Read(&env, "/d/a"), "/d/a");
  EXPECT_EQ(Read(&env, "/d/b"), "/d/b");
  EXPECT_FALSE(env.Exists("/d/c"));
}

TEST(MemEnvTest, SyncedRenameSurvivesACrash) {
  MemEnv env;
  auto f = env.NewAppendableFile("/a");
  ASSERT_TRUE(f.ok());
  ASSERT_TRUE(f.value()->Append("v").ok());
  ASSERT_TRUE(f.value()->Sync().ok());
  ASSERT_TRUE(env.Rename("/a", "/b").ok());
  ASSERT_TRUE(env.SyncDir("/").ok());
  env.Crash();
  EXPECT_FALSE(env.Exists("/a"));
  EXPECT_EQ(Read(&env, "/b"), "v");
}

TEST(MemEnvTest, CrashRemovesEverythingBelowAnUnsyncedDirectory) {
  MemEnv env;
  ASSERT_TRUE(env.CreateDir("/d").ok());
  ASSERT_TRUE(env.CreateDir("/d/e").ok());
  ASSERT_TRUE(env.SyncDir("/d").ok());  // /d/e is durable in /d, but /d itself is not in /
  env.Crash();
  EXPECT_FALSE(env.Exists("/d"));
  EXPECT_FALSE(env.Exists("/d/e"));
  EXPECT_FALSE(env.ListDir("/d").ok());
}

TEST(MemEnvTest, ListDirNamesEntriesOfTheRootAndOfSubdirectories) {
  MemEnv env;
  ASSERT_TRUE(env.CreateDir("/db").ok());
  ASSERT_TRUE(env.NewAppendableFile("/db/x").ok());
  auto root = env.ListDir("/");
  ASSERT_TRUE(root.ok());
  EXPECT_EQ(root.value(), std::vector<std::string>{"db"});
  auto db = env.ListDir("/db");
  ASSERT_TRUE(db.ok());
  EXPECT_EQ(db.value(), std::vector<std::string>{"x"});
}

TEST(MemEnvTest, ReopeningEmptyIsLostInACrashUntilSynced) {
  MemEnv env;
  {
    auto f = env.NewAppendableFile("/f");
    ASSERT_TRUE(f.ok());
    ASSERT_TRUE(f.value()->Append("old").ok());
    ASSERT_TRUE(f.value()->Sync().ok());
    ASSERT_TRUE(env.SyncDir("/").ok());
  }
  auto f = env.NewWritableFile("/f");
  ASSERT_TRUE(f.ok());
  ASSERT_TRUE(f.value()->Append("new").ok());
  env.Crash();
  EXPECT_EQ(Read(&env, "/f"), "old");
  f = env.NewWritableFile("/f");
  ASSERT_TRUE(f.ok());
  ASSERT_TRUE(f.value()->Append("new").ok());
  ASSERT_TRUE(f.value()->Sync().ok());
  ASSERT_TRUE(f.value()->Append("+more").ok());
  ASSERT_TRUE(f.value()->Sync().ok());
  env.Crash();
  EXPECT_EQ(Read(&env, "/f"), "new+more");
}

TEST(MemEnvTest, ACrashImageHoldsWhatACrashWouldLeaveAndChangesNothing) {
  MemEnv env;
  ASSERT_TRUE(env.CreateDir("/d").ok());
  ASSERT_TRUE(env.SyncDir("/").ok());
  auto f = env.NewAppendableFile("/d/f");
  ASSERT_TRUE(f.ok());
  ASSERT_TRUE(env.SyncDir("/d").ok());
  ASSERT_TRUE(f.value()->Append("synced").ok());
  ASSERT_TRUE(f.value()->Sync().ok());
  ASSERT_TRUE(f.value()->Append("-unsynced").ok());
  ASSERT_TRUE(env.CreateDir("/lost").ok());  // not synced: gone in the image
  auto image = env.CrashImage();
  EXPECT_EQ(Read(image.get(), "/d/f"), "synced");
  EXPECT_FALSE(image->Exists("/lost"));
  EXPECT_EQ(Read(&env, "/d/f"), "synced-unsynced");  // the original is untouched
  EXPECT_TRUE(env.Exists("/lost"));
  ASSERT_TRUE(f.value()->Append("-more").ok());  // and the image does not follow it
  EXPECT_EQ(Read(image.get(), "/d/f"), "synced");
}

TEST(Crc32cTest, HardwareAndTableAgreeOnTheCheckValueAndOnRandomSplits) {
  EXPECT_EQ(Crc32c("123456789"), 0xE3069283u);  // the CRC-32C check value (RFC 3720)
  EXPECT_EQ(Crc32cTable("123456789", {}), 0xE3069283u);
  std::string data;
  for (int i = 0; i < 1000; ++i) data.push_back(static_cast<char>((i * 131 + 7) % 256));
  for (size_t n : {0, 1, 7, 8, 9, 63, 64, 65, 999}) {
    for (size_t split : {size_t{0}, n / 3, n}) {
      std::string_view a(data.data(), split), b(data.data() + split, n - split);
      EXPECT_EQ(Crc32c(a, b), Crc32cTable(a, b)) << n << " split " << split;
      EXPECT_EQ(Crc32c(a, b), Crc32c(std::string_view(data.data(), n))) << n << " split " << split;
    }
  }
}

TEST(MemEnvTest, TruncateIsDurable) {
  MemEnv env;
  auto f = env.NewAppendableFile("/f");
  ASSERT_TRUE(f.ok());
  ASSERT_TRUE(env.SyncDir("/").ok());
  ASSERT_TRUE(f.value()->Append("abcdef").ok());
  ASSERT_TRUE(env.Truncate("/f", 3).ok());
  env.Crash();
  EXPECT_EQ(Read(&env, "/f"), "abc");
}

TEST(FaultyEnvTest, WriteFailsAfterNWritesAndEnospcLeavesAShortWrite) {
  MemEnv mem;
  FaultyEnv env(&mem);
  env.FailWritesAfter(1, ENOSPC);
  auto f = env.NewAppendableFile("/f");
  ASSERT_TRUE(f.ok());
  EXPECT_TRUE(f.value()->Append("1234").ok());
  faultline::Status s = f.value()->Append("abcd");
  EXPECT_EQ(s.code(), faultline::StatusCode::kIoError);
  EXPECT_NE(s.message().find("No space left"), std::string::npos) << s.message();
  EXPECT_EQ(Read(&mem, "/f"), "1234ab");
  EXPECT_EQ(env.injected_failures(), 1u);
  env.Heal();
  EXPECT_TRUE(f.value()->Append("z").ok());
}

TEST(FaultyEnvTest, SyncFailsWithEioWithoutSyncing) {
  MemEnv mem;
  FaultyEnv env(&mem);
  env.FailSyncsAfter(0, EIO);
  auto f = env.NewAppendableFile("/f");
  ASSERT_TRUE(f.ok());
  ASSERT_TRUE(f.value()->Append("x").ok());
  EXPECT_EQ(f.value()->Sync().code(), faultline::StatusCode::kIoError);
  EXPECT_EQ(mem.UnsyncedBytes("/f"), 1u);
  EXPECT_FALSE(env.SyncDir("/").ok());
}

TEST(FaultyEnvTest, OnlyPathsContainingTheSubstringFail) {
  MemEnv mem;
  FaultyEnv env(&mem);
  env.FailPathsContaining("log.", EIO);
  auto good = env.NewAppendableFile("/snapshot.1");
  auto bad = env.NewAppendableFile("/log.1");
  ASSERT_TRUE(good.ok() && bad.ok());
  EXPECT_TRUE(good.value()->Append("x").ok());
  EXPECT_FALSE(bad.value()->Append("x").ok());
  EXPECT_FALSE(bad.value()->Sync().ok());
}

TEST(FaultyEnvTest, EverythingAfterTheCrashPointFailsAndHasNoEffect) {
  MemEnv mem;
  FaultyEnv env(&mem);
  env.FailEverythingAfter(1);
  EXPECT_TRUE(env.CreateDir("/d").ok());
  EXPECT_FALSE(env.CreateDir("/e").ok());
  EXPECT_FALSE(env.Rename("/d", "/x").ok());
  EXPECT_FALSE(mem.Exists("/e"));
  EXPECT_TRUE(mem.Exists("/d"));
}

class PosixEnvTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/env_test.XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string dir_;
  Env* env_ = PosixEnv();
};

TEST_F(PosixEnvTest, AppendSyncReadRenameRemoveAndList) {
  const std::string a = JoinPath(dir_, "a");
  const std::string b = JoinPath(dir_, "b");
  {
    auto f = env_->NewAppendableFile(a);
    ASSERT_TRUE(f.ok()) << f.status().ToString();
    ASSERT_TRUE(f.value()->Append("hello ").ok());
    ASSERT_TRUE(f.value()->Sync().ok());
  }
  {
    auto f = env_->NewAppendableFile(a);  // appends at the end
    ASSERT_TRUE(f.ok());
    ASSERT_TRUE(f.value()->Append("world").ok());
  }
  EXPECT_EQ(Read(env_, a), "hello world");
  EXPECT_EQ(*env_->FileSize(a), 11u);
  ASSERT_TRUE(env_->Truncate(a, 5).ok());
  EXPECT_EQ(Read(env_, a), "hello");
  ASSERT_TRUE(env_->Rename(a, b).ok());
  ASSERT_TRUE(env_->SyncDir(dir_).ok());
  EXPECT_FALSE(env_->Exists(a));
  ASSERT_TRUE(env_->CreateDir(JoinPath(dir_, "sub")).ok());
  ASSERT_TRUE(env_->CreateDir(JoinPath(dir_, "sub")).ok());  // idempotent
  auto names = env_->ListDir(dir_);
  ASSERT_TRUE(names.ok());
  std::sort(names.value().begin(), names.value().end());
  EXPECT_EQ(names.value(), (std::vector<std::string>{"b", "sub"}));
  {
    auto f = env_->NewWritableFile(b);  // starts empty
    ASSERT_TRUE(f.ok());
  }
  EXPECT_EQ(Read(env_, b), "");
  ASSERT_TRUE(env_->Remove(b).ok());
  EXPECT_FALSE(env_->Exists(b));
}

TEST_F(PosixEnvTest, ReserveAllocatesZerosAheadAndAppendsOverwriteThemInOrder) {
  const std::string a = JoinPath(dir_, "a");
  auto f = env_->NewWritableFile(a);
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  ASSERT_TRUE(f.value()->Append("head").ok());
  ASSERT_TRUE(f.value()->Reserve(100).ok());
  EXPECT_EQ(*env_->FileSize(a), 104u);
  EXPECT_EQ(Read(env_, a), "head" + std::string(100, '\0'));
  ASSERT_TRUE(f.value()->Reserve(10).ok());  // already allocated: no change
  EXPECT_EQ(*env_->FileSize(a), 104u);
  ASSERT_TRUE(f.value()->Append("-next").ok());  // at the append position, not the end
  ASSERT_TRUE(f.value()->Sync().ok());
  EXPECT_EQ(Read(env_, a), "head-next" + std::string(95, '\0'));
  ASSERT_TRUE(f.value()->Append(std::string(200, 'x')).ok());  // past the reserved end
  EXPECT_EQ(*env_->FileSize(a), 209u);
}

TEST_F(PosixEnvTest, ErrorsNameThePathAndMissingFilesAreNotFound) {
  const std::string missing = JoinPath(dir_, "missing");
  auto r = env_->ReadFile(missing);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), faultline::StatusCode::kNotFound);
  EXPECT_NE(r.status().message().find(missing), std::string::npos);
  EXPECT_EQ(env_->Remove(missing).code(), faultline::StatusCode::kNotFound);
  faultline::Status s = env_->CreateDir(JoinPath(missing, "x"));
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find(missing), std::string::npos) << s.message();
}

TEST(PathTest, JoinAndDirname) {
  EXPECT_EQ(JoinPath("a/b", "c"), "a/b/c");
  EXPECT_EQ(JoinPath("a/b/", "c"), "a/b/c");
  EXPECT_EQ(Dirname("a/b/c"), "a/b");
  EXPECT_EQ(Dirname("/db"), "/");
  EXPECT_EQ(Dirname("db"), ".");
}

}  // namespace
}  // namespace storage
