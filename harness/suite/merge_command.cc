#include "harness/suite/merge_command.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <fstream>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "harness/history/store_merge.h"
#include "harness/suite/suite_runner.h"

namespace faultline::harness::suite {
namespace {

std::string IdRanges(const std::map<int64_t, int64_t>& ids) {
  std::string out;
  int shown = 0;
  for (const auto& [from, to] : ids) {
    if (++shown > 12) {
      out += fmt::format(", ... ({} more)", ids.size() - 12);
      break;
    }
    out += fmt::format("{}{}->{}", out.empty() ? "" : ", ", from, to);
  }
  return out;
}

nlohmann::json ResultJson(const MergeResult& r) {
  nlohmann::json ids = nlohmann::json::object();
  for (const auto& [from, to] : r.run_ids) ids[std::to_string(from)] = to;
  return {{"source", r.source},
          {"runs_merged", r.runs_merged},
          {"runs_already_present", r.runs_already_present},
          {"suite_runs_merged", r.suite_runs_merged},
          {"suite_runs_already_present", r.suite_runs_already_present},
          {"folders_copied", r.folders_copied},
          {"folders_missing", r.folders_missing},
          {"run_ids", ids},
          {"rows", r.rows},
          {"warnings", r.warnings}};
}

}  // namespace

void AddMergeCommand(CLI::App& app, int* exit_code, const std::string* store_path,
                     const std::string* results_dir) {
  struct Args {
    std::vector<std::string> sources;
    std::string into;
    std::string junit;
    bool json = false;
  };
  auto a = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand(
      "merge",
      "fold other stores (e.g. the shards of a suite) and their run folders into one; runs get "
      "new ids, nothing is lost, a run already there is not copied again");
  cmd->add_option("SOURCE", a->sources,
                  "a store file, or a results folder holding faultline.db and runs/")
      ->required();
  cmd->add_option("--into", a->into,
                  "the target store (default: --store); folders go to --results");
  cmd->add_option("--junit", a->junit,
                  "also write one JUnit XML for the suite runs of the sources together (the "
                  "merged suite: every shard's cases in suite order)");
  cmd->add_flag("--json", a->json, "print JSON instead of lines");
  cmd->callback([a, exit_code, store_path, results_dir] {
    MergeOptions o;
    o.target_store = a->into.empty() ? *store_path : a->into;
    o.results_dir = *results_dir;
    nlohmann::json all = nlohmann::json::array();
    std::vector<int64_t> suite_runs;  // target ids of the sources' suite runs, for --junit
    *exit_code = 0;
    for (const std::string& source : a->sources) {
      Result<MergeResult> r = MergeStore(source, o);
      if (!r.ok()) {
        std::cerr << "error: merge " << source << " into " << o.target_store << ": "
                  << r.status().message() << "\n";
        *exit_code = 2;
        break;
      }
      for (const auto& [from, to] : r->suite_run_ids) {
        if (std::find(suite_runs.begin(), suite_runs.end(), to) == suite_runs.end()) {
          suite_runs.push_back(to);
        }
      }
      if (a->json) {
        all.push_back(ResultJson(*r));
        continue;
      }
      std::cout << fmt::format(
          "merged {} into {}: {} run{} ({}), {} already there; {} suite run{}, {} already "
          "there; folders copied {}, missing {}\n",
          r->source, o.target_store, r->runs_merged, r->runs_merged == 1 ? "" : "s",
          r->run_ids.empty() ? "-" : IdRanges(r->run_ids), r->runs_already_present,
          r->suite_runs_merged, r->suite_runs_merged == 1 ? "" : "s", r->suite_runs_already_present,
          r->folders_copied, r->folders_missing);
      std::string rows;
      for (const auto& [table, n] : r->rows) rows += fmt::format(" {} {}", table, n);
      if (!rows.empty()) std::cout << "  rows:" << rows << "\n";
      for (const std::string& w : r->warnings) std::cout << "  warning: " << w << "\n";
    }
    if (a->json) std::cout << all.dump(2) << "\n";
    if (*exit_code != 0 || a->junit.empty()) return;
    if (suite_runs.empty()) {
      std::cerr << "error: --junit " << a->junit
                << ": the sources hold no suite run (`faultline suite` writes them)\n";
      *exit_code = 2;
      return;
    }
    std::sort(suite_runs.begin(), suite_runs.end());
    Result<std::string> xml = MergedSuiteJUnit(o.target_store, suite_runs);
    if (!xml.ok()) {
      std::cerr << "error: --junit " << a->junit << ": " << xml.status().message() << "\n";
      *exit_code = 2;
      return;
    }
    std::ofstream f(a->junit, std::ios::trunc);
    f << *xml;
    f.close();
    if (!f) {
      std::cerr << "error: --junit " << a->junit << ": cannot write the file\n";
      *exit_code = 2;
      return;
    }
    if (!a->json) {
      std::cout << fmt::format("junit: {} (suite run{} {})\n", a->junit,
                               suite_runs.size() == 1 ? "" : "s", fmt::join(suite_runs, ", "));
    }
  });
}

}  // namespace faultline::harness::suite
