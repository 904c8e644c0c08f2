// Fault points: named, switchable re-creations of real ZAB bugs (zab.md 8) and of classic
// consensus mistakes, so the harness can prove that it catches each one (issue 11).
//
// The model is FoundationDB's BUGGIFY:
//  * every point is OFF by default: Config::faults empty = the correct protocol;
//  * a point is enabled only by its exact name (`zabd --fault NAME`, repeatable, command line
//    only: no config-file key, no wildcard), and an unknown name is refused (zabd exits 2), so a
//    typo cannot enable anything and nothing enables one by accident;
//  * enabled points are listed loudly: a warning at start, the `start` event's `faults` field and
//    the `faults:` line of INFO.
// NEVER enable one outside a test: each can lose or corrupt committed data.
//
// Each point is one minimal deviation at the place the bug lived; the hooks read
// `faults_.<field>` in server/core and are commented with the point's name. faults_test.cc shows,
// for every point, the behaviour it changes and that the rest is unchanged.
//
// Inline (header-only) so the zabd config layer validates --fault without linking the core.
#pragma once

#include <set>
#include <string>
#include <vector>

namespace zab {

struct FaultPointInfo {
  const char* name;
  const char* alias;   // a second name for the same deviation ("" if none)
  const char* source;  // the ZooKeeper JIRA, or the mistake it stands for
  const char* deviation;
};

// Every point, in a stable order (the detection matrix lists them in this order).
inline const std::vector<FaultPointInfo>& FaultPointCatalog() {
  static const std::vector<FaultPointInfo> kCatalog = {
      {"zk-1154", "", "ZOOKEEPER-1154",
       "leader sync: a peer zxid missing from the leader's committedLog gets a plain DIFF "
       "(walk rules c and d) instead of TRUNC(prev)+DIFF or SNAP"},
      {"zk-2845", "zk-4712", "ZOOKEEPER-2845, ZOOKEEPER-4712",
       "votes and ACKEPOCH advertise the last APPLIED zxid, and the sync takes it as the end of "
       "the log, so a logged-but-uncommitted tail is hidden and kept (7.3 rule 2)"},
      {"zk-3911", "zk-4646", "ZOOKEEPER-3911, ZOOKEEPER-4646",
       "follower NEWLEADER: the synced txns are applied and NEWLEADER is ACKed, but they reach "
       "the log only at UPTODATE (7.3 rule 1)"},
      {"zk-4643", "", "ZOOKEEPER-4643",
       "follower NEWLEADER: currentEpoch is persisted first; the synced txns go to the log "
       "writer, which logs them a tick later, and the ACK follows them (7.3 rule 1)"},
      {"snapshot-uncommitted-tail", "zk-1549", "ZOOKEEPER-1549, ZOOKEEPER-1558",
       "a prospective leader snapshots its whole log, uncommitted tail included, when its "
       "synchronization starts; the snapshot is named by its committed point, so a later TRUNC "
       "keeps it and the reload resurrects the tail (7.3 rule 5)"},
      {"commit-without-quorum", "", "mistake: counting the leader's own ACK as a quorum",
       "the leader commits a proposal on its own ACK"},
      {"vote-ignores-zxid", "", "mistake: electing a leader without comparing histories",
       "FLE orders votes by server id only, and discovery trusts the winner's history (no "
       "'follower is ahead of the leader' drop)"},
      {"no-epoch-fence", "", "mistake: trusting any PROPOSAL/COMMIT on a peer link (7.3 rule 7)",
       "a follower accepts PROPOSAL/COMMIT from a leader of an older epoch, and ACKs it to that "
       "leader"},
      {"local-read-as-linearizable", "", "mistake: serving linearizable reads without a quorum",
       "`linearizable` reads are served from the local copy, with no quorum round"},
      {"forget-accepted-epoch", "", "mistake: not persisting the discovery promise (7.3 rule 4)",
       "acceptedEpoch is kept in memory only (on disk it is written with currentEpoch), so a "
       "restarted node can ack one epoch to two leaders"},
      {"ack-before-fsync", "", "mistake: acknowledging before the write is durable (7.3 rule 1)",
       "a follower ACKs a PROPOSAL on receipt; its log writer appends and fsyncs it a tick "
       "later"},
  };
  return kCatalog;
}

// The known names (aliases included), sorted.
inline const std::set<std::string>& KnownFaults() {
  static const std::set<std::string> kFaults = [] {
    std::set<std::string> s;
    for (const FaultPointInfo& f : FaultPointCatalog()) {
      s.insert(f.name);
      if (*f.alias) s.insert(f.alias);
    }
    return s;
  }();
  return kFaults;
}

// "name1,name2" (empty for none), for logs, INFO and the `start` event.
inline std::string JoinFaults(const std::set<std::string>& faults) {
  std::string s;
  for (const std::string& f : faults) s += (s.empty() ? "" : ",") + f;
  return s;
}

// The enabled points as flags (what the core's hooks read). Unknown names are ignored here: the
// config layer refuses them before a Peer is built.
struct FaultPoints {
  bool zk1154 = false;
  bool zk2845 = false;  // also zk-4712
  bool zk3911 = false;  // also zk-4646
  bool zk4643 = false;
  bool snapshot_uncommitted_tail = false;  // also zk-1549
  bool commit_without_quorum = false;
  bool vote_ignores_zxid = false;
  bool no_epoch_fence = false;
  bool local_read_as_linearizable = false;
  bool forget_accepted_epoch = false;
  bool ack_before_fsync = false;

  static FaultPoints FromNames(const std::set<std::string>& names) {
    auto on = [&](const char* a, const char* b = "") {
      return names.count(a) > 0 || (*b && names.count(b) > 0);
    };
    FaultPoints f;
    f.zk1154 = on("zk-1154");
    f.zk2845 = on("zk-2845", "zk-4712");
    f.zk3911 = on("zk-3911", "zk-4646");
    f.zk4643 = on("zk-4643");
    f.snapshot_uncommitted_tail = on("snapshot-uncommitted-tail", "zk-1549");
    f.commit_without_quorum = on("commit-without-quorum");
    f.vote_ignores_zxid = on("vote-ignores-zxid");
    f.no_epoch_fence = on("no-epoch-fence");
    f.local_read_as_linearizable = on("local-read-as-linearizable");
    f.forget_accepted_epoch = on("forget-accepted-epoch");
    f.ack_before_fsync = on("ack-before-fsync");
    return f;
  }
};

}  // namespace zab
