#include "harness/convert/convert_command.h"

#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include "harness/convert/jepsen_schedule.h"

namespace faultline::harness {

void AddConvertJepsenCommand(CLI::App& app, int* exit_code, std::ostream& out, std::ostream& err) {
  struct Options {
    std::string file, nodes, start_means;
    bool approximate = false, renumber = false;
  };
  auto o = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand(
      "convert-jepsen", "Turn a Jepsen history.edn's nemesis ops into a suite with that schedule");
  cmd->add_option("file", o->file, "Jepsen history.edn")->required();
  cmd->add_option("--nodes", o->nodes, "Jepsen node names to node ids, e.g. n1=1,n2=2,n3=3");
  cmd->add_flag("--approximate", o->approximate,
                "Nearest faultline shape for partitions it cannot express (with a warning)");
  cmd->add_flag("--renumber", o->renumber,
                "Number the nodes so that the most partitions have a faultline shape");
  cmd->add_option("--start-means", o->start_means,
                  "What a bare :start/:stop pair did when the history does not say")
      ->check(CLI::IsMember({"partition", "kill", "pause"}));
  cmd->callback([o, exit_code, &out, &err]() {
    *exit_code = 2;
    JepsenConvertOptions options;
    options.approximate = o->approximate;
    options.renumber = o->renumber;
    options.start_means = o->start_means;
    if (!o->nodes.empty()) {
      auto ids = ParseNodeIds(o->nodes);
      if (!ids.ok()) {
        err << "error: " << ids.status().message() << "\n";
        return;
      }
      options.node_ids = *ids;
    }
    std::ifstream in(o->file, std::ios::binary);
    if (!in) {
      err << "error: " << o->file << ": cannot open\n";
      return;
    }
    std::ostringstream text;
    text << in.rdbuf();
    auto converted = ConvertJepsenHistory(text.str(), o->file, options);
    if (!converted.ok()) {
      err << "error: " << converted.status().message() << "\n";
      return;
    }
    for (const checkers::NemesisIssue& i : converted->issues) {
      err << o->file << (i.line > 0 ? ":" + std::to_string(i.line) : std::string()) << ": "
          << (i.error ? "error: " : "warning: ") << i.message << "\n";
    }
    out << converted->yaml;
    out.flush();
    if (converted->errors > 0) {
      err << o->file << ": " << converted->errors
          << " nemesis op(s) not converted; the suite holds the others\n";
      return;
    }
    *exit_code = 0;
  });
}

}  // namespace faultline::harness
