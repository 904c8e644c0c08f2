#include "harness/serve/pages.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "harness/history/store_util.h"
#include "harness/report/evidence.h"
#include "harness/report/svg.h"
#include "harness/serve/request_target.h"

namespace faultline::harness::serve {
namespace {

using report::Esc;

constexpr const char* kStyle = R"css(
*{box-sizing:border-box}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;margin:0;
  color:#1d2330;background:#f4f5f7}
nav{background:#1d2330;color:#fff;padding:8px 20px;display:flex;gap:22px;align-items:baseline}
nav b{font-size:16px;letter-spacing:.3px}
nav a{color:#c5cad3;text-decoration:none}nav a.on{color:#fff;font-weight:600;
  border-bottom:2px solid #fff}
nav .store{margin-left:auto;color:#8d95a3;font-size:12px}
main{max-width:1280px;margin:0 auto;padding:14px 20px 40px}
h1{font-size:20px;margin:4px 0 10px}
h2{font-size:16px;margin:22px 0 8px}
a{color:#1558b0}
code,.mono{font-family:ui-monospace,"DejaVu Sans Mono",Menlo,monospace;font-size:12.5px}
form#filters{background:#fff;border:1px solid #d5d9e0;border-radius:6px;padding:10px 12px;
  display:flex;flex-wrap:wrap;gap:8px 14px;align-items:flex-end;margin-bottom:12px}
form#filters label{display:flex;flex-direction:column;font-size:12px;color:#5b6475}
form#filters input,form#filters select{font:13px system-ui,sans-serif;padding:3px 5px;
  min-width:110px;border:1px solid #c3c8d1;border-radius:3px;background:#fff}
form#filters button{font:13px system-ui,sans-serif;padding:4px 14px;border-radius:3px;
  border:1px solid #1558b0;background:#1558b0;color:#fff;cursor:pointer}
form#filters a{font-size:13px}
table{border-collapse:collapse;background:#fff;width:100%;font-size:13px}
th,td{border:1px solid #e0e3e8;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#eef0f3;font-weight:600;white-space:nowrap}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
td.when{white-space:nowrap}
tr:hover td{background:#f7f9fc}
.chip{display:inline-block;border-radius:3px;padding:0 7px;font-size:12px;font-weight:700;
  color:#fff;letter-spacing:.3px}
.v-valid{background:#2e7d32}.v-invalid{background:#c62828}.v-unknown{background:#b26a00}
.v-crashed{background:#4a148c}.v-interrupted{background:#546e7a}.v-error{background:#6d4c41}
.v-running{background:#1565c0}.v-none{background:#9aa3b2}
.muted{color:#5b6475}
.count{color:#5b6475;font-size:13px;margin:0 0 8px}
.summary{max-width:420px;color:#3c4350}
.error{background:#fff;border:1px solid #d5d9e0;border-left:5px solid #c62828;border-radius:6px;
  padding:12px 16px}
.dots{display:flex;gap:2px;flex-wrap:wrap;max-width:520px}
.dots a{display:block;width:11px;height:11px;border-radius:2px}
table#files{width:auto;min-width:520px}
.back{background:#1d2330;color:#c5cad3;font:13px system-ui,sans-serif;padding:6px 20px}
.back a{color:#fff;margin-right:16px}
.fk{display:inline-block;border-radius:3px;padding:0 5px;margin:0 3px 2px 0;font-size:12px;
  background:#eceff1;color:#1d2330}
)css";

std::string Head(const PageFrame& frame, const std::string& title) {
  auto tab = [&](const char* id, const char* href, const char* label) {
    return fmt::format("<a href=\"{}\"{}>{}</a>", href, frame.active == id ? " class=\"on\"" : "",
                       label);
  };
  return "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
         "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>" +
         Esc(title) + " · faultline</title><style>" + kStyle + "</style></head><body><nav><b>" +
         "faultline</b>" + tab("runs", "/runs", "Runs") +
         tab("anomalies", "/anomalies", "Anomalies") + tab("trends", "/trends", "Trends") +
         tab("results", "/results/", "Files") + "<span class=\"store\">store " +
         Esc(frame.store_path) + " · read-only</span></nav><main>";
}

const char* kFoot = "</main></body></html>\n";

std::string UtcMinute(int64_t ms) { return UtcTimeText(ms).substr(0, 16); }  // to the minute

std::string Duration(const RunRecord& r) {
  int64_t end = r.ended_ms.value_or(r.last_heard_ms);
  int64_t s = std::max<int64_t>(0, (end - r.started_ms + 500) / 1000);
  if (s < 100) return fmt::format("{} s", s);
  return fmt::format("{} min {} s", s / 60, s % 60);
}

// What the chip says: the verdict of a finished run, else its status.
std::pair<std::string, std::string> Chip(const RunRecord& r) {
  if (r.status == kRunFinished) {
    if (r.verdict.empty()) return {"v-none", "not checked"};
    return {"v-" + r.verdict, r.verdict};
  }
  return {"v-" + r.status, r.status};
}

std::string ChipHtml(const RunRecord& r) {
  auto [cls, text] = Chip(r);
  return fmt::format("<span class=\"chip {}\">{}</span>", Esc(cls), Esc(text));
}

std::string Select(const std::string& name, const std::string& label,
                   const std::vector<std::string>& values, const std::string& current) {
  std::string out = fmt::format("<label>{}<select name=\"{}\"><option value=\"\">any</option>",
                                Esc(label), Esc(name));
  bool seen = current.empty();
  for (const auto& v : values) {
    seen = seen || v == current;
    out += fmt::format("<option{}>{}</option>", v == current ? " selected" : "", Esc(v));
  }
  if (!seen) out += fmt::format("<option selected>{}</option>", Esc(current));
  return out + "</select></label>";
}

std::string TimeInput(const std::string& name, const std::string& label, const std::string& v) {
  return fmt::format(
      "<label>{}<input name=\"{}\" value=\"{}\" placeholder=\"2026-12-01 or 7d\" size=\"14\">"
      "</label>",
      Esc(label), Esc(name), Esc(v));
}

// The form of the filters, showing the values as given (the raw parameters: they passed the
// query's validation). `limit` shows the query's limit when none was given.
std::string FiltersForm(const std::string& action, const FilterChoices& c, const Query& raw,
                        bool with_status, int limit) {
  auto rawv = [&](const char* n) {
    auto it = raw.find(n);
    return it == raw.end() ? std::string() : it->second;
  };
  std::string out = fmt::format("<form id=\"filters\" method=\"get\" action=\"{}\">", action);
  out += Select("suite", "suite", c.suites, rawv("suite"));
  out += Select("system", "system", c.systems, rawv("system"));
  if (with_status) {
    out += Select("verdict", "verdict", {"valid", "invalid", "unknown", "none"}, rawv("verdict"));
    out += Select("status", "status",
                  {kRunFinished, kRunRunning, kRunInterrupted, kRunCrashed, kRunError},
                  rawv("status"));
  }
  out += TimeInput("since", "started since", rawv("since"));
  out += TimeInput("until", "before", rawv("until"));
  out += Select("anomaly", "anomaly kind", c.anomaly_kinds, rawv("anomaly"));
  out += Select("fault", with_status ? "fault kind" : "fault active", c.fault_kinds, rawv("fault"));
  out += fmt::format(
      "<label>limit (0 = all)<input name=\"limit\" value=\"{}\" size=\"5\" "
      "style=\"min-width:60px\"></label><button type=\"submit\">Filter</button>"
      "<a href=\"{}\">clear</a></form>",
      limit, action);
  return out;
}

std::string LimitNote(size_t shown, int limit) {
  return limit > 0 && shown >= static_cast<size_t>(limit) ? " (the limit)" : "";
}

}  // namespace

static std::string RunsTable(const std::vector<RunRecord>& runs) {
  std::string out =
      "<table id=\"runs\"><tr><th class=\"num\">run</th><th>started (UTC)</th><th>suite</th>"
      "<th>system</th><th>verdict</th><th class=\"num\">anomalies</th><th>duration</th>"
      "<th class=\"num\">seed</th><th>summary</th><th>files</th></tr>";
  for (const auto& r : runs) {
    out += fmt::format(
        "<tr data-run=\"{0}\" data-verdict=\"{1}\" data-status=\"{2}\"><td class=\"num\">"
        "<a href=\"/runs/{0}/\">{0}</a>{3}</td><td class=\"when\">{4}</td><td>{5}</td><td>{6}</td>"
        "<td>{7}</td><td class=\"num\">{8}{9}</td><td>{10}</td><td class=\"num mono\">{11}</td>"
        "<td class=\"summary\">{12}</td><td><a href=\"/runs/{0}/\">report</a>{13}</td></tr>",
        r.id, Esc(r.verdict), Esc(r.status),
        r.replay_of ? fmt::format(" <span class=\"muted\">(replay of {})</span>", *r.replay_of)
                    : "",
        Esc(UtcMinute(r.started_ms)), Esc(r.suite), Esc(r.system), ChipHtml(r),
        r.anomaly_count ? fmt::format("<b>{}</b>", r.anomaly_count) : "0",
        r.observation_count
            ? fmt::format(" <span class=\"muted\">+{} obs.</span>", r.observation_count)
            : "",
        Esc(Duration(r)), r.seed, Esc(r.summary),
        r.folder.empty() ? ""
                         : fmt::format(" · <a href=\"/runs/{0}/junit.xml\">junit</a> · "
                                       "<a href=\"/results/runs/{0}/\">folder</a>",
                                       r.id));
  }
  return out + "</table>";
}

std::string RunsPage(const PageFrame& frame, const query::RunFilter& filter,
                     const FilterChoices& choices, const std::vector<RunRecord>& runs,
                     const Query& raw) {
  std::string out = Head(frame, "Runs") + "<h1>Runs</h1>";
  out += FiltersForm("/runs", choices, raw, true, filter.limit);
  out += fmt::format("<p class=\"count\">{} run{}{}, newest first.</p>", runs.size(),
                     runs.size() == 1 ? "" : "s", LimitNote(runs.size(), filter.limit));
  if (runs.empty()) {
    out += "<p class=\"muted\">No run matches.</p>";
  } else {
    out += RunsTable(runs);
  }
  return out + kFoot;
}

std::string AnomaliesPage(const PageFrame& frame, const query::AnomalyQuery& q,
                          const FilterChoices& choices, const query::AnomalyReport& report,
                          const Query& raw) {
  std::string out = Head(frame, "Anomalies") + "<h1>Anomalies across runs</h1>";
  out += FiltersForm("/anomalies", choices, raw, false, q.limit);
  out += fmt::format("<p class=\"count\">{} anomal{}{}{}.</p>", report.total,
                     report.total == 1 ? "y" : "ies",
                     q.include_observations ? " and observations" : " (observations not included)",
                     report.rows.size() < static_cast<size_t>(report.total)
                         ? fmt::format("; the newest {} listed (the limit)", report.rows.size())
                         : "");
  if (report.total == 0) return out + "<p class=\"muted\">No anomaly matches.</p>" + kFoot;
  out +=
      "<h2>By kind and the faults active when they happened</h2><table id=\"anomaly-groups\">"
      "<tr><th>kind</th><th>faults active</th><th class=\"num\">anomalies</th>"
      "<th class=\"num\">runs</th><th>first run</th><th>last run</th></tr>";
  for (const query::AnomalyGroup& g : report.groups) {
    out += fmt::format(
        "<tr data-kind=\"{0}\" data-faults=\"{1}\"><td>{0}</td><td>{1}</td><td class=\"num\">{2}"
        "</td><td class=\"num\">{3}</td><td class=\"when\">{4}</td><td class=\"when\">{5}</td>"
        "</tr>",
        Esc(g.kind), Esc(g.faults), g.count, g.run_ids.size(), Esc(UtcMinute(g.first_ms)),
        Esc(UtcMinute(g.last_ms)));
  }
  out +=
      "</table><h2>Each anomaly</h2><table id=\"anomalies\"><tr><th class=\"num\">run</th>"
      "<th>run started (UTC)</th><th>suite</th><th>kind</th><th>key</th><th>when</th>"
      "<th>faults active</th><th>description</th></tr>";
  for (const query::AnomalyRow& a : report.rows) {
    double t0 = static_cast<double>(a.start_ns) / 1e9 - static_cast<double>(a.run_started_ms) / 1e3;
    double t1 = static_cast<double>(a.end_ns) / 1e9 - static_cast<double>(a.run_started_ms) / 1e3;
    std::string faults;
    for (const auto& k : a.faults) faults += "<span class=\"fk\">" + Esc(k) + "</span>";
    std::string when = a.start_ns == 0 && a.end_ns == 0
                           ? std::string("-")
                           : fmt::format("+{:.2f}s{}", std::max(0.0, t0),
                                         t1 > t0 + 0.005 ? fmt::format("..+{:.2f}s", t1) : "");
    out += fmt::format(
        "<tr data-run=\"{0}\" data-kind=\"{1}\"><td class=\"num\"><a href=\"/runs/{0}/\">{0}</a>"
        "</td><td class=\"when\">{2}</td><td>{3}</td><td><a href=\"/runs/{0}/#{8}\">{1}</a></td>"
        "<td class=\"mono\">{4}</td><td class=\"when mono\">{5}</td><td>{6}</td><td>{7}</td></tr>",
        a.run_id, Esc(a.kind), Esc(UtcMinute(a.run_started_ms)), Esc(a.suite),
        Esc(a.key.empty() ? "-" : a.key), Esc(when), faults.empty() ? "-" : faults,
        Esc(report::WithOffsets(a.description, a.run_started_ms)), Esc(a.report_anchor));
  }
  return out + "</table>" + kFoot;
}

std::string TrendsPage(const PageFrame& frame, const FilterChoices& choices,
                       const query::TrendReport& report, const Query& raw) {
  auto limit = raw.find("limit");
  std::string out = Head(frame, "Trends") + "<h1>Trends per suite</h1>";
  out += FiltersForm("/trends", choices, raw, false,
                     limit == raw.end() || limit->second.empty() ? 0 : std::stoi(limit->second));
  out += fmt::format(
      "<p class=\"count\">{} suite{} (finished runs, by suite and system, as `faultline trends`). "
      "A value regresses when it is worse than the mean of the runs before it by more than their "
      "spread; a spec is flaky when runs of the same spec text (seed aside) have both valid and "
      "invalid verdicts.</p>",
      report.suites.size(), report.suites.size() == 1 ? "" : "s");
  out +=
      "<table id=\"trends\"><tr><th>suite</th><th>system</th><th class=\"num\">runs</th>"
      "<th class=\"num\">valid</th><th class=\"num\">invalid</th><th class=\"num\">other</th>"
      "<th>flaky</th><th class=\"num\">ok/s (mean)</th><th class=\"num\">p99 ms (latest)</th>"
      "<th>regressions</th><th>last run</th><th>verdicts over time (oldest first)</th></tr>";
  for (const query::SuiteTrend& t : report.suites) {
    int valid = 0, invalid = 0, other = 0;
    std::string dots;
    for (const query::TrendPoint& p : t.points) {
      (p.verdict == "valid" ? valid : p.verdict == "invalid" ? invalid : other)++;
      const std::string cls = p.verdict.empty() ? "v-none" : "v-" + p.verdict;
      dots +=
          fmt::format("<a class=\"{}\" href=\"/runs/{}/\" title=\"run {}: {} ({})\"></a>", Esc(cls),
                      p.run_id, p.run_id, Esc(p.verdict.empty() ? "not checked" : p.verdict),
                      Esc(UtcMinute(p.started_ms)));
    }
    auto metric = [&](const char* name, bool latest) {
      for (const query::MetricSummary& m : t.metrics) {
        if (m.metric != name || m.runs == 0) continue;
        if (latest) return m.latest ? fmt::format("{:.1f}", *m.latest) : std::string("-");
        return fmt::format("{:.0f}", m.mean);
      }
      return std::string("-");
    };
    std::string regressions;
    for (const query::Regression& r : t.regressions) {
      regressions += fmt::format("<a href=\"/runs/{0}/\">run {0}</a> {1} {2:.1f} (mean {3:.1f}) ",
                                 r.run_id, Esc(r.metric), r.value, r.baseline_mean);
    }
    const bool flaky = !t.flaky.empty();
    out += fmt::format(
        "<tr data-suite=\"{0}\" data-system=\"{1}\" data-flaky=\"{2}\"><td>"
        "<a href=\"/runs?suite={3}\">{0}</a></td><td>{1}</td><td class=\"num\">{4}</td>"
        "<td class=\"num\">{5}</td><td class=\"num\">{6}</td><td class=\"num\">{7}</td>"
        "<td>{8}</td><td class=\"num\">{9}</td><td class=\"num\">{10}</td><td>{11}</td>"
        "<td class=\"when\">{12}</td><td><div class=\"dots\">{13}</div></td></tr>",
        Esc(t.suite), Esc(t.system), flaky ? "true" : "false", PercentEncode(t.suite),
        t.points.size(), valid, invalid, other, flaky ? "<b>flaky</b>" : "-",
        metric("ok_per_s", false), metric("p99_ms", true), regressions.empty() ? "-" : regressions,
        t.points.empty() ? "-" : Esc(UtcMinute(t.points.back().started_ms)), dots);
  }
  return out + "</table>" + kFoot;
}

std::string DirectoryPage(const PageFrame& frame, const std::string& url_path,
                          const std::vector<DirEntry>& entries) {
  std::string out = Head(frame, url_path) + "<h1>" + Esc(url_path) +
                    "</h1><table id=\"files\">"
                    "<tr><th>name</th><th class=\"num\">size</th></tr>";
  if (url_path != "/results/") out += "<tr><td><a href=\"../\">../</a></td><td></td></tr>";
  for (const auto& e : entries) {
    std::string name = e.name + (e.directory ? "/" : "");
    out += fmt::format("<tr><td><a href=\"{}{}\">{}</a></td><td class=\"num\">{}</td></tr>",
                       PercentEncode(e.name), e.directory ? "/" : "", Esc(name),
                       e.directory ? "" : report::Compact(static_cast<double>(e.size)) + "B");
  }
  return out + "</table>" + kFoot;
}

std::string ErrorPage(const PageFrame& frame, int status, const std::string& message) {
  return Head(frame, std::to_string(status)) +
         fmt::format(
             "<div class=\"error\" data-status=\"{}\"><h1>{}</h1><p>{}</p>"
             "<p><a href=\"/runs\">all runs</a></p></div>",
             status, status, Esc(message)) +
         kFoot;
}

}  // namespace faultline::harness::serve
