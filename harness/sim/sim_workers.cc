#include "harness/sim/sim_workers.h"

#include <algorithm>

namespace faultline::harness::sim {

Workers::Workers(World* world, OpGenerator* generator, SimHistory* history, WorkersOptions options)
    : world_(world), generator_(generator), history_(history), options_(options) {
  for (int w = 0; w < options_.concurrency; ++w) {
    Worker worker;
    worker.client =
        std::make_unique<SimClient>(world_, (w % world_->nodes()) + 1, options_.read_mode);
    worker.process = w;
    workers_.push_back(std::move(worker));
  }
}

void Workers::Start(uint64_t start_ms) {
  start_ms_ = start_ms;
  started_ = true;
}

void Workers::Stop() { stopped_ = true; }

bool Workers::idle() const {
  return std::none_of(workers_.begin(), workers_.end(),
                      [](const Worker& w) { return w.client->busy(); });
}

uint64_t Workers::DueMs(const Worker& w) const {
  const auto due_ms = std::chrono::duration_cast<std::chrono::milliseconds>(w.next->due).count();
  return std::max(start_ms_ + static_cast<uint64_t>(due_ms), w.not_before_ms);
}

std::optional<uint64_t> Workers::NextWakeMs() const {
  if (!started_) return std::nullopt;
  std::optional<uint64_t> next;
  auto consider = [&](uint64_t t) { next = std::min(next.value_or(UINT64_MAX), t); };
  for (const Worker& w : workers_) {
    if (w.client->busy()) {
      if (std::optional<uint64_t> t = w.client->WakeMs()) consider(*t);
    } else if (!stopped_) {
      consider(w.next ? DueMs(w) : 0);  // 0: pull an op now
    }
  }
  return next;
}

void Workers::Complete(Worker& w, OpResult r) {
  // Completion strictly after invoke (the record clock never repeats a value).
  const int64_t complete_ns = std::max(world_->NowNs(), w.in_flight.invoke_ns + 1);
  history_->Complete(w.in_flight.index, r.outcome, complete_ns, std::move(r.value),
                     std::move(r.elements), r.zxid, std::move(r.error));
  switch (r.outcome) {
    case checkers::Outcome::kOk:
      ++counts_.ok;
      break;
    case checkers::Outcome::kFail:
      ++counts_.fail;
      break;
    case checkers::Outcome::kInfo:
      ++counts_.info;
      w.process += options_.concurrency;  // the op may still take effect: a new process
      break;
  }
}

void Workers::Wake(uint64_t now_ms) {
  for (Worker& w : workers_) {
    if (w.client->busy()) {
      if (std::optional<OpResult> r = w.client->Poll()) Complete(w, std::move(*r));
    }
    if (w.client->busy() || stopped_) continue;
    if (!w.next) w.next = generator_->Next();
    if (DueMs(w) > now_ms) continue;
    checkers::Op op = std::move(w.next->op);
    w.next.reset();
    op.process = w.process;
    op.node = w.client->node();
    op.invoke_ns = world_->NowNs();
    history_->Invoke(op);
    w.in_flight = std::move(op);
    w.not_before_ms = now_ms + 1;
    w.client->Begin(w.in_flight, now_ms + options_.op_timeout_ms);
    // Refused at once (node down): complete now, as ZabdClient returns at once.
    if (std::optional<uint64_t> t = w.client->WakeMs(); t && *t <= now_ms) {
      if (std::optional<OpResult> r = w.client->Poll()) Complete(w, std::move(*r));
    }
  }
}

}  // namespace faultline::harness::sim
