// sim::Workers — the run's client workers on simulated time: the same contract as
// harness/generator/workers.h (Jepsen's worker threads), without threads. Worker w talks to node
// (w mod N) + 1 through its SimClient; it pulls the next op from the OpGenerator (the same stream
// a real run with that seed issues), waits until the op is due (rate limit, offsets from Start),
// records the invoke, issues it, and records the completion when the answer comes or the per-op
// timeout passes. After an info completion the worker continues as a new logical process
// (process + concurrency). Stop(): no op is invoked after it; ops in flight still complete.
//
// Ops pulled by idle workers at one instant are pulled in worker order, so the stream's i-th op
// always goes to the same worker for a given seed: the history is a function of the seed. A worker
// invokes at most one op per simulated ms.
//
// Thread-safety: none (the simulator's thread).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "harness/generator/op_generator.h"
#include "harness/generator/workers.h"
#include "harness/sim/sim_client.h"
#include "harness/sim/sim_history.h"
#include "harness/sim/world.h"

namespace faultline::harness::sim {

struct WorkersOptions {
  int concurrency = 1;
  uint64_t op_timeout_ms = 1000;
  zab::ReadMode read_mode = zab::ReadMode::kLinearizable;
};

class Workers final : public Actor {
 public:
  Workers(World* world, OpGenerator* generator, SimHistory* history, WorkersOptions options);

  // Op due offsets count from simulated ms `start_ms`.
  void Start(uint64_t start_ms);
  void Stop();
  // No op in flight (after Stop: every invoked op has completed).
  bool idle() const;
  OpCounts counts() const { return counts_; }

  std::optional<uint64_t> NextWakeMs() const override;
  void Wake(uint64_t now_ms) override;

 private:
  struct Worker {
    std::unique_ptr<SimClient> client;
    int64_t process = 0;
    std::optional<GeneratedOp> next;  // pulled, waiting until due
    checkers::Op in_flight;           // valid while client->busy()
    // At most one invoke per simulated ms and worker, so that time moves even at rate 0 (an
    // unlimited rate) when answers come back within the instant.
    uint64_t not_before_ms = 0;
  };
  uint64_t DueMs(const Worker& w) const;
  void Complete(Worker& w, OpResult r);

  World* world_;
  OpGenerator* generator_;
  SimHistory* history_;
  WorkersOptions options_;
  std::vector<Worker> workers_;
  uint64_t start_ms_ = 0;
  bool started_ = false;
  bool stopped_ = false;
  OpCounts counts_;
};

}  // namespace faultline::harness::sim
