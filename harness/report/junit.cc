#include "harness/report/junit.h"

#include <fmt/format.h>

#include "harness/history/store_util.h"
#include "harness/report/evidence.h"
#include "harness/report/svg.h"

namespace faultline::harness::report {
namespace {

// XML 1.0 forbids most control characters even escaped: drop them.
std::string XmlText(const std::string& s) {
  std::string clean;
  clean.reserve(s.size());
  for (unsigned char ch : s) {
    if (ch >= 0x20 || ch == '\n' || ch == '\t' || ch == '\r') clean += static_cast<char>(ch);
  }
  return Esc(clean);
}

std::string FirstLine(const std::string& s, size_t max = 300) {
  std::string line = s.substr(0, s.find('\n'));
  if (line.size() > max) line = line.substr(0, max - 3) + "...";
  return line;
}

}  // namespace

// "2026-12-01T06:30:15" (UTC), JUnit's timestamp form.
std::string IsoTimestamp(int64_t unix_ms) {
  std::string t = UtcTimeText(unix_ms);
  t[10] = 'T';
  return t;
}

std::string WriteJUnit(const std::string& name, const std::vector<JUnitSuite>& suites) {
  int tests = 0, failures = 0, errors = 0, skipped = 0;
  double seconds = 0;
  std::string body;
  for (const JUnitSuite& s : suites) {
    int f = 0, e = 0, k = 0;
    for (const JUnitCase& c : s.cases) {
      f += c.result == JUnitCase::Result::kFailed;
      e += c.result == JUnitCase::Result::kError;
      k += c.result == JUnitCase::Result::kSkipped;
    }
    tests += static_cast<int>(s.cases.size());
    failures += f;
    errors += e;
    skipped += k;
    seconds += s.seconds;
    body += fmt::format(
        "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\" "
        "time=\"{:.3f}\"{}{}>\n",
        XmlText(s.name), s.cases.size(), f, e, k, s.seconds,
        s.timestamp.empty() ? "" : " timestamp=\"" + XmlText(s.timestamp) + "\"",
        s.hostname.empty() ? "" : " hostname=\"" + XmlText(s.hostname) + "\"");
    if (!s.properties.empty()) {
      body += "    <properties>\n";
      for (const auto& [k2, v] : s.properties) {
        body +=
            fmt::format("      <property name=\"{}\" value=\"{}\"/>\n", XmlText(k2), XmlText(v));
      }
      body += "    </properties>\n";
    }
    for (const JUnitCase& c : s.cases) {
      body += fmt::format("    <testcase name=\"{}\" classname=\"{}\" time=\"{:.3f}\"",
                          XmlText(c.name), XmlText(c.classname), c.seconds);
      std::string inner;
      auto element = [&](const char* tag) {
        inner += fmt::format("      <{} message=\"{}\" type=\"{}\"", tag,
                             XmlText(FirstLine(c.message)), XmlText(c.type));
        inner += c.text.empty() ? "/>\n" : ">" + XmlText(c.text) + "</" + tag + ">\n";
      };
      if (c.result == JUnitCase::Result::kFailed) element("failure");
      if (c.result == JUnitCase::Result::kError) element("error");
      if (c.result == JUnitCase::Result::kSkipped) {
        inner += fmt::format("      <skipped message=\"{}\"/>\n", XmlText(FirstLine(c.message)));
      }
      if (!c.system_out.empty())
        inner += "      <system-out>" + XmlText(c.system_out) + "</system-out>\n";
      body += inner.empty() ? "/>\n" : ">\n" + inner + "    </testcase>\n";
    }
    body += "  </testsuite>\n";
  }
  return fmt::format(
             "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"{}\" tests=\"{}\" "
             "failures=\"{}\" errors=\"{}\" skipped=\"{}\" time=\"{:.3f}\">\n",
             XmlText(name), tests, failures, errors, skipped, seconds) +
         body + "</testsuites>\n";
}

JUnitSuite JUnitSuiteForRun(const RunView& v) {
  const RunRecord& r = v.run;
  JUnitSuite s;
  s.name = fmt::format("{} (run {})", r.suite, r.id);
  s.timestamp = IsoTimestamp(r.started_ms);
  s.hostname = r.controller_host;
  int64_t end_ms = r.ended_ms ? *r.ended_ms : r.last_heard_ms;
  s.seconds = std::max<int64_t>(0, end_ms - r.started_ms) / 1000.0;
  s.properties = {{"run", std::to_string(r.id)},
                  {"seed", std::to_string(r.seed)},
                  {"system", v.spec.system},
                  {"revision", r.git_revision},
                  {"status", r.status},
                  {"verdict", r.verdict},
                  {"folder", r.folder},
                  {"ops", std::to_string(v.history.ops.size())},
                  {"faults", std::to_string(v.faults.size())}};
  const std::string classname = "faultline." + r.suite;
  std::string report = r.folder.empty() ? "" : "report: " + r.folder + "/report.html\n";
  if (v.checks.empty()) {
    JUnitCase c;
    c.classname = classname;
    c.name = "run";
    c.seconds = s.seconds;
    if (r.status == kRunFinished) {
      c.result = JUnitCase::Result::kSkipped;
      c.message = "no checker judged this run";
    } else {
      c.result = JUnitCase::Result::kError;
      c.type = r.status;
      c.message = r.status == kRunCrashed
                      ? fmt::format("the controller died; last heard from {:.1f}s after the start",
                                    (r.last_heard_ms - r.started_ms) / 1000.0)
                  : r.status == kRunInterrupted ? "interrupted by a signal: not checked"
                                                : "could not run: " + r.summary;
      c.text = c.message + "\n" + report;
    }
    s.cases.push_back(std::move(c));
    return s;
  }
  for (const CheckRecord& check : v.checks) {
    JUnitCase c;
    c.classname = classname;
    c.name = check.checker;
    std::string anomalies, observations;
    size_t n = 0;
    for (const auto& a : check.anomalies) {
      std::string line =
          fmt::format("- {}{}: {}\n", a.checker, a.key.empty() ? "" : " key " + a.key,
                      WithOffsets(a.description, v.run.started_ms));
      if (a.observation) {
        observations += line;
      } else {
        anomalies += line;
        ++n;
      }
    }
    if (check.verdict == "invalid") {
      c.result = JUnitCase::Result::kFailed;
      c.type = "invalid";
      c.message = fmt::format("{} anomal{}{}", n, n == 1 ? "y" : "ies",
                              check.reason.empty() ? "" : ": " + check.reason);
      c.text = anomalies + report;
    } else if (check.verdict != "valid") {
      c.result = JUnitCase::Result::kError;
      c.type = "unknown";
      c.message = check.reason.empty() ? "verdict unknown" : check.reason;
      c.text = c.message + "\n" + report;
    }
    if (!observations.empty()) c.system_out = "observations (not anomalies):\n" + observations;
    s.cases.push_back(std::move(c));
  }
  return s;
}

}  // namespace faultline::harness::report
