// Storage's write path on MemEnv (crashable), FaultyEnv and PosixEnv: append, group commit,
// segments, truncation, snapshots, compaction, SNAP install, epoch files, I/O errors.
#include "server/storage/storage.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/resource.h>

#include <cerrno>
#include <csignal>
#include <filesystem>

#include "server/storage/faulty_env.h"
#include "server/storage/storage_test_util.h"

namespace storage {
namespace {

using faultline::StatusCode;
using testing::Concat;
using testing::R;
using testing::Recs;
using testing::SegmentPath;
using testing::Z;

class StorageTest : public testing::StorageFixture {};

TEST_F(StorageTest, FreshDirectoryRecoversEmptyWithEpochZero) {
  OpenOk();
  EXPECT_EQ(rec_.accepted_epoch, 0u);
  EXPECT_EQ(rec_.current_epoch, 0u);
  EXPECT_EQ(rec_.snapshot.zxid, 0u);
  EXPECT_TRUE(rec_.log.empty());
  EXPECT_EQ(st_->last_zxid(), 0u);
  EXPECT_TRUE(mem_.Exists("/db/log"));
}

TEST_F(StorageTest, AppendSyncReopenRoundTrip) {
  OpenFresh(2);
  std::vector<Record> records = Concat(Recs(1, 1, 5), Recs(2, 1, 3));
  AppendAll(records);
  EXPECT_EQ(st_->last_zxid(), Z(2, 3));
  OpenOk();
  EXPECT_EQ(rec_.log, records);
  EXPECT_EQ(rec_.accepted_epoch, 2u);
  EXPECT_EQ(rec_.current_epoch, 2u);
  EXPECT_EQ(rec_.report.records_loaded, 8u);
  EXPECT_EQ(rec_.report.last_zxid, Z(2, 3));
  EXPECT_FALSE(rec_.report.torn_tail_truncated);
  EXPECT_EQ(st_->last_zxid(), Z(2, 3));
  // Appending continues where the log left off, in the same segment.
  AppendAll(Recs(2, 4, 4));
  OpenOk();
  EXPECT_EQ(rec_.log.size(), 9u);
  EXPECT_EQ(Segments().size(), 1u);
}

TEST_F(StorageTest, AppendRejectsAZxidThatDoesNotIncrease) {
  OpenFresh(1);
  AppendAll(Recs(1, 1, 3));
  EXPECT_EQ(st_->Append(R(1, 3)).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(st_->Append(R(1, 2)).code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(st_->Append(R(1, 4)).ok());  // a rejection does not poison the log
}

TEST_F(StorageTest, AppendRejectsASameEpochGapButANewEpochMayStartAnywhere) {
  OpenFresh(3);
  AppendAll(Recs(1, 1, 2));
  faultline::Status gap = st_->Append(R(1, 4));
  EXPECT_EQ(gap.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(gap.message().find("7.3 rule 3"), std::string::npos) << gap.message();
  EXPECT_EQ(st_->Append(Record{Z(2, 0), "marker"}).code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(st_->Append(R(2, 7)).ok());
  EXPECT_TRUE(st_->Append(R(3, 1)).ok());
}

TEST_F(StorageTest, GroupCommitIsOneFsyncForEveryAppendSinceTheLastSync) {
  OpenFresh(1);
  AppendAll(Recs(1, 1, 1));  // creates the segment (its directory sync is counted too)
  uint64_t before = st_->fsync_count();
  AppendAll(Recs(1, 2, 101), /*sync=*/false);
  EXPECT_EQ(st_->fsync_count(), before);
  ASSERT_TRUE(st_->Sync().ok());
  EXPECT_EQ(st_->fsync_count(), before + 1);
  ASSERT_TRUE(st_->Sync().ok());  // nothing new: no fsync
  EXPECT_EQ(st_->fsync_count(), before + 1);
}

TEST_F(StorageTest, CrashLosesExactlyTheUnsyncedRecordsAndNothingSynced) {
  OpenFresh(1);
  AppendAll(Recs(1, 1, 5));
  AppendAll(Recs(1, 6, 8), /*sync=*/false);
  EXPECT_EQ(st_->last_zxid(), Z(1, 8));
  CrashAndReopen();
  EXPECT_EQ(rec_.log, Recs(1, 1, 5));
  EXPECT_FALSE(rec_.report.torn_tail_truncated);
  EXPECT_EQ(st_->last_zxid(), Z(1, 5));
  AppendAll(Recs(1, 6, 6));  // the lost zxids can be logged again
}

TEST_F(StorageTest, CrashAfterALargeUnsyncedWriteLosesOnlyTheUnsyncedRecords) {
  OpenFresh(1);
  AppendAll(Recs(1, 1, 2));
  // Past kPendingWriteBytes the buffer is written to the file, still without fsync.
  std::string big(300 << 10, 'x');
  for (uint32_t c = 3; c <= 8; ++c) ASSERT_TRUE(st_->Append(Record{Z(1, c), big}).ok());
  EXPECT_GT(mem_.UnsyncedBytes(SegmentPath("/db", Z(1, 1))), 0u);
  CrashAndReopen();
  EXPECT_EQ(rec_.log, Recs(1, 1, 2));
}

TEST_F(StorageTest, SegmentsRollAtTheSizeBoundAndAreNamedByTheirFirstZxid) {
  options_.segment_bytes_max = 100;  // about two records per segment
  OpenFresh(2);
  std::vector<Record> records = Concat(Recs(1, 1, 5), Recs(2, 1, 2));
  AppendAll(records);
  std::vector<std::string> segs = Segments();
  ASSERT_GE(segs.size(), 3u);
  EXPECT_EQ(segs.front(), "log." + Hex16(Z(1, 1)));
  OpenOk();
  EXPECT_EQ(rec_.log, records);
}

TEST_F(StorageTest, GroupCommitAcrossSegmentRollsMakesEveryRecordDurable) {
  options_.segment_bytes_max = 100;
  OpenFresh(1);
  AppendAll(Recs(1, 1, 9), /*sync=*/false);  // rolls four times, then one Sync
  ASSERT_TRUE(st_->Sync().ok());
  CrashAndReopen();
  EXPECT_EQ(rec_.log, Recs(1, 1, 9));
}

TEST_F(StorageTest, SecondOpenOfAnOpenDirectoryIsRefusedUntilTheFirstCloses) {
  OpenFresh(1);
  Recovered rec;
  auto second = Storage::Open(&mem_, kDir, options_, &rec);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), StatusCode::kIoError);
  EXPECT_NE(second.status().message().find("/db/LOCK"), std::string::npos);
  st_.reset();
  EXPECT_TRUE(Storage::Open(&mem_, kDir, options_, &rec).ok());
}

TEST_F(StorageTest, OpenCreatesMissingParentDirectoriesDurably) {
  Recovered rec;
  auto st = Storage::Open(&mem_, "/a/b/c", options_, &rec);
  ASSERT_TRUE(st.ok()) << st.status().ToString();
  st.value().reset();
  mem_.Crash();
  EXPECT_TRUE(mem_.Exists("/a/b/c/log"));
}

TEST_F(StorageTest, TruncateAfterAcrossSegmentsRemovesNewerRecordsAndSnapshotsAndSurvivesACrash) {
  options_.segment_bytes_max = 100;
  options_.snapshots_retained = 5;
  OpenFresh(3);
  AppendAll(Concat(Recs(1, 1, 6), Recs(2, 1, 4)));
  ASSERT_TRUE(st_->WriteSnapshot(Z(1, 2), "state@1.2").ok());
  ASSERT_TRUE(st_->WriteSnapshot(Z(2, 2), "state@2.2").ok());  // dirty: above the cut
  ASSERT_TRUE(st_->TruncateAfter(Z(1, 5)).ok());
  EXPECT_EQ(st_->last_zxid(), Z(1, 5));
  EXPECT_FALSE(mem_.Exists("/db/snapshot." + Hex16(Z(2, 2))));
  CrashAndReopen();
  EXPECT_EQ(rec_.snapshot.zxid, Z(1, 2));
  EXPECT_EQ(rec_.snapshot.state, "state@1.2");
  EXPECT_EQ(rec_.log, Recs(1, 3, 5));
  EXPECT_EQ(st_->last_zxid(), Z(1, 5));
  // The history continues from the cut (zab.md 5.2 TRUNC then DIFF).
  AppendAll(Recs(3, 1, 2));
  CrashAndReopen();
  EXPECT_EQ(rec_.log, Concat(Recs(1, 3, 5), Recs(3, 1, 2)));
}

TEST_F(StorageTest, TruncateInsideTheFirstRecordsOfASegmentKeepsEarlierSegmentsWhole) {
  options_.segment_bytes_max = 100;
  OpenFresh(1);
  AppendAll(Recs(1, 1, 9));
  ASSERT_TRUE(st_->TruncateAfter(Z(1, 1)).ok());
  CrashAndReopen();
  EXPECT_EQ(rec_.log, Recs(1, 1, 1));
  ASSERT_TRUE(st_->TruncateAfter(0).ok());
  CrashAndReopen();
  EXPECT_TRUE(rec_.log.empty());
  EXPECT_TRUE(Segments().empty());
  AppendAll(Recs(1, 1, 1));
}

TEST_F(StorageTest, TruncateBelowACompactedLogIsRefusedAndChangesNothing) {
  options_.segment_bytes_max = 100;
  options_.snapshots_retained = 1;
  OpenFresh(1);
  AppendAll(Recs(1, 1, 9));
  ASSERT_TRUE(st_->WriteSnapshot(Z(1, 7), "s7").ok());
  faultline::Status s = st_->TruncateAfter(Z(1, 2));
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s.ToString();
  EXPECT_EQ(st_->last_zxid(), Z(1, 9));
  OpenOk();
  EXPECT_EQ(rec_.snapshot.zxid, Z(1, 7));
  EXPECT_EQ(rec_.log, Recs(1, 8, 9));
}

TEST_F(StorageTest, SnapshotCompactionKeepsRetainedSnapshotsAndTheLogBehindThem) {
  options_.segment_bytes_max = 100;
  options_.snapshots_retained = 2;
  OpenFresh(1);
  AppendAll(Recs(1, 1, 12));
  for (uint32_t c : {3u, 6u, 9u}) {
    ASSERT_TRUE(st_->WriteSnapshot(Z(1, c), "s" + std::to_string(c)).ok());
  }
  std::vector<std::string> files = List("/db");
  EXPECT_EQ(std::count_if(files.begin(), files.end(),
                          [](const std::string& f) { return f.rfind("snapshot.", 0) == 0; }),
            2);
  EXPECT_FALSE(mem_.Exists("/db/snapshot." + Hex16(Z(1, 3))));
  // Every segment wholly below the oldest retained snapshot (1.6) is gone, none else.
  std::vector<std::string> segs = Segments();
  ASSERT_FALSE(segs.empty());
  uint64_t first = *ParseHex16(std::string_view(segs.front()).substr(4));
  EXPECT_LE(first, Z(1, 7));
  EXPECT_GT(first, Z(1, 1));
  CrashAndReopen();
  EXPECT_EQ(rec_.snapshot.zxid, Z(1, 9));
  EXPECT_EQ(rec_.snapshot.state, "s9");
  EXPECT_EQ(rec_.log, Recs(1, 10, 12));
}

TEST_F(StorageTest, CompactionKeepsTheSegmentThatStraddlesTheOldestSnapshot) {
  // One record is 16 + 23 bytes: three records per 120-byte segment.
  options_.segment_bytes_max = 120;
  options_.snapshots_retained = 1;
  OpenFresh(1);
  AppendAll(Recs(1, 1, 9));  // segments [1..3] [4..6] [7..9]
  ASSERT_EQ(Segments().size(), 3u);
  ASSERT_TRUE(st_->WriteSnapshot(Z(1, 5), "s5").ok());
  // [1..3] is wholly below 1.5 (the next segment starts at 1.4 <= 1.6); [4..6] is not.
  EXPECT_EQ(Segments(),
            (std::vector<std::string>{"log." + Hex16(Z(1, 4)), "log." + Hex16(Z(1, 7))}));
  ASSERT_TRUE(st_->WriteSnapshot(Z(1, 6), "s6").ok());
  EXPECT_EQ(Segments(), (std::vector<std::string>{"log." + Hex16(Z(1, 7))}));
  OpenOk();
  EXPECT_EQ(rec_.log, Recs(1, 7, 9));
}

TEST_F(StorageTest, CompactionAlsoRemovesCorruptSnapshotsOnceSuperseded) {
  options_.snapshots_retained = 1;
  OpenFresh(1);
  AppendAll(Recs(1, 1, 4));
  ASSERT_TRUE(st_->WriteSnapshot(Z(1, 2), "s2").ok());
  st_.reset();
  mem_.CorruptFile("/db/snapshot." + Hex16(Z(1, 2)), "rot");
  OpenOk();
  ASSERT_TRUE(st_->WriteSnapshot(Z(1, 3), "s3").ok());
  EXPECT_FALSE(mem_.Exists("/db/snapshot." + Hex16(Z(1, 2))));
  EXPECT_TRUE(mem_.Exists("/db/snapshot." + Hex16(Z(1, 3))));
}

TEST_F(StorageTest, TruncateAfterTheLastZxidChangesNothing) {
  OpenFresh(1);
  AppendAll(Recs(1, 1, 3));
  ASSERT_TRUE(st_->WriteSnapshot(Z(1, 3), "s3").ok());
  uint64_t fsyncs = st_->fsync_count();
  ASSERT_TRUE(st_->TruncateAfter(Z(1, 3)).ok());
  ASSERT_TRUE(st_->TruncateAfter(Z(2, 0)).ok());
  EXPECT_EQ(st_->fsync_count(), fsyncs);
  CrashAndReopen();
  EXPECT_EQ(rec_.snapshot.zxid, Z(1, 3));
}

TEST_F(StorageTest, WriteSnapshotAheadOfTheLogIsRejected) {
  OpenFresh(1);
  AppendAll(Recs(1, 1, 2));
  EXPECT_EQ(st_->WriteSnapshot(Z(1, 3), "x").code(), StatusCode::kInvalidArgument);
}

TEST_F(StorageTest, WriteSnapshotSyncsTheLogBehindIt) {
  OpenFresh(1);
  AppendAll(Recs(1, 1, 4), /*sync=*/false);
  ASSERT_TRUE(st_->WriteSnapshot(Z(1, 2), "s2").ok());
  CrashAndReopen();
  EXPECT_EQ(rec_.snapshot.zxid, Z(1, 2));
  EXPECT_EQ(rec_.log, Recs(1, 3, 4));
}

TEST_F(StorageTest, InstallSnapshotReplacesLogAndSnapshotsAndSurvivesReopen) {
  options_.segment_bytes_max = 100;
  OpenFresh(3);
  AppendAll(Recs(1, 1, 6));
  ASSERT_TRUE(st_->WriteSnapshot(Z(1, 3), "old").ok());
  ASSERT_TRUE(st_->InstallSnapshot(Z(2, 4), "leader-state").ok());
  EXPECT_EQ(st_->last_zxid(), Z(2, 4));
  EXPECT_TRUE(Segments().empty());
  CrashAndReopen();
  EXPECT_EQ(rec_.snapshot.zxid, Z(2, 4));
  EXPECT_EQ(rec_.snapshot.state, "leader-state");
  EXPECT_TRUE(rec_.log.empty());
  EXPECT_EQ(st_->last_zxid(), Z(2, 4));
  EXPECT_EQ(st_->Append(R(2, 6)).code(), StatusCode::kInvalidArgument);  // gap after the snapshot
  AppendAll(Concat(Recs(2, 5, 6), Recs(3, 1, 1)));
  CrashAndReopen();
  EXPECT_EQ(rec_.log, Concat(Recs(2, 5, 6), Recs(3, 1, 1)));
}

TEST_F(StorageTest, InstallSnapshotBelowTheLogDropsTheDivergentTail) {
  OpenFresh(2);
  AppendAll(Recs(1, 1, 6));
  ASSERT_TRUE(st_->InstallSnapshot(Z(1, 3), "at-1.3").ok());
  CrashAndReopen();
  EXPECT_EQ(rec_.snapshot.zxid, Z(1, 3));
  EXPECT_TRUE(rec_.log.empty());
  AppendAll(Recs(2, 1, 1));
  CrashAndReopen();
  EXPECT_EQ(rec_.log, Recs(2, 1, 1));
}

TEST_F(StorageTest, EpochWritesAreDurableAndRecovered) {
  OpenFresh(0);
  ASSERT_TRUE(st_->WriteAcceptedEpoch(7).ok());
  ASSERT_TRUE(st_->WriteCurrentEpoch(6).ok());
  CrashAndReopen();
  EXPECT_EQ(rec_.accepted_epoch, 7u);
  EXPECT_EQ(rec_.current_epoch, 6u);
  EXPECT_EQ(*mem_.ReadFile("/db/acceptedEpoch"), "7\n");
}

// Durable order (storage.h): the synced history is durable before the currentEpoch that
// certifies it, with no Sync() from the caller (zab.md 5.2, 7.3 rule 1; ZOOKEEPER-4643).
TEST_F(StorageTest, AnEpochWriteMakesEveryEarlierAppendDurableFirst) {
  OpenFresh(1);
  AppendAll(Recs(1, 1, 3), /*sync=*/false);
  ASSERT_TRUE(st_->WriteCurrentEpoch(2).ok());
  AppendAll(Recs(2, 1, 1), /*sync=*/false);
  ASSERT_TRUE(st_->WriteAcceptedEpoch(3).ok());
  AppendAll(Recs(3, 1, 1), /*sync=*/false);  // after the last durable call: lost
  CrashAndReopen();
  EXPECT_EQ(rec_.current_epoch, 2u);
  EXPECT_EQ(rec_.accepted_epoch, 3u);
  EXPECT_EQ(rec_.log, Concat(Recs(1, 1, 3), Recs(2, 1, 1)));
}

TEST_F(StorageTest, SyncEioSurfacesAsStatusAndLaterWritesFailUntilReopen) {
  FaultyEnv faulty(&mem_);
  OpenOk(&faulty);
  ASSERT_TRUE(st_->WriteAcceptedEpoch(1).ok());
  ASSERT_TRUE(st_->WriteCurrentEpoch(1).ok());
  AppendAll(Recs(1, 1, 3));
  faulty.FailSyncsAfter(0, EIO);
  ASSERT_TRUE(st_->Append(R(1, 4)).ok());
  faultline::Status s = st_->Sync();
  EXPECT_EQ(s.code(), StatusCode::kIoError);
  EXPECT_NE(s.message().find("Input/output error"), std::string::npos) << s.message();
  faulty.Heal();
  // fsyncgate: a failed fsync is not retried as if nothing happened.
  EXPECT_EQ(st_->Sync().code(), StatusCode::kIoError);
  EXPECT_EQ(st_->Append(R(1, 5)).code(), StatusCode::kIoError);
  EXPECT_EQ(st_->WriteCurrentEpoch(2).code(), StatusCode::kIoError);
  CrashAndReopen();
  EXPECT_EQ(rec_.log, Recs(1, 1, 3));
}

TEST_F(StorageTest, EnospcShortWriteLeavesATornTailThatRecoveryCuts) {
  FaultyEnv faulty(&mem_);
  OpenOk(&faulty);
  ASSERT_TRUE(st_->WriteAcceptedEpoch(1).ok());
  ASSERT_TRUE(st_->WriteCurrentEpoch(1).ok());
  AppendAll(Recs(1, 1, 3));
  faulty.FailWritesAfter(0, ENOSPC);
  AppendAll(Recs(1, 4, 4), /*sync=*/false);
  EXPECT_EQ(st_->Sync().code(), StatusCode::kIoError);  // half of record 1.4 was written
  // The half-written bytes reach the disk anyway (a later fsync by anyone would keep them).
  auto seg = SegmentPath("/db", Z(1, 1));
  mem_.CorruptFile(seg, *mem_.ReadFile(seg));
  st_.reset();
  OpenOk();
  EXPECT_TRUE(rec_.report.torn_tail_truncated);
  EXPECT_EQ(rec_.report.torn_tail_file, seg);
  EXPECT_EQ(rec_.log, Recs(1, 1, 3));
  AppendAll(Recs(1, 4, 4));
}

TEST_F(StorageTest, FailedSnapshotWriteIsAnErrorAndTheOldStateRemains) {
  FaultyEnv faulty(&mem_);
  OpenOk(&faulty);
  ASSERT_TRUE(st_->WriteAcceptedEpoch(1).ok());
  ASSERT_TRUE(st_->WriteCurrentEpoch(1).ok());
  AppendAll(Recs(1, 1, 3));
  faulty.FailPathsContaining("snapshot", ENOSPC);
  EXPECT_EQ(st_->WriteSnapshot(Z(1, 2), "s").code(), StatusCode::kIoError);
  st_.reset();
  mem_.Crash();
  OpenOk();
  EXPECT_EQ(rec_.snapshot.zxid, 0u);
  EXPECT_EQ(rec_.log, Recs(1, 1, 3));
}

TEST_F(StorageTest, FailedEpochWriteLeavesTheOldValueInMemoryAndOnDisk) {
  FaultyEnv faulty(&mem_);
  OpenOk(&faulty);
  ASSERT_TRUE(st_->WriteCurrentEpoch(1).ok());
  ASSERT_TRUE(st_->WriteAcceptedEpoch(3).ok());
  faulty.FailPathsContaining("currentEpoch", EIO);
  EXPECT_EQ(st_->WriteCurrentEpoch(2).code(), StatusCode::kIoError);
  CrashAndReopen();
  EXPECT_EQ(rec_.current_epoch, 1u);
}

TEST(PosixStorageTest, AppendSyncReopenRoundTripOnTheRealFileSystem) {
  char tmpl[] = "/tmp/storage_test.XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  const std::string dir = std::string(tmpl) + "/data";
  std::vector<Record> records = Concat(Recs(1, 1, 50), Recs(2, 1, 50));
  {
    Options options;
    options.segment_bytes_max = 1000;
    Recovered rec;
    auto st = Storage::Open(PosixEnv(), dir, options, &rec);
    ASSERT_TRUE(st.ok()) << st.status().ToString();
    ASSERT_TRUE(st.value()->WriteAcceptedEpoch(2).ok());
    ASSERT_TRUE(st.value()->WriteCurrentEpoch(2).ok());
    for (const Record& r : records) ASSERT_TRUE(st.value()->Append(r).ok());
    ASSERT_TRUE(st.value()->Sync().ok());
    ASSERT_TRUE(st.value()->WriteSnapshot(Z(1, 50), "s").ok());
    ASSERT_TRUE(st.value()->TruncateAfter(Z(2, 40)).ok());
    st.value().reset();
    auto again = Storage::Open(PosixEnv(), dir, options, &rec);
    ASSERT_TRUE(again.ok()) << again.status().ToString();
    EXPECT_EQ(rec.snapshot.zxid, Z(1, 50));
    EXPECT_EQ(rec.log, Recs(2, 1, 40));
    EXPECT_EQ(rec.current_epoch, 2u);
    auto second = Storage::Open(PosixEnv(), dir, options, &rec);  // flock: one writer only
    EXPECT_EQ(second.status().code(), StatusCode::kIoError);
  }
  std::filesystem::remove_all(tmpl);
}

// ---- StartSync / FinishSync: the fsync run off the owner's thread (issue 8) ----------------

TEST_F(StorageTest, AStartSyncJobMakesEveryEarlierAppendDurableAndLaterOnesWaitForTheNext) {
  OpenFresh(1);
  AppendAll(Recs(1, 1, 3), /*sync=*/false);
  Storage::SyncJob job = st_->StartSync();
  ASSERT_TRUE(job);
  EXPECT_TRUE(st_->sync_in_flight());
  AppendAll(Recs(1, 4, 5), /*sync=*/false);  // the owner keeps appending while the job runs
  ASSERT_TRUE(job().ok());
  // Durable order of the rest is refused while the job is in flight, and changes nothing.
  for (faultline::Status refused :
       {st_->Sync(), st_->WriteCurrentEpoch(2), st_->WriteAcceptedEpoch(2),
        st_->TruncateAfter(Z(1, 1)), st_->WriteSnapshot(Z(1, 2), "s")}) {
    EXPECT_EQ(refused.code(), StatusCode::kInvalidArgument) << refused.ToString();
    EXPECT_NE(refused.message().find("in flight"), std::string::npos) << refused.ToString();
  }
  ASSERT_TRUE(st_->FinishSync(faultline::Status::Ok()).ok());
  EXPECT_FALSE(st_->sync_in_flight());
  Storage::SyncJob next = st_->StartSync();  // 4 and 5 were appended after the first job began
  ASSERT_TRUE(next);
  ASSERT_TRUE(next().ok());
  ASSERT_TRUE(st_->FinishSync(faultline::Status::Ok()).ok());
  EXPECT_FALSE(st_->StartSync()) << "nothing unsynced: no job";
  AppendAll(Recs(1, 6, 6), /*sync=*/false);
  CrashAndReopen();
  EXPECT_EQ(rec_.log, Recs(1, 1, 5));
  EXPECT_EQ(rec_.current_epoch, 1u);
}

TEST_F(StorageTest, AFailedStartSyncJobFailsTheStorageLikeAFailedSync) {
  OpenFresh(1);
  AppendAll(Recs(1, 1, 1), /*sync=*/false);
  Storage::SyncJob job = st_->StartSync();
  ASSERT_TRUE(job);
  EXPECT_EQ(st_->FinishSync(faultline::Status::IoError("fdatasync: EIO")).code(),
            StatusCode::kIoError);
  EXPECT_EQ(st_->Append(R(1, 2)).code(), StatusCode::kIoError);
  EXPECT_EQ(st_->Sync().code(), StatusCode::kIoError);
}

TEST_F(StorageTest, ASegmentRollDuringAnInFlightSyncStillSyncsTheFinishedSegmentFirst) {
  options_.segment_bytes_max = 100;  // about two records per segment
  OpenFresh(1);
  AppendAll(Recs(1, 1, 2), /*sync=*/false);
  Storage::SyncJob job = st_->StartSync();
  ASSERT_TRUE(job);
  // The job has not run yet; this append rolls to a new segment. Only the last segment may be
  // torn, so the finished one is synced by the roll itself.
  AppendAll(Recs(1, 3, 3), /*sync=*/false);
  ASSERT_EQ(Segments().size(), 2u);
  CrashAndReopen();
  EXPECT_EQ(rec_.log, Recs(1, 1, 2));
}

// ---- Reserved log space (Options::reserve_bytes, WritableFile::Reserve) ----------------------

// A temporary directory on the real file system, removed even when an assertion returns early.
struct PosixTempDir {
  PosixTempDir() {
    char tmpl[] = "/tmp/storage_reserve_test.XXXXXX";
    if (mkdtemp(tmpl) != nullptr) root = tmpl;
  }
  ~PosixTempDir() {
    if (!root.empty()) std::filesystem::remove_all(root);
  }
  std::string data() const { return root + "/data"; }
  std::string root;
};

// Storage on the real file system at `dir`, both epoch files at 1, or why not.
faultline::Result<std::unique_ptr<Storage>> OpenAtEpoch1(const std::string& dir,
                                                          const Options& options) {
  Recovered rec;
  auto st = Storage::Open(PosixEnv(), dir, options, &rec);
  if (!st.ok()) return st.status();
  if (auto s = st.value()->WriteAcceptedEpoch(1); !s.ok()) return s;
  if (auto s = st.value()->WriteCurrentEpoch(1); !s.ok()) return s;
  return st;
}

uint64_t RecordsBytes(const std::vector<Record>& records) {
  uint64_t n = 0;
  for (const Record& r : records) n += kRecordHeaderBytes + r.payload.size();
  return n;
}

TEST(PosixStorageTest, LogSpaceIsReservedAheadOfTheRecordsAndTheZerosAreTrimmedAtReopen) {
  PosixTempDir tmp;
  ASSERT_FALSE(tmp.root.empty());
  Options options;
  options.reserve_bytes = 1 << 20;
  const std::vector<Record> first = Recs(1, 1, 20);
  const std::string seg = SegmentPath(tmp.data(), Z(1, 1));
  {
    auto st = OpenAtEpoch1(tmp.data(), options);
    ASSERT_TRUE(st.ok()) << st.status().ToString();
    for (const Record& r : first) ASSERT_TRUE(st.value()->Append(r).ok());
    ASSERT_TRUE(st.value()->Sync().ok());
    // The file is a megabyte long: the records, then allocated zeros.
    EXPECT_EQ(std::filesystem::file_size(seg), uint64_t{1} << 20);
  }
  Recovered rec;
  auto st = Storage::Open(PosixEnv(), tmp.data(), options, &rec);
  ASSERT_TRUE(st.ok()) << st.status().ToString();
  EXPECT_EQ(rec.log, first);
  EXPECT_FALSE(rec.report.torn_tail_truncated);  // reserved space is not a torn write
  EXPECT_EQ(rec.report.zero_tail_bytes, (uint64_t{1} << 20) - RecordsBytes(first));
  EXPECT_EQ(std::filesystem::file_size(seg), RecordsBytes(first));
  // Later records follow the old ones, not the trimmed zeros.
  for (const Record& r : Recs(1, 21, 30)) ASSERT_TRUE(st.value()->Append(r).ok());
  ASSERT_TRUE(st.value()->Sync().ok());
  st.value().reset();
  auto again = Storage::Open(PosixEnv(), tmp.data(), options, &rec);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(rec.log, Recs(1, 1, 30));
}

// Found looking at a run folder: with 16 MiB reserved per segment, every faultline run kept 48 MiB
// of zeros in its three data dirs (a nightly suite, gigabytes).
TEST(PosixStorageTest, TheDefaultReserveKeepsADataDirWithinAMegabyteOfItsRecords) {
  PosixTempDir tmp;
  ASSERT_FALSE(tmp.root.empty());
  {
    auto st = OpenAtEpoch1(tmp.data(), Options{});
    ASSERT_TRUE(st.ok()) << st.status().ToString();
    for (const Record& r : Recs(1, 1, 10)) ASSERT_TRUE(st.value()->Append(r).ok());
    ASSERT_TRUE(st.value()->Sync().ok());
  }
  const uint64_t size = std::filesystem::file_size(SegmentPath(tmp.data(), Z(1, 1)));
  EXPECT_GT(size, RecordsBytes(Recs(1, 1, 10)));  // reserved, still
  EXPECT_LE(size, uint64_t{1} << 20);
}

TEST(PosixStorageTest, ARolledSegmentKeepsNoReservedZerosSoEverySegmentButTheLastEndsInARecord) {
  PosixTempDir tmp;
  ASSERT_FALSE(tmp.root.empty());
  Options options;
  options.segment_bytes_max = 1000;
  options.reserve_bytes = 1 << 20;  // capped at the roll point
  const std::vector<Record> records = Recs(1, 1, 100);
  {
    auto st = OpenAtEpoch1(tmp.data(), options);
    ASSERT_TRUE(st.ok()) << st.status().ToString();
    for (const Record& r : records) {
      ASSERT_TRUE(st.value()->Append(r).ok());
      ASSERT_TRUE(st.value()->Sync().ok());  // a write, and a reserve, per record
    }
  }
  size_t segments = 0;
  for (const auto& entry : std::filesystem::directory_iterator(tmp.data() + "/log")) {
    if (entry.path().filename().string().rfind("log.", 0) == 0) ++segments;
  }
  EXPECT_GT(segments, 2u);
  Recovered rec;
  auto st = Storage::Open(PosixEnv(), tmp.data(), options, &rec);
  ASSERT_TRUE(st.ok()) << st.status().ToString();  // zeros mid-log would be corruption
  EXPECT_EQ(rec.log, records);
}

TEST(PosixStorageTest, AppendsAfterATruncationOfReservedSpaceFollowTheKeptRecordsAndReserveAgain) {
  PosixTempDir tmp;
  ASSERT_FALSE(tmp.root.empty());
  Options options;
  options.reserve_bytes = 1 << 20;
  const std::string seg = SegmentPath(tmp.data(), Z(1, 1));
  {
    auto st = OpenAtEpoch1(tmp.data(), options);
    ASSERT_TRUE(st.ok()) << st.status().ToString();
    for (const Record& r : Recs(1, 1, 10)) ASSERT_TRUE(st.value()->Append(r).ok());
    ASSERT_TRUE(st.value()->Sync().ok());
    ASSERT_TRUE(st.value()->TruncateAfter(Z(1, 10)).ok());  // a DIFF's no-op TRUNC
    ASSERT_TRUE(st.value()->TruncateAfter(Z(1, 8)).ok());   // and a real one
    EXPECT_EQ(std::filesystem::file_size(seg), RecordsBytes(Recs(1, 1, 8)));  // zeros cut too
    for (const Record& r : Recs(1, 9, 12)) ASSERT_TRUE(st.value()->Append(r).ok());
    ASSERT_TRUE(st.value()->Sync().ok());
    EXPECT_EQ(std::filesystem::file_size(seg), RecordsBytes(Recs(1, 1, 8)) + (1 << 20));  // again
  }
  Recovered rec;
  auto st = Storage::Open(PosixEnv(), tmp.data(), options, &rec);
  ASSERT_TRUE(st.ok()) << st.status().ToString();
  EXPECT_EQ(rec.log, Recs(1, 1, 12));
}

// RLIMIT_FSIZE stands in for a nearly full disk: fallocate past it fails (EFBIG), as it fails
// with ENOSPC on a disk with less room than the reserve, while the records still fit.
TEST(PosixStorageTest, ADiskWithoutRoomForTheReserveStillTakesTheRecordsThatFit) {
  PosixTempDir tmp;
  ASSERT_FALSE(tmp.root.empty());
  Options options;
  options.reserve_bytes = 1 << 20;
  struct rlimit old {};
  ASSERT_EQ(getrlimit(RLIMIT_FSIZE, &old), 0);
  std::signal(SIGXFSZ, SIG_IGN);  // a write past the limit fails with EFBIG, not a signal
  struct rlimit small = old;
  small.rlim_cur = 64 << 10;
  ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &small), 0);
  faultline::Status appended, synced;
  {
    auto st = OpenAtEpoch1(tmp.data(), options);
    if (st.ok()) {
      for (const Record& r : Recs(1, 1, 100)) {
        appended = st.value()->Append(r);
        if (!appended.ok()) break;
      }
      synced = st.value()->Sync();
    } else {
      synced = st.status();
    }
  }
  ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &old), 0);
  ASSERT_TRUE(appended.ok()) << appended.ToString();
  ASSERT_TRUE(synced.ok()) << synced.ToString();
  Recovered rec;
  auto st = Storage::Open(PosixEnv(), tmp.data(), options, &rec);
  ASSERT_TRUE(st.ok()) << st.status().ToString();
  EXPECT_EQ(rec.log, Recs(1, 1, 100));
}

}  // namespace
}  // namespace storage
