// Explanation of an illegal partition: the op that could not be linearized, the writes that could
// have explained it, a process-row timeline of the shrunk history, the faults around it.
#include <fmt/format.h>

#include <algorithm>
#include <iterator>
#include <map>

#include "checkers/linear/partition.h"

namespace faultline::checkers {
namespace {

std::string Val(const std::optional<std::string>& v) { return v ? *v : "nil"; }

// Short label drawn inside the op's bar: "W 3", "R 3", "CAS 1>2", "ACQ", "TXN r x 1 w y 2".
std::string Label(const Op& op) {
  switch (op.f) {
    case Fn::kRead:
    case Fn::kGet:
      return "R " + Val(op.value);
    case Fn::kWrite:
    case Fn::kPut:
      return "W " + Val(op.value);
    case Fn::kAppend:
      return "A " + Val(op.value);
    case Fn::kCas:
      return fmt::format("CAS {}>{}", Val(op.expected), Val(op.value));
    case Fn::kCasMismatch:
      return fmt::format("CAS {}>{} no", Val(op.expected), Val(op.value));
    case Fn::kDelete:
      return "DEL";
    case Fn::kAdd:
      return "ADD " + Val(op.value);
    case Fn::kReadSet:
      return fmt::format("RS {}", fmt::join(op.elements, ","));
    case Fn::kAcquire:
      return "ACQ";
    case Fn::kRelease:
      return "REL";
    case Fn::kTxn: {
      std::string s = "TXN";
      for (const TxnStep& st : op.txn) {
        s += fmt::format(" {} {} {}", st.is_write ? "w" : "r", st.key, Val(st.value));
      }
      return s;
    }
  }
  return "?";
}

// Timelines wider than this many ops are not drawn (an unshrunk history).
constexpr size_t kTimelineOpsMax = 48;

void AppendDescription(const Op& op, const std::string& label, int64_t t0, std::string* out) {
  auto it = std::back_inserter(*out);
  fmt::format_to(it, "op {} process {} {} {} [{} .. ", op.index, op.process, FnName(op.f), label,
                 op.invoke_ns - t0);
  if (op.open()) {
    *out += "never completed]";
  } else {
    fmt::format_to(it, "{}]", op.complete_ns - t0);
  }
  if (op.outcome != Outcome::kOk) fmt::format_to(it, " ({})", OutcomeName(op.outcome));
}

std::string Describe(const Op& op, int64_t t0) {
  std::string s;
  AppendDescription(op, Label(op), t0, &s);
  return s;
}

bool IsWrite(const Op& op) {
  return op.f == Fn::kWrite || op.f == Fn::kPut || op.f == Fn::kAppend || op.f == Fn::kCas ||
         op.f == Fn::kDelete || op.f == Fn::kAdd;
}

}  // namespace

Explanation ExplainIllegal(const Partition& full, const Shrunk& shrunk,
                           const std::vector<Fault>& faults) {
  Explanation ex;
  const auto& ops = shrunk.ops;
  if (ops.empty()) {
    ex.summary = fmt::format("key {:?}: not linearizable", full.key);
    return ex;
  }
  int64_t t0 = ops.front()->invoke_ns, t1 = t0;
  for (const Op* op : ops) {
    t0 = std::min(t0, op->invoke_ns);
    t1 = std::max(t1, op->open() ? op->invoke_ns : op->complete_ns);
  }
  ex.start_ns = t0;
  ex.end_ns = t1;
  const Op* stuck = shrunk.search.stuck_op >= 0 ? ops[shrunk.search.stuck_op] : ops.back();

  // Summary: the op that could not be explained.
  std::string what;
  bool is_read = stuck->f == Fn::kRead || stuck->f == Fn::kGet;
  if (is_read) {
    std::vector<std::string> sources;
    for (const Op* op : full.ops) {
      bool source = op->value == stuck->value ||
                    (stuck->f == Fn::kGet && op->value && stuck->value && !op->value->empty() &&
                     stuck->value->find(*op->value) != std::string::npos);
      if (IsWrite(*op) && source) sources.push_back(Describe(*op, t0));
    }
    what = fmt::format("read of {} by process {} (op {}) cannot be explained; {}",
                       Val(stuck->value), stuck->process, stuck->index,
                       sources.empty() ? std::string("no write of that value exists")
                                       : "writes of (parts of) that value: " +
                                             fmt::format("{}", fmt::join(sources, "; ")));
  } else {
    what = fmt::format("{} by process {} (op {}) cannot be linearized", Label(*stuck),
                       stuck->process, stuck->index);
    // The reads that rule it out: those of the shrunk history that start after it completed.
    std::vector<std::string> reads;
    for (const Op* op : ops) {
      bool read = op->f == Fn::kRead || op->f == Fn::kGet || op->f == Fn::kReadSet ||
                  (op->f == Fn::kTxn && !IsWrite(*op));
      if (read && op != stuck && !stuck->open() && op->invoke_ns > stuck->complete_ns) {
        reads.push_back(fmt::format("op {} process {} {}", op->index, op->process, Label(*op)));
      }
    }
    if (!reads.empty()) {
      what += fmt::format(" before the later reads {} (none of the possible orders explains them)",
                          fmt::join(reads, "; "));
    }
  }
  ex.summary =
      fmt::format("key {:?}: not linearizable: {}. Minimal illegal sub-history: {} of {} ops{}.",
                  full.key, what, ops.size(), full.ops.size(),
                  !shrunk.attempted ? " (not shrunk)"
                  : shrunk.minimal  ? " (1-minimal)"
                                    : " (shrinking cut short by the time budget)");

  // Timeline: one row per process; each distinct time gets a column. Past kTimelineOpsMax ops
  // (an unshrunk history) the rows would be thousands of columns wide: only the list is shown.
  std::string d;
  auto out = std::back_inserter(d);
  std::vector<std::string> labels(ops.size());
  for (size_t k = 0; k < ops.size(); ++k) labels[k] = Label(*ops[k]);
  if (ops.size() <= kTimelineOpsMax) {
    std::vector<int64_t> times;
    for (const Op* op : ops) {
      times.push_back(op->invoke_ns);
      if (!op->open()) times.push_back(op->complete_ns);
    }
    std::sort(times.begin(), times.end());
    times.erase(std::unique(times.begin(), times.end()), times.end());
    auto rank = [&](int64_t t) {
      return static_cast<size_t>(std::lower_bound(times.begin(), times.end(), t) - times.begin());
    };
    size_t width = 4;
    for (const std::string& l : labels) width = std::max(width, std::min<size_t>(l.size() + 3, 18));
    const size_t cols = (times.size() + 1) * width;
    std::map<int64_t, std::string> rows;
    for (size_t k = 0; k < ops.size(); ++k) {
      const Op* op = ops[k];
      std::string& row = rows[op->process];
      if (row.empty()) row.assign(cols, ' ');
      size_t a = rank(op->invoke_ns) * width;
      size_t b = op->open() ? cols - 1 : rank(op->complete_ns) * width;
      std::fill(row.begin() + static_cast<ptrdiff_t>(a), row.begin() + static_cast<ptrdiff_t>(b),
                '-');
      row[a] = '[';
      row[b] = op->open() ? '>' : ']';
      const std::string label = op == stuck ? "*" + labels[k] : labels[k];
      for (size_t c = 0; c < label.size() && a + 1 + c < b; ++c) row[a + 1 + c] = label[c];
    }
    d += "timeline (one row per process; [ invoke, ] completion, > never completed, "
         "* the op that cannot be linearized):\n";
    for (auto& [p, row] : rows) {
      while (!row.empty() && row.back() == ' ') row.pop_back();
      fmt::format_to(out, "  p{:<5} {}\n", p, row);
    }
  } else {
    fmt::format_to(out, "timeline: not drawn for {} ops (over {}); every op is listed below\n",
                   ops.size(), kTimelineOpsMax);
  }
  d += "ops (times relative to the first invoke):\n";
  for (size_t k = 0; k < ops.size(); ++k) {
    d += ops[k] == stuck ? "  * " : "    ";
    AppendDescription(*ops[k], labels[k], t0, &d);
    d += '\n';
  }
  std::vector<std::string> around;
  for (const Fault& f : faults) {
    if (f.start_ns <= t1 && f.stop_ns >= t0) {
      around.push_back(fmt::format(
          "{} {} [{} .. {}] {}", f.kind, fmt::join(f.targets, ","), f.start_ns - t0,
          f.stop_ns == kOpenNs ? std::string("never healed") : fmt::format("{}", f.stop_ns - t0),
          f.description));
    }
  }
  d += around.empty() ? "faults active: none\n"
                      : fmt::format("faults active:\n  {}\n", fmt::join(around, "\n  "));
  ex.detail = std::move(d);
  return ex;
}

}  // namespace faultline::checkers
