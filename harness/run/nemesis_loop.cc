#include "harness/run/nemesis_loop.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "harness/generator/workers.h"

namespace faultline::harness {

NemesisLoop::NemesisLoop(Nemesis* nemesis, FaultRecorder* recorder,
                         std::vector<ScheduledFault> schedule, int64_t time_limit_ms)
    : nemesis_(nemesis), recorder_(recorder), time_limit_ms_(time_limit_ms) {
  std::stable_sort(schedule.begin(), schedule.end(),
                   [](const auto& a, const auto& b) { return a.at_ms < b.at_ms; });
  for (auto& f : schedule) {
    RealizedFault r;
    r.planned = f;
    realized_.push_back(std::move(r));
  }
}

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
  size_t next = 0;
  std::unique_lock<std::mutex> l(mu_);
  while (!stop_) {
    // The next event: the earliest stop among active faults, or the next start.
    int64_t next_stop = INT64_MAX;
    for (const auto& a : active_) next_stop = std::min(next_stop, a.stop_at_ms);
    int64_t next_start = INT64_MAX;
    if (next < realized_.size() && realized_[next].planned.at_ms < time_limit_ms_) {
      next_start = realized_[next].planned.at_ms;
    }
    int64_t when = std::min(next_stop, next_start);
    if (when == INT64_MAX) {
      cv_.wait(l, [&] { return stop_; });
      break;
    }
    if (cv_.wait_until(l, start_ + std::chrono::milliseconds(when), [&] { return stop_; })) break;
    if (next_stop <= next_start) {
      auto it = std::min_element(active_.begin(), active_.end(), [](const auto& a, const auto& b) {
        return a.stop_at_ms < b.stop_at_ms;
      });
      Active a = std::move(*it);
      active_.erase(it);
      l.unlock();
      (void)StopOne(a);  // errors are in the stored detail; HealAll at the end retries
      l.lock();
    } else {
      size_t i = next++;
      l.unlock();
      StartEntry(i);
      l.lock();
    }
  }
}

void NemesisLoop::StartEntry(size_t i) {
  ScheduledFault planned;
  {
    std::lock_guard<std::mutex> l(mu_);
    planned = realized_[i].planned;
  }
  int64_t start_ns = NowNs();
  int64_t offset = ElapsedMs();
  Result<AppliedFault> applied = nemesis_->Start(planned.fault);
  // start_ns is when the attempt began (the fault window is never shorter than the fault);
  // applied_ns when it took effect (after the target was found and, for a kill, reaped), so
  // failover can be measured from the fault itself (bench/systems).
  const int64_t applied_ns = NowNs();
  std::lock_guard<std::mutex> l(mu_);
  RealizedFault& r = realized_[i];
  r.started_offset_ms = offset;
  if (!applied.ok()) {
    r.error = applied.status().ToString();
    return;
  }
  r.applied = true;
  r.nodes = applied->nodes;
  r.description = applied->description;
  for (const auto& [id, role] : applied->roles) r.roles[id] = std::string(RoleName(role));
  nlohmann::json detail = {{"schedule_entry", i},
                           {"target", TargetText(planned.fault.target)},
                           {"planned_at_ms", planned.at_ms},
                           {"duration_ms", planned.duration_ms},
                           {"applied_ns", applied_ns}};
  if (planned.fault.kind == FaultKind::kPartition) {
    detail["shape"] = PartitionShapeName(planned.fault.shape);
  }
  const int64_t index = recorder_->Started(*applied, detail, start_ns);
  if (KindInfo(planned.fault.kind).instantaneous) {
    r.stopped_offset_ms = offset;  // nothing to undo
    return;
  }
  active_.push_back(Active{i, index, offset + planned.duration_ms, std::move(*applied)});
}

Status NemesisLoop::StopOne(const Active& a) {
  Status s = nemesis_->Stop(a.applied);
  int64_t offset = ElapsedMs();
  recorder_->Stopped(a.fault_index, s);
  std::lock_guard<std::mutex> l(mu_);
  realized_[a.entry].stopped_offset_ms = offset;
  return s;
}

Status NemesisLoop::StopActive() {
  std::vector<Active> todo;
  {
    std::lock_guard<std::mutex> l(mu_);
    todo.swap(active_);
  }
  Status first;
  for (const auto& a : todo) {
    Status s = StopOne(a);
    if (!s.ok() && first.ok()) first = s;
  }
  return first;
}

void NemesisLoop::RecordCrash(NodeId node, const std::string& description) {
  recorder_->Crash(node, description);
}

std::vector<RealizedFault> NemesisLoop::realized() const {
  std::lock_guard<std::mutex> l(mu_);
  return realized_;
}

std::vector<std::string> NemesisLoop::active() const {
  std::lock_guard<std::mutex> l(mu_);
  std::vector<std::string> out;
  for (const auto& a : active_) {
    out.emplace_back(FaultKindName(realized_[a.entry].planned.fault.kind));
  }
  return out;
}

int NemesisLoop::applied_count() const {
  std::lock_guard<std::mutex> l(mu_);
  return static_cast<int>(
      std::count_if(realized_.begin(), realized_.end(), [](const auto& r) { return r.applied; }));
}

}  // namespace faultline::harness
