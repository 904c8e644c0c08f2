// Anomalies and observations, each with the evidence that shows it: a per-process timeline of the
// shrunk counterexample (the op that cannot be linearized marked) and of the key's ops around it,
// lost-write forensics, the event-log lines behind an invariant violation.
#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>

#include "checkers/zab/zxid.h"
#include "harness/report/evidence.h"
#include "harness/report/html_internal.h"

namespace faultline::harness::report {
namespace {

constexpr int kLaneWidth = 1100;
constexpr double kLaneLeft = 92, kLaneRight = kLaneWidth - 16;
constexpr double kRowHeight = 24;
constexpr int64_t kContextNs = 300'000'000;  // key ops drawn this far around an anomaly

std::string OutcomeClass(const checkers::Op& op) {
  if (op.open() || op.outcome == checkers::Outcome::kInfo) return "op-info";
  return op.ok() ? "op-ok" : "op-fail";
}

std::string OutcomeName(const checkers::Op& op) {
  return op.open() ? "never completed" : std::string(checkers::OutcomeName(op.outcome));
}

std::string ProcessLabel(int64_t p) {
  return p >= 1'000'000'000 ? fmt::format("final {}", p - 1'000'000'000) : fmt::format("p{}", p);
}

std::string OpTitle(const Ctx& c, const checkers::Op& op) {
  return fmt::format("op {} {} {} key {} by {}{}: invoked {}, {} {}{}", op.index,
                     checkers::FnName(op.f), OpLabel(op), op.key, ProcessLabel(op.process),
                     op.node ? " on " + NodeName(*op.node) : "", c.Offset(op.invoke_ns),
                     OutcomeName(op), op.open() ? "" : c.Offset(op.complete_ns),
                     op.zxid ? " zxid " + checkers::ZxidString(*op.zxid) : "");
}

// Per-process bars. `rank_axis`: x is the order of the distinct invoke/complete times (the
// counterexample view, where a 2 ms read next to a 5 s write must stay visible); otherwise real
// time over [from, to].
std::string ProcessTimeline(const Ctx& c, const std::vector<const checkers::Op*>& ops,
                            const std::set<int64_t>& highlighted, std::optional<int64_t> culprit,
                            bool rank_axis, int64_t from_ns, int64_t to_ns,
                            const std::string& svg_class) {
  std::map<int64_t, int> row;  // process -> row
  for (const auto* op : ops) row.emplace(op->process, 0);
  int r = 0;
  for (auto& [p, i] : row) i = r++;
  std::set<int64_t> times;
  for (const auto* op : ops) {
    times.insert(op->invoke_ns);
    if (!op->open()) times.insert(op->complete_ns);
  }
  std::map<int64_t, int> rank;
  for (int64_t t : times) rank.emplace(t, static_cast<int>(rank.size()));
  const double top = 22;
  const int height = static_cast<int>(top + row.size() * kRowHeight + 24);
  auto x_of = [&](int64_t t, bool open) -> double {
    if (rank_axis) {
      double slots = static_cast<double>(rank.size());
      if (open) return kLaneRight;
      return kLaneLeft + (rank[t] + 0.5) / slots * (kLaneRight - kLaneLeft - 24);
    }
    TimeAxis a{from_ns, to_ns, kLaneLeft, kLaneRight};
    return open ? kLaneRight : a.X(t);
  };
  Svg svg(kLaneWidth, height, "class=\"" + svg_class + "\"");
  if (!rank_axis) {
    TimeAxis a{from_ns, to_ns, kLaneLeft, kLaneRight};
    // Faults in the window, as on the main timeline.
    for (const auto& f : c.v.history.faults) {
      int64_t stop = f.stop_ns == checkers::kOpenNs ? to_ns : f.stop_ns;
      if (stop < from_ns || f.start_ns > to_ns) continue;
      double x0 = a.X(f.start_ns), x1 = std::max(a.X(stop), x0 + 2);
      svg.Rect(x0, top - 4, x1 - x0, height - top - 16, "fault-band " + KindClass(f.kind),
               f.kind + " " + FaultTargets(f.targets) + ": " + f.description,
               "data-kind=\"" + Esc(f.kind) + "\"");
      svg.Text(x0 + 2, 12, f.kind + " " + FaultTargets(f.targets),
               "fault-label " + KindClass(f.kind));
    }
    for (const auto& s : c.leaders.spans) {
      if (s.start_ns >= from_ns && s.start_ns <= to_ns) {
        double x = a.X(s.start_ns);
        svg.Line(x, top - 4, x, height - 20, "epoch-mark");
        svg.Text(x + 2, height - 22, fmt::format("{} e{}", NodeName(s.node), s.epoch), "");
      }
    }
    double lo = static_cast<double>(from_ns - c.v.t0_ns) / 1e9;
    double hi = static_cast<double>(to_ns - c.v.t0_ns) / 1e9;
    for (double t : NiceTicks(lo, hi, 8)) {
      double x = a.X(c.v.t0_ns + static_cast<int64_t>(t * 1e9));
      svg.Line(x, top - 4, x, height - 18, "grid");
      svg.Text(x, height - 6, fmt::format("{:.2f}s", t), "", "middle");
    }
  } else {
    svg.Text(kLaneLeft, 12,
             "order of invoke / completion times (not to scale; times on hover and below)",
             "muted");
  }
  for (const auto& [p, i] : row) {
    svg.Text(kLaneLeft - 6, top + i * kRowHeight + 15, ProcessLabel(p), "lane-label", "end");
  }
  for (const auto* op : ops) {
    double y = top + row[op->process] * kRowHeight + 3;
    double x0 = x_of(op->invoke_ns, false);
    double x1 = std::max(x_of(op->complete_ns, op->open()), x0 + 3);
    bool is_culprit = culprit && *culprit == op->index;
    std::string cls = "op " + OutcomeClass(*op);
    if (highlighted.count(op->index)) cls += " minimal";
    if (is_culprit) cls += " culprit";
    svg.Rect(x0, y, x1 - x0, kRowHeight - 7, cls, OpTitle(c, *op),
             fmt::format("data-op=\"{}\"", op->index));
    std::string label = OpLabel(*op);
    double room = x1 - x0 - 4;
    if (room > 14) {
      size_t chars = static_cast<size_t>(room / 6.4);
      if (label.size() > chars) label = label.substr(0, chars > 1 ? chars - 1 : 0) + "…";
      svg.Text(x0 + 3, y + 12, label, "op-label");
    }
    if (is_culprit) {
      svg.Text(std::min(x1 + 4, kLaneRight - 120.0), y + 12, "✗ cannot be linearized",
               "culprit-label");
    }
  }
  return svg.Finish();
}

std::string OpsTable(const Ctx& c, const std::vector<const checkers::Op*>& ops,
                     std::optional<int64_t> culprit) {
  std::string out =
      "<table class=\"ops\"><tr><th class=\"num\">op</th><th>process</th><th>node</th><th>f</th>"
      "<th>value</th><th class=\"num\">invoked</th><th class=\"num\">completed</th><th>outcome</th>"
      "<th>zxid</th></tr>";
  for (const auto* op : ops) {
    bool mark = culprit && *culprit == op->index;
    out += fmt::format(
        "<tr{}><td class=\"num\">{}{}</td><td>{}</td><td>{}</td><td>{}</td><td "
        "class=\"mono\">{}</td>"
        "<td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td><td "
        "class=\"mono\">{}</td></tr>",
        mark ? " class=\"culprit-row\" style=\"background:#ffebee\"" : "", mark ? "✗ " : "",
        op->index, Esc(ProcessLabel(op->process)), op->node ? NodeName(*op->node) : "-",
        checkers::FnName(op->f), Esc(OpLabel(*op)), c.Offset(op->invoke_ns),
        op->open() ? "-" : c.Offset(op->complete_ns), Esc(OutcomeName(*op)),
        op->zxid ? Esc(checkers::ZxidString(*op->zxid)) : "-");
  }
  return out + "</table>";
}

std::vector<const checkers::Op*> OpsOf(const Ctx& c, const std::vector<int64_t>& indexes) {
  std::vector<const checkers::Op*> out;
  for (int64_t i : indexes) {
    auto it = c.ops_by_index.find(i);
    if (it != c.ops_by_index.end()) out.push_back(it->second);
  }
  std::sort(out.begin(), out.end(),
            [](const auto* a, const auto* b) { return a->invoke_ns < b->invoke_ns; });
  return out;
}

// Ops of `key` around [from, to], at most `max` (those nearest the middle), plus `must`.
std::vector<const checkers::Op*> KeyContext(const Ctx& c, const std::string& key, int64_t from,
                                            int64_t to, size_t max,
                                            const std::vector<const checkers::Op*>& must) {
  std::vector<const checkers::Op*> near;
  int64_t mid = from / 2 + to / 2;
  for (const auto& op : c.v.history.ops) {
    if (op.key != key || op.outcome == checkers::Outcome::kFail) continue;
    int64_t end = op.open() ? to : op.complete_ns;
    if (end >= from && op.invoke_ns <= to) near.push_back(&op);
  }
  auto dist = [&](const checkers::Op* op) { return std::llabs(op->invoke_ns - mid); };
  std::sort(near.begin(), near.end(),
            [&](const auto* a, const auto* b) { return dist(a) < dist(b); });
  if (near.size() > max) near.resize(max);
  for (const auto* m : must) {
    if (std::find(near.begin(), near.end(), m) == near.end()) near.push_back(m);
  }
  std::sort(near.begin(), near.end(),
            [](const auto* a, const auto* b) { return a->invoke_ns < b->invoke_ns; });
  return near;
}

std::string FaultsAround(const Ctx& c, int64_t from, int64_t to) {
  std::vector<std::string> items;
  for (const auto& f : c.v.history.faults) {
    int64_t stop = f.stop_ns == checkers::kOpenNs ? c.v.end_ns : f.stop_ns;
    if (f.start_ns <= to && stop >= from) {
      items.push_back(
          fmt::format("<span class=\"chip {}\">{} {}</span> {}..{} {}", KindClass(f.kind),
                      Esc(f.kind), Esc(FaultTargets(f.targets)), c.Offset(f.start_ns),
                      f.stop_ns == checkers::kOpenNs ? "never healed" : c.Offset(f.stop_ns),
                      Esc(f.description)));
    }
  }
  if (items.empty()) return "<p>Faults in force: none.</p>";
  return "<p>Faults in force: " + fmt::format("{}", fmt::join(items, "; ")) + "</p>";
}

std::string Linearizability(const Ctx& c, const checkers::Anomaly& a) {
  std::vector<const checkers::Op*> minimal = OpsOf(c, a.ops);
  std::optional<int64_t> culprit = CulpritOp(a);
  std::set<int64_t> minimal_set(a.ops.begin(), a.ops.end());
  std::string out = "<h4>Counterexample: the shrunk history (" + std::to_string(minimal.size()) +
                    " ops), one row per client process</h4>";
  out += "<div class=\"counterexample\">" +
         ProcessTimeline(c, minimal, minimal_set, culprit, /*rank_axis=*/true, 0, 0,
                         "counterexample-svg") +
         OpsTable(c, minimal, culprit) + "</div>";
  int64_t from = a.start_ns - kContextNs, to = a.end_ns + kContextNs;
  std::vector<const checkers::Op*> context =
      KeyContext(c, a.key, from, to, c.o.context_ops_max, minimal);
  out += fmt::format(
      "<details class=\"context\"><summary>Every op on key {} from {} to {} ({} ops, real time; "
      "the counterexample's ops outlined)</summary>",
      Esc(a.key), c.Offset(from), c.Offset(to), context.size());
  out += ProcessTimeline(c, context, minimal_set, culprit, false, from, to, "context-svg") +
         "</details>";
  return out;
}

std::string LostWrite(const Ctx& c, const checkers::Anomaly& a) {
  std::vector<const checkers::Op*> ops = OpsOf(c, a.ops);
  std::string out = OpsTable(c, ops, std::nullopt);
  const checkers::Op* write = nullptr;
  for (const auto* op : ops) {
    if (!a.ops.empty() && op->index == a.ops.front()) write = op;
  }
  if (!write || !write->zxid) {
    return out + "<p class=\"muted\">The write's zxid is unknown: no node-log forensics.</p>";
  }
  ZxidTrail t = TrailOf(*write->zxid, c.v.history.node_events);
  out += fmt::format("<h4>Forensics for zxid {}</h4>", Esc(checkers::ZxidString(t.zxid)));
  out +=
      "<table class=\"forensics\"><tr><th>node</th><th>logged</th><th>committed</th>"
      "<th>removed</th><th>how</th></tr>";
  for (const auto& n : t.nodes) {
    out += fmt::format(
        "<tr><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>"
        "<td>{}</td></tr>",
        NodeName(n.node), n.logged_ms ? c.OffsetMs(*n.logged_ms) : "never",
        n.committed_ms ? c.OffsetMs(*n.committed_ms) : "never",
        n.removed_ms ? c.OffsetMs(*n.removed_ms) : "-", Esc(n.removed_how));
  }
  if (t.nodes.empty()) out += "<tr><td colspan=\"5\">no node logged it</td></tr>";
  out += "</table>";
  if (t.decisions.empty()) {
    out += "<p>Sync decisions that removed it: none recorded.</p>";
  } else {
    out += "<p>Sync decisions that removed it:</p><ul class=\"decisions\">";
    for (const auto& d : t.decisions) {
      out += "<li>" + c.OffsetMs(d.ts_ms) + " " + Esc(d.text) + "</li>";
    }
    out += "</ul>";
  }
  return out;
}

std::string Invariant(const Ctx& c, const checkers::Anomaly& a) {
  std::vector<const checkers::NodeEvent*> lines = InvariantEvidence(a, c.v.history.node_events);
  if (lines.empty()) return "<p class=\"muted\">No event-log lines found for it.</p>";
  std::string out =
      "<h4>Event-log lines that show it</h4><table class=\"ev evidence\"><tr><th>when</th>"
      "<th>node</th><th>event</th><th>fields (zxids in hex)</th></tr>";
  for (const auto* e : lines) {
    out += fmt::format(
        "<tr class=\"ev-line\" data-node=\"{}\" data-type=\"{}\"><td class=\"num\">{}</td>"
        "<td>{}</td><td><b>{}</b></td><td class=\"mono\">{}</td></tr>",
        e->node, Esc(e->type), Esc(c.OffsetMs(e->ts_ms)), NodeName(e->node), Esc(e->type),
        Esc(EventFields(*e)));
  }
  return out + "</table>";
}

std::string Section(const Ctx& c, const NumberedAnomaly& n, bool detailed) {
  const checkers::Anomaly& a = *n.anomaly;
  std::string cls = a.observation ? "anomaly observation" : "anomaly";
  std::string when = a.start_ns <= 0          ? "time not recorded"
                     : a.start_ns == a.end_ns ? c.Offset(a.start_ns)
                                              : c.Offset(a.start_ns) + " .. " + c.Offset(a.end_ns);
  std::string out = fmt::format(
      "<section class=\"{}\" id=\"{}\" data-checker=\"{}\"><h3>{} · {}{} · {}</h3>", cls, n.anchor,
      Esc(a.checker), n.id, Esc(a.checker), a.key.empty() ? "" : " · key " + Esc(a.key), when);
  out += "<p class=\"description\">" + Esc(WithOffsets(a.description, c.v.run.started_ms)) + "</p>";
  if (a.start_ns > 0) {
    out += "<p class=\"muted\">Leader at the time: " + Esc(c.LeaderAt(a.start_ns)) + ".</p>";
    out += FaultsAround(c, a.start_ns, a.end_ns);
  }
  if (detailed) {
    if (a.checker == "linearizability" && !a.ops.empty()) {
      out += Linearizability(c, a);
    } else if (a.checker == "lost-write") {
      out += LostWrite(c, a);
    } else if (a.checker == "zab-invariants") {
      out += Invariant(c, a);
    } else if (!a.ops.empty()) {
      out += OpsTable(c, OpsOf(c, a.ops), std::nullopt);
    }
  }
  if (!a.detail.empty()) {
    out += "<details><summary>The checker's own text</summary><pre>" + Esc(a.detail) +
           "</pre></details>";
  }
  return out + "</section>";
}

std::string List(const Ctx& c, const std::vector<NumberedAnomaly>& list) {
  std::string out;
  size_t shown = 0;
  for (const auto& n : list) {
    if (shown < c.o.anomalies_detailed_max) {
      out += Section(c, n, true);
      ++shown;
    }
  }
  if (list.size() > shown) {
    out += fmt::format(
        "<p>{} more, without evidence:</p><table><tr><th>#</th><th>checker</th>"
        "<th>key</th><th>when</th><th>description</th></tr>",
        list.size() - shown);
    for (size_t i = shown; i < list.size(); ++i) {
      const checkers::Anomaly& a = *list[i].anomaly;
      out +=
          fmt::format("<tr id=\"{}\"><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                      list[i].anchor, list[i].id, Esc(a.checker), Esc(a.key),
                      a.start_ns > 0 ? c.Offset(a.start_ns) : "-",
                      Esc(WithOffsets(a.description, c.v.run.started_ms)));
    }
    out += "</table>";
  }
  return out;
}

}  // namespace

std::string RenderAnomalies(const Ctx& c) {
  std::string out = "<h2 id=\"anomalies\">Anomalies</h2>";
  if (c.anomalies.empty()) {
    out += "<p>None found" + std::string(c.v.checks.empty() ? " (the run was not checked)." : ".") +
           "</p>";
  } else {
    out += List(c, c.anomalies);
  }
  if (!c.observations.empty()) {
    out +=
        "<h2 id=\"observations\">Observations (not anomalies)</h2><p class=\"muted\">What the "
        "system is allowed to do under its promises (e.g. a stale plain read on ZooKeeper), "
        "reported for the record; never a reason for an invalid verdict.</p>";
    out += List(c, c.observations);
  }
  return out;
}

}  // namespace faultline::harness::report
