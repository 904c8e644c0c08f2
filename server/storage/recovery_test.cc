// Recovery (Storage::Open): torn tails are cut and reported; corruption, zxid gaps and epoch
// files contradicting the log are errors naming the file, offset and zxid; snapshot fallback.
#include <gtest/gtest.h>

#include "server/storage/storage_test_util.h"

namespace storage {
namespace {

using faultline::StatusCode;
using testing::Concat;
using testing::R;
using testing::Recs;
using testing::SegmentPath;
using testing::Z;

constexpr size_t kRecordBytes = kRecordHeaderBytes + 23;  // PayloadFor() is 23 bytes

class RecoveryTest : public testing::StorageFixture {
 protected:
  // Three synced records 1.1..1.3 in one segment; returns its bytes.
  std::string ThreeRecords() {
    OpenFresh(1);
    AppendAll(Recs(1, 1, 3));
    st_.reset();
    return Contents(seg_);
  }

  void ExpectCorruptionMentions(const std::vector<std::string>& needles) {
    faultline::Status s = Open();
    ASSERT_EQ(s.code(), StatusCode::kCorruption) << s.ToString();
    for (const std::string& n : needles) {
      EXPECT_NE(s.message().find(n), std::string::npos) << "'" << n << "' not in: " << s.message();
    }
  }

  std::string Encoded(const std::vector<Record>& records) {
    std::string out;
    for (const Record& r : records) EncodeRecord(r.zxid, r.payload, &out);
    return out;
  }

  const std::string seg_ = SegmentPath("/db", Z(1, 1));
};

TEST_F(RecoveryTest, TornTailAtEveryCutPointOfTheLastRecordIsCutAndEarlierRecordsSurvive) {
  const std::string whole = ThreeRecords();
  ASSERT_EQ(whole.size(), 3 * kRecordBytes);
  const size_t last_start = 2 * kRecordBytes;
  for (size_t cut = last_start + 1; cut < whole.size(); ++cut) {
    SCOPED_TRACE("cut at " + std::to_string(cut));
    mem_.CorruptFile(seg_, whole.substr(0, cut));
    OpenOk();
    EXPECT_EQ(rec_.log, Recs(1, 1, 2));
    EXPECT_TRUE(rec_.report.torn_tail_truncated);
    EXPECT_EQ(rec_.report.torn_tail_file, seg_);
    EXPECT_EQ(rec_.report.torn_tail_offset, last_start);
    EXPECT_EQ(Contents(seg_).size(), last_start);  // cut durably
    EXPECT_EQ(st_->last_zxid(), Z(1, 2));
    st_.reset();
  }
  // A cut exactly at a record boundary is no damage at all.
  mem_.CorruptFile(seg_, whole.substr(0, last_start));
  OpenOk();
  EXPECT_FALSE(rec_.report.torn_tail_truncated);
}

TEST_F(RecoveryTest, BadChecksumOnTheFinalRecordIsATornTail) {
  std::string bytes = ThreeRecords();
  bytes[bytes.size() - 1] ^= 0x40;
  mem_.CorruptFile(seg_, bytes);
  OpenOk();
  EXPECT_TRUE(rec_.report.torn_tail_truncated);
  EXPECT_EQ(rec_.log, Recs(1, 1, 2));
}

TEST_F(RecoveryTest, ZeroFilledTailIsCutAndReportedAsZerosNotAsATornWrite) {
  const std::string records = ThreeRecords();
  mem_.CorruptFile(seg_, records + std::string(100, '\0'));
  OpenOk();
  EXPECT_FALSE(rec_.report.torn_tail_truncated);
  EXPECT_EQ(rec_.report.zero_tail_bytes, 100u);
  EXPECT_EQ(rec_.log, Recs(1, 1, 3));
  EXPECT_EQ(Contents(seg_), records);
}

TEST_F(RecoveryTest, ATornRecordFollowedByZerosIsATornTail) {
  std::string bytes = ThreeRecords();
  bytes.resize(bytes.size() - 3);
  bytes += std::string(1000, '\0');
  mem_.CorruptFile(seg_, bytes);
  OpenOk();
  EXPECT_TRUE(rec_.report.torn_tail_truncated);
  EXPECT_EQ(rec_.report.torn_tail_offset, 2 * kRecordBytes);
  EXPECT_EQ(rec_.report.zero_tail_bytes, 0u);
  EXPECT_EQ(rec_.log, Recs(1, 1, 2));
}

TEST_F(RecoveryTest, ZerosBeforeTheLastSegmentAreCorruptionNotATail) {
  // Only the open segment is reserved ahead; a roll trims it first (storage.cc Roll).
  std::string bytes = ThreeRecords() + std::string(64, '\0');
  mem_.CorruptFile(seg_, bytes);
  Plant(SegmentPath("/db", Z(1, 4)), Encoded({R(1, 4)}));
  ExpectCorruptionMentions({seg_, "offset " + std::to_string(3 * kRecordBytes), "before the tail"});
  EXPECT_EQ(Contents(seg_), bytes);  // nothing was cut
}

TEST_F(RecoveryTest, FlippedByteInTheMiddleIsCorruptionNamingFileOffsetAndZxid) {
  std::string bytes = ThreeRecords();
  bytes[kRecordBytes + kRecordHeaderBytes + 5] ^= 0x01;  // payload of record 1.2
  mem_.CorruptFile(seg_, bytes);
  ExpectCorruptionMentions({seg_, "offset " + std::to_string(kRecordBytes), "bad checksum",
                            "0x100000002", "last good zxid 0x100000001"});
  EXPECT_EQ(Contents(seg_), bytes);  // nothing was cut
}

TEST_F(RecoveryTest, DamagedLengthFieldMidFileIsNotMistakenForATornTail) {
  std::string bytes = ThreeRecords();
  bytes[kRecordBytes + 2] = 0x7f;  // record 1.2 now claims a payload far past the end
  mem_.CorruptFile(seg_, bytes);
  ExpectCorruptionMentions({seg_, "offset " + std::to_string(kRecordBytes), "short payload"});
}

TEST_F(RecoveryTest, DamageAtTheTailOfAnEarlierSegmentIsCorruption) {
  options_.segment_bytes_max = 100;  // two records per segment
  OpenFresh(1);
  AppendAll(Recs(1, 1, 4));
  st_.reset();
  std::string first = Contents(seg_);
  mem_.CorruptFile(seg_, first.substr(0, first.size() - 3));
  ExpectCorruptionMentions({seg_, "offset " + std::to_string(kRecordBytes), "before the tail"});
}

TEST_F(RecoveryTest, ZxidGapWithinAnEpochIsCorruption) {
  Plant(seg_, Encoded({R(1, 1), R(1, 2), R(1, 4)}));
  ExpectCorruptionMentions(
      {seg_, "offset " + std::to_string(2 * kRecordBytes), "gap", "0x100000004", "0x100000002"});
}

TEST_F(RecoveryTest, ZxidGapAcrossSegmentsIsCorruption) {
  Plant(seg_, Encoded({R(1, 1), R(1, 2)}));
  Plant(SegmentPath("/db", Z(1, 5)), Encoded({R(1, 5)}));
  ExpectCorruptionMentions({"log." + Hex16(Z(1, 5)), "offset 0", "gap"});
}

TEST_F(RecoveryTest, NonIncreasingZxidsAreCorruption) {
  Plant(seg_, Encoded({R(1, 1), R(1, 2), R(1, 2)}));
  ExpectCorruptionMentions({seg_, "does not increase", "0x100000002"});
}

TEST_F(RecoveryTest, SegmentWhoseFirstRecordDoesNotMatchItsNameIsCorruption) {
  Plant(seg_, Encoded({R(1, 2)}));
  ExpectCorruptionMentions({seg_, "segment name"});
}

TEST_F(RecoveryTest, NewEpochMayStartAtAnyCounter) {
  Plant(seg_, Encoded({R(1, 1), R(1, 2), R(3, 9)}));
  Plant("/db/currentEpoch", "3\n");
  Plant("/db/acceptedEpoch", "3\n");
  OpenOk();
  EXPECT_EQ(rec_.log, (std::vector<Record>{R(1, 1), R(1, 2), R(3, 9)}));
}

TEST_F(RecoveryTest, EmptyLastSegmentLeftByARollIsRemoved) {
  OpenFresh(1);
  AppendAll(Recs(1, 1, 2));
  st_.reset();
  Plant(SegmentPath("/db", Z(1, 3)), "");
  OpenOk();
  EXPECT_EQ(rec_.log, Recs(1, 1, 2));
  EXPECT_EQ(Segments().size(), 1u);
  EXPECT_EQ(rec_.report.removed_files, std::vector<std::string>{SegmentPath("/db", Z(1, 3))});
  AppendAll(Recs(1, 3, 3));
}

TEST_F(RecoveryTest, AFreshDirectoryGetsBothEpochFilesAtZero) {
  OpenOk();
  EXPECT_EQ(rec_.current_epoch, 0u);
  EXPECT_EQ(rec_.accepted_epoch, 0u);
  EXPECT_EQ(Contents("/db/currentEpoch"), "0\n");
  EXPECT_EQ(Contents("/db/acceptedEpoch"), "0\n");
  EXPECT_TRUE(rec_.report.repaired_files.empty());
}

// Issue 8 finding 4: a deleted acceptedEpoch / currentEpoch was silently recreated from the
// log's epoch, which can lower an epoch the node already promised (here acceptedEpoch 7 with a
// log in epoch 3: recreated as 3, the node would ack epochs 4..7 to a second leader).
TEST_F(RecoveryTest, ADeletedEpochFileIsNotSilentlyRecreated) {
  for (const char* deleted : {"/db/acceptedEpoch", "/db/currentEpoch"}) {
    SCOPED_TRACE(deleted);
    Plant(seg_, Encoded({R(1, 1), R(3, 1)}));
    Plant("/db/acceptedEpoch", "7\n");
    Plant("/db/currentEpoch", "3\n");
    ASSERT_TRUE(mem_.Remove(deleted).ok());
    ExpectCorruptionMentions({std::string(deleted) + ": missing", "0x300000001", seg_, "--repair"});
    EXPECT_FALSE(mem_.Exists(deleted)) << "refusing must not create the file";
  }
}

TEST_F(RecoveryTest, AMissingEpochFileBesideOnlyASnapshotIsCorruptionToo) {
  OpenFresh(1);
  AppendAll(Recs(1, 1, 3));
  ASSERT_TRUE(st_->InstallSnapshot(Z(2, 5), "snap").ok());  // SNAP sync: the log is gone
  ASSERT_TRUE(st_->WriteAcceptedEpoch(2).ok());
  ASSERT_TRUE(st_->WriteCurrentEpoch(2).ok());
  st_.reset();
  ASSERT_TRUE(mem_.Remove("/db/acceptedEpoch").ok());
  ExpectCorruptionMentions({"/db/acceptedEpoch: missing", "0x200000005", "snapshot."});
}

TEST_F(RecoveryTest, RepairRecreatesAMissingEpochFileAndReportsIt) {
  Plant(seg_, Encoded({R(1, 1), R(3, 1)}));
  Plant("/db/currentEpoch", "4\n");  // acceptedEpoch deleted
  options_.repair_missing_epoch_files = true;
  OpenOk();
  // Never below currentEpoch (rule: acceptedEpoch >= currentEpoch) nor the log's epoch.
  EXPECT_EQ(rec_.accepted_epoch, 4u);
  EXPECT_EQ(Contents("/db/acceptedEpoch"), "4\n");
  EXPECT_EQ(rec_.report.repaired_files, std::vector<std::string>{"/db/acceptedEpoch=4"});
  st_.reset();
  ASSERT_TRUE(mem_.Remove("/db/currentEpoch").ok());
  OpenOk();
  EXPECT_EQ(rec_.current_epoch, 3u);  // the epoch of the last zxid
  EXPECT_EQ(rec_.accepted_epoch, 4u);
  EXPECT_EQ(rec_.report.repaired_files, std::vector<std::string>{"/db/currentEpoch=3"});
  st_.reset();
  options_.repair_missing_epoch_files = false;
  OpenOk();  // repaired durably: a plain start works again
  EXPECT_TRUE(rec_.report.repaired_files.empty());
}

TEST_F(RecoveryTest, CurrentEpochBelowTheLogIsRepairedFromCurrentEpochTmp) {
  Plant(seg_, Encoded({R(1, 1), R(2, 1)}));
  Plant("/db/acceptedEpoch", "2\n");
  Plant("/db/currentEpoch", "1\n");
  Plant("/db/currentEpoch.tmp", "2\n");  // crash between the tmp fsync and the rename
  OpenOk();
  EXPECT_TRUE(rec_.report.used_current_epoch_tmp);
  EXPECT_EQ(rec_.current_epoch, 2u);
  EXPECT_EQ(Contents("/db/currentEpoch"), "2\n");
  OpenOk();
  EXPECT_FALSE(rec_.report.used_current_epoch_tmp);
}

TEST_F(RecoveryTest, CurrentEpochBelowTheLogWithoutATmpFileIsCorruption) {
  Plant(seg_, Encoded({R(1, 1), R(2, 1)}));
  Plant("/db/acceptedEpoch", "2\n");
  Plant("/db/currentEpoch", "1\n");
  ExpectCorruptionMentions({"/db/currentEpoch", "offset 0", "0x200000001", seg_});
}

TEST_F(RecoveryTest, CurrentEpochTmpThatIsGarbageOrTooLowIsCorruption) {
  Plant(seg_, Encoded({R(1, 1), R(2, 1)}));
  Plant("/db/acceptedEpoch", "2\n");
  Plant("/db/currentEpoch", "1\n");
  Plant("/db/currentEpoch.tmp", "");  // the tmp write itself was torn
  ExpectCorruptionMentions({"currentEpoch.tmp", "not an epoch number"});
  Plant("/db/currentEpoch.tmp", "1\n");
  ExpectCorruptionMentions({"currentEpoch", "below"});
}

TEST_F(RecoveryTest, StaleCurrentEpochTmpIsRemovedWhenNotNeeded) {
  OpenFresh(4);
  st_.reset();
  Plant("/db/currentEpoch.tmp", "9\n");
  OpenOk();
  EXPECT_EQ(rec_.current_epoch, 4u);
  EXPECT_FALSE(mem_.Exists("/db/currentEpoch.tmp"));
  EXPECT_EQ(rec_.report.removed_files, std::vector<std::string>{"/db/currentEpoch.tmp"});
}

TEST_F(RecoveryTest, AcceptedEpochBelowCurrentEpochIsCorruption) {
  Plant(SegmentPath("/db", Z(2, 1)), Encoded({R(2, 1)}));
  Plant("/db/acceptedEpoch", "1\n");
  Plant("/db/currentEpoch", "2\n");
  ExpectCorruptionMentions(
      {"/db/acceptedEpoch", "offset 0", "below currentEpoch 2", "0x200000001"});
}

TEST_F(RecoveryTest, GarbageInAnEpochFileIsCorruption) {
  Plant("/db/acceptedEpoch", "12abc\n");
  ExpectCorruptionMentions({"/db/acceptedEpoch", "not an epoch number"});
}

TEST_F(RecoveryTest, CorruptNewestSnapshotFallsBackToTheOlderOneAndSaysSo) {
  options_.snapshots_retained = 2;
  OpenFresh(1);
  AppendAll(Recs(1, 1, 8));
  ASSERT_TRUE(st_->WriteSnapshot(Z(1, 3), "s3").ok());
  ASSERT_TRUE(st_->WriteSnapshot(Z(1, 6), "s6").ok());
  st_.reset();
  const std::string newest = "/db/snapshot." + Hex16(Z(1, 6));
  std::string bytes = Contents(newest);
  bytes.back() ^= 1;
  mem_.CorruptFile(newest, bytes);
  OpenOk();
  EXPECT_EQ(rec_.snapshot.zxid, Z(1, 3));
  EXPECT_EQ(rec_.snapshot.state, "s3");
  EXPECT_EQ(rec_.log, Recs(1, 4, 8));
  EXPECT_NE(rec_.report.skipped_snapshots.find("snapshot." + Hex16(Z(1, 6))), std::string::npos);
  EXPECT_NE(rec_.report.skipped_snapshots.find("bad checksum"), std::string::npos);
}

TEST_F(RecoveryTest, OnlySnapshotCorruptWithACompactedLogIsCorruption) {
  options_.segment_bytes_max = 100;
  options_.snapshots_retained = 1;
  OpenFresh(1);
  AppendAll(Recs(1, 1, 8));
  ASSERT_TRUE(st_->WriteSnapshot(Z(1, 6), "s6").ok());
  st_.reset();
  const std::string snap = "/db/snapshot." + Hex16(Z(1, 6));
  mem_.CorruptFile(snap, "FLSNAP01 truncated");
  ExpectCorruptionMentions({"snapshot." + Hex16(Z(1, 6)), "no valid snapshot", "/db/log/base"});
}

TEST_F(RecoveryTest, OnlySnapshotCorruptButTheLogCoversFromZeroRecoversFromTheLog) {
  OpenFresh(1);
  AppendAll(Recs(1, 1, 5));
  ASSERT_TRUE(st_->WriteSnapshot(Z(1, 3), "s3").ok());
  st_.reset();
  mem_.CorruptFile("/db/snapshot." + Hex16(Z(1, 3)), "rot");
  OpenOk();
  EXPECT_EQ(rec_.snapshot.zxid, 0u);
  EXPECT_EQ(rec_.log, Recs(1, 1, 5));
  EXPECT_NE(rec_.report.skipped_snapshots.find("short file"), std::string::npos);
}

TEST_F(RecoveryTest, CorruptSnapshotTheLogDoesNotReachIsCorruption) {
  OpenFresh(1);
  AppendAll(Recs(1, 1, 5));
  ASSERT_TRUE(st_->WriteSnapshot(Z(1, 5), "s5").ok());
  st_.reset();
  // The log lost its tail behind the snapshot (say, a disk that lied about fsync).
  ASSERT_TRUE(mem_.Truncate(seg_, 2 * kRecordBytes).ok());
  mem_.CorruptFile("/db/snapshot." + Hex16(Z(1, 5)), "rot");
  ExpectCorruptionMentions({"snapshot." + Hex16(Z(1, 5)), "log ends at 0x100000002"});
}

TEST_F(RecoveryTest, CorruptInstalledSnapshotIsCorruptionEvenWhenTheLogRunsPastIt) {
  OpenFresh(2);
  AppendAll(Recs(1, 1, 3));
  ASSERT_TRUE(st_->InstallSnapshot(Z(2, 4), "leader").ok());
  AppendAll(Recs(2, 5, 7));
  st_.reset();
  mem_.CorruptFile("/db/snapshot." + Hex16(Z(2, 4)), "rot");
  // The log starts at 2.5: replaying it alone would silently drop everything up to 2.4.
  ExpectCorruptionMentions({"snapshot." + Hex16(Z(2, 4)), "complete only after 0x200000004"});
}

TEST_F(RecoveryTest, GarbageLogBaseMarkerIsCorruption) {
  OpenFresh(1);
  st_.reset();
  Plant("/db/log/base", "zz\n");
  ExpectCorruptionMentions({"/db/log/base", "offset 0"});
}

TEST_F(RecoveryTest, CorruptSnapshotNotCoveredByTheLogAfterAnInstallIsCorruption) {
  OpenFresh(2);
  AppendAll(Recs(1, 1, 3));
  ASSERT_TRUE(st_->WriteSnapshot(Z(1, 3), "s3").ok());
  ASSERT_TRUE(st_->InstallSnapshot(Z(2, 5), "s25").ok());
  st_.reset();
  mem_.CorruptFile("/db/snapshot." + Hex16(Z(2, 5)), "junk");
  ExpectCorruptionMentions({"/db/snapshot." + Hex16(Z(2, 5)), "short file"});
}

TEST_F(RecoveryTest, LogStartingPastTheSnapshotInTheSameEpochIsCorruption) {
  {
    // A valid snapshot at 1.2, then a log that starts at 1.5: records 1.3 and 1.4 are missing.
    OpenFresh(1);
    AppendAll(Recs(1, 1, 2));
    ASSERT_TRUE(st_->WriteSnapshot(Z(1, 2), "s2").ok());
    st_.reset();
  }
  ASSERT_TRUE(mem_.Remove(seg_).ok());
  Plant(SegmentPath("/db", Z(1, 5)), Encoded({R(1, 5)}));
  ExpectCorruptionMentions({"log." + Hex16(Z(1, 5)), "offset 0", "gap"});
}

TEST_F(RecoveryTest, LeftoverSnapshotTempFileIsRemoved) {
  OpenFresh(1);
  st_.reset();
  Plant("/db/snapshot." + Hex16(Z(1, 1)) + ".tmp", "half a snapshot");
  OpenOk();
  EXPECT_FALSE(mem_.Exists("/db/snapshot." + Hex16(Z(1, 1)) + ".tmp"));
  EXPECT_EQ(rec_.snapshot.zxid, 0u);
}

}  // namespace
}  // namespace storage
