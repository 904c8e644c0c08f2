// The fault table (each fault's outage and an op-level latency view around it) and the node
// table (roles, epochs, elections, restarts, sync modes).
#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "checkers/zab/zxid.h"
#include "harness/report/html_internal.h"

namespace faultline::harness::report {
namespace {

constexpr int kScatterWidth = 1100;
constexpr double kScatterLeft = 60, kScatterRight = kScatterWidth - 14;
constexpr int kScatterHeight = 150;
constexpr int64_t kBeforeNs = 1'000'000'000;  // op detail from 1 s before a fault
constexpr int64_t kAfterNs = 2'000'000'000;   // to 2 s after it healed
constexpr size_t kPointsPerFaultMin = 150;

// Latency of every op (sampled down to `budget`, fail and info kept first) in [from, to].
std::string Scatter(const Ctx& c, const checkers::Fault& f, int64_t from, int64_t to,
                    size_t budget) {
  std::vector<const checkers::Op*> ok, other;
  for (const auto& op : c.v.history.ops) {
    if (op.invoke_ns < from || op.invoke_ns > to) continue;
    (op.ok() ? ok : other).push_back(&op);
  }
  if (other.size() > budget) other.resize(budget);
  size_t ok_budget = budget - other.size();
  std::vector<const checkers::Op*> pts = other;
  if (ok.size() <= ok_budget) {
    pts.insert(pts.end(), ok.begin(), ok.end());
  } else if (ok_budget > 0) {
    double stride = static_cast<double>(ok.size()) / static_cast<double>(ok_budget);
    for (size_t i = 0; i < ok_budget; ++i) pts.push_back(ok[static_cast<size_t>(i * stride)]);
  }
  double hi = 1;
  for (const auto* op : pts) {
    if (!op->open()) hi = std::max(hi, static_cast<double>(op->complete_ns - op->invoke_ns) / 1e6);
  }
  hi = std::pow(10, std::ceil(std::log10(hi)));
  double lo = 0.1;
  TimeAxis axis{from, to, kScatterLeft, kScatterRight};
  const double top = 18, bottom = kScatterHeight - 20;
  Scale ly{lo, hi, bottom, top, true};
  Svg svg(kScatterWidth, kScatterHeight, "class=\"fault-detail\"");
  int64_t stop = f.stop_ns == checkers::kOpenNs ? to : f.stop_ns;
  double x0 = axis.X(f.start_ns), x1 = std::max(axis.X(stop), x0 + 2);
  svg.Rect(x0, top, x1 - x0, bottom - top, "fault-band " + KindClass(f.kind), f.description,
           "data-kind=\"" + Esc(f.kind) + "\"");
  for (double t : LogTicks(lo, hi)) {
    svg.Line(kScatterLeft, ly(t), kScatterRight, ly(t), "grid");
    svg.Text(kScatterLeft - 4, ly(t) + 4, Compact(t), "", "end");
  }
  double s_lo = static_cast<double>(from - c.v.t0_ns) / 1e9;
  double s_hi = static_cast<double>(to - c.v.t0_ns) / 1e9;
  for (double t : NiceTicks(s_lo, s_hi, 10)) {
    double x = axis.X(c.v.t0_ns + static_cast<int64_t>(t * 1e9));
    svg.Text(x, kScatterHeight - 5, fmt::format("{:.1f}s", t), "", "middle");
  }
  for (const auto& s : c.leaders.spans) {
    if (s.start_ns >= from && s.start_ns <= to) {
      double x = axis.X(s.start_ns);
      svg.Line(x, top, x, bottom, "epoch-mark");
      svg.Text(x + 2, top + 10, fmt::format("{} e{}", NodeName(s.node), s.epoch), "");
    }
  }
  svg.Text(4, top + 8, "ms (log)", "");
  for (const auto* op : pts) {
    double latency = op->open() ? hi : static_cast<double>(op->complete_ns - op->invoke_ns) / 1e6;
    std::string cls = op->open() || op->outcome == checkers::Outcome::kInfo ? "d-info"
                      : op->ok()                                            ? "d-ok"
                                                                            : "d-fail";
    svg.Circle(axis.X(op->invoke_ns), ly(std::max(latency, lo)), op->ok() ? 1.6 : 2.4, cls,
               op->ok() ? "" : fmt::format("op {} {} {}", op->index, OpLabel(*op), cls.substr(2)));
  }
  return svg.Finish() +
         fmt::format(
             "<p class=\"muted\">{} of {} ops started in this window are drawn (every fail "
             "and info op first, ok ops sampled evenly); x = invoke time, y = latency.</p>",
             pts.size(), ok.size() + other.size());
}

}  // namespace

std::string RenderFaults(const Ctx& c) {
  const auto& faults = c.v.history.faults;
  std::string out = "<h2 id=\"faults\">Faults</h2>";
  if (faults.empty()) return out + "<p>No faults were applied.</p>";
  size_t budget = std::max(kPointsPerFaultMin, c.o.fault_detail_points_max / faults.size());
  out +=
      "<table id=\"fault-table\"><tr><th class=\"num\">#</th><th>kind</th><th>targets</th>"
      "<th class=\"num\">start</th><th class=\"num\">stop</th><th class=\"num\">lasted</th>"
      "<th class=\"num\" title=\"longest time without any ok op around the fault\">no ok op "
      "for</th>"
      "<th class=\"num\">ops ok / fail / info</th><th>description</th></tr>";
  std::string details;
  for (size_t i = 0; i < faults.size(); ++i) {
    const checkers::Fault& f = faults[i];
    int64_t stop = f.stop_ns == checkers::kOpenNs ? c.v.end_ns : f.stop_ns;
    OutcomeCounts n = CountOutcomes(c.v.history.ops, f.start_ns, stop);
    Gap gap = LongestOkGap(c.ok_done, f.start_ns, stop);
    out += fmt::format(
        "<tr data-kind=\"{}\"><td class=\"num\">{}</td><td><span class=\"chip {}\">{}</span></td>"
        "<td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>"
        "<td class=\"num\">{}</td><td class=\"num\">{} / {} / {}</td><td>{}</td></tr>",
        Esc(f.kind), i, KindClass(f.kind), Esc(f.kind), Esc(FaultTargets(f.targets)),
        c.Offset(f.start_ns), f.stop_ns == checkers::kOpenNs ? "never" : c.Offset(f.stop_ns),
        f.stop_ns == checkers::kOpenNs ? "-" : Duration(f.stop_ns - f.start_ns),
        gap.length_ns() > 0 ? Duration(gap.length_ns()) : "-", n.ok, n.fail, n.info,
        Esc(f.description));
    details += fmt::format(
        "<details class=\"fault-ops\"><summary>#{} {} {} at {}: every op around it</summary>{}"
        "</details>",
        i, Esc(f.kind), Esc(FaultTargets(f.targets)), c.Offset(f.start_ns),
        Scatter(c, f, f.start_ns - kBeforeNs, stop + kAfterNs, budget));
  }
  return out + "</table><h3>Op-level detail around each fault</h3>" + details;
}

std::string RenderNodes(const Ctx& c) {
  std::vector<NodeSummary> nodes = SummarizeNodes(c.v.history.node_events, c.v.history.faults);
  std::string out = "<h2 id=\"nodes\">Nodes</h2>";
  if (nodes.empty()) return out + "<p>No node events and no faults: nothing known per node.</p>";
  auto modes = [](const std::map<std::string, int>& m) {
    std::vector<std::string> parts;
    for (const auto& [mode, n] : m) parts.push_back(fmt::format("{} ×{}", mode, n));
    return parts.empty() ? std::string("-") : fmt::format("{}", fmt::join(parts, ", "));
  };
  out +=
      "<table id=\"node-table\"><tr><th>node</th><th class=\"num\">starts</th>"
      "<th class=\"num\">role changes</th><th class=\"num\">elections</th><th>led epochs</th>"
      "<th class=\"num\">accepted / current epoch</th><th>sync received</th>"
      "<th>sync sent (as leader)</th><th class=\"num\">truncations</th>"
      "<th class=\"num\">step-downs</th><th>last committed</th><th>faults on it</th></tr>";
  for (const auto& n : nodes) {
    std::vector<std::string> led;
    for (int64_t e : n.led_epochs) led.push_back(std::to_string(e));
    out += fmt::format(
        "<tr data-node=\"{}\"><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>"
        "<td class=\"num\">{}</td><td>{}</td><td class=\"num\">{} / {}</td><td>{}</td><td>{}</td>"
        "<td class=\"num\">{}</td><td class=\"num\">{}</td><td "
        "class=\"mono\">{}</td><td>{}</td></tr>",
        n.node, NodeName(n.node), n.starts, n.role_changes, n.elections,
        led.empty() ? "-" : fmt::format("{}", fmt::join(led, ", ")), n.accepted_epoch,
        n.current_epoch, modes(n.sync_received), modes(n.sync_sent), n.truncations, n.step_downs,
        n.last_committed >= 0 ? Esc(checkers::ZxidString(n.last_committed)) : "-", modes(n.faults));
  }
  out += "</table><p class=\"muted\">From the nodes' own event logs (" + Esc(c.v.events_source) +
         "). starts − 1 = restarts; elections = FLE rounds this node saw decided.</p>";
  return out;
}

}  // namespace faultline::harness::report
