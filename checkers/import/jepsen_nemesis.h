// The faults of a Jepsen history: the `:process :nemesis` ops of a history.edn turned into a
// neutral fault schedule (what happened, to whom, when, for how long), so that a Jepsen failure
// can be replayed against zabd or another system. Pure: text in, values out; the harness turns a
// NemesisSchedule into a suite (`faultline convert-jepsen`).
//
// What is understood (the shapes of jepsen.nemesis and jepsen.nemesis.combined):
//   - kill / pause:     {:f :kill :value :one|:minority|:majority|:minority-third|:primaries|:all
//                        or ["n1" ...]}, completed with {"n1" :killed ...}; ended by :start
//                        (kill) or :resume (pause) for the nodes they name (:all = every one);
//   - partitions:       :start-partition with a partition spec (:one, :majority,
//                        :majorities-ring, :minority-third, :primaries) or a grudge, completed with
//                        [:isolated {"n1" #{"n2" "n3"} ...}]; ended by :stop-partition;
//   - the older partitioner / node-start-stopper / hammer-time: :start / :stop, told apart by
//     what :start completed with ([:isolated grudge], "Cut off {...}", {"n1" [:killed ...]},
//     {"n1" [:paused ...]}); :stop ends whatever :start began;
//   - :isolate / :recover (older tests): a partition of unknown grudge and a heal of everything;
//   - :restart: a kill immediately followed by a start.
// Every other nemesis op (:start-packet, clock, file corruption, membership, ...) is an error
// issue naming its line; so is a :start that cannot be told apart, a kill that never names a node
// or spec, a stop with nothing to stop. Nothing is dropped without an issue.
//
// Jepsen pairs each nemesis op as an invoke and a completion (both usually :type :info, the same
// :f, the completion carrying the result); a lone entry (older histories) counts as both.
// Offsets come from :time (nanoseconds since the test began); an op without :time is an error.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace faultline::checkers {

// node -> the nodes whose packets it drops (Jepsen's grudge; faultline's harness/net/grudge.h).
using NodeGrudge = std::map<std::string, std::set<std::string>>;

struct NemesisFault {
  enum class Kind { kKill, kPause, kPartition, kRestart };
  Kind kind = Kind::kKill;
  int64_t offset_ms = 0;     // :time of the op that began it, in ms since the test began
  int64_t duration_ms = -1;  // until the op that ended it; -1: not ended within the history
  // Nodes hit, by name as written ("n1"); empty when only `target_spec` is known.
  std::vector<std::string> targets;
  // Jepsen's node spec when no names were recorded: one, minority, majority, minority-third,
  // primaries, all (kill, pause, restart); "" when names are known or nothing was recorded.
  std::string target_spec;
  // Partitions: the grudge applied, when the history recorded it (has_grudge).
  bool has_grudge = false;
  NodeGrudge grudge;
  // Partitions without a recorded grudge: Jepsen's partition spec (one, majority,
  // majorities-ring, minority-third, primaries), "" when unknown (e.g. :isolate nil).
  std::string partition_spec;
  std::string jepsen_f;  // the :f that began it, without ':' ("kill", "start-partition", ...)
  int line = 0;          // line of the op that began it
  int end_line = 0;      // line of the op that ended it (0: not ended)
};

std::string_view NemesisFaultKindName(NemesisFault::Kind kind);  // kill pause partition restart

struct NemesisIssue {
  int line = 0;
  bool error = false;  // true: an op (or part of one) that could not be converted
  std::string message;
};

struct NemesisSchedule {
  std::vector<NemesisFault> faults;  // in offset order
  std::vector<NemesisIssue> issues;  // in line order
  std::set<std::string> nodes;       // every node name the nemesis ops mention
  int64_t end_ms = 0;                // :time of the history's last op (client or nemesis), ms
  int nemesis_ops = 0;               // nemesis entries read (invokes and completions)
};

// Options for what a history leaves open.
struct NemesisImportOptions {
  // What a bare :start / :stop pair did when its completion does not say ("" = error issue):
  // "partition", "kill" or "pause".
  std::string bare_start_means;
};

// Parse errors (not EDN, not op maps) are a Status naming source:line; everything about the
// nemesis ops themselves is reported as issues.
Result<NemesisSchedule> ImportJepsenNemesis(std::string_view text, const std::string& source,
                                            const NemesisImportOptions& options = {});

}  // namespace faultline::checkers
