#include "harness/sim/sim_history.h"

#include <algorithm>

#include "harness/history/history_codec.h"

namespace faultline::harness::sim {

void SimHistory::Invoke(const checkers::Op& op) {
  store_->RecordInvoke(run_id_, op);
  op_at_[op.index] = h_.ops.size();
  checkers::Op& kept = h_.ops.emplace_back(op);
  kept.elements.clear();  // not part of the stored invoke
  kept.complete_ns = checkers::kOpenNs;
  kept.outcome = checkers::Outcome::kInfo;
  kept.zxid.reset();
}

void SimHistory::Complete(int64_t op_index, checkers::Outcome outcome, int64_t complete_ns,
                          std::optional<std::string> value, std::vector<std::string> elements,
                          std::optional<int64_t> zxid, std::string error) {
  if (auto it = op_at_.find(op_index); it != op_at_.end()) {
    checkers::Op& op = h_.ops[it->second];
    op.outcome = outcome;
    op.complete_ns = complete_ns;
    if (value) op.value = *value;
    op.elements = elements;
    op.zxid = zxid;
  }
  store_->RecordCompletion(run_id_, op_index, outcome, complete_ns, std::move(value),
                           std::move(elements), zxid, std::move(error));
}

void SimHistory::NodeEvent(checkers::NodeEvent event) {
  h_.node_events.push_back(std::move(event));
}

void SimHistory::StoreNodeEvents(std::vector<checkers::NodeEvent> events) {
  store_->RecordNodeEvents(run_id_, std::move(events));
}

void SimHistory::FaultStarted(const FaultRecord& f) {
  fault_at_[f.index] = h_.faults.size();
  fault_index_.push_back(f.index);
  h_.faults.push_back(checkers::Fault{f.kind, f.targets, f.start_ns,
                                      f.stop_ns.value_or(checkers::kOpenNs), f.description});
}

void SimHistory::FaultStopped(int64_t index, int64_t stop_ns) {
  if (auto it = fault_at_.find(index); it != fault_at_.end()) {
    h_.faults[it->second].stop_ns = stop_ns;
  }
}

checkers::History SimHistory::Take(const std::string& spec_text) {
  checkers::History h = std::move(h_);
  h_ = checkers::History{};
  std::vector<size_t> order(h.faults.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(),
            [&](size_t a, size_t b) { return fault_index_[a] < fault_index_[b]; });
  std::vector<checkers::Fault> faults;
  for (size_t i : order) faults.push_back(std::move(h.faults[i]));
  h.faults = std::move(faults);
  op_at_.clear();
  fault_at_.clear();
  fault_index_.clear();
  h.source = "run " + std::to_string(run_id_);
  DescribeRunModel(spec_text, &h);
  std::sort(h.ops.begin(), h.ops.end(),
            [](const checkers::Op& a, const checkers::Op& b) { return a.index < b.index; });
  return h;
}

}  // namespace faultline::harness::sim
