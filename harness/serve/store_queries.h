// What serve's filter form offers: the distinct suites, systems, anomaly kinds and fault kinds of
// the store. Every question serve asks about runs, anomalies and trends goes through harness/query
// (query.h), the library of `faultline runs / anomalies / trends`, so the pages and the commands
// answer with one semantics (docs/store-schema.md "Queries").
#pragma once

#include <string>
#include <vector>

#include "common/status.h"
#include "harness/history/history_store.h"

namespace faultline::harness::serve {

struct FilterChoices {
  std::vector<std::string> suites, systems, anomaly_kinds, fault_kinds;
};
Result<FilterChoices> LoadFilterChoices(HistoryStore& store);

}  // namespace faultline::harness::serve
