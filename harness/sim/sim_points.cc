#include "harness/sim/sim_points.h"

#include <sstream>

#include "harness/sim/sim_run.h"
#include "harness/spec/test_spec.h"

namespace faultline::harness::sim {

PointSearch FindInSim(HistoryStore& store, const std::string& results_dir,
                      const std::vector<std::string>& suite_paths, const std::string& fault,
                      uint64_t first_seed, uint64_t last_seed) {
  PointSearch r;
  std::vector<std::pair<std::string, TestSpec>> specs;  // (path, spec) of the suites that load
  for (const std::string& path : suite_paths) {
    Result<TestSpec> spec = LoadTestSpec(path);
    if (!spec.ok()) {
      r.error = spec.status().ToString();
      continue;
    }
    if (!fault.empty()) {
      SystemOption& flags = spec->system.options["extra_flags"];
      flags.is_list = true;
      flags.values.push_back("--fault");
      flags.values.push_back(fault);
    }
    specs.emplace_back(path, std::move(*spec));
  }
  for (uint64_t seed = first_seed; seed <= last_seed && !specs.empty(); ++seed) {
    for (size_t i = 0; i < specs.size(); ++i) {
      SimRunOptions o;
      o.spec = specs[i].second;
      o.spec.seed = seed;
      o.results_dir = results_dir;
      o.queue_end_writes = true;  // nothing read back: the next run overlaps the commit
      std::ostringstream quiet;
      o.out = &quiet;
      SimOutcome out = RunSim(store, o);
      if (out.run.run_id == 0) {
        r.error = out.run.error;
        continue;
      }
      ++r.runs;
      r.simulated_s += static_cast<double>(out.simulated_ms) / 1000.0;
      if (out.run.exit_code == 1) {
        r.found = true;
        r.seed = seed;
        r.suite = specs[i].first;
        r.checker = out.first_checker;
        return r;
      }
    }
  }
  return r;
}

}  // namespace faultline::harness::sim
