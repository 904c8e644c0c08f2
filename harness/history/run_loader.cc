#include "harness/history/run_loader.h"

#include <fmt/format.h>

#include <algorithm>

#include "harness/history/history_codec.h"

namespace faultline::harness {

Result<std::vector<std::string>> RequiredCheckers(HistoryStore& store, int64_t run_id) {
  Result<std::vector<CheckRecord>> checks = store.LoadChecks(run_id);
  if (!checks.ok()) return checks.status();
  std::vector<std::string> out;
  for (const CheckRecord& c : *checks) {
    if (std::find(out.begin(), out.end(), c.checker) == out.end()) out.push_back(c.checker);
  }
  if (!out.empty()) return out;
  Result<RunRecord> run = store.GetRun(run_id);
  if (!run.ok()) return run.status();
  if (run->system != "zabd") return std::vector<std::string>{"linearizability"};
  checkers::History model_only;
  DescribeRunModel(run->spec_text, &model_only);
  out = {"linearizability", "lost-writes", "zab-invariants"};
  if (model_only.read_mode == checkers::ReadMode::kLocal) out.push_back("session-order");
  return out;
}

checkers::RunLoader StoreRunLoader(const std::string* store_path) {
  return [store_path](const std::string& run) -> Result<checkers::LoadedRun> {
    int64_t id = 0;
    size_t used = 0;
    try {
      id = std::stoll(run, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used != run.size() || id <= 0) {
      return Status::InvalidArgument(
          fmt::format("'{}' is not a run id (see `faultline runs`) nor a history file", run));
    }
    Result<std::unique_ptr<HistoryStore>> store = HistoryStore::OpenExisting(*store_path);
    if (!store.ok()) return store.status();
    Result<checkers::History> h = (*store)->LoadHistory(id);
    if (!h.ok()) return h.status();
    Result<std::vector<std::string>> required = RequiredCheckers(**store, id);
    if (!required.ok()) return required.status();
    checkers::LoadedRun loaded{std::move(h).value(), std::move(required).value(), ""};
    Result<RunRecord> rec = (*store)->GetRun(id);
    if (rec.ok() && rec->status != kRunFinished) {
      loaded.no_final_reads =
          fmt::format("the run is {}: it never reached its final reads", rec->status);
    }
    return loaded;
  };
}

}  // namespace faultline::harness
