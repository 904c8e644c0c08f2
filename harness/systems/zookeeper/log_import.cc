// ZooKeeper server logs -> NodeEvents: one pass per node that turns recognized lines into draft
// events (and tracks each node's leadership / followership terms), then a join across nodes that
// fills what only another node logged (log_import.h).
#include "harness/systems/zookeeper/log_import.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>

#include "checkers/zab/zxid.h"
#include "harness/systems/zookeeper/log_text.h"

namespace faultline::harness::zookeeper {
namespace {

using checkers::NodeEvent;
using nlohmann::json;

constexpr int64_t kNone = -1;
// A follower logs the sync it received a few ms after its leader logged the decision; allow a
// loaded machine (GC pauses, 2 cores) plenty, and a little clock skew the other way.
constexpr int64_t kSyncJoinBeforeMs = 10'000;
constexpr int64_t kSyncJoinAfterMs = 200;

int64_t EpochOf(int64_t zxid) { return zxid >> 32; }
int64_t CounterOf(int64_t zxid) { return zxid & 0xffffffffLL; }

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

std::string_view ClassOf(std::string_view source) { return source.substr(0, source.find('@')); }

// From one LEADING / FOLLOWING line of a node to its next election.
struct Term {
  bool leading = false;
  int64_t epoch = kNone;          // leader: its "Have quorum" line; follower: its leader's
  int64_t leader = kNone;         // follower: joined from the leader's sync decision
  int leader_term = -1;           // follower: index into the leader node's terms
  int64_t received_ts_ms = 0;     // follower: when it logged the sync it received
  int64_t election_zxid = kNone;  // the zxid this node entered the election with
  bool closed = false;            // the node has since logged a new election, term or start
};

struct Draft {
  NodeEvent event;       // its fields are set from `fields` once the import is finished
  nlohmann::json fields;  // built up as later lines say more (mode, matched, epoch, ...)
  int term = -1;             // the node's term when the line was logged; -1 outside any term
  bool open_at_end = false;  // a sync decision the input ended in the middle of
};

// A leader's decision in progress on one LearnerHandler thread.
struct PendingSync {
  size_t draft = 0;
  std::string mode;          // from an explicit line; "" until one is seen
  std::string snap_reason;   // any reason the decision fell back to SNAP
  int64_t trunc_to = kNone;  // TRUNC / TRUNC+DIFF
};

struct NodeState {
  std::vector<Term> terms;
  int current = -1;
  int64_t last_ts_ms = 0;   // of the last record read
  std::string role, phase;  // of the last role event
  int64_t election_zxid = kNone;
  std::map<std::string, PendingSync> syncs;  // LearnerHandler thread -> decision
};

// Quorum-class messages deliberately not turned into events (configuration echoes, per-packet
// chatter, shutdown steps); they count as recognized, not as unknown wording.
constexpr std::array<std::string_view, 29> kIgnoredPrefixes = {
    "Follower sid: ",
    "Synchronously closing socket",
    "Asynchronously closing socket",
    "******* GOODBYE",
    "Unexpected exception",
    "Sending NEWLEADER message",
    "Received NEWLEADER-ACK",
    "Sending UPTODATE message",
    "Notification time out",
    "Got zxid ",  // the follower's first packet after a (re)connection: "expected 0x1"
    "shutdown Follower",
    "Exception when following",
    "PeerState set to LOOKING",
    "Shutting down",
    "Dynamic reconfig",
    "Oracle indicates",
    "Revalidating client",
    "Using ",
    "Local session",
    "Port unification",
    "QuorumPeer communication is not secured",
    "currentEpoch not found",
    "acceptedEpoch not found",
    "TCP NoDelay",
    "leaderConnectDelayDuringRetryMs",
    "NEWLEADER proposal has Zxid",
    "Successfully connected to leader",
    "Enough followers present",
    "Forcing snapshot sync is enabled",  // LearnerHandler's constructor (the decision line differs)
};
constexpr std::array<std::string_view, 6> kQuorumClasses = {
    "QuorumPeer", "Leader", "Follower", "Learner", "LearnerHandler", "FastLeaderElection"};

bool IsIgnored(std::string_view message) {
  if (message == "LEADING" || message == "FOLLOWING") return true;  // the *_ELECTION TOOK lines
  for (std::string_view p : kIgnoredPrefixes) {
    if (StartsWith(message, p)) return true;
  }
  // Tunables echoed at start: "tickTime set to 200", "zookeeper.leader.x = 1", "a.b=-1".
  return message.find(" set to ") != std::string_view::npos || StartsWith(message, "zookeeper.") ||
         message.find(" = ") != std::string_view::npos;
}

class Importer {
 public:
  explicit Importer(bool complete) : complete_(complete) {}

  void Node(int64_t node, const std::vector<LogLine>& lines) {
    NodeState& st = nodes_[node];
    for (const LogLine& line : lines) {
      ++stats_.lines;
      if (line.kind == LogLine::Kind::kContinuation) {
        ++stats_.continuation_lines;
        continue;
      }
      if (line.kind == LogLine::Kind::kMalformed) {
        ++stats_.malformed_lines;
        continue;
      }
      const LogRecord& rec = line.record;
      ++stats_.records;
      st.last_ts_ms = std::max(st.last_ts_ms, rec.ts_ms);
      if (Record(node, st, rec)) {
        ++stats_.recognized_records;
      } else if (std::find(kQuorumClasses.begin(), kQuorumClasses.end(), ClassOf(rec.source)) !=
                     kQuorumClasses.end() &&
                 !IsIgnored(rec.message)) {
        ++stats_.unrecognized_quorum_sources[rec.source];
      } else if (IsIgnored(rec.message)) {
        ++stats_.recognized_records;  // deliberately ignored
      }
    }
    // A decision still open at the end of what was read: decided now, but (unless the logs are
    // complete) not settled, since the next lines may still say more.
    for (auto& [thread, pending] : st.syncs) {
      Finalize(pending);
      drafts_[pending.draft].open_at_end = true;
    }
    st.syncs.clear();
  }

  LogImportResult Finish() {
    Join();
    LogImportResult out;
    for (size_t i = 0; i < drafts_.size(); ++i) out.settled.push_back(Settled(i));
    for (Draft& d : drafts_) {
      ++stats_.events_by_type[d.event.type];
      d.event.fields = checkers::FieldList::FromJson(d.fields);
      out.events.push_back(std::move(d.event));
    }
    out.stats = stats_;
    return out;
  }

 private:
  size_t Emit(int64_t node, const NodeState& st, const LogRecord& r, std::string type,
              json fields = json::object()) {
    Draft d;
    d.term = st.current;
    d.event.node = node;
    d.event.ts_ms = r.ts_ms;
    d.event.type = type;
    fields["ts_ms"] = r.ts_ms;
    fields["node"] = node;
    fields["type"] = std::move(type);
    d.fields = std::move(fields);
    drafts_.push_back(std::move(d));
    return drafts_.size() - 1;
  }

  void Role(int64_t node, NodeState& st, const LogRecord& r, std::string role, std::string phase) {
    if (role == st.role && phase == st.phase) return;
    st.role = role;
    st.phase = phase;
    Emit(node, st, r, "role", {{"role", std::move(role)}, {"phase", std::move(phase)}});
  }

  void EndTerm(NodeState& st) {
    if (st.current >= 0) st.terms[st.current].closed = true;
    st.current = -1;
  }

  void NewTerm(NodeState& st, bool leading) {
    EndTerm(st);
    Term t;
    t.leading = leading;
    t.election_zxid = st.election_zxid;
    st.terms.push_back(t);
    st.current = static_cast<int>(st.terms.size()) - 1;
  }

  // Returns true when a rule used the record.
  bool Record(int64_t node, NodeState& st, const LogRecord& r) {
    const std::string_view m = r.message;
    if (StartsWith(r.thread, "LearnerHandler-")) {
      if (SyncLine(node, st, r)) return true;
      auto it = st.syncs.find(r.thread);  // any other line of that thread ends the decision
      if (it != st.syncs.end()) {
        Finalize(it->second);
        st.syncs.erase(it);
      }
      return false;
    }
    if (StartsWith(m, "Snapshot loaded in ") && r.thread == "main") {
      // A process start: recovery done (snapshot + txn log replayed).
      EndTerm(st);
      st.role.clear();
      st.phase.clear();
      auto zxid = HexAfter(m, "highest zxid is ");
      Emit(node, st, r, "start", {{"last_zxid", zxid.value_or(kNone)}});
      return true;
    }
    if (m == "LOOKING" || m == "Peer state changed: looking") {
      EndTerm(st);
      Role(node, st, r, "looking", "election");
      return true;
    }
    if (StartsWith(m, "Peer state changed: ")) {
      // "following - synchronization - diff": role, phase, sync mode.
      std::string_view rest = m.substr(20);
      size_t dash = rest.find(" - ");
      if (dash == std::string_view::npos) return true;  // FLE decided; the term starts below
      std::string role(rest.substr(0, dash));
      std::string_view phase = rest.substr(dash + 3);
      phase = phase.substr(0, phase.find(" - "));
      Role(node, st, r, role, std::string(phase));
      return true;
    }
    if (StartsWith(m, "New election. My id = ")) {
      st.election_zxid = HexAfter(m, "proposed zxid=").value_or(kNone);
      Emit(node, st, r, "vote",
           {{"leader", IntAfter(m, "My id = ").value_or(node)}, {"zxid", st.election_zxid}});
      return true;
    }
    if (StartsWith(m, "LEADING - LEADER ELECTION TOOK - ") ||
        StartsWith(m, "FOLLOWING - LEADER ELECTION TOOK - ")) {
      const bool leading = m[0] == 'L';
      NewTerm(st, leading);
      json f = {{"election_ms", IntAfter(m, "TOOK - ").value_or(kNone)}};
      if (leading) f["leader"] = node;
      Emit(node, st, r, "elected", std::move(f));
      return true;
    }
    if (StartsWith(m, "Have quorum of supporters, sids: ")) {
      // "[[1, 2]]; starting up and setting last processed zxid: 0x200000000"
      auto zxid = HexAfter(m, "last processed zxid: ");
      std::string quorum;
      size_t open = m.find("[[");
      size_t close = m.find(']', open == std::string_view::npos ? 0 : open);
      if (open != std::string_view::npos && close != std::string_view::npos) {
        for (char c : m.substr(open + 2, close - open - 2)) {
          if (c != ' ') quorum += c;
        }
      }
      int64_t epoch = zxid ? EpochOf(*zxid) : kNone;
      if (st.current >= 0 && st.terms[st.current].leading) st.terms[st.current].epoch = epoch;
      Emit(node, st, r, "established", {{"epoch", epoch}, {"leader", node}, {"quorum", quorum}});
      return true;
    }
    if (StartsWith(m, "Shutdown called. For the reason ")) {
      Emit(node, st, r, "step_down", {{"reason", std::string(m.substr(32))}});
      return true;
    }
    if (StartsWith(m, "Disconnected from leader ")) {
      Emit(node, st, r, "step_down", {{"reason", std::string(m)}});
      return true;
    }
    struct Received {
      std::string_view prefix, mode;
    };
    for (const Received& rc :
         {Received{"Getting a diff from the leader ", "DIFF"},
          Received{"Getting a snapshot from leader ", "SNAP"},
          Received{"Truncating log to get in sync with the leader ", "TRUNC"}}) {
      if (!StartsWith(m, rc.prefix)) continue;
      int64_t zxid = HexAfter(m, rc.prefix).value_or(kNone);
      received_.push_back(
          Emit(node, st, r, "sync_received", {{"mode", std::string(rc.mode)}, {"zxid", zxid}}));
      if (rc.mode == "SNAP") Emit(node, st, r, "snapshot_installed", {{"zxid", zxid}});
      if (rc.mode == "TRUNC") Emit(node, st, r, "truncate", {{"keep_up_to", zxid}});
      return true;
    }
    if (m == "Learner received NEWLEADER message") {
      Emit(node, st, r, "newleader");
      return true;
    }
    if (m == "Learner received UPTODATE message") {
      Emit(node, st, r, "uptodate");
      return true;
    }
    if (StartsWith(m, "Snapshotting: ")) {
      Emit(node, st, r, "snapshot", {{"zxid", HexAfter(m, "Snapshotting: ").value_or(kNone)}});
      return true;
    }
    return false;
  }

  // The leader's sync decision lines (LearnerHandler.syncFollower, zab.md 5.1).
  bool SyncLine(int64_t node, NodeState& st, const LogRecord& r) {
    const std::string_view m = r.message;
    if (StartsWith(m, "Synchronizing with Learner sid: ")) {
      auto old = st.syncs.find(r.thread);
      if (old != st.syncs.end()) Finalize(old->second);
      PendingSync p;
      p.draft = Emit(node, st, r, "sync_decision",
                     {{"peer", IntAfter(m, "sid: ").value_or(kNone)},
                      {"peer_zxid", HexAfter(m, "peerLastZxid=").value_or(kNone)},
                      {"leader_zxid", HexAfter(m, "lastProcessedZxid=").value_or(kNone)},
                      {"min_zxid", HexAfter(m, "minCommittedLog=").value_or(kNone)},
                      {"max_zxid", HexAfter(m, "maxCommittedLog=").value_or(kNone)}});
      decisions_.push_back(p.draft);
      st.syncs[r.thread] = p;
      return true;
    }
    auto it = st.syncs.find(r.thread);
    if (it == st.syncs.end()) return false;
    PendingSync& p = it->second;
    json& f = drafts_[p.draft].fields;
    const int64_t peer_zxid = f["peer_zxid"].get<int64_t>();
    if (StartsWith(m, "Using committedLog for peer sid: ")) {
      f["source"] = "committedLog";
    } else if (StartsWith(m, "Use txnlog and committedLog for peer sid: ")) {
      f["source"] = "txnlog+committedLog";
    } else if (StartsWith(m, "Sending DIFF zxid=")) {
      p.mode = "DIFF";
    } else if (StartsWith(m, "Sending TRUNC zxid=")) {
      // For a peer at a new-epoch zxid (counter 0) ZooKeeper logs TRUNC here but queues DIFF.
      if (CounterOf(peer_zxid) == 0) {
        p.mode = "DIFF";
      } else {
        p.mode = "TRUNC+DIFF";
        p.trunc_to = HexAfter(m, "zxid=").value_or(kNone);
      }
    } else if (StartsWith(m, "Sending TRUNC to follower zxidToSend=")) {
      p.mode = "TRUNC";
      p.trunc_to = HexAfter(m, "zxidToSend=").value_or(kNone);
    } else if (StartsWith(m, "Cannot send TRUNC to peer sid: ")) {
      p.snap_reason = "no TRUNC across an epoch boundary";
    } else if (StartsWith(m, "Unable to find proposals from txnlog for zxid: ")) {
      // ZKDatabase, logged in the LearnerHandler's thread: the txn log on disk starts after the
      // peer's zxid, so the txn-log path is not taken and a SNAP follows.
      p.snap_reason = "the txn log does not reach back to the peer's zxid";
    } else if (StartsWith(m, "Detected gap between end of txnlog")) {
      p.snap_reason = "gap between the txn log and the committed log";
    } else if (StartsWith(m, "Unhandled scenario for peer sid: ")) {
      if (p.snap_reason.empty()) p.snap_reason = "no usable log for the peer";
    } else if (StartsWith(m, "Forcing snapshot sync")) {
      p.snap_reason = "forced";
    } else if (StartsWith(m, "Sending snapshot last zxid of peer is ")) {
      p.mode = "SNAP";
      f["snap_zxid"] = HexAfter(m, "send zxid of db as ").value_or(kNone);
    } else if (StartsWith(m, "Queueing committedLog ")) {
      // DEBUG, txnlog path: the walk goes on in the committed log.
    } else if (StartsWith(m, "Start forwarding ")) {
      f["last_sent"] = HexAfter(m, "Start forwarding ").value_or(kNone);
    } else {
      return false;
    }
    return true;
  }

  void Finalize(PendingSync& p) {
    json& f = drafts_[p.draft].fields;
    const int64_t peer = f["peer_zxid"].get<int64_t>();
    const int64_t leader = f["leader_zxid"].get<int64_t>();
    const int64_t max = f["max_zxid"].get<int64_t>();
    std::string mode = p.mode;
    if (!p.snap_reason.empty() || mode == "SNAP") {
      // Every fallback wins over a DIFF logged earlier in the walk (the queue is cleared).
      mode = "SNAP";
      if (!p.snap_reason.empty()) f["reason"] = p.snap_reason;
    } else if (mode.empty() && peer == leader) {
      mode = "DIFF";
      f["inferred"] = true;
    } else if (mode.empty() && peer > max && CounterOf(peer) != 0) {
      // Rule 3 (peer ahead of the committed log): ZooKeeper logs this TRUNC at DEBUG only.
      mode = "TRUNC";
      p.trunc_to = max;
      f["inferred"] = true;
    } else if (mode.empty()) {
      mode = "UNKNOWN";  // the log ended before the decision was logged
    }
    f["mode"] = mode;
    if ((mode == "TRUNC" || mode == "TRUNC+DIFF") && p.trunc_to != kNone)
      f["trunc_to"] = p.trunc_to;
  }

  // Whether more log text could still change event i (its fields or whether it exists as is).
  bool Settled(size_t i) const {
    if (complete_) return true;
    const Draft& d = drafts_[i];
    if (d.open_at_end) return false;
    if (d.term < 0) return true;
    const NodeState& st = nodes_.at(d.event.node);
    const Term& t = st.terms[d.term];
    if (t.closed) return true;  // nothing later in the term can arrive
    if (t.epoch == kNone) return false;
    if (d.event.type == "sync_decision" && !d.fields["matched"].get<bool>()) return false;
    if (t.leading) return true;
    if (t.leader == kNone) return false;
    // The join could still move to a later decision of the leader until its log is past the
    // join window after the follower's line.
    return nodes_.at(t.leader).last_ts_ms > t.received_ts_ms + kSyncJoinAfterMs;
  }

  bool Compatible(const std::string& decided, const std::string& received) {
    if (received == "TRUNC") return decided == "TRUNC" || decided == "TRUNC+DIFF";
    return decided == received;
  }

  void Join() {
    std::vector<bool> used(drafts_.size(), false);
    for (size_t ri : received_) {
      const Draft& rd = drafts_[ri];
      const std::string mode = rd.fields["mode"].get<std::string>();
      size_t best = drafts_.size();
      for (size_t di : decisions_) {
        const Draft& dd = drafts_[di];
        const json& f = dd.fields;
        if (used[di] || f["peer"].get<int64_t>() != rd.event.node) continue;
        if (dd.event.ts_ms < rd.event.ts_ms - kSyncJoinBeforeMs ||
            dd.event.ts_ms > rd.event.ts_ms + kSyncJoinAfterMs) {
          continue;
        }
        if (!Compatible(f["mode"].get<std::string>(), mode)) continue;
        if (best == drafts_.size() || dd.event.ts_ms > drafts_[best].event.ts_ms) best = di;
      }
      if (best == drafts_.size()) continue;
      used[best] = true;
      matched_[ri] = best;
      if (rd.term >= 0) {
        Term& t = nodes_[rd.event.node].terms[rd.term];
        t.leader = drafts_[best].event.node;
        t.leader_term = drafts_[best].term;
        t.received_ts_ms = rd.event.ts_ms;
      }
    }
    // A follower's epoch is its leader's term's epoch.
    for (auto& [id, st] : nodes_) {
      for (Term& t : st.terms) {
        if (t.leading || t.leader == kNone || t.leader_term < 0) continue;
        t.epoch = nodes_[t.leader].terms[t.leader_term].epoch;
      }
    }
    for (size_t di : decisions_) drafts_[di].fields["matched"] = static_cast<bool>(used[di]);
    for (size_t i = 0; i < drafts_.size(); ++i) Fill(i);
    stats_.sync_decisions = static_cast<int64_t>(decisions_.size());
    stats_.sync_decisions_matched = static_cast<int64_t>(matched_.size());
  }

  void Fill(size_t i) {
    Draft& d = drafts_[i];
    json& f = d.fields;
    const std::string& type = d.event.type;
    if (d.term < 0 || type == "start") return;
    const NodeState& st = nodes_[d.event.node];
    const Term& t = st.terms[d.term];
    if (t.epoch != kNone && !f.contains("epoch")) f["epoch"] = t.epoch;
    const bool follower_event =
        type == "sync_received" || type == "newleader" || type == "uptodate" || type == "elected";
    if (follower_event && !t.leading && t.leader != kNone) f["leader"] = t.leader;
    if (type == "elected") {
      int64_t zxid = t.election_zxid;
      if (!t.leading && t.leader != kNone && t.leader_term >= 0) {
        zxid = nodes_[t.leader].terms[t.leader_term].election_zxid;  // the winner's vote
      }
      if (zxid != kNone) f["zxid"] = zxid;
    }
    if (type == "truncate") {
      // The sync_received logged just before on this node carries the join.
      for (size_t j = i; j-- > 0;) {
        if (drafts_[j].event.node != d.event.node || drafts_[j].event.type != "sync_received") {
          continue;
        }
        auto m = matched_.find(j);
        if (m == matched_.end()) break;
        const int64_t keep = f["keep_up_to"].get<int64_t>();
        const int64_t peer = drafts_[m->second].fields["peer_zxid"].get<int64_t>();
        if (peer > keep) {
          f["removed_last"] = peer;
          if (EpochOf(peer) == EpochOf(keep)) {
            f["removed_first"] = keep + 1;
            f["removed_count"] = peer - keep;
          }
        }
        break;
      }
    }
  }

  std::map<int64_t, NodeState> nodes_;
  std::vector<Draft> drafts_;
  std::vector<size_t> decisions_;     // draft indexes of sync_decision events
  std::vector<size_t> received_;      // draft indexes of sync_received events
  std::map<size_t, size_t> matched_;  // sync_received draft -> sync_decision draft
  LogImportStats stats_;
  bool complete_;
};

}  // namespace

std::vector<LogLine> SplitLogLines(std::string_view text) {
  std::vector<LogLine> out;
  size_t begin = 0;
  while (begin < text.size()) {
    size_t end = text.find('\n', begin);
    if (end == std::string_view::npos) end = text.size();
    out.push_back(ClassifyLogLine(text.substr(begin, end - begin)));
    begin = end + 1;
  }
  return out;
}

LogLine ClassifyLogLine(std::string_view line) {
  LogLine l;
  if (auto rec = ParseLogLine(line)) {
    l.kind = LogLine::Kind::kRecord;
    l.record = std::move(*rec);
  } else {
    l.kind = StartsWithTimestamp(line) ? LogLine::Kind::kMalformed : LogLine::Kind::kContinuation;
  }
  return l;
}

LogImportResult ImportParsedLogs(const std::map<int64_t, std::vector<LogLine>>& logs,
                                 bool complete) {
  Importer importer(complete);
  for (const auto& [node, lines] : logs) importer.Node(node, lines);
  return importer.Finish();
}

LogImportResult ImportServerLogs(const std::map<int64_t, std::string>& logs) {
  std::map<int64_t, std::vector<LogLine>> parsed;
  for (const auto& [node, text] : logs) parsed[node] = SplitLogLines(text);
  return ImportParsedLogs(parsed, true);
}

std::string LogImportResult::Summary() const {
  std::vector<std::string> types;
  for (const auto& [type, n] : stats.events_by_type) types.push_back(fmt::format("{} {}", n, type));
  std::vector<std::string> unknown;
  for (const auto& [source, n] : stats.unrecognized_quorum_sources) {
    unknown.push_back(fmt::format("{} x{}", source, n));
  }
  return fmt::format(
      "{} lines ({} records, {} continuation, {} malformed); {} records recognized; events: {}; "
      "sync decisions joined with the follower: {}/{}; unrecognized quorum lines: {}",
      stats.lines, stats.records, stats.continuation_lines, stats.malformed_lines,
      stats.recognized_records, types.empty() ? "none" : fmt::format("{}", fmt::join(types, ", ")),
      stats.sync_decisions_matched, stats.sync_decisions,
      unknown.empty() ? "none" : fmt::format("{}", fmt::join(unknown, ", ")));
}

}  // namespace faultline::harness::zookeeper
