// faultline-scenario: the `scenario` command on its own (the `faultline` binary registers the
// same command through AddScenarioCommand).
//   faultline-scenario scenario FILE [--repeat N] [--store DB] [--results DIR] [--zabd PATH]
// Exit: 0 every expectation held, 1 one failed, 2 could not run / bad file.
#include <CLI/CLI.hpp>

#include "harness/scenario/scenario_command.h"

int main(int argc, char** argv) {
  CLI::App app{"faultline-scenario: run a scenario against real zabd and explain the outcome"};
  app.require_subcommand(1);
  int exit_code = 2;
  faultline::harness::scenario::AddScenarioCommand(app, &exit_code);
  CLI11_PARSE(app, argc, argv);
  return exit_code;
}
