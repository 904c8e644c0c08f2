// JUnit XML (the Ant / Jenkins / GitLab "JUnit report" format), so CI systems show faultline
// results natively. The writer is generic: a suite of test cases, each passed, failed, errored or
// skipped; `faultline suite` can put many runs into one file by giving several JUnitSuites.
//
// A run becomes one <testsuite> with one <testcase> per checker (JUnitSuiteForRun): invalid ->
// <failure> carrying the anomaly summaries, unknown (budget ran out, could not run) -> <error>,
// valid -> passed. A run that was never checked (interrupted, crashed, error) has one testcase
// "run" in <error> saying why. Observations go to <system-out>. The format is checked against
// testdata/junit/junit.xsd by tests/e2e/report.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "harness/report/run_view.h"

namespace faultline::harness::report {

struct JUnitCase {
  std::string classname;  // "faultline.quick"
  std::string name;       // "linearizability"
  double seconds = 0;
  enum class Result { kPassed, kFailed, kError, kSkipped } result = Result::kPassed;
  std::string message;  // one line (failure / error / skipped)
  std::string type;     // "invalid", "unknown", ...
  std::string text;     // multi-line body of <failure> / <error>
  std::string system_out;
};

struct JUnitSuite {
  std::string name;
  std::string timestamp;  // ISO 8601, "2026-12-01T21:50:42"
  std::string hostname;
  double seconds = 0;
  std::vector<std::pair<std::string, std::string>> properties;
  std::vector<JUnitCase> cases;
};

// The whole document: <testsuites> with every suite, totals summed.
std::string WriteJUnit(const std::string& name, const std::vector<JUnitSuite>& suites);

JUnitSuite JUnitSuiteForRun(const RunView& view);

// ISO 8601 UTC (no zone suffix, as the JUnit schema's timestamp wants) of unix ms.
std::string IsoTimestamp(int64_t unix_ms);

}  // namespace faultline::harness::report
