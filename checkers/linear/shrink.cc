// Counterexample shrinking: delta debugging over ops, keeping the history illegal.
#include <fmt/format.h>

#include <set>
#include <string_view>
#include <utility>

#include "checkers/linear/partition.h"

namespace faultline::checkers {
namespace {

// Shrinking is best effort on top of a decided verdict: bounded per key and per candidate.
constexpr std::chrono::seconds kShrinkBudget{5};
constexpr std::chrono::milliseconds kCandidateBudget{200};
constexpr int64_t kCandidateMemory = int64_t{64} << 20;

bool WritesValue(const Op& op) {
  return op.f == Fn::kWrite || op.f == Fn::kPut || op.f == Fn::kCas || op.f == Fn::kAdd;
}

// Can string v be built as (initial or a put value) followed by appends of `ops`? (Appends may be
// reused here: an approximation that only affects how far shrinking goes, never a verdict.)
bool Decomposes(const std::string& v, const std::vector<const Op*>& ops,
                const std::optional<std::string>& initial) {
  std::vector<bool> reach(v.size() + 1, false);
  auto start_with = [&](const std::string& p) {
    if (v.compare(0, p.size(), p) == 0 && p.size() <= v.size()) reach[p.size()] = true;
  };
  start_with(initial.value_or(""));
  for (const Op* op : ops) {
    if (op->f == Fn::kPut && op->value) start_with(*op->value);
  }
  for (size_t pos = 0; pos < v.size(); ++pos) {
    if (!reach[pos]) continue;
    for (const Op* op : ops) {
      if (op->f != Fn::kAppend || !op->value || op->value->empty()) continue;
      const std::string& a = *op->value;
      if (v.compare(pos, a.size(), a) == 0) reach[pos + a.size()] = true;
    }
  }
  return reach[v.size()];
}

// Every ok read observes only values that some op of `ops` (or the initial value) produced, so a
// shrunk history still shows where each observed value came from.
// The first ok op that observes a value no op of `ops` (nor the initial value) produced: a read,
// get, read-set, txn read, or the expected value of a cas. nullptr when every value is explained,
// so a shrunk history still shows where each observed value came from.
const Op* FirstUnsupported(const std::vector<const Op*>& ops,
                           const std::optional<std::string>& initial) {
  // Every (key, value) some op writes, once: O(ops) per call (shrinking calls this for every
  // candidate of histories of 10,000 ops and more).
  std::set<std::pair<std::string_view, std::string_view>> writes;
  for (const Op* op : ops) {
    if (WritesValue(*op) && op->value) writes.emplace(std::string_view(), *op->value);
    for (const TxnStep& st : op->txn) {
      if (st.is_write && st.value) writes.emplace(st.key, *st.value);
    }
  }
  auto written = [&](const std::optional<std::string>& v, const std::string& key) {
    if (!v || v == initial) return true;
    return writes.count({std::string_view(), *v}) > 0 || writes.count({key, *v}) > 0;
  };
  for (const Op* op : ops) {
    if (!op->ok()) continue;
    bool ok = true;
    switch (op->f) {
      case Fn::kRead:
        ok = written(op->value, op->key);
        break;
      case Fn::kCas:
        ok = written(op->expected, op->key);
        break;
      case Fn::kGet:
        ok = !op->value || Decomposes(*op->value, ops, initial);
        break;
      case Fn::kReadSet:
        for (const auto& e : op->elements) ok = ok && written(e, op->key);
        break;
      case Fn::kTxn:
        for (const TxnStep& st : op->txn) ok = ok && (st.is_write || written(st.value, st.key));
        break;
      default:
        break;
    }
    if (!ok) return op;
  }
  return nullptr;
}

}  // namespace

bool ObservedValuesSupported(const std::vector<const Op*>& ops,
                             const std::optional<std::string>& initial) {
  return FirstUnsupported(ops, initial) == nullptr;
}

Shrunk ShrinkIllegal(const ModelOptions& model, std::vector<const Op*> ops,
                     const std::optional<std::string>& initial,
                     std::chrono::steady_clock::time_point deadline) {
  using Clock = std::chrono::steady_clock;
  deadline = std::min(deadline, Clock::now() + kShrinkBudget);
  Shrunk s;
  s.attempted = true;
  // A read of a value nobody wrote is its own minimal counterexample.
  if (const Op* lone = FirstUnsupported(ops, initial)) {
    SearchLimits limits;
    limits.deadline = deadline;
    SearchResult r = CheckPartition(model, {lone}, initial, limits);
    if (r.verdict == Verdict::kInvalid) {
      s.ops = {lone};
      s.search = std::move(r);
      s.minimal = true;  // the empty history is linearizable
      return s;
    }
  }
  // Otherwise keep every observed value explained by a remaining write: a shrunk history that
  // loses the writes its reads saw explains nothing.
  const bool keep_support = FirstUnsupported(ops, initial) == nullptr;
  bool undecided = false;  // some candidate ran out of budget: 1-minimality not proved
  auto illegal = [&](const std::vector<const Op*>& candidate, SearchResult* out) {
    if (keep_support && FirstUnsupported(candidate, initial) != nullptr) return false;
    SearchLimits limits;
    limits.deadline = std::min(deadline, Clock::now() + kCandidateBudget);
    limits.memory_limit_bytes = kCandidateMemory;
    SearchResult r = CheckPartition(model, candidate, initial, limits);
    ++s.candidates;
    undecided = undecided || r.verdict == Verdict::kUnknown;
    bool bad = r.verdict == Verdict::kInvalid;  // unknown: keep the op (never claim more)
    if (bad && out != nullptr) *out = std::move(r);
    return bad;
  };
  s.ops = std::move(ops);
  illegal(s.ops, &s.search);
  bool timed_out = false;
  // Chunks from half the history down to single ops; at size 1 repeat until nothing moves, which
  // makes the result 1-minimal: removing any single op makes it linearizable (or undecidable).
  for (size_t chunk = std::max<size_t>(1, s.ops.size() / 2); chunk >= 1 && !timed_out;) {
    bool removed = false;
    undecided = false;
    for (size_t end = s.ops.size(); end > 0 && !timed_out;) {
      size_t begin = end >= chunk ? end - chunk : 0;
      std::vector<const Op*> candidate;
      candidate.reserve(s.ops.size());
      candidate.insert(candidate.end(), s.ops.begin(), s.ops.begin() + begin);
      candidate.insert(candidate.end(), s.ops.begin() + end, s.ops.end());
      SearchResult r;
      if (!candidate.empty() && illegal(candidate, &r)) {
        s.ops = std::move(candidate);
        s.search = std::move(r);
        removed = true;
      }
      end = begin;
      timed_out = std::chrono::steady_clock::now() > deadline;
    }
    if (chunk > 1) {
      chunk /= 2;
    } else if (!removed) {
      s.minimal = !timed_out && !undecided;
      break;
    }
  }
  return s;
}

}  // namespace faultline::checkers
