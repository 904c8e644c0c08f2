#include "harness/shrink/attempts.h"

#include <sstream>

#include "harness/run/runner.h"
#include "harness/sim/sim_run.h"

namespace faultline::harness::shrink {
namespace {

std::vector<CheckRecord> ChecksOf(HistoryStore& store, int64_t run_id, std::string* error) {
  Result<std::vector<CheckRecord>> checks = store.LoadChecks(run_id);
  if (!checks.ok()) {
    *error = checks.status().ToString();
    return {};
  }
  return std::move(checks).value();
}

}  // namespace

Attempter RealAttempter(const AttemptContext& context) {
  return [context](const TestSpec& spec) {
    RunOptions o;
    o.spec = spec;
    o.store_path = context.store_path;
    o.results_dir = context.results_dir;
    o.system_context.spec_dir = context.spec_dir;
    if (context.replay_of > 0) o.replay_of = context.replay_of;
    std::ostringstream quiet;  // the attempt's own progress and summary: shrink prints its own
    o.out = context.out ? context.out : &quiet;
    o.tty = context.tty;
    const RunOutcome r = ExecuteRun(o);
    Attempt a;
    a.run_id = r.run_id;
    a.exit_code = r.exit_code;
    a.interrupted = r.interrupted;
    a.error = r.error.empty() && r.run_id == 0 ? quiet.str() : r.error;
    if (r.run_id > 0) {
      Result<std::unique_ptr<HistoryStore>> store = HistoryStore::OpenExisting(context.store_path);
      if (store.ok()) {
        a.checks = ChecksOf(**store, r.run_id, &a.error);
      } else {
        a.error = store.status().ToString();
      }
    }
    return a;
  };
}

Attempter SimAttempter(HistoryStore* store, const AttemptContext& context) {
  return [store, context](const TestSpec& spec) {
    sim::SimRunOptions o;
    o.spec = spec;
    o.results_dir = context.results_dir;
    o.store_path = context.store_path;
    if (context.replay_of > 0) o.replay_of = context.replay_of;
    std::ostringstream quiet;
    o.out = context.out ? context.out : &quiet;
    const sim::SimOutcome r = sim::RunSim(*store, o);
    Attempt a;
    a.run_id = r.run.run_id;
    a.exit_code = r.run.exit_code;
    a.interrupted = r.run.interrupted;
    a.error = r.run.error;
    if (a.run_id > 0) a.checks = ChecksOf(*store, a.run_id, &a.error);
    return a;
  };
}

}  // namespace faultline::harness::shrink
