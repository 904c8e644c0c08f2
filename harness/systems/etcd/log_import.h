// EtcdLogImporter: turns one etcd 3.4 node's zap JSON log (launcher.h) into node events in the
// vocabulary of docs/contracts.md section 3, so the same checkers and reports read etcd's Raft
// terms and leader changes as they read zabd's epochs.
//
// Lines read (message text as etcd 3.4 writes it; each has a test on captured text under
// testdata/etcd/) and the events they become (epoch = Raft term; leader = faultline node id, or
// -1 when the member id is not known yet, with the raw id in leader_member):
//   "starting local member" / "restarting local member"   -> start {member_id, restarted}
//   "<me> became follower at term N"                      -> role {role: following, epoch: N}
//                                  (after leading also)   -> step_down {epoch: N, reason}
//   "<me> became candidate at term N" / "pre-candidate"   -> role {role: looking, epoch: N}
//   "<me> became leader at term N"                        -> role {role: leading, epoch: N}
//                                                            established {epoch: N, leader: me}
//   "raft.node: <me> elected leader <L> at term N"        -> elected {leader: L, epoch: N}
//   "raft.node: <me> changed leader from <A> to <B> at term N" -> elected {leader: B, epoch: N}
//   "raft.node: <me> lost leader <L> at term N"           -> leader_lost {leader: L, epoch: N}
// `established` is what the zab-invariants checker reads to prove "one leader per epoch"; for
// Raft that is Election Safety (at most one leader per term), so it is checked as is.
//
// Member ids are hex in the log. The importer learns them from the log itself: its own from
// "starting/restarting local member", the others from "added remote peer" / "added member" lines
// (which name each member's peer URLs) mapped through `peer_urls`.
//
// Lines that are not JSON objects (etcd prints a few capnslog lines to stderr; a torn last line
// while etcd is writing) are counted in stats().not_json and otherwise ignored: callers feed
// complete lines only (text up to a '\n').
//
// Thread-safety: one thread at a time.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "checkers/history.h"
#include "harness/cluster/node.h"

namespace faultline::harness::etcd {

struct EtcdLogStats {
  int64_t lines = 0;     // lines fed (blank ones included)
  int64_t not_json = 0;  // lines that were not one JSON object
  int64_t events = 0;    // events produced
};

class EtcdLogImporter {
 public:
  // `node`: whose log this is. `peer_urls`: peer URL ("http://127.0.0.12:23802") -> node id.
  EtcdLogImporter(NodeId node, std::map<std::string, NodeId> peer_urls);

  // One complete line without its '\n'. Appends the events it means to *out (zero or more).
  void Feed(std::string_view line, std::vector<checkers::NodeEvent>* out);

  const EtcdLogStats& stats() const { return stats_; }
  // Member ids learned so far (hex as in the log -> node id).
  const std::map<std::string, NodeId>& members() const { return members_; }

 private:
  void Learn(const std::string& member_hex, const nlohmann::json& urls);
  NodeId NodeOf(const std::string& member_hex) const;  // -1 when unknown
  checkers::NodeEvent Event(int64_t ts_ms, std::string type, nlohmann::json fields) const;

  NodeId node_;
  std::map<std::string, NodeId> peer_urls_;
  std::map<std::string, NodeId> members_;
  std::string self_hex_;
  bool leading_ = false;
  EtcdLogStats stats_;
};

// The whole text of one node's log (split at '\n'; a last line without '\n' is ignored, as a
// line etcd may still be writing).
std::vector<checkers::NodeEvent> ImportEtcdLog(std::string_view text, NodeId node,
                                               std::map<std::string, NodeId> peer_urls,
                                               EtcdLogStats* stats = nullptr);

// "2026-12-01T20:55:51.557Z" (or with a +hh:mm / -hh:mm offset) -> Unix ms; -1 when malformed.
int64_t ParseLogTimestampMs(std::string_view ts);

}  // namespace faultline::harness::etcd
