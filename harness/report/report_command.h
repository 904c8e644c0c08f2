// `faultline report RUN [--out FILE] [--junit FILE]`: writes the run's report.html and junit.xml
// (into its run folder unless told otherwise) for any recorded run, from the store read-only.
// Exit code: 0 written, 2 error (no store, no such run, cannot write).
#pragma once

#include <CLI/CLI.hpp>
#include <string>

namespace faultline::harness::report {

// `store_path` is read when the command runs (the global --store option).
void AddReportCommand(CLI::App& app, int* exit_code, const std::string* store_path);

}  // namespace faultline::harness::report
