#include "harness/report/report_command.h"

#include <iostream>
#include <memory>

#include "harness/history/history_store.h"
#include "harness/report/run_outputs.h"
#include "harness/spec/number_options.h"

namespace faultline::harness::report {

void AddReportCommand(CLI::App& app, int* exit_code, const std::string* store_path) {
  struct Args {
    int64_t run = 0;
    std::string out, junit;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand(
      "report", "write a recorded run's report.html and junit.xml (default: in its run folder)");
  cmd->add_option("run", args->run, "run id (see `faultline runs`)")
      ->required()
      ->check(faultline::harness::RunIdValidator());
  cmd->add_option("--out", args->out, "write the HTML report here instead");
  cmd->add_option("--junit", args->junit, "write the JUnit XML here instead");
  cmd->callback([args, exit_code, store_path] {
    auto store = HistoryStore::OpenExisting(*store_path);
    if (!store.ok()) {
      std::cerr << "error: " << store.status().message() << "\n";
      *exit_code = 2;
      return;
    }
    OutputOptions o;
    o.store_path = *store_path;
    o.html_path = args->out;
    o.junit_path = args->junit;
    Result<WrittenOutputs> w = WriteRunOutputs(**store, args->run, o);
    if (!w.ok()) {
      std::cerr << "error: " << w.status().message() << "\n";
      *exit_code = 2;
      return;
    }
    std::cout << "report: " << w->html_path << "\njunit: " << w->junit_path << "\n";
    *exit_code = 0;
  });
}

}  // namespace faultline::harness::report
