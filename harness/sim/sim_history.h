// sim::SimHistory — everything a simulated run records, kept in memory as the checkers::History
// that HistoryStore::LoadHistory would read back for the run, so the run is judged without
// reloading it (issue 12: sim speed), and handed to the store:
//   * ops and faults as they happen (asynchronous, batched: the store's writer commits them in big
//     transactions while the simulation goes on);
//   * node events (most of the rows: every node logs every txn) once, when the run ends
//     (StoreNodeEvents, after judging: one queued record, no copy of the events).
// A crash of the controller leaves the store consistent, as for any run: the op and fault rows
// committed so far (a prefix), no node events, and a `running` row whose controller is gone,
// which readers show as crashed.
//
// What LoadHistory returns, rebuilt here: ops sorted by index; an invoke's elements not stored; a
// completion sets outcome, time, zxid and elements, and a read's value (COALESCE: a nil answer
// keeps the invoked value, which a read does not have); faults in the order recorded, a stop
// setting stop_ns; node events in the order recorded. sim_test compares it with the reload.
//
// Thread-safety: none (the simulator's thread); the store is thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "checkers/history.h"
#include "harness/history/history_store.h"

namespace faultline::harness::sim {

class SimHistory {
 public:
  SimHistory(HistoryStore* store, int64_t run_id) : store_(store), run_id_(run_id) {}

  void Invoke(const checkers::Op& op);
  void Complete(int64_t op_index, checkers::Outcome outcome, int64_t complete_ns,
                std::optional<std::string> value, std::vector<std::string> elements,
                std::optional<int64_t> zxid, std::string error);
  void NodeEvent(checkers::NodeEvent event);
  // Observers of the run's FaultRecorder (it writes the store itself).
  void FaultStarted(const FaultRecord& fault);
  void FaultStopped(int64_t index, int64_t stop_ns);

  // The history as LoadHistory would return it; `spec_text` gives the model. Moves it out.
  checkers::History Take(const std::string& spec_text);
  // The run's node events into the store (those of a taken history, or those still held).
  void StoreNodeEvents(std::vector<checkers::NodeEvent> events);
  void StoreNodeEvents() { StoreNodeEvents(std::move(h_.node_events)); }

 private:
  HistoryStore* store_;
  int64_t run_id_;
  checkers::History h_;
  std::unordered_map<int64_t, size_t> op_at_;     // op index -> position in h_.ops
  std::unordered_map<int64_t, size_t> fault_at_;  // fault index -> position in h_.faults
  std::vector<int64_t> fault_index_;              // the index of h_.faults[i]
};

}  // namespace faultline::harness::sim
