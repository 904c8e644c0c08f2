// FaultRecorder: every fault of a run into the store's faults table, the same way whoever applied
// it (the nemesis loop of `faultline run`, a scenario step): its kind, resolved targets, the
// description, every node's role at resolution, the grudge it added, and its stop (with the stop
// error, if any). Crashes the supervisor noticed are recorded as instantaneous "crash" faults.
//
// Thread-safety: every method may be called from any thread (indexes are atomic; the store is
// thread-safe).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>

#include "harness/history/history_store.h"
#include "harness/nemesis/nemesis.h"

namespace faultline::harness {

class FaultRecorder {
 public:
  FaultRecorder(HistoryStore* store, int64_t run_id) : store_(store), run_id_(run_id) {}

  // Records the start of `fault` (start time: now, or `start_ns`); `detail` is merged into the
  // stored detail JSON (roles and grudge are added). Returns the fault's row index. An
  // instantaneous kind (FaultKindInfo::instantaneous) is recorded already stopped.
  int64_t Started(const AppliedFault& fault, nlohmann::json detail = nlohmann::json::object(),
                  int64_t start_ns = 0);
  // Records the stop of fault row `index` (stop time: now, or `stop_ns`); a failed stop is kept
  // in the detail.
  void Stopped(int64_t index, const Status& stop = Status::Ok(), int64_t stop_ns = 0);
  // A crash the cluster noticed (at now, or `at_ns`); `noticed_by` goes into the detail.
  void Crash(NodeId node, const std::string& description, int64_t at_ns = 0,
             const std::string& noticed_by = "cluster supervisor");

  // Optional observers of what is handed to the store (the simulator keeps the run's history in
  // memory as it records it). Set before the first record; called on the recording thread.
  std::function<void(const FaultRecord&)> on_start;
  std::function<void(int64_t index, int64_t stop_ns)> on_stop;

 private:
  HistoryStore* store_;
  int64_t run_id_;
  std::atomic<int64_t> next_index_{0};
};

}  // namespace faultline::harness
