// Seeded random schedules of appends, group syncs, snapshots, truncations, new epochs and crashes
// at random file operations (FaultyEnv + MemEnv::Crash). After every crash the recovered state
// must hold every acknowledged record with its exact payload, only records that were appended,
// and only snapshots that were written. A failing seed replays exactly.
#include <gtest/gtest.h>

#include <map>
#include <random>

#include "server/storage/faulty_env.h"
#include "server/storage/storage_test_util.h"

namespace storage {
namespace {

using testing::Z;

constexpr int kSeeds = 400;
constexpr int kStepsPerSeed = 60;

class Schedule {
 public:
  explicit Schedule(uint64_t seed) : rng_(seed), faulty_(&mem_) {
    options_.segment_bytes_max = 160;
    options_.snapshots_retained = 2;
  }

  void Run() {
    Reopen();
    if (!st_) return;
    ASSERT_TRUE(st_->WriteAcceptedEpoch(1).ok());
    ASSERT_TRUE(st_->WriteCurrentEpoch(1).ok());
    for (int step = 0; step < kStepsPerSeed && st_ && !::testing::Test::HasFailure(); ++step) {
      switch (Pick(10)) {
        case 0:
        case 1:
        case 2:
        case 3:
          AppendSome(/*sync=*/Pick(3) != 0);
          break;
        case 4:
          NewEpoch();
          break;
        case 5:
          Snapshot();
          break;
        case 6:
          Truncate();
          break;
        default:
          CrashSomewhere();
          break;
      }
    }
  }

 private:
  uint64_t Pick(uint64_t n) { return rng_() % n; }

  void Reopen() {
    st_.reset();
    auto st = Storage::Open(&faulty_, "/db", options_, &rec_);
    ASSERT_TRUE(st.ok()) << st.status().ToString();
    st_ = std::move(st).value();
  }

  Record Next() {
    uint64_t z = st_->last_zxid() + 1;
    if (EpochOf(z) < epoch_) z = Z(epoch_, 1 + static_cast<uint32_t>(Pick(3)));
    return Record{z, "p" + std::to_string(rng_())};
  }

  void AppendSome(bool sync) {
    for (uint64_t i = 0, n = 1 + Pick(6); i < n; ++i) {
      Record r = Next();
      ASSERT_TRUE(st_->Append(r).ok());
      history_[r.zxid] = r.payload;
    }
    if (sync) {
      ASSERT_TRUE(st_->Sync().ok());
      acked_ = st_->last_zxid();
    }
  }

  void NewEpoch() {
    ++epoch_;
    ASSERT_TRUE(st_->WriteAcceptedEpoch(epoch_).ok());
    ASSERT_TRUE(st_->WriteCurrentEpoch(epoch_).ok());
  }

  void Snapshot() {
    if (history_.empty()) return;
    auto it = std::next(history_.begin(), static_cast<long>(Pick(history_.size())));
    if (it->first < newest_snapshot_) return;
    ASSERT_TRUE(st_->WriteSnapshot(it->first, "state@" + ZxidHex(it->first)).ok());
    states_.insert(it->first);
    newest_snapshot_ = it->first;
    acked_ = std::max(acked_, st_->last_zxid());  // a snapshot syncs the log first
  }

  void Truncate() {
    if (history_.empty()) return;
    uint64_t keep = std::next(history_.begin(), static_cast<long>(Pick(history_.size())))->first;
    faultline::Status s = st_->TruncateAfter(keep);
    if (s.code() == faultline::StatusCode::kInvalidArgument) return;  // below a compacted log
    ASSERT_TRUE(s.ok()) << s.ToString();
    history_.erase(history_.upper_bound(keep), history_.end());
    std::erase_if(states_, [keep](uint64_t z) { return z > keep; });
    newest_snapshot_ = states_.empty() ? 0 : *states_.rbegin();
    acked_ = std::min(acked_, keep);
  }

  void CrashSomewhere() {
    faulty_.FailEverythingAfter(Pick(8));
    Record r = Next();
    if (st_->Append(r).ok()) {
      history_[r.zxid] = r.payload;
      if (st_->Sync().ok()) acked_ = r.zxid;
    }
    st_.reset();
    mem_.Crash();
    faulty_.Heal();
    Reopen();
    if (!st_) return;  // Reopen failed (and said why)
    Check();
    ++crashes_;
  }

  void Check() {
    const uint64_t snap = rec_.snapshot.zxid;
    if (snap != 0) {
      ASSERT_EQ(states_.count(snap), 1u) << "unknown snapshot " << ZxidHex(snap);
      EXPECT_EQ(rec_.snapshot.state, "state@" + ZxidHex(snap));
    }
    for (const Record& r : rec_.log) {
      ASSERT_EQ(history_.count(r.zxid), 1u) << "never appended: " << ZxidHex(r.zxid);
      EXPECT_EQ(r.payload, history_.at(r.zxid));
    }
    // Nothing acknowledged is lost: the log runs gap-free from the snapshot through acked_.
    const uint64_t last = st_->last_zxid();
    EXPECT_GE(last, acked_) << "lost acknowledged records up to " << ZxidHex(acked_);
    for (auto it = history_.upper_bound(snap); it != history_.end() && it->first <= last; ++it) {
      size_t i = static_cast<size_t>(std::distance(history_.upper_bound(snap), it));
      ASSERT_LT(i, rec_.log.size());
      EXPECT_EQ(rec_.log[i].zxid, it->first);
    }
    // Unacknowledged records that did not survive are gone for good.
    history_.erase(history_.upper_bound(last), history_.end());
    acked_ = last;
  }

  std::mt19937_64 rng_;
  MemEnv mem_;
  FaultyEnv faulty_;
  Options options_;
  std::unique_ptr<Storage> st_;
  Recovered rec_;
  std::map<uint64_t, std::string> history_;  // every record that may be in the log
  std::set<uint64_t> states_;                // snapshots written and not truncated away
  uint64_t newest_snapshot_ = 0;
  uint64_t acked_ = 0;  // every record up to here was acknowledged durable
  uint32_t epoch_ = 1;

 public:
  int crashes_ = 0;
  uint64_t max_acked() const { return acked_; }
};

TEST(RandomCrashTest, RandomSchedulesWithCrashesNeverLoseAnAcknowledgedRecord) {
  int crashes = 0;
  for (int seed = 1; seed <= kSeeds && !::testing::Test::HasFailure(); ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    Schedule schedule(static_cast<uint64_t>(seed));
    schedule.Run();
    crashes += schedule.crashes_;
  }
  EXPECT_GT(crashes, kSeeds);  // the schedules did crash, many times
}

}  // namespace
}  // namespace storage
