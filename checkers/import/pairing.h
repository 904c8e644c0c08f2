// Folding invoke/completion events into Ops (shared by the EDN and etcd-log importers).
#pragma once

#include <fmt/format.h>

#include <map>
#include <string>

#include "checkers/history.h"
#include "common/status.h"

namespace faultline::checkers {

// One event of a Jepsen-style history. `op` carries f, key and the event's values.
struct RawEvent {
  bool invoke = false;
  Outcome outcome = Outcome::kInfo;  // completions only
  Op op;                             // process, f, key, value/expected/elements/txn
  int line = 0;
};

// Pairs events by process in file order; event k happens at time k. Completion fields replace
// the invoke's for ok completions (Knossos: the completion's value is the result); a completion
// with no value keeps the invoke's. Invokes without completion stay open (info).
class Pairer {
 public:
  explicit Pairer(std::string source) : source_(std::move(source)) {}
  Status Add(RawEvent ev) {
    const int64_t now = time_++;
    auto it = pending_.find(ev.op.process);
    if (ev.invoke) {
      // A process that invokes again without completing: its previous op stays open.
      if (it != pending_.end()) pending_.erase(it);
      ev.op.index = static_cast<int64_t>(ops_.size());
      ev.op.invoke_ns = now;
      ev.op.complete_ns = kOpenNs;
      ev.op.outcome = Outcome::kInfo;
      pending_[ev.op.process] = ops_.size();
      ops_.push_back(std::move(ev.op));
      return Status::Ok();
    }
    if (it == pending_.end()) {
      return Status::InvalidArgument(
          fmt::format("{}:{}: {} completion for process {} without an invoke", source_, ev.line,
                      OutcomeName(ev.outcome), ev.op.process));
    }
    Op& op = ops_[it->second];
    pending_.erase(it);
    if (op.f != ev.op.f) {
      return Status::InvalidArgument(
          fmt::format("{}:{}: completion :{} does not match invoke :{} of process {}", source_,
                      ev.line, FnName(ev.op.f), FnName(op.f), op.process));
    }
    op.outcome = ev.outcome;
    op.complete_ns = now;
    if (ev.outcome == Outcome::kOk) {
      bool is_read = op.f == Fn::kRead || op.f == Fn::kGet || op.f == Fn::kReadSet;
      if (is_read || ev.op.value) op.value = ev.op.value;
      if (ev.op.expected) op.expected = ev.op.expected;
      if (is_read || !ev.op.elements.empty()) op.elements = ev.op.elements;
      if (!ev.op.txn.empty()) op.txn = ev.op.txn;
    }
    return Status::Ok();
  }
  std::vector<Op> Take() { return std::move(ops_); }

 private:
  std::string source_;
  int64_t time_ = 0;
  std::map<int64_t, size_t> pending_;
  std::vector<Op> ops_;
};

}  // namespace faultline::checkers
