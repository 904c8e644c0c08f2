// Progress: the run's live status. On a terminal one line rewritten in place every second
// (elapsed / limit, ok / fail / info, ops/s, active faults, leader); otherwise a plain line every
// 5 s (nightly logs). The callbacks are polled on the progress thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <ostream>
#include <string>
#include <thread>

#include "harness/generator/workers.h"

namespace faultline::harness {

struct ProgressSources {
  std::function<OpCounts()> counts;
  std::function<std::string()> active_faults;  // "kill, partition" or ""
  std::function<std::string()> leader;         // "2" or "none"
};

class Progress {
 public:
  Progress(std::ostream& out, bool tty, int64_t time_limit_ms, ProgressSources sources);
  ~Progress();  // Stop
  void Start(std::chrono::steady_clock::time_point start);
  void Stop();  // ends the line (newline on a terminal)
  // The status line for `elapsed` (exposed for tests).
  std::string Line(std::chrono::milliseconds elapsed, const OpCounts& counts, double ops_per_s,
                   const std::string& faults, const std::string& leader) const;

 private:
  void Loop();
  std::ostream& out_;
  bool tty_;
  int64_t time_limit_ms_;
  ProgressSources sources_;
  std::chrono::steady_clock::time_point start_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace faultline::harness
