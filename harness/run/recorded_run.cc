#include "harness/run/recorded_run.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "harness/run/schedule.h"

namespace faultline::harness {

Result<RecordedRun> LoadRecordedRun(HistoryStore& store, int64_t run_id, bool exact_partitions) {
  RecordedRun r;
  Result<RunRecord> run = store.GetRun(run_id);
  if (!run.ok()) return run.status();
  r.run = std::move(run).value();
  Result<TestSpec> spec = ParseTestSpec(r.run.spec_text, fmt::format("run {}", run_id));
  Result<std::vector<ScheduledFault>> schedule =
      ScheduleForReplay(r.run.schedule_json, exact_partitions);
  if (!spec.ok() || !schedule.ok()) {
    return Status::InvalidArgument(
        fmt::format("run {} cannot be rerun: {}", run_id,
                    (spec.ok() ? schedule.status() : spec.status()).message()));
  }
  r.spec = std::move(spec).value();
  r.spec.seed = r.run.seed;
  r.schedule = std::move(schedule).value();
  const nlohmann::json j = nlohmann::json::parse(r.run.schedule_json, nullptr, false);
  for (size_t i = 0; i < r.schedule.size(); ++i) {
    const nlohmann::json& e = j.is_array() && i < j.size() ? j[i] : nlohmann::json::object();
    std::string d = e.value("description", "");
    if (!e.value("applied", false)) {
      d = "not applied" + (e.value("error", "").empty() ? "" : ": " + e.value("error", ""));
    }
    r.realized.push_back(d.empty() ? DescribeSpec(r.schedule[i].fault) : d);
  }
  Result<std::vector<CheckRecord>> checks = store.LoadChecks(run_id);
  if (!checks.ok()) return checks.status();
  r.checks = std::move(checks).value();
  return r;
}

TestSpec WithExactSchedule(const TestSpec& spec, std::vector<ScheduledFault> schedule) {
  TestSpec s = spec;
  s.nemesis.kinds.clear();
  s.nemesis.link_delay_ms = 0;  // its delay entry is in the stored schedule
  s.nemesis.schedule = std::move(schedule);
  return s;
}

}  // namespace faultline::harness
