// NemesisTimeline: the run's fault schedule walked on ANY clock. It holds the realized schedule and
// the faults in force, and knows what happens next: the earliest stop among the faults in force,
// or the next start (a stop that falls at the same offset as a start goes first). FireNext() does
// that one thing through the Nemesis and records it with the FaultRecorder. Faults whose offset is
// at or past the time limit are never started; an instantaneous kind (restart) is recorded started
// and stopped at once.
//
// Two drivers share it, so there is one way to walk a schedule:
//   - NemesisLoop (nemesis_loop.h): a thread that sleeps on the wall clock until NextEventMs();
//   - the simulator (harness/sim): an actor woken on simulated time.
// The clock says how far the workload is (elapsed_ms) and stamps the records (now_ns).
//
// Thread-safety: one thread calls FireNext / StopActive at a time; realized(), active(),
// applied_count() and NextEventMs() may be called from any thread (a mutex, never held while the
// Nemesis works).
#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "harness/nemesis/nemesis.h"
#include "harness/run/fault_recorder.h"
#include "harness/run/schedule.h"

namespace faultline::harness {

struct TimelineClock {
  std::function<int64_t()> elapsed_ms;  // ms since the workload started
  std::function<int64_t()> now_ns;      // the store's time for records
};

class NemesisTimeline {
 public:
  NemesisTimeline(Nemesis* nemesis, FaultRecorder* recorder, std::vector<ScheduledFault> schedule,
                  int64_t time_limit_ms, TimelineClock clock);

  // Offset (ms from the workload start) of the next start or stop; nullopt when nothing is left.
  std::optional<int64_t> NextEventMs() const;
  // Does the next event (see header comment). Nothing when nothing is left.
  void FireNext();
  // Stops every fault still in force and records the stops. First error returned.
  Status StopActive();

  std::vector<RealizedFault> realized() const;
  std::vector<std::string> active() const;  // kinds of the faults in force
  int applied_count() const;

 private:
  struct Active {
    size_t entry;         // index into realized_
    int64_t fault_index;  // row in the faults table
    int64_t stop_at_ms;
    AppliedFault applied;
  };
  // The next stop (index into active_) and the next start offset, under mu_.
  void NextLocked(std::optional<size_t>* stop, std::optional<int64_t>* start) const;
  void StartEntry(size_t i);
  Status StopOne(const Active& a);

  Nemesis* nemesis_;
  FaultRecorder* recorder_;
  int64_t time_limit_ms_;
  TimelineClock clock_;

  mutable std::mutex mu_;
  size_t next_ = 0;  // next entry of realized_ to start
  std::vector<RealizedFault> realized_;
  std::vector<Active> active_;
};

}  // namespace faultline::harness
