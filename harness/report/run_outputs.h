// WriteRunOutputs: the files a finished (or crashed, or interrupted) run leaves for people and CI:
// <run folder>/report.html and <run folder>/junit.xml, plus junit.xml at an extra path when asked
// (`faultline run --junit PATH`). Reads only the store and the run folder; called by the run
// scaffold at the end of every run and scenario, and by `faultline report RUN`.
#pragma once

#include <cstdint>
#include <string>

#include "common/status.h"
#include "harness/history/history_store.h"
#include "harness/report/html_report.h"

namespace faultline::harness::report {

struct OutputOptions {
  std::string store_path;   // quoted in the replay command
  std::string html_path;    // "" = <run folder>/report.html
  std::string junit_path;   // "" = <run folder>/junit.xml
  std::string extra_junit;  // also write the JUnit file here ("" = no)
  ReportOptions report;
};

struct WrittenOutputs {
  std::string html_path;
  std::string junit_path;
};

Result<WrittenOutputs> WriteRunOutputs(HistoryStore& store, int64_t run_id,
                                       const OutputOptions& options);

}  // namespace faultline::harness::report
