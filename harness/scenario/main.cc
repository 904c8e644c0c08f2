// faultline-scenario: the `scenario` command on its own (the `faultline` binary registers the
// same command through AddScenarioCommand).
//   faultline-scenario scenario FILE [--repeat N] [--store DB] [--results DIR] [--zabd PATH]
// Exit: 0 every expectation held, 1 one failed, 2 could not run / bad file.
#include <CLI/CLI.hpp>
#include <csignal>
#include <string>

#include "harness/scenario/scenario_command.h"

int main(int argc, char** argv) {
  std::signal(SIGPIPE, SIG_IGN);  // as faultline's main: a reader that goes away ends no run
  CLI::App app{"faultline-scenario: run a scenario against real zabd and explain the outcome"};
  app.require_subcommand(1);
  app.fallthrough();
  std::string store = "results/faultline.db";
  std::string results = "results";
  app.add_option("--store", store, "SQLite history store")->capture_default_str();
  app.add_option("--results", results, "folder for run folders")->capture_default_str();
  int exit_code = 2;
  faultline::harness::scenario::AddScenarioCommand(app, &exit_code, &store, &results);
  CLI11_PARSE(app, argc, argv);
  return exit_code;
}
