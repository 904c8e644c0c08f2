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
  // No seed starts once stopped, interrupted or past the last (next wraps to 0 after UINT64_MAX).
  auto no_more = [&] { return stop || Interrupted() || next > last || next == 0; };
  uint64_t report = first;  // the next seed to report
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
  // One job: the calling thread runs the seeds and reports each at once (a stop is immediate).
  // Else `jobs` threads run them and the calling thread reports, in seed order.
  auto worker = [&] {
    std::unique_lock<std::mutex> l(mu);
    while (!no_more()) {
      const uint64_t seed = next++;
      ++running;
      l.unlock();
      SeedResult r = run_one(seed);
      l.lock();
      done.emplace(seed, std::move(r));
      --running;
      if (jobs <= 1) report_ready(l);
      done_cv.notify_all();
    }
  };
  if (jobs <= 1) {
    worker();
    return;
  }
  std::vector<std::thread> threads;
  for (int i = 0; i < jobs; ++i) threads.emplace_back(worker);
  {
    std::unique_lock<std::mutex> l(mu);
    for (;;) {
      report_ready(l);
      // Every seed taken is reported once nothing runs (a later seed waits for the earlier ones).
      if (running == 0 && no_more()) break;
      done_cv.wait_for(l, std::chrono::milliseconds(100));  // also to see Interrupted()
    }
  }
  for (std::thread& t : threads) t.join();
}

}  // namespace faultline::harness::sim
