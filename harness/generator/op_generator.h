// OpGenerator: the run's operation stream (Jepsen's Generator), a pure function of the workload
// spec and the seed: the n-th call to Next() returns the same op in every run with that seed, so
// `faultline replay` re-issues the same stream. Which worker performs which op is not part of
// the stream.
//
// register: read / write / cas over keys k0..k{K-1}, drawn by the mix weights. Write and cas
//   values are the op's sequence number as text, unique within the run. A cas expects a value
//   previously generated for that key (one of the last few), or becomes a write when none exists.
// set: every op adds a fresh element (its sequence number) to the set "s".
//
// Rate: op n is due at n / rate seconds after the start (0 = unlimited); Next() returns the due
// offset and workers wait for it. The schedule is global, so the total rate holds whatever the
// concurrency.
//
// Thread-safety: Next() and the accessors are thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <random>
#include <string>
#include <vector>

#include "checkers/history.h"
#include "harness/spec/test_spec.h"

namespace faultline::harness {

struct GeneratedOp {
  checkers::Op op;                  // index, f, key, value, expected (process and times unset)
  std::chrono::nanoseconds due{0};  // offset from the workload start when it may be issued
};

class OpGenerator {
 public:
  OpGenerator(const WorkloadSpec& workload, double rate, uint64_t seed);

  GeneratedOp Next();

  // The final reads, one per key (register) or one read-set of every element ever generated
  // (set; candidates in op.elements). Index and times are left for the caller.
  std::vector<checkers::Op> FinalReads() const;
  std::vector<std::string> Keys() const;
  int64_t generated() const;

 private:
  WorkloadSpec workload_;
  double rate_;
  mutable std::mutex mu_;
  std::mt19937_64 rng_;
  int64_t next_index_ = 0;
  std::vector<std::vector<std::string>> recent_values_;  // per key, last few generated values
  std::vector<std::string> elements_;                    // set: every element generated
};

}  // namespace faultline::harness
