// The `convert-jepsen` subcommand:
//   faultline convert-jepsen FILE [--nodes n1=1,n2=2,...] [--renumber] [--approximate]
//                                 [--start-means partition|kill|pause]  > schedule.yaml
// Prints a suite YAML with an explicit nemesis.schedule made from FILE's nemesis ops
// (harness/convert/jepsen_schedule.h) on `out`, and every warning and every op that could not be
// converted as "FILE:LINE: warning|error: ..." on `err`. Sets *exit_code after the command ran:
// 0 every nemesis op converted (warnings allowed), 2 some op was not converted (the suite of the
// others is still printed, its comments list what is missing), or FILE could not be read or is
// not a Jepsen history, or a flag is bad (nothing printed on `out`).
#pragma once

#include <CLI/CLI.hpp>
#include <iostream>

namespace faultline::harness {

void AddConvertJepsenCommand(CLI::App& app, int* exit_code, std::ostream& out = std::cout,
                             std::ostream& err = std::cerr);

}  // namespace faultline::harness
