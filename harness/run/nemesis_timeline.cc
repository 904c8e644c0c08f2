#include "harness/run/nemesis_timeline.h"

#include <algorithm>
#include <nlohmann/json.hpp>

namespace faultline::harness {

NemesisTimeline::NemesisTimeline(Nemesis* nemesis, FaultRecorder* recorder,
                                 std::vector<ScheduledFault> schedule, int64_t time_limit_ms,
                                 TimelineClock clock)
    : nemesis_(nemesis),
      recorder_(recorder),
      time_limit_ms_(time_limit_ms),
      clock_(std::move(clock)) {
  std::stable_sort(schedule.begin(), schedule.end(),
                   [](const auto& a, const auto& b) { return a.at_ms < b.at_ms; });
  for (auto& f : schedule) {
    RealizedFault r;
    r.planned = f;
    realized_.push_back(std::move(r));
  }
}

void NemesisTimeline::NextLocked(std::optional<size_t>* stop, std::optional<int64_t>* start) const {
  for (size_t i = 0; i < active_.size(); ++i) {
    if (!*stop || active_[i].stop_at_ms < active_[**stop].stop_at_ms) *stop = i;
  }
  if (next_ < realized_.size() && realized_[next_].planned.at_ms < time_limit_ms_) {
    *start = realized_[next_].planned.at_ms;
  }
}

std::optional<int64_t> NemesisTimeline::NextEventMs() const {
  std::lock_guard<std::mutex> l(mu_);
  std::optional<size_t> stop;
  std::optional<int64_t> start;
  NextLocked(&stop, &start);
  if (stop) return start ? std::min(*start, active_[*stop].stop_at_ms) : active_[*stop].stop_at_ms;
  return start;
}

void NemesisTimeline::FireNext() {
  std::unique_lock<std::mutex> l(mu_);
  std::optional<size_t> stop;
  std::optional<int64_t> start;
  NextLocked(&stop, &start);
  if (stop && (!start || active_[*stop].stop_at_ms <= *start)) {
    Active a = std::move(active_[*stop]);
    active_.erase(active_.begin() + static_cast<std::ptrdiff_t>(*stop));
    l.unlock();
    (void)StopOne(a);  // errors are in the stored detail; HealAll at the end retries
  } else if (start) {
    size_t i = next_++;
    l.unlock();
    StartEntry(i);
  }
}

void NemesisTimeline::StartEntry(size_t i) {
  ScheduledFault planned;
  {
    std::lock_guard<std::mutex> l(mu_);
    planned = realized_[i].planned;
  }
  int64_t start_ns = clock_.now_ns();
  int64_t offset = clock_.elapsed_ms();
  Result<AppliedFault> applied = nemesis_->Start(planned.fault);
  // start_ns is when the attempt began (the fault window is never shorter than the fault);
  // applied_ns when it took effect (after the target was found and, for a kill, reaped), so
  // failover can be measured from the fault itself (bench/systems).
  const int64_t applied_ns = clock_.now_ns();
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
  if (applied->grudge) {
    for (const auto& [to, froms] : *applied->grudge) {
      for (NodeId from : froms) r.links.push_back({from, to});
    }
  }
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

Status NemesisTimeline::StopOne(const Active& a) {
  Status s = nemesis_->Stop(a.applied);
  int64_t offset = clock_.elapsed_ms();
  recorder_->Stopped(a.fault_index, s, clock_.now_ns());
  std::lock_guard<std::mutex> l(mu_);
  realized_[a.entry].stopped_offset_ms = offset;
  return s;
}

Status NemesisTimeline::StopActive() {
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

std::vector<RealizedFault> NemesisTimeline::realized() const {
  std::lock_guard<std::mutex> l(mu_);
  return realized_;
}

std::vector<std::string> NemesisTimeline::active() const {
  std::lock_guard<std::mutex> l(mu_);
  std::vector<std::string> out;
  for (const auto& a : active_) {
    out.emplace_back(FaultKindName(realized_[a.entry].planned.fault.kind));
  }
  return out;
}

int NemesisTimeline::applied_count() const {
  std::lock_guard<std::mutex> l(mu_);
  return static_cast<int>(
      std::count_if(realized_.begin(), realized_.end(), [](const auto& r) { return r.applied; }));
}

}  // namespace faultline::harness
