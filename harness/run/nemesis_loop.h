// NemesisLoop: the run's nemesis thread. Walks the realized schedule (NemesisTimeline,
// nemesis_timeline.h: the same walk the simulator does on simulated time) on the wall clock:
// sleeps until the timeline's next start or stop, fires it, and so on. Starts each fault through
// the Nemesis at its offset and stops it `duration` later, and records both in the HistoryStore
// with the resolved targets, every node's role and the nemesis's description. Faults whose offset
// is at or past the time limit are not started.
//
// An instantaneous kind (restart) is recorded started and stopped at once. Also records crashes the
// cluster noticed (RecordCrash) as instantaneous "crash" faults, so they sit on the same timeline.
// Recording goes through FaultRecorder, the same as a scenario's steps.
//
// Thread-safety: Start/Stop/StopActive from the owner; RecordCrash, realized(), active() from any
// thread. The Nemesis is touched only by the loop thread, and by StopActive after Stop().
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "harness/history/history_store.h"
#include "harness/nemesis/nemesis.h"
#include "harness/run/fault_recorder.h"
#include "harness/run/nemesis_timeline.h"
#include "harness/run/schedule.h"

namespace faultline::harness {

class NemesisLoop {
 public:
  NemesisLoop(Nemesis* nemesis, FaultRecorder* recorder, std::vector<ScheduledFault> schedule,
              int64_t time_limit_ms);
  ~NemesisLoop();

  void Start(std::chrono::steady_clock::time_point start);
  // Ends the thread; faults in force stay in force.
  void Stop();
  // After Stop(): stops every fault still in force and records the stops. First error returned.
  Status StopActive();
  void RecordCrash(NodeId node, const std::string& description);

  std::vector<RealizedFault> realized() const { return timeline_.realized(); }
  std::vector<std::string> active() const { return timeline_.active(); }
  int applied_count() const { return timeline_.applied_count(); }

 private:
  void Loop();
  int64_t ElapsedMs() const;

  FaultRecorder* recorder_;
  std::chrono::steady_clock::time_point start_;
  NemesisTimeline timeline_;

  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace faultline::harness
