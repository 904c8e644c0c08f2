// The console summary of one stored run (printed at the end of `faultline run` and by
// `faultline show RUN`): ops by outcome and function, the fault timeline, each checker's verdict,
// and every anomaly with its key and time. Times are seconds from the run's start.
#pragma once

#include <cstdint>
#include <ostream>

#include "common/status.h"
#include "harness/history/history_store.h"

namespace faultline::harness {

Status PrintRunSummary(HistoryStore& store, int64_t run_id, std::ostream& out);

// One line per run for `faultline runs`: id, start time, suite, status, verdict, anomalies.
Status PrintRunList(HistoryStore& store, int limit, std::ostream& out);

}  // namespace faultline::harness
