#include "harness/serve/pages.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "harness/report/evidence.h"
#include "harness/report/svg.h"
#include "harness/serve/request_target.h"

namespace faultline::harness::serve {
namespace {

using report::Esc;
using report::FormatUtc;

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

std::string UtcMinute(int64_t ms) { return FormatUtc(ms, "%Y-%m-%d %H:%M"); }

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

// The current filter as the form shows it (times as given: the raw parameters).
std::string FiltersForm(const std::string& action, const RunFilter& f, const FilterChoices& c,
                        const std::map<std::string, std::string>& raw, bool with_status) {
  auto rawv = [&](const char* n) {
    auto it = raw.find(n);
    return it == raw.end() ? std::string() : it->second;
  };
  std::string out = fmt::format("<form id=\"filters\" method=\"get\" action=\"{}\">", action);
  out += Select("suite", "suite", c.suites, f.suite);
  out += Select("system", "system", c.systems, f.system);
  if (with_status) {
    out += Select("verdict", "verdict", {"valid", "invalid", "unknown"}, f.verdict);
    out += Select("status", "status",
                  {kRunFinished, kRunRunning, kRunInterrupted, kRunCrashed, kRunError}, f.status);
  }
  out += TimeInput("since", "started since", rawv("since"));
  out += TimeInput("until", "until", rawv("until"));
  out += Select("anomaly", "anomaly kind", c.anomaly_kinds, f.anomaly_kind);
  out += Select("fault", with_status ? "fault kind" : "fault active", c.fault_kinds, f.fault_kind);
  out += fmt::format(
      "<label>limit<input name=\"limit\" value=\"{}\" size=\"5\" style=\"min-width:60px\">"
      "</label><button type=\"submit\">Filter</button><a href=\"{}\">clear</a></form>",
      f.limit, action);
  return out;
}

}  // namespace

std::string RunsJson(const std::vector<RunRecord>& runs) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& r : runs) {
    nlohmann::json j = {{"id", r.id},
                        {"suite", r.suite},
                        {"system", r.system},
                        {"status", r.status},
                        {"verdict", r.verdict},
                        {"anomalies", r.anomaly_count},
                        {"observations", r.observation_count},
                        {"started_ms", r.started_ms},
                        {"seed", r.seed},
                        {"report", fmt::format("/runs/{}/", r.id)}};
    j["ended_ms"] = r.ended_ms ? nlohmann::json(*r.ended_ms) : nlohmann::json();
    out.push_back(std::move(j));
  }
  return out.dump(1) + "\n";
}

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

std::string RunsPage(const PageFrame& frame, const RunFilter& filter, const FilterChoices& choices,
                     const std::vector<RunRecord>& runs,
                     const std::map<std::string, std::string>& raw) {
  std::string out = Head(frame, "Runs") + "<h1>Runs</h1>";
  out += FiltersForm("/runs", filter, choices, raw, true);
  out += fmt::format("<p class=\"count\">{} run{}{}, newest first.</p>", runs.size(),
                     runs.size() == 1 ? "" : "s",
                     static_cast<int>(runs.size()) >= filter.limit ? " (the limit)" : "");
  if (runs.empty()) {
    out += "<p class=\"muted\">No run matches.</p>";
  } else {
    out += RunsTable(runs);
  }
  return out + kFoot;
}

std::string AnomaliesPage(const PageFrame& frame, const RunFilter& filter,
                          const FilterChoices& choices, const std::vector<AnomalyRow>& rows,
                          const std::map<std::string, std::string>& raw) {
  std::string out = Head(frame, "Anomalies") + "<h1>Anomalies across runs</h1>";
  out += FiltersForm("/anomalies", filter, choices, raw, false);
  // Grouped: kind x the faults active when it happened.
  std::map<std::pair<std::string, std::string>, std::pair<int, std::set<int64_t>>> groups;
  for (const auto& a : rows) {
    std::string faults = a.active_faults.empty()
                             ? std::string("(no fault active)")
                             : fmt::format("{}", fmt::join(a.active_faults, " + "));
    auto& g = groups[{a.checker, faults}];
    ++g.first;
    g.second.insert(a.run_id);
  }
  out += fmt::format("<p class=\"count\">{} anomal{} (observations not included).</p>", rows.size(),
                     rows.size() == 1 ? "y" : "ies");
  if (rows.empty()) return out + "<p class=\"muted\">No anomaly matches.</p>" + kFoot;
  out +=
      "<h2>By kind and the faults active when they happened</h2><table id=\"anomaly-groups\">"
      "<tr><th>kind</th><th>faults active</th><th class=\"num\">anomalies</th>"
      "<th class=\"num\">runs</th></tr>";
  for (const auto& [key, g] : groups) {
    out += fmt::format(
        "<tr data-kind=\"{0}\" data-faults=\"{1}\"><td>{0}</td><td>{1}</td><td class=\"num\">{2}"
        "</td><td class=\"num\">{3}</td></tr>",
        Esc(key.first), Esc(key.second), g.first, g.second.size());
  }
  out +=
      "</table><h2>Each anomaly</h2><table id=\"anomalies\"><tr><th class=\"num\">run</th>"
      "<th>run started (UTC)</th><th>suite</th><th>kind</th><th>key</th><th>when</th>"
      "<th>faults active</th><th>description</th></tr>";
  for (const auto& a : rows) {
    double t0 = static_cast<double>(a.start_ns) / 1e9 - static_cast<double>(a.run_started_ms) / 1e3;
    double t1 = static_cast<double>(a.end_ns) / 1e9 - static_cast<double>(a.run_started_ms) / 1e3;
    std::string faults;
    for (const auto& k : a.active_faults) faults += "<span class=\"fk\">" + Esc(k) + "</span>";
    out += fmt::format(
        "<tr data-run=\"{0}\" data-kind=\"{1}\"><td class=\"num\"><a href=\"/runs/{0}/\">{0}</a>"
        "</td><td class=\"when\">{2}</td><td>{3}</td><td><a href=\"/runs/{0}/#{9}\">{1}</a></td>"
        "<td class=\"mono\">{4}</td>"
        "<td class=\"when mono\">+{5:.2f}s{6}</td><td>{7}</td><td>{8}</td></tr>",
        a.run_id, Esc(a.checker), Esc(UtcMinute(a.run_started_ms)), Esc(a.suite),
        Esc(a.key.empty() ? "-" : a.key), std::max(0.0, t0),
        t1 > t0 + 0.005 ? fmt::format("..+{:.2f}s", t1) : "", faults.empty() ? "-" : faults,
        Esc(report::WithOffsets(a.description, a.run_started_ms)), Esc(a.anchor));
  }
  return out + "</table>" + kFoot;
}

std::string TrendsPage(const PageFrame& frame, const std::vector<RunRecord>& runs) {
  std::string out = Head(frame, "Trends") + "<h1>Trends per suite</h1>";
  std::map<std::string, std::vector<const RunRecord*>> by_suite;
  for (const auto& r : runs) by_suite[r.suite].push_back(&r);
  out += fmt::format(
      "<p class=\"count\">{} suite{} over the last {} runs. A suite is flaky when the "
      "same suite has both valid and invalid verdicts.</p>",
      by_suite.size(), by_suite.size() == 1 ? "" : "s", runs.size());
  out +=
      "<table id=\"trends\"><tr><th>suite</th><th class=\"num\">runs</th><th class=\"num\">valid"
      "</th><th class=\"num\">invalid</th><th class=\"num\">other</th><th>flaky</th>"
      "<th>last run</th><th>verdicts over time (oldest first)</th></tr>";
  for (auto& [suite, list] : by_suite) {
    std::sort(list.begin(), list.end(), [](auto* a, auto* b) { return a->id < b->id; });
    int valid = 0, invalid = 0, other = 0;
    std::string dots;
    for (const RunRecord* r : list) {
      auto [cls, text] = Chip(*r);
      (r->status == kRunFinished && r->verdict == "valid"     ? valid
       : r->status == kRunFinished && r->verdict == "invalid" ? invalid
                                                              : other)++;
      dots += fmt::format("<a class=\"{}\" href=\"/runs/{}/\" title=\"run {}: {} ({})\"></a>",
                          Esc(cls), r->id, r->id, Esc(text), Esc(UtcMinute(r->started_ms)));
    }
    bool flaky = valid > 0 && invalid > 0;
    out += fmt::format(
        "<tr data-suite=\"{0}\" data-flaky=\"{1}\"><td><a href=\"/runs?suite={2}\">{0}</a></td>"
        "<td class=\"num\">{3}</td><td class=\"num\">{4}</td><td class=\"num\">{5}</td>"
        "<td class=\"num\">{6}</td><td>{7}</td><td class=\"when\">{8}</td><td><div "
        "class=\"dots\">{9}</div></td></tr>",
        Esc(suite), flaky ? "true" : "false", PercentEncode(suite), list.size(), valid, invalid,
        other, flaky ? "<b>flaky</b>" : "-", Esc(UtcMinute(list.back()->started_ms)), dots);
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
