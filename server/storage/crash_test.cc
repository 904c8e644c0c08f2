// A crash at every step: FaultyEnv::FailEverythingAfter(n) stops the process after n mutating
// file operations, MemEnv::Crash() drops what was not synced, and recovery must then find either
// the old state or the new one (or, for truncation, a consistent point between), never garbage
// and never a lost acknowledged record.
#include <gtest/gtest.h>

#include <functional>
#include <map>

#include "server/storage/faulty_env.h"
#include "server/storage/storage_test_util.h"

namespace storage {
namespace {

using faultline::Status;
using testing::Concat;
using testing::Recs;
using testing::Z;

constexpr char kDir[] = "/db";
constexpr uint64_t kStepsMax = 200;  // far more file operations than any one call makes

std::unique_ptr<Storage> OpenOrDie(Env* env, const Options& options, Recovered* rec) {
  auto st = Storage::Open(env, kDir, options, rec);
  EXPECT_TRUE(st.ok()) << st.status().ToString();
  return st.ok() ? std::move(st).value() : nullptr;
}

// Runs `setup` on a healthy env, then `step` with the process dying after n file operations, for
// n = 0, 1, ... until `step` completes; after each crash `check` sees the recovered state and
// whether `step` had returned ok.
void AtEveryCrashPoint(const Options& options, const std::function<void(Storage*)>& setup,
                       const std::function<Status(Storage*)>& step,
                       const std::function<void(const Recovered&, bool)>& check) {
  for (uint64_t n = 0; n < kStepsMax; ++n) {
    SCOPED_TRACE("crash after " + std::to_string(n) + " file operations");
    MemEnv mem;
    FaultyEnv faulty(&mem);
    Recovered rec;
    {
      auto st = OpenOrDie(&mem, options, &rec);
      ASSERT_NE(st, nullptr);
      setup(st.get());
    }
    bool completed = false;
    {
      auto st = OpenOrDie(&faulty, options, &rec);
      ASSERT_NE(st, nullptr);
      faulty.FailEverythingAfter(n);
      completed = step(st.get()).ok();
    }
    mem.Crash();
    auto st = OpenOrDie(&mem, options, &rec);
    ASSERT_NE(st, nullptr);
    check(rec, completed);
    if (completed) return;
  }
  FAIL() << "the step never completed";
}

// The recovered state is a snapshot from `states` plus exactly the original records after it,
// reaching at least `min_last`.
void ExpectConsistent(const Recovered& rec, const std::vector<Record>& original,
                      const std::map<uint64_t, std::string>& states, uint64_t min_last) {
  const uint64_t snap = rec.snapshot.zxid;
  if (snap != 0) {
    ASSERT_EQ(states.count(snap), 1u) << "unexpected snapshot " << ZxidHex(snap);
    EXPECT_EQ(rec.snapshot.state, states.at(snap));
  }
  const uint64_t last = rec.log.empty() ? snap : rec.log.back().zxid;
  std::vector<Record> expected;
  for (const Record& r : original) {
    if (r.zxid > snap && r.zxid <= last) expected.push_back(r);
  }
  EXPECT_EQ(rec.log, expected);
  EXPECT_GE(std::max(snap, last), min_last);
}

void Epochs(Storage* st, uint32_t accepted, uint32_t current) {
  ASSERT_TRUE(st->WriteAcceptedEpoch(accepted).ok());
  ASSERT_TRUE(st->WriteCurrentEpoch(current).ok());
}

void AppendSynced(Storage* st, const std::vector<Record>& records) {
  for (const Record& r : records) ASSERT_TRUE(st->Append(r).ok());
  ASSERT_TRUE(st->Sync().ok());
}

TEST(CrashTest, AtomicCurrentEpochWriteSurvivesACrashAtEveryStep) {
  AtEveryCrashPoint(
      Options{}, [](Storage* st) { Epochs(st, 5, 1); },
      [](Storage* st) { return st->WriteCurrentEpoch(2); },
      [](const Recovered& rec, bool completed) {
        EXPECT_TRUE(rec.current_epoch == 1 || rec.current_epoch == 2) << rec.current_epoch;
        if (completed) {
          EXPECT_EQ(rec.current_epoch, 2u);
        }
        EXPECT_EQ(rec.accepted_epoch, 5u);
      });
}

TEST(CrashTest, AtomicAcceptedEpochWriteSurvivesACrashAtEveryStep) {
  AtEveryCrashPoint(
      Options{}, [](Storage* st) { Epochs(st, 5, 1); },
      [](Storage* st) { return st->WriteAcceptedEpoch(6); },
      [](const Recovered& rec, bool completed) {
        EXPECT_TRUE(rec.accepted_epoch == 5 || rec.accepted_epoch == 6) << rec.accepted_epoch;
        if (completed) {
          EXPECT_EQ(rec.accepted_epoch, 6u);
        }
      });
}

// Found by the simulator once it ran on real storage (issue 8): a follower syncing into a
// running epoch writes that epoch's history (a SNAP install, or the DIFF txns at NEWLEADER)
// before the currentEpoch that certifies it (zab.md 5.2). A crash in between left epoch(last
// zxid) > currentEpoch with no currentEpoch.tmp, and recovery refused the node for good
// (ZOOKEEPER-1653's class). Storage now writes currentEpoch.tmp first; recovery adopts it.
void ExpectNewEpochHistoryRecoversAtEveryStep(const std::function<Status(Storage*)>& history,
                                              uint64_t history_last) {
  AtEveryCrashPoint(
      Options{},
      [](Storage* st) {
        Epochs(st, 3, 2);  // LEADERINFO of epoch 3 accepted; currentEpoch still 2
        AppendSynced(st, Concat(Recs(1, 1, 3), Recs(2, 1, 2)));
      },
      [&](Storage* st) {
        if (Status s = history(st); !s.ok()) return s;
        return st->WriteCurrentEpoch(3);  // NEWLEADER, after the history
      },
      [&](const Recovered& rec, bool completed) {
        // OpenOrDie already failed the test if recovery refused the disk.
        const uint64_t last = rec.log.empty() ? rec.snapshot.zxid : rec.log.back().zxid;
        EXPECT_TRUE(rec.current_epoch == 2 || rec.current_epoch == 3) << rec.current_epoch;
        if (last >> 32 == 3) {
          EXPECT_EQ(rec.current_epoch, 3u) << "epoch-3 history, epoch 2";
        }
        if (completed) {
          EXPECT_EQ(rec.current_epoch, 3u);
          EXPECT_EQ(last, history_last);
        }
      });
}

TEST(CrashTest, SimFoundASnapInstallIntoARunningEpochThenCurrentEpochRecoversAtEveryStep) {
  ExpectNewEpochHistoryRecoversAtEveryStep(
      [](Storage* st) { return st->InstallSnapshot(Z(3, 17), "leader state at 3|17"); }, Z(3, 17));
}

TEST(CrashTest, SimFoundDiffTxnsOfARunningEpochThenCurrentEpochRecoverAtEveryStep) {
  ExpectNewEpochHistoryRecoversAtEveryStep(
      [](Storage* st) {
        for (const Record& r : Concat(Recs(2, 3, 4), Recs(3, 1, 5))) {
          if (Status s = st->Append(r); !s.ok()) return s;
        }
        return Status::Ok();
      },
      Z(3, 5));
}

TEST(CrashTest, AppendAndSyncAcrossSegmentRollsLoseNoAcknowledgedRecordAtAnyStep) {
  Options options;
  options.segment_bytes_max = 100;
  const std::vector<Record> records = Recs(1, 1, 7);
  size_t acked = 0;
  AtEveryCrashPoint(
      options, [](Storage* st) { Epochs(st, 1, 1); },
      [&](Storage* st) {
        acked = 0;
        for (const Record& r : records) {
          if (Status s = st->Append(r); !s.ok()) return s;
          if (Status s = st->Sync(); !s.ok()) return s;
          ++acked;
        }
        return Status::Ok();
      },
      [&](const Recovered& rec, bool) {
        // Nothing acknowledged is lost, and nothing unacknowledged appears.
        EXPECT_EQ(rec.log, std::vector<Record>(records.begin(), records.begin() + acked));
      });
}

TEST(CrashTest, TruncateAfterAcrossSegmentsIsConsistentAtEveryStep) {
  Options options;
  options.segment_bytes_max = 100;
  options.snapshots_retained = 5;
  const std::vector<Record> original = Concat(Recs(1, 1, 6), Recs(2, 1, 4));
  const std::map<uint64_t, std::string> states = {{Z(1, 2), "s12"}, {Z(2, 2), "s22"}};
  const uint64_t keep = Z(1, 5);
  AtEveryCrashPoint(
      options,
      [&](Storage* st) {
        Epochs(st, 2, 2);
        AppendSynced(st, original);
        for (const auto& [z, s] : states) ASSERT_TRUE(st->WriteSnapshot(z, s).ok());
      },
      [&](Storage* st) { return st->TruncateAfter(keep); },
      [&](const Recovered& rec, bool completed) {
        ExpectConsistent(rec, original, states, keep);
        const uint64_t last = rec.log.empty() ? rec.snapshot.zxid : rec.log.back().zxid;
        // zab.md 7.3 rule 5: never a snapshot above the cut next to a cut log.
        if (rec.snapshot.zxid > keep) {
          EXPECT_EQ(last, original.back().zxid);
        }
        if (completed) {
          EXPECT_EQ(last, keep);
          EXPECT_LE(rec.snapshot.zxid, keep);
        }
      });
}

TEST(CrashTest, WriteSnapshotWithCompactionLosesNothingAtAnyStep) {
  Options options;
  options.segment_bytes_max = 100;
  options.snapshots_retained = 1;
  const std::vector<Record> original = Recs(1, 1, 9);
  const std::map<uint64_t, std::string> states = {{Z(1, 3), "s3"}, {Z(1, 7), "s7"}};
  AtEveryCrashPoint(
      options,
      [&](Storage* st) {
        Epochs(st, 1, 1);
        AppendSynced(st, original);
        ASSERT_TRUE(st->WriteSnapshot(Z(1, 3), "s3").ok());
      },
      [&](Storage* st) { return st->WriteSnapshot(Z(1, 7), "s7"); },
      [&](const Recovered& rec, bool completed) {
        ExpectConsistent(rec, original, states, Z(1, 9));
        if (completed) {
          EXPECT_EQ(rec.snapshot.zxid, Z(1, 7));
        }
      });
}

TEST(CrashTest, InstallSnapshotIsOldOrNewStateAtEveryStep) {
  Options options;
  options.segment_bytes_max = 100;
  const std::vector<Record> original = Recs(1, 1, 6);
  const std::map<uint64_t, std::string> states = {{Z(1, 3), "s3"}, {Z(2, 4), "leader"}};
  AtEveryCrashPoint(
      options,
      [&](Storage* st) {
        Epochs(st, 2, 2);
        AppendSynced(st, original);
        ASSERT_TRUE(st->WriteSnapshot(Z(1, 3), "s3").ok());
      },
      [&](Storage* st) { return st->InstallSnapshot(Z(2, 4), "leader"); },
      [&](const Recovered& rec, bool completed) {
        if (rec.snapshot.zxid == Z(2, 4)) {
          EXPECT_EQ(rec.snapshot.state, "leader");
          EXPECT_TRUE(rec.log.empty());
        } else {
          ExpectConsistent(rec, original, states, Z(1, 6));  // untouched
        }
        if (completed) {
          EXPECT_EQ(rec.snapshot.zxid, Z(2, 4));
        }
      });
}

TEST(CrashTest, InstallSnapshotBelowTheLogNeverKeepsTheDivergentTailWithTheNewSnapshot) {
  Options options;
  options.segment_bytes_max = 100;
  const std::vector<Record> original = Recs(1, 1, 6);
  const std::map<uint64_t, std::string> states = {{Z(1, 2), "s2"}, {Z(1, 4), "leader"}};
  AtEveryCrashPoint(
      options,
      [&](Storage* st) {
        Epochs(st, 1, 1);
        AppendSynced(st, original);
        ASSERT_TRUE(st->WriteSnapshot(Z(1, 2), "s2").ok());
      },
      [&](Storage* st) { return st->InstallSnapshot(Z(1, 4), "leader"); },
      [&](const Recovered& rec, bool completed) {
        ExpectConsistent(rec, original, states, Z(1, 4));
        if (rec.snapshot.zxid == Z(1, 4)) {
          EXPECT_TRUE(rec.log.empty());
        }
        if (completed) {
          EXPECT_EQ(rec.snapshot.zxid, Z(1, 4));
        }
      });
}

}  // namespace
}  // namespace storage
