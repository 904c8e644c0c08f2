#include "harness/history/run_liveness.h"

#include <errno.h>
#include <signal.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <fstream>
#include <iterator>
#include <string>

namespace faultline::harness {

LivenessProbe LocalProbe() {
  LivenessProbe p;
  std::array<char, 256> name{};
  if (gethostname(name.data(), name.size() - 1) == 0) p.host = name.data();
  p.now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                 std::chrono::system_clock::now().time_since_epoch())
                 .count();
  p.pid_alive = [](int64_t pid) {
    if (pid <= 0) return false;
    if (kill(static_cast<pid_t>(pid), 0) != 0 && errno != EPERM) return false;
    // A killed controller whose parent has not reaped it yet is a zombie: it is gone.
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string all((std::istreambuf_iterator<char>(stat)), {});
    size_t paren = all.rfind(')');
    return !(paren != std::string::npos && paren + 2 < all.size() && all[paren + 2] == 'Z');
  };
  return p;
}

bool ControllerGone(const LivenessProbe& probe, const RunRecord& run) {
  if (run.recorded_status != kRunRunning) return false;
  if (run.controller_pid && !run.controller_host.empty() && run.controller_host == probe.host &&
      probe.pid_alive && !probe.pid_alive(*run.controller_pid)) {
    return true;
  }
  return probe.now_ms - run.last_heard_ms > kHeartbeatStaleMs;
}

void ApplyLiveness(const LivenessProbe& probe, RunRecord* run) {
  run->status = ControllerGone(probe, *run) ? kRunCrashed : run->recorded_status;
}

}  // namespace faultline::harness
