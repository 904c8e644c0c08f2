// The run's timeline: one SVG whose lanes share a time axis, so every fault band, leader span and
// anomaly lines up with throughput and latency. Aggregated over kTimelineBucketsMax buckets.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "harness/report/evidence.h"
#include "harness/report/html_internal.h"

namespace faultline::harness::report {
namespace {

constexpr int kWidth = 1140;
constexpr double kLeft = 70, kRight = kWidth - 14;
constexpr double kLabelRowHeight = 14;
constexpr double kLeaderLaneHeight = 22;
constexpr double kAnomalyLaneHeight = 16;
constexpr double kChartHeight = 150;

std::string NodeClass(int64_t node) {
  return "n" + std::to_string(node >= 1 && node <= 7 ? node : 7);
}

std::string FaultLabel(const checkers::Fault& f) { return f.kind + " " + FaultTargets(f.targets); }

}  // namespace

double LabelWidth(const std::string& text) {
  return static_cast<double>(text.size()) * kCharWidth + kLabelGap;
}

std::vector<LabelPlace> PlaceFaultLabels(const std::vector<checkers::Fault>& faults,
                                         const TimeAxis& axis) {
  std::vector<LabelPlace> out;
  std::vector<std::vector<std::pair<double, double>>> rows(kLabelRowsMax);
  auto free = [&](int row, double x0, double x1) {
    for (const auto& [a, b] : rows[row]) {
      if (x0 < b && a < x1) return false;
    }
    return true;
  };
  for (const checkers::Fault& f : faults) {
    LabelPlace place;
    // The full label, else the kind alone; in the first row where it overlaps no other label.
    for (const std::string& text : {FaultLabel(f), f.kind}) {
      double w = LabelWidth(text);
      double x = std::max(axis.left, std::min(axis.X(f.start_ns) + 1, axis.right - w));
      for (int row = 0; row < kLabelRowsMax && place.row < 0; ++row) {
        if (free(row, x, x + w)) {
          place = LabelPlace{row, x, text};
          rows[row].push_back({x, x + w});
        }
      }
      if (place.row >= 0) break;
    }
    out.push_back(place);
  }
  return out;
}

std::string KindClass(const std::string& kind) {
  static const char* kKnown[] = {"kill", "pause", "partition", "restart", "delay", "loss", "crash"};
  for (const char* k : kKnown) {
    if (kind == k) return std::string("k-") + k;
  }
  return "k-other";
}

void DrawTimeTicks(Svg& svg, const Ctx& c, const TimeAxis& axis, double y_top, double y_bottom,
                   bool labels) {
  double lo = static_cast<double>(axis.from_ns - c.v.t0_ns) / 1e9;
  double hi = static_cast<double>(axis.to_ns - c.v.t0_ns) / 1e9;
  for (double t : NiceTicks(lo, hi, 12)) {
    double x = axis.X(c.v.t0_ns + static_cast<int64_t>(t * 1e9));
    svg.Line(x, y_top, x, y_bottom, "grid");
    if (labels) svg.Text(x, y_bottom + 12, Compact(t) + "s", "", "middle");
  }
}

std::string RenderTimeline(const Ctx& c) {
  const RunView& v = c.v;
  const auto& faults = v.history.faults;
  TimeAxis axis{v.t0_ns, std::max(v.end_ns, v.t0_ns + 1), kLeft, kRight};

  std::vector<LabelPlace> labels = PlaceFaultLabels(faults, axis);
  int rows_used = 0, omitted = 0;
  for (const LabelPlace& l : labels) {
    if (l.row < 0) {
      ++omitted;
    } else {
      rows_used = std::max(rows_used, l.row + 1);
    }
  }
  const double leader_top = 4 + rows_used * kLabelRowHeight + 2;
  const bool anomaly_lane = !c.anomalies.empty() || !c.observations.empty();
  const double anomaly_top = leader_top + kLeaderLaneHeight + 4;
  const double tput_top = anomaly_top + (anomaly_lane ? kAnomalyLaneHeight + 8 : 0);
  const double tput_bottom = tput_top + kChartHeight;
  const double lat_top = tput_bottom + 26;  // room for both charts' edge tick labels
  const double lat_bottom = lat_top + kChartHeight;
  const int height = static_cast<int>(lat_bottom + 22);

  OpSeries series = BucketOps(v.history.ops, axis.from_ns, axis.to_ns);
  const double bucket_s = static_cast<double>(series.bucket_ns) / 1e9;

  Svg svg(kWidth, height, "id=\"timeline\" role=\"img\" aria-label=\"run timeline\"");
  // Grid and time ticks behind everything.
  DrawTimeTicks(svg, c, axis, leader_top, lat_bottom, true);

  // Fault bands across every lane, labels on top.
  for (size_t i = 0; i < faults.size(); ++i) {
    const checkers::Fault& f = faults[i];
    int64_t stop = f.stop_ns == checkers::kOpenNs ? axis.to_ns : f.stop_ns;
    double x0 = axis.X(f.start_ns), x1 = std::max(axis.X(stop), x0 + 2);
    std::string title = fmt::format(
        "{} {} .. {} ({}): {}", FaultLabel(f), c.Offset(f.start_ns),
        f.stop_ns == checkers::kOpenNs ? std::string("never healed") : c.Offset(f.stop_ns),
        f.stop_ns == checkers::kOpenNs ? std::string("open") : Duration(f.stop_ns - f.start_ns),
        f.description);
    svg.Rect(x0, leader_top, x1 - x0, lat_bottom - leader_top, "fault-band " + KindClass(f.kind),
             title,
             fmt::format("data-kind=\"{}\" data-targets=\"{}\" data-index=\"{}\"", Esc(f.kind),
                         Esc(FaultTargets(f.targets)), i));
    const LabelPlace& l = labels[i];
    if (l.row < 0) continue;  // no room: the band's tooltip and the fault table name it
    svg.Raw("<g class=\"fault-label-g\"><title>" + Esc(title) + "</title>");
    svg.Text(l.x, 4 + l.row * kLabelRowHeight + 10, l.text, "fault-label " + KindClass(f.kind));
    svg.Raw("</g>");
  }

  // Leader lane.
  svg.Raw("<g id=\"leader-lane\">");
  svg.Text(kLeft - 6, leader_top + 15, "leader", "lane-label", "end");
  svg.Rect(kLeft, leader_top, kRight - kLeft, kLeaderLaneHeight, "no-leader",
           "no established leader");
  for (const LeaderSpan& s : c.leaders.spans) {
    double x0 = axis.X(s.start_ns), x1 = std::max(axis.X(s.end_ns), x0 + 1.5);
    std::string title = fmt::format("{} led epoch {} from {} to {}{}", NodeName(s.node), s.epoch,
                                    c.Offset(s.start_ns), c.Offset(s.end_ns),
                                    s.ended_by.empty() ? "" : " (" + s.ended_by + ")");
    svg.Rect(x0, leader_top, x1 - x0, kLeaderLaneHeight, "leader-span " + NodeClass(s.node), title,
             fmt::format("data-node=\"{}\" data-epoch=\"{}\"", s.node, s.epoch));
    std::string label = fmt::format("{} e{}", NodeName(s.node), s.epoch);
    if (x1 - x0 > static_cast<double>(label.size()) * kCharWidth + 4) {
      svg.Text(x0 + 3, leader_top + 15, label, "lane-label");
    }
    // Epoch change: a mark through the charts where the new leader was established.
    svg.Line(x0, leader_top - 2, x0, lat_bottom, "epoch-mark");
  }
  svg.Raw("</g>");
  if (c.leaders.spans.empty()) {
    svg.Text((kLeft + kRight) / 2, leader_top + 15,
             v.history.node_events.empty() ? "no node events recorded: leadership unknown"
                                           : "no leader established in the node events",
             "", "middle");
  }

  // Anomaly lane: each anomaly (and observation) over the time it concerns, linked to its
  // section below.
  if (anomaly_lane) {
    svg.Text(kLeft - 6, anomaly_top + 12, "anomalies", "lane-label", "end");
    auto mark = [&](const NumberedAnomaly& a, const char* cls) {
      const checkers::Anomaly& an = *a.anomaly;
      if (an.start_ns <= 0) return;
      double x0 = axis.X(an.start_ns), x1 = std::max(axis.X(an.end_ns), x0 + 4);
      svg.Raw("<a href=\"#" + a.anchor + "\">");
      svg.Rect(x0, anomaly_top, x1 - x0, kAnomalyLaneHeight, cls,
               a.id + " " + an.checker + (an.key.empty() ? "" : " key " + an.key) + ": " +
                   WithOffsets(an.description, c.v.run.started_ms).substr(0, 300),
               "data-anomaly=\"" + a.id + "\"");
      svg.Raw("</a>");
    };
    for (const auto& a : c.observations) mark(a, "observation-mark");
    for (const auto& a : c.anomalies) mark(a, "anomaly-mark");
    double last_label = -1e9;
    for (const auto& a : c.anomalies) {
      if (a.anomaly->start_ns <= 0) continue;
      double x = axis.X(a.anomaly->start_ns);
      if (x < last_label) continue;
      svg.Text(x, anomaly_top - 1, a.id, "lane-label");
      last_label = x + 22;
    }
  }

  // Throughput: ops completed per second, by outcome.
  double tput_max = 1;
  for (const auto& b : series.buckets) {
    tput_max = std::max({tput_max, b.ok / bucket_s, b.fail / bucket_s, b.info / bucket_s});
  }
  std::vector<double> tput_ticks = NiceTicks(0, tput_max, 4);
  tput_max = std::max(tput_max, tput_ticks.empty() ? tput_max : tput_ticks.back());
  Scale ty{0, tput_max, tput_bottom, tput_top};
  svg.Line(kLeft, tput_bottom, kRight, tput_bottom, "axis");
  svg.Line(kLeft, tput_top, kLeft, tput_bottom, "axis");
  for (double t : tput_ticks) {
    svg.Line(kLeft, ty(t), kRight, ty(t), "grid");
    svg.Text(kLeft - 4, ty(t) + 4, Compact(t), "", "end");
  }
  svg.Text(8, tput_top + 10, "ops/s", "lane-label");
  auto xmid = [&](const OpBucket& b) { return axis.X(b.start_ns + series.bucket_ns / 2); };
  std::vector<std::pair<double, double>> ok, fail, info;
  for (const auto& b : series.buckets) {
    ok.push_back({xmid(b), ty(b.ok / bucket_s)});
    fail.push_back({xmid(b), ty(b.fail / bucket_s)});
    info.push_back({xmid(b), ty(b.info / bucket_s)});
  }
  svg.Path(info, "s-info");
  svg.Path(fail, "s-fail");
  svg.Path(ok, "s-ok");

  // Latency quantiles per bucket, log scale (ms).
  double lat_lo = 1e9, lat_hi = 1;
  for (const auto& b : series.buckets) {
    for (const Quantiles* q : {&b.ok_latency, &b.fail_latency, &b.info_latency}) {
      if (q->n == 0) continue;
      lat_lo = std::min(lat_lo, q->p50);
      lat_hi = std::max(lat_hi, q->max);
    }
  }
  lat_lo = std::max(0.05, std::pow(10, std::floor(std::log10(std::max(lat_lo, 0.05)))));
  lat_hi = std::pow(10, std::ceil(std::log10(std::max(lat_hi, lat_lo * 10))));
  Scale ly{lat_lo, lat_hi, lat_bottom, lat_top, true};
  svg.Line(kLeft, lat_bottom, kRight, lat_bottom, "axis");
  svg.Line(kLeft, lat_top, kLeft, lat_bottom, "axis");
  for (double t : LogTicks(lat_lo, lat_hi)) {
    svg.Line(kLeft, ly(t), kRight, ly(t), "grid");
    svg.Text(kLeft - 4, ly(t) + 4, Compact(t), "", "end");
  }
  // In the gap above the chart: the left margin holds the log axis's tick labels.
  svg.Text(kLeft + 4, lat_top - 7, "latency (ms, log scale)", "lane-label");
  auto series_of = [&](auto pick) {
    std::vector<std::pair<double, double>> pts;
    for (const auto& b : series.buckets) {
      double val = pick(b);
      pts.push_back({xmid(b), val > 0 ? ly(val) : -1});
    }
    return pts;
  };
  svg.Path(series_of([](const OpBucket& b) { return b.info_latency.p99; }), "s-info");
  svg.Path(series_of([](const OpBucket& b) { return b.fail_latency.p99; }), "s-fail");
  svg.Path(series_of([](const OpBucket& b) { return b.ok_latency.max; }), "s-max");
  svg.Path(series_of([](const OpBucket& b) { return b.ok_latency.p99; }), "s-p99");
  svg.Path(series_of([](const OpBucket& b) { return b.ok_latency.p50; }), "s-p50");
  svg.Text(kRight, height - 4, "seconds since the run started", "", "end");

  std::string legend = fmt::format(
      "<div class=\"legend\">Throughput per {}: <i style=\"background:#2e7d32\"></i>ok "
      "<i style=\"background:#c62828\"></i>fail <i style=\"background:#ef6c00\"></i>info "
      "(unknown outcome) &nbsp;·&nbsp; Latency of ok ops: <i style=\"background:#66bb6a\"></i>p50 "
      "<i style=\"background:#1b5e20\"></i>p99 <i style=\"background:#1b5e20;height:1px\"></i>max; "
      "p99 of fail and info ops in their colours &nbsp;·&nbsp; Faults:",
      Duration(series.bucket_ns));
  for (const char* k : {"kill", "pause", "partition", "restart", "delay", "loss", "crash"}) {
    bool used =
        std::any_of(faults.begin(), faults.end(), [&](const auto& f) { return f.kind == k; });
    if (used) legend += fmt::format("<b class=\"{}\"></b>{}", KindClass(k), k);
  }
  legend +=
      " &nbsp;·&nbsp; Leader lane: one colour per node, dashed line = new epoch "
      "established; grey = no leader.";
  if (omitted > 0) {
    legend += fmt::format(
        " <span class=\"labels-omitted\" data-omitted=\"{}\">{} fault label{} left out where "
        "bands crowd: hover a band, or see the fault table.</span>",
        omitted, omitted, omitted == 1 ? "" : "s");
  }
  legend += "</div>";
  return "<h2 id=\"timeline-h\">Timeline</h2>" + legend + svg.Finish();
}

}  // namespace faultline::harness::report
