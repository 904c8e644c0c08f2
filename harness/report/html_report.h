// The per-run HTML report (issue 10): one self-contained file (inline CSS and SVG, no script, no
// font or image fetched), readable offline, built from a RunView alone.
//
// Sections, top to bottom: verdict banner; run facts (suite, system, seed, revision, duration)
// and the command that replays the run; checkers (and those that could not run, with why); the
// timeline: fault bands labelled with kind and resolved targets, who led when with epoch changes,
// anomalies, throughput (ok / fail / info) and latency quantiles; each anomaly with its evidence
// (counterexample per-process timeline with the op that cannot be linearized marked; lost-write
// forensics; the event-log lines showing an invariant violation); observations apart; the fault
// table with each fault's outage and op-level detail; the node table.
//
// Size: everything over the whole run is aggregated (kTimelineBucketsMax buckets); op-level
// detail appears only around anomalies and faults, bounded by ReportOptions, so a 100k-op run
// stays a page a browser opens at once. Stable hooks for tests: #verdict[data-verdict],
// .fault-band[data-kind], #leader-lane .leader-span[data-node][data-epoch], .anomaly[id=anomaly-N],
// .counterexample .op.culprit.
#pragma once

#include <cstddef>
#include <string>

#include "harness/report/run_view.h"

namespace faultline::harness::report {

struct ReportOptions {
  // Op dots in all the fault windows together (fail and info ops are kept first; ok ops sampled).
  size_t fault_detail_points_max = 12000;
  size_t anomalies_detailed_max = 25;   // anomalies shown with their evidence; the rest listed
  size_t context_ops_max = 120;         // ops of the key drawn around one anomaly
  std::string faultline = "faultline";  // how the replay command names the binary
};

std::string RenderReportHtml(const RunView& view, const ReportOptions& options = {});

}  // namespace faultline::harness::report
