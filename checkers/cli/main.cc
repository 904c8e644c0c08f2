// faultline-check: the `check` command without the harness (runs need the faultline binary).
#include <CLI/CLI.hpp>

#include "checkers/cli/check_command.h"

int main(int argc, char** argv) {
  CLI::App app{"faultline-check: linearizability, lost-write, ZAB-invariant and session checkers"};
  app.require_subcommand(0, 1);
  int exit_code = 0;
  faultline::checkers::AddCheckCommand(app, &exit_code, nullptr);
  // Allow `faultline-check FILE...` as a shorthand for `faultline-check check FILE...`.
  if (argc > 1 && std::string(argv[1]) != "check" && std::string(argv[1]) != "--help" &&
      std::string(argv[1]) != "-h") {
    std::vector<std::string> args(argv + 1, argv + argc);
    args.insert(args.begin(), "check");
    std::reverse(args.begin(), args.end());
    try {
      app.parse(args);
    } catch (const CLI::ParseError& e) {
      return app.exit(e) == 0 ? 0 : 2;
    }
    return exit_code;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  return exit_code;
}
