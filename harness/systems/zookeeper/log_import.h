// ZooKeeper server logs -> checkers::NodeEvent (docs/contracts.md section 3), so the ZAB-invariant
// and lost-write forensics checkers run on real ZooKeeper 3.8 the way they run on zabd.
//
// Input: each node's whole server log, written with the layout the launcher ships
// (zk_config.h, kLog4jPattern):
//   2026-12-01T21:15:39.692+0000 INFO  [LearnerHandler-/127.0.0.1:48804:LearnerHandler@805] - msg
// i.e. timestamp with its UTC offset, level, [thread:Class@line], message. Lines that do not start
// with a timestamp continue the previous record (stack traces) and are skipped. Only the message
// text is matched, never the source line number (it moves between releases).
//
// What ZooKeeper says, and the event each line becomes (the text is ZooKeeper's own, from 3.8.0):
//   main thread "Snapshot loaded in N ms, highest zxid is 0xZ"      start {last_zxid}
//   "LOOKING" / "Peer state changed: following - synchronization"    role {role, phase[, epoch]}
//   "New election. My id = N, proposed zxid=0xZ"                     vote {leader: N, zxid}
//   "LEADING|FOLLOWING - LEADER ELECTION TOOK - N MS"                elected {leader, zxid, epoch}
//   "Have quorum of supporters, sids: [[1, 2]]; ... zxid: 0xE00000000" established {epoch, quorum}
//   LearnerHandler thread: "Synchronizing with Learner sid: N maxCommittedLog=.. minCommittedLog=..
//     lastProcessedZxid=.. peerLastZxid=..", then "Sending DIFF", "Sending TRUNC", "Cannot send
//     TRUNC", "Unhandled scenario ... fall back to use snapshot", "Sending snapshot ...", and at
//     DEBUG "Sending TRUNC to follower zxidToSend=..", "Start forwarding 0xZ"  sync_decision
//   "Getting a diff / a snapshot from (the) leader 0xZ", "Truncating log ... 0xZ"
//                                                    sync_received (+ snapshot_installed /
//                                                    truncate)
//   "Learner received NEWLEADER / UPTODATE message"                  newleader / uptodate
//   "Snapshotting: 0xZ to ..."                                       snapshot {zxid}
//   "Shutdown called. For the reason ..." (leader), "Disconnected from leader ..." (follower)
//                                                                    step_down {reason[, epoch]}
//
// ZooKeeper logs some facts on one node only, so the importer joins the nodes' logs:
//   - a follower never logs its leader or the new epoch: both come from the leader that logged a
//     sync decision for that follower's sid just before the follower logged the sync it received;
//   - a TRUNC names only the zxid kept: the end of the removed range is the follower's
//     peerLastZxid from the same leader decision (removed_count when both share an epoch);
//   - the epoch of a leadership term is the one its "Have quorum" line established.
// Two quirks of ZooKeeper's own wording are corrected (zab.md 5.1): for a peer whose zxid counter
// is 0 the leader logs "Sending TRUNC zxid=.." but queues a DIFF (3.8.0 writes it only on the
// txn-log path with nothing for the peer, and "Detected gap" and a SNAP always follow:
// testdata/zookeeper/sync-lines/txnlog-gap); and TRUNC for a peer ahead of
// the committed log (rule 3) is logged at DEBUG only, so with DEBUG off it is inferred from the
// numbers of the "Synchronizing" line (the event then carries inferred: true).
//
// Pure: text in, events out; no files, no clock.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "checkers/history.h"

namespace faultline::harness::zookeeper {

// One timestamped line of a server log.
struct LogRecord {
  int64_t ts_ms = 0;  // Unix milliseconds (the timestamp's own offset applied)
  std::string level;  // INFO, WARN, DEBUG, ...
  std::string thread;
  std::string source;  // "LearnerHandler@805" (class@line, as logged)
  std::string message;
};

// Parses one line in the shipped layout; nullopt for a line that does not start a record.
std::optional<LogRecord> ParseLogLine(std::string_view line);

struct LogImportStats {
  int64_t lines = 0;               // every line read
  int64_t records = 0;             // lines that start a record
  int64_t continuation_lines = 0;  // stack traces and other multi-line messages
  int64_t malformed_lines = 0;     // lines that look like a record but do not parse
  int64_t recognized_records = 0;  // records some rule above used
  // Records from the quorum classes (QuorumPeer, Leader, Follower, Learner, LearnerHandler,
  // FastLeaderElection) that no rule recognized, by source: what a new ZooKeeper release may say
  // differently. Counts only; the report prints the top entries.
  std::map<std::string, int64_t> unrecognized_quorum_sources;
  int64_t sync_decisions = 0;
  int64_t sync_decisions_matched = 0;  // joined with the follower's sync_received
  std::map<std::string, int64_t> events_by_type;
};

struct LogImportResult {
  std::vector<checkers::NodeEvent> events;  // every node's events, each node in log order
  // Parallel to events: false for an event that more log text could still change (its term's
  // leader or epoch not yet known, its sync decision not yet joined or not yet complete). All
  // true when the logs were complete.
  std::vector<bool> settled;
  LogImportStats stats;
  std::string Summary() const;  // one paragraph for the run log and the tests
};

// One line of a log, parsed once (streaming imports keep these instead of text).
struct LogLine {
  enum class Kind { kRecord, kContinuation, kMalformed };
  Kind kind = Kind::kContinuation;
  LogRecord record;  // kRecord
};
LogLine ClassifyLogLine(std::string_view line);
std::vector<LogLine> SplitLogLines(std::string_view text);  // a trailing partial line included

// node id -> that node's whole server log text (appended across restarts), all of it written.
LogImportResult ImportServerLogs(const std::map<int64_t, std::string>& logs);
// The same over parsed lines. `complete` false: the logs are still growing, and `settled` says
// which events are final.
LogImportResult ImportParsedLogs(const std::map<int64_t, std::vector<LogLine>>& logs,
                                 bool complete);

}  // namespace faultline::harness::zookeeper
