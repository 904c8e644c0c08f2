// Ingests one node's JSON-lines event log (docs/contracts.md section 3) into the history store's
// node_events. Lines that are not a JSON object with `type` and `ts_ms` (a torn last line after a
// SIGKILL, say) are skipped and counted, never fatal. `node` is used when a line lacks one.
#pragma once

#include <cstdint>
#include <string>

#include "harness/cluster/node.h"
#include "harness/history/history_store.h"

namespace faultline::harness {

struct IngestCounts {
  int events = 0;
  int skipped = 0;
};

IngestCounts IngestEventLog(HistoryStore& store, int64_t run_id, NodeId node,
                            const std::string& path);

}  // namespace faultline::harness
