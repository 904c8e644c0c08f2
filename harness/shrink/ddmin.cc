#include "harness/shrink/ddmin.h"

#include <algorithm>
#include <map>

namespace faultline::harness::shrink {

DdminResult Ddmin(size_t n, const std::function<Trial(const std::vector<size_t>&)>& test,
                  const std::function<void(const std::vector<size_t>&)>& on_best) {
  DdminResult r;
  std::vector<size_t> current(n);
  for (size_t i = 0; i < n; ++i) current[i] = i;
  r.best = current;
  std::map<std::vector<size_t>, Trial> tested;
  tested[current] = Trial::kReproduced;
  bool interrupted = false;
  // Tests `s` once; true when it reproduced (and is then the new best).
  auto reproduces = [&](const std::vector<size_t>& s) {
    auto it = tested.find(s);
    Trial t;
    if (it != tested.end()) {
      t = it->second;
    } else {
      t = test(s);
      ++r.tests;
      if (t == Trial::kInterrupted) {
        interrupted = true;
        return false;
      }
      tested[s] = t;
    }
    if (t != Trial::kReproduced) return false;
    if (s.size() < r.best.size()) {
      r.best = s;
      if (on_best) on_best(s);
    }
    return true;
  };
  if (n == 0) {
    r.complete = true;
    return r;
  }
  if (reproduces({})) {
    r.complete = true;
    return r;
  }
  if (interrupted) return r;
  size_t k = 2;
  while (current.size() >= 2) {
    k = std::min(k, current.size());
    // k chunks of (almost) equal size, in order.
    std::vector<std::vector<size_t>> chunks;
    for (size_t c = 0; c < k; ++c) {
      const size_t lo = current.size() * c / k, hi = current.size() * (c + 1) / k;
      chunks.emplace_back(current.begin() + static_cast<std::ptrdiff_t>(lo),
                          current.begin() + static_cast<std::ptrdiff_t>(hi));
    }
    bool reduced = false;
    for (const auto& chunk : chunks) {
      if (reproduces(chunk)) {
        current = chunk;
        k = 2;
        reduced = true;
        break;
      }
      if (interrupted) return r;
    }
    if (!reduced && k > 2) {  // with k = 2 the complements are the chunks themselves
      for (const auto& chunk : chunks) {
        std::vector<size_t> complement;
        std::set_difference(current.begin(), current.end(), chunk.begin(), chunk.end(),
                            std::back_inserter(complement));
        if (reproduces(complement)) {
          current = std::move(complement);
          k = std::max<size_t>(k - 1, 2);
          reduced = true;
          break;
        }
        if (interrupted) return r;
      }
    }
    if (reduced) continue;
    if (k >= current.size()) break;  // every single entry is needed
    k = std::min(k * 2, current.size());
  }
  r.best = current;
  r.complete = true;
  return r;
}

}  // namespace faultline::harness::shrink
