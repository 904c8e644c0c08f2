// ZAB invariants (zab.md section 7) checked on node event logs (docs/contracts.md section 3).
//
// Nodes report committed txns as ranges [first, last], so committed sequences are compared as
// interval sets, only at zxids some node reported as a range end (those certainly exist): a zxid
// inside a range is committed by that node. A SNAP install up to Z stands for "everything up to Z"
// and never counts as a disagreement. A zabd `committed` range also carries `digest`, the state
// digest once `last` is applied (node_runtime.h): two nodes that report a range ending at the
// same zxid must report the same digest there, which catches a divergence strictly inside a
// merged range (a different txn, or a hole, no range boundary shows; issue 12). Ranges without
// a digest (other systems' imported logs) are compared by their boundaries only.
//
// A vote advertises the last logged zxid: a node's first vote after a `start`, for itself, carries
// at least the `last_zxid` recovery found (zab.md 7.3 rule 2).
//
// A snapshot holds the state committed at its name: a zabd `snapshot` event carries the digest
// of the state written, which must equal the digest any node reported for a committed range
// ending at that zxid (zab.md 7.3 rule 5).
//
// currentEpoch certifies a durable history: a `start` must load a log that reaches the
// NEWLEADER history the node's last `current_epoch` event named (`history`), unless a
// truncation or a SNAP install came in between (zab.md 7.3 rule 1).
//
// Promises are durable: a `start` record's acceptedEpoch / currentEpoch (what recovery loaded)
// must be at least the highest the node reported before (zabd releases an `accepted_epoch` /
// `current_epoch` event only after the fsync that covers it, node_runtime.h). Logs without those
// fields (imported ZooKeeper and etcd logs) are not compared.
#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <optional>
#include <set>

#include "checkers/checkers.h"
#include "checkers/zab/zxid.h"

namespace faultline::checkers {
namespace {

struct Commit {
  int64_t first, last, ts_ms;
};

struct Digest {
  uint64_t digest;
  int64_t ts_ms;
};

struct Snapshot {  // a `snapshot` event with the digest of the state written
  int64_t node, zxid;
  uint64_t digest;
  int64_t ts_ms;
};

struct NodeState {
  std::vector<Commit> committed;      // every committed range, in event order
  std::map<int64_t, Digest> digests;  // range end -> state digest there (first report)
  int64_t max_committed = -1;
  int64_t snapshot_cover = -1;  // highest SNAP-installed zxid
  int64_t accepted_epoch = -1;
  int64_t current_epoch = -1;
  // The highest acceptedEpoch / currentEpoch the node ever reported (an `accepted_epoch` /
  // `current_epoch` event, or a `start` record) and when: zabd releases those events only after
  // the fsync that covers them, so every later `start` must load at least these (a promise is
  // durable). -1 while none was reported.
  int64_t promised_accepted = -1, promised_accepted_ms = 0;
  int64_t promised_current = -1, promised_current_ms = 0;
  // The NEWLEADER history the node's last currentEpoch certifies (a follower's `current_epoch`
  // event carries it as `history`), the epoch and when; -1 when none is in force. zab.md 7.3
  // rule 1: currentEpoch e is persisted only once that history is durable, so a restart loads at
  // least it, unless a later truncation or SNAP install replaced the log in between.
  int64_t certified = -1, certified_epoch = -1, certified_ms = 0;
  // The last zxid the latest `start` recovered, until the node's first vote after it (-1: none
  // pending). That vote is for itself with its last logged zxid (zab.md 7.3 rule 2).
  int64_t recovered_last = -1, recovered_ms = 0;
};

// The zxids a node committed (its ranges merged, sorted) and its SNAP cover: Has(z) by binary
// search, not a scan of every range per divergence point (issue 12: sim speed).
class CommittedSet {
 public:
  explicit CommittedSet(const NodeState& n) : snapshot_cover_(n.snapshot_cover) {
    std::vector<std::pair<int64_t, int64_t>> r;
    r.reserve(n.committed.size());
    for (const Commit& c : n.committed) {
      if (c.first <= c.last) r.emplace_back(c.first, c.last);  // an empty range covers nothing
    }
    std::sort(r.begin(), r.end());
    for (const auto& [first, last] : r) {
      if (!ranges_.empty() && first <= ranges_.back().second + 1) {
        ranges_.back().second = std::max(ranges_.back().second, last);
      } else {
        ranges_.emplace_back(first, last);
      }
    }
  }
  bool Has(int64_t z) const {
    if (z <= snapshot_cover_) return true;
    // The last range starting at or before z covers it, if any does (they are disjoint).
    auto it = std::upper_bound(ranges_.begin(), ranges_.end(), z,
                               [](int64_t v, const auto& range) { return v < range.first; });
    return it != ranges_.begin() && z <= std::prev(it)->second;
  }

 private:
  int64_t snapshot_cover_;
  std::vector<std::pair<int64_t, int64_t>> ranges_;  // disjoint, sorted, not adjacent
};

Anomaly InvariantAnomaly(const std::string& description, int64_t ts_ms) {
  Anomaly a;
  a.checker = "zab-invariants";
  a.description = description;
  a.start_ns = ts_ms * 1'000'000;
  a.end_ns = a.start_ns;
  return a;
}

}  // namespace

InvariantResult CheckZabInvariants(const std::vector<NodeEvent>& input, int64_t origin_ms) {
  InvariantResult result;
  auto when = [origin_ms](int64_t ts_ms) { return RunTimeText(ts_ms, origin_ms); };
  std::vector<const NodeEvent*> events;
  for (const NodeEvent& ev : input) events.push_back(&ev);
  std::stable_sort(events.begin(), events.end(),
                   [](const NodeEvent* a, const NodeEvent* b) { return a->ts_ms < b->ts_ms; });
  std::map<int64_t, NodeState> nodes;
  std::map<int64_t, std::map<int64_t, int64_t>> leaders;  // epoch -> leader -> first ts
  // peer -> [first_sent, last_sent] of the last TRUNC sync a leader decided for it: the txns it
  // sends right behind the TRUNC, in order on that link (its committed pairs and outstanding
  // proposals, ZooKeeper's startForwarding), so the peer's truncation of them is undone at once.
  std::map<int64_t, std::pair<int64_t, int64_t>> resent_after_trunc;
  std::vector<Snapshot> snapshots;
  for (const NodeEvent* ev : events) {
    ++result.events_checked;
    NodeState& n = nodes[ev->node];
    const auto& f = ev->fields;
    if (ev->type == "established") {
      int64_t epoch = FieldInt(f, "epoch"), leader = FieldInt(f, "leader", ev->node);
      auto& l = leaders[epoch];
      if (l.emplace(leader, ev->ts_ms).second && l.size() == 2) {
        std::vector<std::string> names;
        for (const auto& [id, ts] : l) names.push_back(fmt::format("node {} at {}", id, when(ts)));
        result.anomalies.push_back(InvariantAnomaly(
            fmt::format("two established leaders in epoch {}: {}", epoch, fmt::join(names, ", ")),
            ev->ts_ms));
      }
    } else if (ev->type == "committed") {
      Commit c{FieldInt(f, "first"), FieldInt(f, "last"), ev->ts_ms};
      n.committed.push_back(c);
      n.max_committed = std::max(n.max_committed, c.last);
      if (std::optional<uint64_t> d = f.Uint("digest")) {
        n.digests.emplace(c.last, Digest{*d, ev->ts_ms});
      }
    } else if (ev->type == "snapshot_installed") {
      n.certified = -1;  // the log was replaced by the leader's state
      n.snapshot_cover = std::max(n.snapshot_cover, FieldInt(f, "zxid"));
      n.max_committed = std::max(n.max_committed, FieldInt(f, "zxid"));
    } else if (ev->type == "start") {
      int64_t last = FieldInt(f, "last_zxid");
      if (n.max_committed >= 0 && last < n.max_committed) {
        result.anomalies.push_back(InvariantAnomaly(
            fmt::format("node {} restarted at {} with last_zxid {} below its committed zxid {}",
                        ev->node, when(ev->ts_ms), ZxidString(last), ZxidString(n.max_committed)),
            ev->ts_ms));
      }
      // currentEpoch certifies a durable history (zab.md 7.3 rule 1, ZOOKEEPER-3911/4643/4646):
      // the log a restart loads reaches the NEWLEADER history the last currentEpoch was
      // persisted for. Only `current_epoch` events with `history` set it (zabd's and the
      // simulator's followers).
      if (n.certified >= 0 && last < n.certified) {
        result.anomalies.push_back(InvariantAnomaly(
            fmt::format("node {} restarted at {} with last_zxid {} below the history {} its "
                        "currentEpoch {} certified at {} (currentEpoch is persisted only once "
                        "that history is durable: zab.md 7.3 rule 1)",
                        ev->node, when(ev->ts_ms), ZxidString(last), ZxidString(n.certified),
                        n.certified_epoch, when(n.certified_ms)),
            ev->ts_ms));
      }
      n.certified = -1;
      // (zabd's and the simulator's records only, those with the epoch fields: an imported
      // ZooKeeper "highest zxid" is its applied point, not compared.)
      n.recovered_last = f.Contains("accepted_epoch") ? last : -1;
      n.recovered_ms = ev->ts_ms;
      // A promise is durable (zab.md 7.3 rule 4 for acceptedEpoch, rule 1 for currentEpoch):
      // the epochs a restart loads are at least the highest the node reported before. Only
      // `start` records that carry the fields are compared (zabd's and the simulator's;
      // imported ZooKeeper and etcd logs have neither field nor epoch events).
      struct EpochField {
        const char* field;
        const char* name;
        const char* verb;
        const char* rule;
        int64_t* value;
        int64_t* promised;
        int64_t* promised_ms;
      };
      for (const EpochField& e :
           {EpochField{"accepted_epoch", "acceptedEpoch", "promised", "7.3 rule 4",
                       &n.accepted_epoch, &n.promised_accepted, &n.promised_accepted_ms},
            EpochField{"current_epoch", "currentEpoch", "adopted", "7.3 rule 1", &n.current_epoch,
                       &n.promised_current, &n.promised_current_ms}}) {
        if (!f.Contains(e.field)) continue;
        int64_t loaded = FieldInt(f, e.field);
        if (*e.promised >= 0 && loaded < *e.promised) {
          result.anomalies.push_back(InvariantAnomaly(
              fmt::format("node {} restarted at {} with {} {} below the {} {} it {} at {} "
                          "(a promise is durable: zab.md {})",
                          ev->node, when(ev->ts_ms), e.name, loaded, e.name, *e.promised, e.verb,
                          when(*e.promised_ms), e.rule),
              ev->ts_ms));
          *e.promised = loaded;  // once per forgotten promise, not again at every restart
        }
        *e.value = loaded;
        if (loaded > *e.promised) {
          *e.promised = loaded;
          *e.promised_ms = ev->ts_ms;
        }
      }
    } else if (ev->type == "truncate") {
      n.certified = -1;  // a later leader may remove what an epoch that never formed certified
      int64_t lo = FieldInt(f, "removed_first");
      int64_t hi = FieldInt(f, "removed_last");
      if (lo < 0) lo = FieldInt(f, "keep_up_to") + 1;
      std::optional<std::pair<int64_t, int64_t>> resent;
      if (auto r = resent_after_trunc.find(ev->node); r != resent_after_trunc.end()) {
        resent = r->second;
        resent_after_trunc.erase(r);
      }
      // A truncation may drop only txns no node has committed (leader completeness), but for
      // those its leader re-sends behind the TRUNC: one committed while the TRUNC was on its way
      // (the leader decided before its quorum of ACKs arrived) is back on the peer right after.
      for (const auto& [id, other] : nodes) {
        for (const Commit& c : other.committed) {
          if (c.last < lo || c.first > hi) continue;
          int64_t z = std::max(lo, c.first);
          const int64_t to = std::min(hi, c.last);
          if (resent && z >= resent->first && z <= resent->second) z = resent->second + 1;
          if (z > to) continue;
          Anomaly a = InvariantAnomaly(
              fmt::format("node {} truncated at {} (keep_up_to {}) removing zxid "
                          "{} that node {} committed at {}",
                          ev->node, when(ev->ts_ms), ZxidString(FieldInt(f, "keep_up_to")),
                          ZxidString(z), id, when(c.ts_ms)),
              ev->ts_ms);
          result.anomalies.push_back(std::move(a));
          goto next_event;  // one anomaly per truncate is enough
        }
      }
    } else if (ev->type == "vote") {
      // The zxid a vote advertises is the last durable log entry (zab.md 7.3 rule 2,
      // ZOOKEEPER-2845/4712): a node's first vote after a restart, for itself, carries the last
      // zxid its recovery found (nothing is logged while it is LOOKING).
      if (n.recovered_last >= 0 && FieldInt(f, "leader") == ev->node) {
        const int64_t z = FieldInt(f, "zxid");
        if (z >= 0 && z < n.recovered_last) {
          result.anomalies.push_back(InvariantAnomaly(
              fmt::format("node {} voted for itself at {} with zxid {} below the last zxid {} it "
                          "recovered at {} (a vote advertises the last logged zxid: zab.md 7.3 "
                          "rule 2)",
                          ev->node, when(ev->ts_ms), ZxidString(z), ZxidString(n.recovered_last),
                          when(n.recovered_ms)),
              ev->ts_ms));
        }
      }
      n.recovered_last = -1;
    } else if (ev->type == "snapshot") {
      if (std::optional<uint64_t> d = f.Uint("digest")) {
        snapshots.push_back({ev->node, FieldInt(f, "zxid"), *d, ev->ts_ms});
      }
    } else if (ev->type == "sync_decision") {
      const std::string mode = FieldStr(f, "mode");
      const int64_t first = FieldInt(f, "first_sent"), last = FieldInt(f, "last_sent");
      if ((mode == "TRUNC" || mode == "TRUNC+DIFF") && first > 0 && first <= last) {
        resent_after_trunc[FieldInt(f, "peer")] = {first, last};
      } else {
        resent_after_trunc.erase(FieldInt(f, "peer"));
      }
    } else if (ev->type == "accepted_epoch") {
      n.accepted_epoch = FieldInt(f, "epoch");
      if (n.accepted_epoch > n.promised_accepted) {
        n.promised_accepted = n.accepted_epoch;
        n.promised_accepted_ms = ev->ts_ms;
      }
    } else if (ev->type == "current_epoch") {
      n.current_epoch = FieldInt(f, "epoch");
      if (int64_t h = FieldInt(f, "history"); h >= 0) {
        n.certified = h;
        n.certified_epoch = n.current_epoch;
        n.certified_ms = ev->ts_ms;
      }
      if (n.current_epoch > n.promised_current) {
        n.promised_current = n.current_epoch;
        n.promised_current_ms = ev->ts_ms;
      }
    }
    if (n.current_epoch > n.accepted_epoch && n.accepted_epoch >= 0) {
      result.anomalies.push_back(
          InvariantAnomaly(fmt::format("node {} at {}: currentEpoch {} > acceptedEpoch {}",
                                       ev->node, when(ev->ts_ms), n.current_epoch,
                                       n.accepted_epoch),
                           ev->ts_ms));
      n.accepted_epoch = n.current_epoch;  // report once per divergence
    }
  next_event:;
  }

  // Prefix agreement of committed sequences, pair by pair, up to the shorter one.
  std::map<int64_t, CommittedSet> sets;
  for (const auto& [id, n] : nodes) sets.emplace(id, CommittedSet(n));
  for (auto a = nodes.begin(); a != nodes.end(); ++a) {
    for (auto b = std::next(a); b != nodes.end(); ++b) {
      const NodeState& na = a->second;
      const NodeState& nb = b->second;
      const CommittedSet& sa = sets.at(a->first);
      const CommittedSet& sb = sets.at(b->first);
      int64_t m = std::min(na.max_committed, nb.max_committed);
      if (m < 0) continue;
      // The range boundaries of both, ascending, once each (a sorted vector: a run has ~10k).
      std::vector<int64_t> points;
      for (const NodeState* n : {&na, &nb}) {
        for (const Commit& c : n->committed) {
          if (c.first <= m) points.push_back(c.first);
          if (c.last <= m) points.push_back(c.last);
        }
      }
      std::sort(points.begin(), points.end());
      points.erase(std::unique(points.begin(), points.end()), points.end());
      bool diverged = false;
      for (int64_t z : points) {
        bool in_a = sa.Has(z), in_b = sb.Has(z);
        if (in_a == in_b) continue;
        int64_t with = in_a ? a->first : b->first, without = in_a ? b->first : a->first;
        // Placed in time where the divergence became visible: when both had committed past z.
        int64_t seen_ms = 0;
        for (const NodeState* n : {&na, &nb}) {
          for (const Commit& c : n->committed) {
            if (c.last >= z) {
              seen_ms = std::max(seen_ms, c.ts_ms);
              break;
            }
          }
        }
        result.anomalies.push_back(InvariantAnomaly(
            fmt::format("committed sequences diverge: node {} committed {} but node {} "
                        "committed past it (up to {}) without it",
                        with, ZxidString(z), without, ZxidString(m)),
            seen_ms));
        diverged = true;
        break;
      }
      // Same range end, same state: compare the digests at every end both nodes reported.
      for (auto da = na.digests.begin(); !diverged && da != na.digests.end(); ++da) {
        if (da->first > m) break;
        auto db = nb.digests.find(da->first);
        if (db == nb.digests.end() || db->second.digest == da->second.digest) continue;
        result.anomalies.push_back(InvariantAnomaly(
            fmt::format("committed sequences diverge at or before {}: node {} and node {} both "
                        "committed up to it with different states (digest {:016x} vs {:016x})",
                        ZxidString(da->first), a->first, b->first, da->second.digest,
                        db->second.digest),
            std::max(da->second.ts_ms, db->second.ts_ms)));
        diverged = true;
      }
    }
  }
  // A snapshot holds the state committed at its name (zab.md 7.3 rule 5: never snapshot an
  // uncommitted tail; ZOOKEEPER-1549/1558): its digest equals every digest a node reported for
  // a committed range ending at that zxid.
  for (const Snapshot& s : snapshots) {
    for (const auto& [id, n] : nodes) {
      auto d = n.digests.find(s.zxid);
      if (d == n.digests.end() || d->second.digest == s.digest) continue;
      result.anomalies.push_back(InvariantAnomaly(
          fmt::format("node {} wrote a snapshot at {} named {} whose state (digest {:016x}) is "
                      "not the state committed there (node {} committed up to it with digest "
                      "{:016x} at {}): a snapshot holds more than its name (zab.md 7.3 rule 5, "
                      "never snapshot an uncommitted tail)",
                      s.node, when(s.ts_ms), ZxidString(s.zxid), s.digest, id, d->second.digest,
                      when(d->second.ts_ms)),
          s.ts_ms));
      break;  // one anomaly per snapshot
    }
  }
  if (!result.anomalies.empty()) {
    result.verdict = Verdict::kInvalid;
    result.reason = fmt::format("{} ZAB invariant violations", result.anomalies.size());
  } else if (input.empty()) {
    result.verdict = Verdict::kUnknown;
    result.reason = "no node events";
  }
  return result;
}

}  // namespace faultline::checkers
