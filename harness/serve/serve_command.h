// `faultline serve [--port N] [--bind ADDR]`: a read-only browser over the history store (the
// global --store) and the results folder (--results): runs with their verdicts and filters, each
// run's report, anomalies across runs, trends (site.h). Binds 127.0.0.1 unless told otherwise;
// prints the URL it serves and runs until SIGINT/SIGTERM. Exit code: 0 stopped, 2 could not
// start (no store, port taken, bad address).
#pragma once

#include <CLI/CLI.hpp>

namespace faultline::harness::serve {

// `store` and `results` are the root app's global --store and --results (read when the
// command runs; an option after the subcommand falls through to them).
void AddServeCommand(CLI::App& app, int* exit_code, const std::string* store_arg,
                     const std::string* results_arg);

}  // namespace faultline::harness::serve
