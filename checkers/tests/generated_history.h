// Generated histories for tests and checkers_bench (both read this header; nothing else does).
#pragma once

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "checkers/history.h"

namespace faultline::checkers::testing {

// A nightly-size register history (workloads/nightly.yaml: 10 keys, 10 clients, ~108k ops in
// 6 minutes, read/write/cas 0.4/0.4/0.2, some timeouts), generated linearizable by simulating
// each op's linearization point, then one read in the middle of key 0 made stale: it returns the
// value of a write `stale_writes` writes back. Seeded, so every run checks the same history.
inline History NightlyHistory(int ops, int keys, int stale_writes, uint64_t seed) {
  std::mt19937_64 rng(seed);
  auto uniform = [&](int64_t lo, int64_t hi) {
    return std::uniform_int_distribution<int64_t>(lo, hi)(rng);
  };
  constexpr int kClients = 10;
  std::vector<int64_t> free_at(kClients, 0);
  std::vector<int64_t> process(kClients);
  for (int c = 0; c < kClients; ++c) process[c] = c;
  int64_t next_process = kClients;
  struct Gen {
    Op op;
    int64_t lp;
    bool applies;
  };
  std::vector<Gen> gen;
  for (int i = 0; i < ops; ++i) {
    const int c = static_cast<int>(uniform(0, kClients - 1));
    Gen g;
    g.op.index = i;
    g.op.process = process[c];
    g.op.key = std::to_string(uniform(0, keys - 1));
    const int64_t mix = uniform(0, 9);
    g.op.f = mix < 4 ? Fn::kRead : mix < 8 ? Fn::kWrite : Fn::kCas;
    g.op.invoke_ns = free_at[c] + uniform(0, 30'000'000);  // ~3.3 ms/op/client at 10 clients
    const int64_t d = uniform(500'000, 8'000'000);
    g.lp = g.op.invoke_ns + uniform(0, d);
    g.op.complete_ns = g.op.invoke_ns + d;
    g.op.outcome = Outcome::kOk;
    g.applies = true;
    if (uniform(0, 99) < 2) {  // a timeout: may or may not take effect; a new process after it
      g.op.outcome = Outcome::kInfo;
      g.op.complete_ns = g.op.invoke_ns + 1'000'000'000;
      g.applies = uniform(0, 1) == 0;
      process[c] = next_process++;
    }
    free_at[c] = g.op.complete_ns;
    gen.push_back(std::move(g));
  }
  std::vector<Gen*> by_lp;
  for (Gen& g : gen) by_lp.push_back(&g);
  std::sort(by_lp.begin(), by_lp.end(), [](const Gen* a, const Gen* b) { return a->lp < b->lp; });
  std::map<std::string, std::optional<std::string>> value;
  std::map<std::string, std::vector<std::string>> history;  // values written, in order
  int64_t next_value = 1;
  for (Gen* g : by_lp) {
    Op& op = g->op;
    std::optional<std::string>& v = value[op.key];
    if (op.f == Fn::kRead) {
      op.value = v;
    } else if (op.f == Fn::kWrite) {
      op.value = std::to_string(next_value++);
      if (g->applies) {
        v = op.value;
        history[op.key].push_back(*v);
      }
    } else {
      const auto& h = history[op.key];
      op.expected =
          (uniform(0, 1) == 0 || h.empty()) ? v : h[static_cast<size_t>(uniform(0, h.size() - 1))];
      op.value = std::to_string(next_value++);
      if (op.expected != v && op.outcome == Outcome::kOk) op.outcome = Outcome::kFail;
      if (op.expected == v && g->applies) {
        v = op.value;
        history[op.key].push_back(*v);
      }
    }
  }
  // The stale read: the ok read of key 0 nearest the middle, shown a value `stale_writes` back.
  const std::vector<std::string>& writes = history["0"];  // key 0's values in effect order
  History out;
  for (Gen& g : gen) out.ops.push_back(std::move(g.op));
  for (size_t i = out.ops.size() / 2; stale_writes > 0 && i < out.ops.size(); ++i) {
    Op& op = out.ops[i];
    if (op.key != "0" || op.f != Fn::kRead || !op.ok() || !op.value) continue;
    auto it = std::find(writes.begin(), writes.end(), *op.value);
    if (it == writes.end() || it - writes.begin() < stale_writes) continue;
    op.value = *(it - stale_writes);
    break;
  }
  out.model = "cas-register";
  return out;
}

}  // namespace faultline::checkers::testing
