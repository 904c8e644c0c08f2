#include "harness/sim/sim_seeds.h"

#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <sstream>
#include <thread>
#include <vector>

#include "harness/run/interrupt.h"

namespace faultline::harness::sim {

void RunSeeds(HistoryStore& store, const SimRunOptions& base, uint64_t first, uint64_t last,
              int jobs, const std::function<bool(const SeedResult&)>& on_result) {
  using Clock = std::chrono::steady_clock;
  std::mutex mu;
  std::condition_variable done_cv;
  std::map<uint64_t, SeedResult> done;  // finished, not yet reported
  uint64_t next = first;                // the next seed to start
  bool stop = false;
  int running = 0;

  auto run_one = [&](uint64_t seed) {
    SimRunOptions o = base;
    o.spec.seed = seed;
    std::ostringstream quiet;
    o.out = &quiet;
    SeedResult r;
    r.seed = seed;
    const Clock::time_point t0 = Clock::now();
    r.outcome = RunSim(store, o);
    r.wall_s = std::chrono::duration<double>(Clock::now() - t0).count();
    r.console = quiet.str();
    return r;
  };
  // Takes the next seed, or none once stopped or past the last.
  auto take = [&](uint64_t* seed) {
    std::lock_guard<std::mutex> l(mu);
    if (stop || Interrupted() || next > last || next == 0) return false;
    *seed = next++;  // (next wraps to 0 after UINT64_MAX: then no more)
    ++running;
    return true;
  };
  auto worker = [&] {
    uint64_t seed = 0;
    while (take(&seed)) {
      SeedResult r = run_one(seed);
      std::lock_guard<std::mutex> l(mu);
      done.emplace(seed, std::move(r));
      --running;
      done_cv.notify_all();
    }
  };
  std::vector<std::thread> threads;
  // With one job the calling thread runs the seeds itself; else `jobs` threads run them and the
  // calling thread reports, in seed order.
  for (int i = 0; jobs > 1 && i < jobs; ++i) threads.emplace_back(worker);
  uint64_t report = first;
  auto report_ready = [&](std::unique_lock<std::mutex>& l) {
    for (auto it = done.find(report); it != done.end(); it = done.find(report)) {
      SeedResult r = std::move(it->second);
      done.erase(it);
      ++report;
      l.unlock();
      const bool go_on = on_result(r);
      l.lock();
      if (!go_on) stop = true;
    }
  };
  if (jobs <= 1) {
    uint64_t seed = 0;
    while (take(&seed)) {
      SeedResult r = run_one(seed);
      std::unique_lock<std::mutex> l(mu);
      done.emplace(seed, std::move(r));
      --running;
      report_ready(l);
    }
  } else {
    std::unique_lock<std::mutex> l(mu);
    for (;;) {
      report_ready(l);
      // Done when nothing runs and nothing more will start (what finished is reported above).
      if (running == 0 && (stop || Interrupted() || next > last || next == 0)) break;
      done_cv.wait_for(l, std::chrono::milliseconds(100));
    }
  }
  for (std::thread& t : threads) t.join();
  std::unique_lock<std::mutex> l(mu);
  report_ready(l);  // a worker may have finished one after the loop saw it running
}

}  // namespace faultline::harness::sim
