// Workers: C concurrent client workers (Jepsen's worker threads). Each pulls the next op from the
// OpGenerator, waits until it is due (rate limit), records the invoke in the HistoryStore, performs
// it through its own Client with the per-op timeout, and records the completion, as it happens.
//
// Processes: worker w starts as logical process w. After an info completion the process may
// still have an op in flight inside the system, so the worker continues as a new process
// (process + concurrency), as in Jepsen; the client is Reset (fresh connection) too.
//
// Stop() asks every worker to finish: an op already invoked is always completed and recorded
// (the per-op timeout bounds the wait); no op is invoked after Stop(). Join() waits for that.
//
// Thread-safety: Start/Stop/Join from the owner thread; counts() from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "harness/client/client.h"
#include "harness/generator/op_generator.h"
#include "harness/history/history_store.h"

namespace faultline::harness {

struct WorkerOptions {
  int64_t run_id = 0;
  int concurrency = 1;
  std::chrono::milliseconds op_timeout{1000};
};

struct OpCounts {
  int64_t ok = 0;
  int64_t fail = 0;
  int64_t info = 0;
  int64_t total() const { return ok + fail + info; }
};

// Makes worker w's client.
using ClientFactory = std::function<std::unique_ptr<Client>(int worker)>;

// Nanoseconds since the Unix epoch (the store's clock).
int64_t NowNs();

class Workers {
 public:
  Workers(OpGenerator* generator, HistoryStore* store, ClientFactory factory,
          WorkerOptions options);
  ~Workers();  // Stop + Join
  Workers(const Workers&) = delete;
  Workers& operator=(const Workers&) = delete;

  // Starts the threads; op due offsets count from `start`.
  void Start(std::chrono::steady_clock::time_point start);
  void Stop();
  void Join();
  OpCounts counts() const;

 private:
  void Loop(int worker);
  OpGenerator* generator_;
  HistoryStore* store_;
  ClientFactory factory_;
  WorkerOptions options_;
  std::chrono::steady_clock::time_point start_;
  std::mutex mu_;
  std::condition_variable stop_cv_;
  std::atomic<bool> stop_{false};
  std::atomic<int64_t> ok_{0}, fail_{0}, info_{0};
  std::vector<std::thread> threads_;
};

}  // namespace faultline::harness
