// A recorded run as the commands that rerun it see it (`faultline replay`, `shrink`, `sim
// --from-run`): its spec with the run's seed, its realized fault schedule (ScheduleForReplay)
// with what each entry did in the original run, and its stored checks.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"
#include "harness/history/history_store.h"
#include "harness/spec/test_spec.h"

namespace faultline::harness {

struct RecordedRun {
  RunRecord run;
  TestSpec spec;  // as stored, seed = the run's seed (its nemesis section untouched)
  std::vector<ScheduledFault> schedule;  // the realized schedule, in order
  std::vector<std::string> realized;     // per entry: its description in the run, or why not
  std::vector<CheckRecord> checks;
};

// NotFound for an unknown run; InvalidArgument naming the run when its spec or schedule cannot
// be read back.
Result<RecordedRun> LoadRecordedRun(HistoryStore& store, int64_t run_id,
                                    bool exact_partitions = false);

// `spec` with exactly `schedule` as its faults: generated kinds cleared, so an empty schedule
// means no fault at all.
TestSpec WithExactSchedule(const TestSpec& spec, std::vector<ScheduledFault> schedule);

}  // namespace faultline::harness
