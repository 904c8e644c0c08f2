// Shared by the report's section renderers (html_*.cc). Not a public interface.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "harness/report/html_report.h"
#include "harness/report/svg.h"
#include "harness/report/timeline.h"

namespace faultline::harness::report {

// One anomaly or observation as the page numbers it (A1, A2, ...; O1, O2, ...).
struct NumberedAnomaly {
  const checkers::Anomaly* anomaly = nullptr;
  std::string checker;  // the verdict row it belongs to
  std::string id;       // "A3" / "O1": anchor anomaly-3 / observation-1
  std::string anchor;
};

struct Ctx {
  const RunView& v;
  const ReportOptions& o;
  Leadership leaders;
  std::vector<NumberedAnomaly> anomalies;     // violations, in time order
  std::vector<NumberedAnomaly> observations;  // observations, in time order
  std::map<int64_t, const checkers::Op*> ops_by_index;
  std::vector<int64_t> ok_done;  // sorted ok completion times

  // "+12.34s" from the run's start; "-0.2s" before it.
  std::string Offset(int64_t ns) const;
  std::string OffsetMs(int64_t ms) const { return Offset(ms * 1'000'000); }
  // The leader at `ns` ("n2 (epoch 3)") or "no leader".
  std::string LeaderAt(int64_t ns) const;
};

// Geometry of every time chart: x from the run's start to its end over [left, right].
struct TimeAxis {
  int64_t from_ns = 0, to_ns = 1;
  double left = 0, right = 1;
  double X(int64_t ns) const;
};

std::string Duration(int64_t ns);                               // "850 ms", "3.2 s", "2 min 5 s"
std::string OpLabel(const checkers::Op& op);                    // "W 3", "R nil", "CAS 1→2"
std::string NodeName(int64_t node);                             // "n2"
std::string FaultTargets(const std::vector<int64_t>& targets);  // "n1,n3"
std::string KindClass(const std::string& fault_kind);           // "k-kill", "k-other"

// Fault labels above the timeline: each in the first of kLabelRowsMax rows where it overlaps no
// other label (kept inside the chart at its right edge), shortened to the fault kind when the full
// label fits nowhere, left out (row -1) when neither fits. Widths are estimated from the label
// font (kCharWidth per character, kLabelGap between labels).
inline constexpr int kLabelRowsMax = 4;
inline constexpr double kCharWidth = 6.6;  // bold 10.5 px system-ui / DejaVu Sans, measured
inline constexpr double kLabelGap = 6;
struct LabelPlace {
  int row = -1;
  double x = 0;
  std::string text;
};
std::vector<LabelPlace> PlaceFaultLabels(const std::vector<checkers::Fault>& faults,
                                         const TimeAxis& axis);
double LabelWidth(const std::string& text);

// Sections (each returns HTML).
std::string RenderTimeline(const Ctx& c);
std::string RenderAnomalies(const Ctx& c);
std::string RenderFaults(const Ctx& c);
std::string RenderNodes(const Ctx& c);
// Time-axis ticks and labels along y = `y` (seconds from the run's start).
void DrawTimeTicks(Svg& svg, const Ctx& c, const TimeAxis& axis, double y_top, double y_bottom,
                   bool labels);

}  // namespace faultline::harness::report
