// A Jepsen failure as a faultline suite: the nemesis ops of a history.edn (read by
// checkers/import/jepsen_nemesis.h into a neutral schedule) become an explicit
// `nemesis.schedule` of a suite YAML (harness/spec/test_spec.h: at, kind, target, shape,
// duration), so the same faults can be replayed against zabd or another system.
//
// Mapping:
//   - Jepsen node names become node ids: --nodes n1=1,n2=2,...; without it, names ending in a
//     number take that number (n3 -> 3), otherwise names are numbered in sorted order (warning);
//     with `renumber`, the permutation of those ids under which the most partitions have a
//     faultline shape (the kills and pauses follow the same renaming, so the schedule is the
//     same up to node names).
//     The cluster has 3 or 5 nodes (the spec's sizes): the largest id, at least 3.
//   - kill / pause / restart with named nodes: that kind on those ids ("2", "4,5"). With only a
//     node spec: one -> random, minority, majority, all -> the same target; primaries -> leader
//     and minority-third -> random are approximations (warnings).
//   - partitions with a recorded grudge: the shape whose grudge (harness/net/grudge.h, node-id
//     order) is exactly that grudge: isolate-node / one-way with the isolated id as target,
//     halves, majorities-ring, bridge. Any other grudge is an ERROR: the spec format has no
//     field for an explicit grudge, so it cannot be written; with `approximate` a complete
//     minority/majority split becomes random-halves (warning). Partitions known only by a
//     partition spec: one -> isolate-node random, majority -> random-halves, majorities-ring ->
//     majorities-ring, primaries -> isolate-leader, minority-third -> isolate-node random (5
//     nodes), with warnings where the shape is not Jepsen's.
//   - a fault not ended within the history lasts until the history's end (warning).
// Every importer issue is kept; nothing is dropped without an error naming its line.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "checkers/import/jepsen_nemesis.h"
#include "common/status.h"
#include "harness/spec/test_spec.h"

namespace faultline::harness {

struct JepsenConvertOptions {
  std::map<std::string, int> node_ids;  // Jepsen node name -> faultline node id (1-based)
  bool approximate = false;             // nearest shape instead of an error for other grudges
  // Without node_ids: number the nodes (a permutation of the default ids) so that the most
  // partitions are faultline shapes, e.g. a Jepsen split {n2 n5} | {n1 n3 n4} becomes halves.
  bool renumber = false;
  std::string start_means;  // what a bare :start did ("", partition, kill, pause)
};

struct JepsenConversion {
  TestSpec spec;     // a suite with nemesis.schedule set; everything else default
  std::string yaml;  // the suite as YAML (comments first: origin, node ids, every issue)
  std::vector<checkers::NemesisIssue> issues;  // the importer's and the conversion's, by line
  int errors = 0;                              // issues that are errors (ops not converted)
};

// Parses "n1=1,n2=2" (names -> ids >= 1, each id once). InvalidArgument naming the bad part.
Result<std::map<std::string, int>> ParseNodeIds(std::string_view text);

// InvalidArgument when the file is not a Jepsen history (names source:line) or a node cannot be
// given an id; everything about single ops is in `issues`.
Result<JepsenConversion> ConvertJepsenHistory(std::string_view text, const std::string& source,
                                              const JepsenConvertOptions& options);

}  // namespace faultline::harness
