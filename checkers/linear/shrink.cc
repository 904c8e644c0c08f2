// Counterexample shrinking: delta debugging over ops, keeping the history illegal.
#include <fmt/format.h>

#include "checkers/linear/partition.h"

namespace faultline::checkers {

Shrunk ShrinkIllegal(const ModelOptions& model, std::vector<const Op*> ops,
                     const std::optional<std::string>& initial,
                     std::chrono::steady_clock::time_point deadline) {
  SearchLimits limits;
  limits.deadline = deadline;
  limits.memory_limit_bytes = int64_t{256} << 20;
  auto illegal = [&](const std::vector<const Op*>& candidate, SearchResult* out) {
    SearchResult r = CheckPartition(model, candidate, initial, limits);
    bool bad = r.verdict == Verdict::kInvalid;  // unknown: keep the op (never claim more)
    if (bad && out != nullptr) *out = std::move(r);
    return bad;
  };
  Shrunk s;
  s.attempted = true;
  s.ops = std::move(ops);
  illegal(s.ops, &s.search);
  bool timed_out = false;
  // Chunks from half the history down to single ops; at size 1 repeat until nothing moves, which
  // makes the result 1-minimal: removing any single op makes it linearizable (or undecidable).
  for (size_t chunk = std::max<size_t>(1, s.ops.size() / 2); chunk >= 1 && !timed_out;) {
    bool removed = false;
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
      s.minimal = !timed_out;
      break;
    }
  }
  return s;
}

}  // namespace faultline::checkers
