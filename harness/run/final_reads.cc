#include "harness/run/final_reads.h"

#include <algorithm>

namespace faultline::harness {

int RunFinalReads(const FinalReadPlan& plan,
                  const std::function<OpResult(NodeId, const checkers::Op&)>& read,
                  const std::function<void()>& backoff, const std::function<bool()>& interrupted) {
  std::vector<NodeId> order = plan.nodes;
  if (plan.leader) {
    std::erase(order, *plan.leader);
    order.insert(order.begin(), *plan.leader);
  }
  int64_t index = plan.first_index;
  int64_t process = kFinalReadProcessBase;
  int failed_keys = 0;
  for (checkers::Op op : plan.reads) {
    bool done = false;
    for (int attempt = 0; attempt < plan.attempts && !done; ++attempt) {
      if (interrupted()) return failed_keys;
      NodeId node = order[attempt % order.size()];
      op.index = index++;
      op.process = process;
      op.node = node;
      OpResult r = read(node, op);
      done = r.outcome == checkers::Outcome::kOk;
      if (r.outcome == checkers::Outcome::kInfo) ++process;
      if (!done) backoff();
    }
    if (!done) ++failed_keys;
  }
  return failed_keys;
}

}  // namespace faultline::harness
