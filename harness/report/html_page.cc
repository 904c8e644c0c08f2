// The page: stylesheet, verdict banner, run facts, replay command, checkers; then the sections of
// html_timeline.cc, html_anomalies.cc and html_tables.cc.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>

#include "harness/history/store_util.h"
#include "harness/report/html_internal.h"

namespace faultline::harness::report {
namespace {

namespace fs = std::filesystem;

constexpr const char* kStyle = R"css(
*{box-sizing:border-box}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;margin:0;
  color:#1d2330;background:#f4f5f7}
main{max-width:1180px;margin:0 auto;padding:16px 20px 48px}
h1{font-size:22px;margin:0}
h2{font-size:17px;margin:28px 0 8px;padding-bottom:4px;border-bottom:1px solid #d5d9e0}
h3{font-size:15px;margin:16px 0 6px}
code,pre,.mono{font-family:ui-monospace,"DejaVu Sans Mono",Menlo,monospace;font-size:12.5px}
pre{background:#fff;border:1px solid #d5d9e0;border-radius:4px;padding:8px 10px;overflow-x:auto;
  margin:6px 0;white-space:pre}
.banner{border-radius:6px;padding:14px 18px;color:#fff;margin-bottom:14px}
.banner .what{font-size:26px;font-weight:700;letter-spacing:.5px}
.banner .why{font-size:15px;margin-top:2px}
.v-valid{background:#2e7d32}.v-invalid{background:#c62828}.v-unknown{background:#b26a00}
.v-crashed{background:#4a148c}.v-interrupted{background:#546e7a}.v-error{background:#6d4c41}
.v-running{background:#1565c0}
.facts{display:grid;grid-template-columns:repeat(auto-fill,minmax(210px,1fr));gap:6px 18px;
  background:#fff;border:1px solid #d5d9e0;border-radius:6px;padding:10px 14px}
.facts div span{color:#5b6475;display:block;font-size:12px}
.cmd{margin:10px 0}
.card{background:#fff;border:1px solid #d5d9e0;border-radius:6px;padding:10px 14px;margin:10px 0}
table{border-collapse:collapse;background:#fff;width:100%;font-size:13px}
th,td{border:1px solid #e0e3e8;padding:3px 7px;text-align:left;vertical-align:top}
th{background:#eef0f3;font-weight:600}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
td.num{white-space:nowrap}
.chip{display:inline-block;border-radius:3px;padding:0 6px;font-size:12px;font-weight:600}
.c-valid{color:#2e7d32}.c-invalid{color:#c62828}.c-unknown,.c-not-run{color:#b26a00}
.legend{font-size:12px;color:#3c4350;margin:2px 0 8px}
.legend i{display:inline-block;width:14px;height:3px;vertical-align:middle;margin:0 4px 0 12px}
.legend b{display:inline-block;width:12px;height:10px;vertical-align:middle;margin:0 4px 0 12px;
  opacity:.45}
.anomaly{background:#fff;border:1px solid #d5d9e0;border-left:5px solid #c62828;border-radius:6px;
  padding:10px 14px;margin:12px 0}
.anomaly.observation{border-left-color:#b26a00}
.anomaly h3{margin-top:0}
.muted{color:#5b6475}
details>summary{cursor:pointer;color:#1565c0}
svg{display:block;background:#fff;border:1px solid #d5d9e0;border-radius:4px;margin:4px 0}
svg text{font:11px system-ui,"DejaVu Sans",sans-serif;fill:#3c4350}
svg .axis{stroke:#9aa3b2;stroke-width:1}
svg .grid{stroke:#edf0f4;stroke-width:1}
svg .lane-label{font-weight:600;fill:#1d2330}
svg .s-ok{stroke:#2e7d32;fill:none;stroke-width:1.6}
svg .s-fail{stroke:#c62828;fill:none;stroke-width:1.6}
svg .s-info{stroke:#ef6c00;fill:none;stroke-width:1.6}
svg .s-p50{stroke:#66bb6a;fill:none;stroke-width:1.2}
svg .s-p99{stroke:#1b5e20;fill:none;stroke-width:1.8}
svg .s-max{stroke:#1b5e20;fill:none;stroke-width:1;stroke-dasharray:2 2}
svg .d-ok{fill:#2e7d32;opacity:.55}svg .d-fail{fill:#c62828}svg .d-info{fill:#ef6c00}
svg .fault-band{opacity:.16}
svg .fault-label{font-size:10.5px;font-weight:600}
svg .epoch-mark{stroke:#1d2330;stroke-width:1;stroke-dasharray:3 2}
svg .leader-span{stroke:#fff;stroke-width:1}
svg .no-leader{fill:#eceff1}
svg .anomaly-mark{fill:#c62828}
svg .observation-mark{fill:#b26a00}
svg .op{stroke:#1d2330;stroke-width:.6}
svg .op-ok{fill:#c8e6c9}svg .op-fail{fill:#ffcdd2}svg .op-info{fill:#ffe0b2}
svg .op.culprit{stroke:#c62828;stroke-width:2.4}
svg .op.minimal{stroke-width:1.4}
svg .op-label{font:10.5px ui-monospace,"DejaVu Sans Mono",monospace;fill:#1d2330}
svg .culprit-label{fill:#c62828;font-weight:700}
.k-kill{fill:#8e24aa;background:#8e24aa;color:#fff}.k-pause{fill:#1e88e5;background:#1e88e5;color:#fff}
.k-partition{fill:#f9a825;background:#f9a825;color:#1d2330}
.k-restart{fill:#6d4c41;background:#6d4c41;color:#fff}.k-delay{fill:#00897b;background:#00897b;color:#fff}
.k-loss{fill:#5e35b1;background:#5e35b1;color:#fff}.k-crash{fill:#212121;background:#212121;color:#fff}
.k-other{fill:#78909c;background:#78909c;color:#fff}
.n1{fill:#3949ab}.n2{fill:#00897b}.n3{fill:#c0ca33}.n4{fill:#f4511e}.n5{fill:#8e24aa}
.n6{fill:#6d4c41}.n7{fill:#546e7a}
.ev{white-space:pre-wrap}
table.ev td.mono{overflow-wrap:anywhere;font-size:12px}
footer{margin-top:32px;color:#5b6475;font-size:12px}
)css";

std::string UtcTime(int64_t ms) { return UtcTimeText(ms) + " UTC"; }

// Quotes a shell word when it needs it.
std::string ShellWord(const std::string& w) {
  if (!w.empty() && w.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                        "0123456789_-./=:,+@%") == std::string::npos) {
    return w;
  }
  std::string out = "'";
  for (char ch : w) out += ch == '\'' ? std::string("'\\''") : std::string(1, ch);
  return out + "'";
}

std::string ReadText(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// The command that replays the run exactly (same seed, op stream, realized schedule), with the
// store and results folder it was recorded in.
std::string ReplayCommand(const Ctx& c) {
  const RunRecord& r = c.v.run;
  std::error_code ec;
  std::string store = fs::absolute(c.v.store_path, ec).lexically_normal().string();
  std::string results;
  if (!r.folder.empty()) {
    fs::path folder = fs::absolute(r.folder, ec).lexically_normal();
    if (folder.parent_path().filename() == "runs")
      results = folder.parent_path().parent_path().string();
  }
  std::string cmd = c.o.faultline + " --store " + ShellWord(store);
  if (!results.empty()) cmd += " --results " + ShellWord(results);
  if (r.suite.rfind("scenario:", 0) == 0 && !r.folder.empty()) {
    return cmd + " scenario " + ShellWord((fs::path(r.folder) / "scenario.yaml").string());
  }
  return cmd + " replay " + std::to_string(r.id);
}

struct Banner {
  std::string cls, what, why;
};

Banner MakeBanner(const Ctx& c) {
  const RunRecord& r = c.v.run;
  auto last_heard = [&] { return c.OffsetMs(r.last_heard_ms); };
  if (r.status == kRunCrashed) {
    return {"v-crashed", "CRASHED",
            fmt::format("the controller{} died without finishing the run; last heard from at {} "
                        "({}); never checked",
                        r.controller_pid
                            ? fmt::format(" (pid {} on {})", *r.controller_pid, r.controller_host)
                            : "",
                        last_heard(), UtcTime(r.last_heard_ms))};
  }
  if (r.status == kRunRunning) {
    return {"v-running", "RUNNING",
            "the run is still going (last heard from at " + last_heard() + ")"};
  }
  if (r.status == kRunInterrupted) {
    return {"v-interrupted", "INTERRUPTED",
            "stopped by SIGINT/SIGTERM" +
                (r.ended_ms ? " at " + c.OffsetMs(*r.ended_ms) : std::string()) +
                ": cleaned up, not checked"};
  }
  if (r.status == kRunError) {
    return {"v-error", "ERROR", "the run could not be carried out: " + r.summary};
  }
  std::map<std::string, int> by_checker;
  for (const auto& a : c.anomalies) ++by_checker[a.anomaly->checker];
  std::vector<std::string> parts;
  for (const auto& [name, n] : by_checker) parts.push_back(fmt::format("{} {}", n, name));
  std::string observations =
      c.observations.empty()
          ? ""
          : fmt::format(" ({} observations, not anomalies)", c.observations.size());
  if (r.verdict == "invalid" || !c.anomalies.empty()) {
    return {
        "v-invalid", "INVALID",
        fmt::format("{} anomal{}: {}{}", c.anomalies.size(), c.anomalies.size() == 1 ? "y" : "ies",
                    fmt::format("{}", fmt::join(parts, ", ")), observations)};
  }
  std::vector<std::string> why_unknown, judged;
  for (const auto& ch : c.v.checks) {
    if (ch.verdict == "unknown") why_unknown.push_back(ch.checker + ": " + ch.reason);
    judged.push_back(ch.checker);
  }
  if (r.verdict == "valid") {
    return {"v-valid", "VALID",
            "no anomaly found by " + fmt::format("{}", fmt::join(judged, ", ")) + observations};
  }
  if (c.v.checks.empty()) return {"v-unknown", "NOT CHECKED", "no checker judged this run"};
  return {"v-unknown", "UNKNOWN", fmt::format("{}", fmt::join(why_unknown, "; "))};
}

std::string Facts(const Ctx& c) {
  const RunView& v = c.v;
  const RunRecord& r = v.run;
  OutcomeCounts n = CountOutcomes(v.history.ops, std::numeric_limits<int64_t>::min(),
                                  std::numeric_limits<int64_t>::max());
  int64_t duration_ns = (r.ended_ms ? *r.ended_ms : r.last_heard_ms) * 1'000'000 - v.t0_ns;
  std::vector<std::pair<std::string, std::string>> facts = {
      {"run", fmt::format("{}{}", r.id,
                          r.replay_of ? fmt::format(" (replay of run {})", *r.replay_of) : "")},
      {"suite", r.suite},
      {"system", fmt::format("{}{}{}", v.spec.system,
                             v.spec.nodes ? fmt::format(", {} nodes", v.spec.nodes) : "",
                             v.spec.read_mode.empty() ? "" : ", " + v.spec.read_mode + " reads")},
      {"seed", std::to_string(r.seed)},
      {"revision", r.git_revision},
      {"started", UtcTime(r.started_ms)},
      {"duration", Duration(std::max<int64_t>(duration_ns, 0)) +
                       (r.ended_ms ? "" : " (until last heard from)")},
      {"status", r.status},
      {"ops",
       fmt::format("{} (ok {}, fail {}, info {})", v.history.ops.size(), n.ok, n.fail, n.info)},
      {"faults", fmt::format("{}", v.faults.size())},
      {"workload",
       v.spec.workload.empty()
           ? std::string("-")
           : fmt::format("{}{}{}", v.spec.workload,
                         v.spec.concurrency ? fmt::format(", {} clients", v.spec.concurrency) : "",
                         v.spec.rate > 0 ? fmt::format(", {} ops/s", v.spec.rate) : "")},
      {"node events",
       fmt::format("{} (from the {})", v.history.node_events.size(), v.events_source)},
  };
  std::string out = "<div class=\"facts\" id=\"facts\">";
  for (const auto& [k, val] : facts) {
    out += "<div><span>" + Esc(k) + "</span>" + Esc(val) + "</div>";
  }
  out += "</div>";
  out +=
      "<div class=\"cmd\">Replay exactly (same seed, op stream and realized fault schedule): "
      "<pre id=\"replay\">" +
      Esc(ReplayCommand(c)) + "</pre></div>";
  return out;
}

std::string Checkers(const Ctx& c) {
  std::string out = "<h2 id=\"checkers\">Checkers</h2>";
  if (c.v.checks.empty()) {
    return out + "<p class=\"muted\">Not checked" +
           (c.v.run.status == kRunFinished ? "." : " (the run did not finish).") + " <code>" +
           Esc(c.o.faultline + " check " + std::to_string(c.v.run.id)) +
           "</code> judges what was recorded.</p>";
  }
  out +=
      "<table id=\"checker-table\"><tr><th>checker</th><th>verdict</th><th>anomalies</th>"
      "<th>reason</th></tr>";
  for (const auto& ch : c.v.checks) {
    bool not_run = ch.verdict == "unknown" && ch.reason.rfind("could not run", 0) == 0;
    size_t violations = 0, observations = 0;
    for (const auto& a : ch.anomalies) (a.observation ? observations : violations)++;
    out += fmt::format(
        "<tr data-checker=\"{}\" data-verdict=\"{}\"><td>{}</td><td class=\"c-{}\"><b>{}</b></td>"
        "<td class=\"num\">{}{}</td><td>{}</td></tr>",
        Esc(ch.checker), Esc(not_run ? "not-run" : ch.verdict), Esc(ch.checker),
        not_run ? "not-run" : Esc(ch.verdict), not_run ? "could not run" : Esc(ch.verdict),
        violations, observations ? fmt::format(" (+{} observations)", observations) : "",
        Esc(ch.reason));
  }
  return out + "</table>";
}

std::string Narrative(const Ctx& c) {
  if (c.v.run.folder.empty()) return "";
  std::string text = ReadText(fs::path(c.v.run.folder) / "narrative.txt");
  if (text.empty()) return "";
  return "<h2 id=\"narrative\">Scenario narrative</h2><pre>" + Esc(text) + "</pre>";
}

void Number(Ctx* c) {
  std::vector<std::pair<const checkers::Anomaly*, std::string>> all;
  for (const auto& ch : c->v.checks) {
    for (const auto& a : ch.anomalies) all.push_back({&a, ch.checker});
  }
  std::stable_sort(all.begin(), all.end(), [](const auto& a, const auto& b) {
    return a.first->start_ns < b.first->start_ns;
  });
  for (const auto& [a, checker] : all) {
    auto& list = a->observation ? c->observations : c->anomalies;
    std::string n = std::to_string(list.size() + 1);
    list.push_back(NumberedAnomaly{a, checker, (a->observation ? "O" : "A") + n,
                                   (a->observation ? "observation-" : "anomaly-") + n});
  }
}

}  // namespace

std::string Ctx::Offset(int64_t ns) const {
  double s = static_cast<double>(ns - v.t0_ns) / 1e9;
  return fmt::format("{}{:.2f}s", s < 0 ? "-" : "+", std::abs(s));
}

std::string Ctx::LeaderAt(int64_t ns) const {
  for (const auto& s : leaders.spans) {
    if (s.start_ns <= ns && ns < s.end_ns)
      return fmt::format("{} (epoch {})", NodeName(s.node), s.epoch);
  }
  return "no leader";
}

double TimeAxis::X(int64_t ns) const {
  if (to_ns <= from_ns) return left;
  double f = static_cast<double>(ns - from_ns) / static_cast<double>(to_ns - from_ns);
  return left + std::clamp(f, 0.0, 1.0) * (right - left);
}

std::string Duration(int64_t ns) {
  double ms = static_cast<double>(ns) / 1e6;
  if (ms < 1) return fmt::format("{:.2f} ms", ms);
  if (ms < 1000) return fmt::format("{:.0f} ms", ms);
  double s = ms / 1000;
  if (s < 100) return fmt::format("{:.1f} s", s);
  int64_t total = static_cast<int64_t>(std::llround(s));
  return fmt::format("{} min {} s", total / 60, total % 60);
}

std::string OpLabel(const checkers::Op& op) {
  auto val = [](const std::optional<std::string>& v) { return v ? *v : std::string("nil"); };
  switch (op.f) {
    case checkers::Fn::kRead:
    case checkers::Fn::kGet:
      return "R " + (op.ok() ? val(op.value) : std::string("?"));
    case checkers::Fn::kWrite:
    case checkers::Fn::kPut:
      return "W " + val(op.value);
    case checkers::Fn::kCas:
      return "CAS " + val(op.expected) + "\u2192" + val(op.value);
    case checkers::Fn::kCasMismatch:
      return "CAS " + val(op.expected) + "\u2192" + val(op.value) + " \u2260";
    case checkers::Fn::kDelete:
      return "DEL";
    case checkers::Fn::kAdd:
      return "ADD " + val(op.value);
    case checkers::Fn::kReadSet:
      return fmt::format("RS {} els", op.elements.size());
    case checkers::Fn::kAppend:
      return "A " + val(op.value);
    default:
      return std::string(checkers::FnName(op.f));
  }
}

std::string NodeName(int64_t node) { return "n" + std::to_string(node); }

std::string FaultTargets(const std::vector<int64_t>& targets) {
  std::vector<std::string> names;
  for (int64_t t : targets) names.push_back(NodeName(t));
  return names.empty() ? std::string("-") : fmt::format("{}", fmt::join(names, ","));
}

std::string RenderReportHtml(const RunView& view, const ReportOptions& options) {
  Ctx c{view,
        options,
        LeadersOverTime(view.history.node_events, view.history.faults, view.end_ns),
        {},
        {},
        {},
        OkCompletions(view.history.ops)};
  for (const auto& op : view.history.ops) c.ops_by_index[op.index] = &op;
  Number(&c);
  Banner b = MakeBanner(c);
  std::string verdict = view.run.status == kRunFinished ? view.run.verdict : view.run.status;
  std::string out;
  out.reserve(1 << 20);
  out +=
      "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">";
  out += "<title>" + Esc(fmt::format("{} · run {} · {}", b.what, view.run.id, view.run.suite)) +
         "</title>";
  out += "<style>" + std::string(kStyle) + "</style></head><body><main>";
  out += fmt::format(
      "<div class=\"banner {}\" id=\"verdict\" data-verdict=\"{}\" data-status=\"{}\"><div "
      "class=\"what\">{}</div><div class=\"why\">{}</div></div>",
      b.cls, Esc(verdict.empty() ? "unknown" : verdict), Esc(view.run.status), Esc(b.what),
      Esc(b.why));
  out += "<h1>" + Esc(fmt::format("Run {} — {}", view.run.id, view.run.suite)) + "</h1>";
  out += Facts(c);
  out += Checkers(c);
  out += RenderTimeline(c);
  out += RenderAnomalies(c);
  out += Narrative(c);
  out += RenderFaults(c);
  out += RenderNodes(c);
  out += "<footer>Generated by faultline (revision " + Esc(view.run.git_revision) +
         ") from the history store " + Esc(view.store_path) +
         (view.run.folder.empty() ? "" : " and the run folder " + Esc(view.run.folder)) +
         ". Times are offsets from the run's start (" + Esc(UtcTime(view.run.started_ms)) +
         ").</footer>";
  out += "</main></body></html>\n";
  return out;
}

}  // namespace faultline::harness::report
