// PowerLossEnv (power_loss_env.h): a process killed while running on it leaves on disk exactly
// what a power cut would. "The disk" is a MemEnv that is never crashed: it plays the real file
// system, whose page cache survives the death of a process. "Killing" is destroying the
// PowerLossEnv (and the Storage on it) and reopening over the same MemEnv.
#include "server/storage/power_loss_env.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "server/storage/faulty_env.h"
#include "server/storage/storage_test_util.h"

namespace storage {
namespace {

using testing::Z;

std::string Read(Env& env, const std::string& path) {
  auto r = env.ReadFile(path);
  return r.ok() ? *r : "<" + r.status().ToString() + ">";
}

std::vector<std::string> Names(Env& env, const std::string& dir) {
  auto r = env.ListDir(dir);
  EXPECT_TRUE(r.ok());
  std::vector<std::string> v = r.ok() ? *r : std::vector<std::string>{};
  std::sort(v.begin(), v.end());
  return v;
}

class PowerLossEnvTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(disk_.CreateDir("/d").ok()); }
  // The process dies: what it held in memory is gone; the disk stays as it is.
  void Kill() { env_ = std::make_unique<PowerLossEnv>(&disk_); }
  MemEnv disk_;
  std::unique_ptr<PowerLossEnv> env_ = std::make_unique<PowerLossEnv>(&disk_);
};

TEST_F(PowerLossEnvTest, AppendedBytesReachTheDiskOnlyAtSync) {
  auto f = env_->NewWritableFile("/d/f");
  ASSERT_TRUE(f.ok());
  ASSERT_TRUE(env_->SyncDir("/d").ok());
  ASSERT_TRUE((*f)->Append("abc").ok());
  ASSERT_TRUE((*f)->Sync().ok());
  ASSERT_TRUE((*f)->Append("def").ok());
  EXPECT_EQ(Read(*env_, "/d/f"), "abcdef");  // this process sees everything
  EXPECT_EQ(*env_->FileSize("/d/f"), 6u);
  EXPECT_EQ(env_->held_bytes(), 3u);
  EXPECT_EQ(Read(disk_, "/d/f"), "abc");
  f->reset();
  Kill();
  EXPECT_EQ(Read(*env_, "/d/f"), "abc");
}

TEST_F(PowerLossEnvTest, ACreatedFileGetsItsNameOnDiskOnlyAtSyncDir) {
  auto f = env_->NewWritableFile("/d/new");
  ASSERT_TRUE(f.ok());
  ASSERT_TRUE((*f)->Append("x").ok());
  ASSERT_TRUE((*f)->Sync().ok());  // durable bytes, but no durable name yet
  EXPECT_TRUE(env_->Exists("/d/new"));
  EXPECT_EQ(Names(*env_, "/d"), std::vector<std::string>{"new"});
  EXPECT_FALSE(disk_.Exists("/d/new"));
  EXPECT_EQ(env_->held_dir_ops(), 1u);
  f->reset();
  Kill();
  EXPECT_FALSE(env_->Exists("/d/new"));
  EXPECT_TRUE(Names(*env_, "/d").empty());  // the staging leftover is hidden

  f = env_->NewWritableFile("/d/new");
  ASSERT_TRUE((*f)->Append("y").ok());
  ASSERT_TRUE((*f)->Sync().ok());
  ASSERT_TRUE(env_->SyncDir("/d").ok());
  EXPECT_EQ(Read(disk_, "/d/new"), "y");
  f->reset();
  Kill();
  EXPECT_EQ(Read(*env_, "/d/new"), "y");
}

TEST_F(PowerLossEnvTest, RenameAndRemoveWaitForSyncDir) {
  ASSERT_TRUE(disk_.NewWritableFile("/d/a").ok());
  {
    auto a = disk_.NewAppendableFile("/d/a");
    ASSERT_TRUE((*a)->Append("A").ok());
  }
  ASSERT_TRUE(disk_.NewWritableFile("/d/gone").ok());
  ASSERT_TRUE(env_->Rename("/d/a", "/d/b").ok());
  ASSERT_TRUE(env_->Remove("/d/gone").ok());
  EXPECT_EQ(Names(*env_, "/d"), std::vector<std::string>{"b"});
  EXPECT_EQ(Read(*env_, "/d/b"), "A");
  EXPECT_EQ(env_->Remove("/d/gone").code(), faultline::StatusCode::kNotFound);
  Kill();  // neither reached the disk
  EXPECT_EQ(Names(*env_, "/d"), (std::vector<std::string>{"a", "gone"}));

  ASSERT_TRUE(env_->Rename("/d/a", "/d/b").ok());
  ASSERT_TRUE(env_->Remove("/d/gone").ok());
  ASSERT_TRUE(env_->SyncDir("/d").ok());
  Kill();
  EXPECT_EQ(Names(*env_, "/d"), std::vector<std::string>{"b"});
  EXPECT_EQ(Read(*env_, "/d/b"), "A");
}

TEST_F(PowerLossEnvTest, TheAtomicFilePatternLeavesTheOldOrTheNewContent) {
  // temp + Sync + rename + SyncDir (atomic_file.cc): a kill before SyncDir keeps the old file.
  auto write = [&](const std::string& text, bool sync_dir) {
    auto t = env_->NewWritableFile("/d/epoch.tmp");
    ASSERT_TRUE((*t)->Append(text).ok());
    ASSERT_TRUE((*t)->Sync().ok());
    ASSERT_TRUE(env_->Rename("/d/epoch.tmp", "/d/epoch").ok());
    if (sync_dir) {
      ASSERT_TRUE(env_->SyncDir("/d").ok());
    }
  };
  write("1", true);
  write("2", false);
  EXPECT_EQ(Read(*env_, "/d/epoch"), "2");
  Kill();
  EXPECT_EQ(Read(*env_, "/d/epoch"), "1");
  EXPECT_EQ(Names(*env_, "/d"), std::vector<std::string>{"epoch"});
  write("3", true);
  Kill();
  EXPECT_EQ(Read(*env_, "/d/epoch"), "3");
}

TEST_F(PowerLossEnvTest, TruncateIsDurableOnReturnAndNewWritableFileEmptiesOnlyAtSync) {
  auto f = env_->NewWritableFile("/d/f");
  ASSERT_TRUE(env_->SyncDir("/d").ok());
  ASSERT_TRUE((*f)->Append("abcdef").ok());
  ASSERT_TRUE(env_->Truncate("/d/f", 4).ok());
  f->reset();
  Kill();
  EXPECT_EQ(Read(*env_, "/d/f"), "abcd");
  // Reopening empty is not durable until a Sync.
  f = env_->NewWritableFile("/d/f");
  ASSERT_TRUE((*f)->Append("zz").ok());
  EXPECT_EQ(Read(*env_, "/d/f"), "zz");
  f->reset();
  Kill();
  EXPECT_EQ(Read(*env_, "/d/f"), "abcd");
}

// Storage on PowerLossEnv, killed at a random file operation (FaultyEnv::FailEverythingAfter: the
// process stops there), recovers exactly what Storage on a MemEnv recovers after MemEnv::Crash()
// at the same operation (the reference model of a power cut).
class Twin {
 public:
  explicit Twin(uint64_t seed) : rng_(seed) {
    options_.segment_bytes_max = 200;
    options_.snapshots_retained = 2;
  }

  void Run() {
    Open();
    ASSERT_TRUE(Both([](Storage& s) { return s.WriteAcceptedEpoch(1); }));
    ASSERT_TRUE(Both([](Storage& s) { return s.WriteCurrentEpoch(1); }));
    for (int step = 0; step < 40 && !stopped_ && !::testing::Test::HasFailure(); ++step) {
      switch (rng_() % 8) {
        case 0:
        case 1:
        case 2: {
          const uint64_t n = 1 + rng_() % 5;
          for (uint64_t i = 0; i < n; ++i) {
            uint64_t z = next_++;
            Record r{Z(epoch_, static_cast<uint32_t>(z)), "p" + std::to_string(rng_())};
            if (!Both([&](Storage& s) { return s.Append(r); })) break;  // refused alike
          }
          if (rng_() % 2) {
            ASSERT_TRUE(Both([](Storage& s) { return s.Sync(); }));
          }
          break;
        }
        case 3:
          ++epoch_, next_ = 1;
          ASSERT_TRUE(Both([&](Storage& s) { return s.WriteAcceptedEpoch(epoch_); }));
          ASSERT_TRUE(Both([&](Storage& s) { return s.WriteCurrentEpoch(epoch_); }));
          break;
        case 4: {
          uint64_t z = a_->last_zxid();
          if (z > last_snapshot_) {
            ASSERT_TRUE(Both([&](Storage& s) { return s.WriteSnapshot(z, "s" + ZxidHex(z)); }));
            last_snapshot_ = z;
          }
          break;
        }
        case 5: {
          uint64_t keep = a_->last_zxid() > 2 ? a_->last_zxid() - 1 : a_->last_zxid();
          auto sa = a_->TruncateAfter(keep);
          auto sb = b_->TruncateAfter(keep);
          ASSERT_EQ(sa.code(), sb.code());
          if (sa.ok()) next_ = (keep & 0xffffffffu) + 1;
          if (sa.ok() && keep < last_snapshot_) last_snapshot_ = 0;
          break;
        }
        default:
          KillSomewhere();
          break;
      }
    }
    if (!stopped_) KillBoth();
  }

  int kills = 0;

 private:
  // Runs f on both; they must answer alike. True if both succeeded.
  template <class F>
  bool Both(F f) {
    auto sa = f(*a_);
    auto sb = f(*b_);
    EXPECT_EQ(sa.ToString(), sb.ToString());
    return sa.ok() && sb.ok();
  }

  // Both processes stop at the same file operation of a step that writes.
  void KillSomewhere() {
    const uint64_t n = rng_() % 10;
    fa_->FailEverythingAfter(n);
    fb_.FailEverythingAfter(n);
    switch (rng_() % 4) {
      case 0:
        if (a_->WriteAcceptedEpoch(epoch_ + 1).ok()) (void)a_->WriteCurrentEpoch(epoch_ + 1);
        if (b_->WriteAcceptedEpoch(epoch_ + 1).ok()) (void)b_->WriteCurrentEpoch(epoch_ + 1);
        break;
      case 1: {
        uint64_t z = a_->last_zxid();
        (void)a_->WriteSnapshot(z, "s" + ZxidHex(z)), (void)b_->WriteSnapshot(z, "s" + ZxidHex(z));
        break;
      }
      case 2: {
        uint64_t z = a_->last_zxid();
        (void)a_->InstallSnapshot(z + 7, "i"), (void)b_->InstallSnapshot(z + 7, "i");
        break;
      }
      default:
        for (int i = 0; i < 4; ++i) {
          Record r{Z(epoch_, static_cast<uint32_t>(next_++)), "k" + std::to_string(i)};
          (void)a_->Append(r), (void)b_->Append(r);
        }
        (void)a_->Sync(), (void)b_->Sync();
        break;
    }
    KillBoth();
  }

  void Open() {
    fa_ = std::make_unique<FaultyEnv>(pl_.get());
    fb_.Heal();
    auto a = Storage::Open(fa_.get(), "/db", options_, &ra_);
    auto b = Storage::Open(&fb_, "/db", options_, &rb_);
    // The same outcome either way (a schedule may legitimately leave a state recovery refuses:
    // then both refuse it, with the same words).
    ASSERT_EQ(a.status().ToString(), b.status().ToString());
    if (!a.ok()) {
      stopped_ = true;
      return;
    }
    a_ = std::move(a).value();
    b_ = std::move(b).value();
  }

  void KillBoth() {
    a_.reset();
    pl_ = std::make_unique<PowerLossEnv>(&disk_a_);  // the process dies
    b_.reset();
    mem_b_.Crash();  // the reference power cut
    Open();
    if (stopped_ || ::testing::Test::HasFailure()) return;
    ++kills;
    EXPECT_EQ(ra_.accepted_epoch, rb_.accepted_epoch);
    EXPECT_EQ(ra_.current_epoch, rb_.current_epoch);
    EXPECT_EQ(ra_.snapshot.zxid, rb_.snapshot.zxid);
    EXPECT_EQ(ra_.snapshot.state, rb_.snapshot.state);
    EXPECT_EQ(ra_.log, rb_.log);
    EXPECT_EQ(a_->last_zxid(), b_->last_zxid());
    // Continue from what survived.
    epoch_ = std::max(ra_.current_epoch, epoch_);
    uint64_t last = a_->last_zxid();
    if ((last >> 32) == epoch_) {
      next_ = (last & 0xffffffffu) + 1;
    } else {
      ++epoch_, next_ = 1;
      ASSERT_TRUE(Both([&](Storage& s) { return s.WriteAcceptedEpoch(epoch_); }));
      ASSERT_TRUE(Both([&](Storage& s) { return s.WriteCurrentEpoch(epoch_); }));
    }
    last_snapshot_ = ra_.snapshot.zxid;
  }

  std::mt19937_64 rng_;
  Options options_;
  MemEnv disk_a_;  // the real disk under PowerLossEnv: never crashed
  std::unique_ptr<PowerLossEnv> pl_ = std::make_unique<PowerLossEnv>(&disk_a_);
  MemEnv mem_b_;
  std::unique_ptr<FaultyEnv> fa_;
  FaultyEnv fb_{&mem_b_};
  std::unique_ptr<Storage> a_, b_;
  Recovered ra_, rb_;
  uint32_t epoch_ = 1;
  uint64_t next_ = 1;
  uint64_t last_snapshot_ = 0;
  bool stopped_ = false;
};

TEST(PowerLossEnvStorageTest, AKilledProcessRecoversWhatAPowerCutLeaves) {
  int kills = 0;
  for (uint64_t seed = 1; seed <= 200 && !::testing::Test::HasFailure(); ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    Twin t(seed);
    t.Run();
    kills += t.kills;
  }
  EXPECT_GT(kills, 200);
}

}  // namespace
}  // namespace storage
