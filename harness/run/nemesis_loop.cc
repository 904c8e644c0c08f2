#include "harness/run/nemesis_loop.h"

#include "harness/generator/workers.h"

namespace faultline::harness {

NemesisLoop::NemesisLoop(Nemesis* nemesis, FaultRecorder* recorder,
                         std::vector<ScheduledFault> schedule, int64_t time_limit_ms)
    : recorder_(recorder),
      timeline_(nemesis, recorder, std::move(schedule), time_limit_ms,
                TimelineClock{[this] { return ElapsedMs(); }, [] { return NowNs(); }}) {}

NemesisLoop::~NemesisLoop() { Stop(); }

void NemesisLoop::Start(std::chrono::steady_clock::time_point start) {
  start_ = start;
  thread_ = std::thread([this] { Loop(); });
}

void NemesisLoop::Stop() {
  {
    std::lock_guard<std::mutex> l(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

int64_t NemesisLoop::ElapsedMs() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                               start_)
      .count();
}

void NemesisLoop::Loop() {
  std::unique_lock<std::mutex> l(mu_);
  while (!stop_) {
    std::optional<int64_t> when = timeline_.NextEventMs();
    if (!when) {
      cv_.wait(l, [&] { return stop_; });
      break;
    }
    if (cv_.wait_until(l, start_ + std::chrono::milliseconds(*when), [&] { return stop_; })) break;
    l.unlock();
    timeline_.FireNext();
    l.lock();
  }
}

Status NemesisLoop::StopActive() { return timeline_.StopActive(); }

void NemesisLoop::RecordCrash(NodeId node, const std::string& description) {
  recorder_->Crash(node, description);
}

}  // namespace faultline::harness
