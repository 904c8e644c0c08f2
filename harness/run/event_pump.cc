#include "harness/run/event_pump.h"

namespace faultline::harness {

EventPump::EventPump(HistoryStore* store, int64_t run_id, System& system,
                     const std::vector<NodeInfo>& nodes, std::chrono::milliseconds interval)
    : store_(store), run_id_(run_id), interval_(interval) {
  for (const NodeInfo& node : nodes) {
    if (auto importer = system.NewEventImporter(node)) importers_[node.id] = std::move(importer);
  }
}

EventPump::~EventPump() { Stop(); }

void EventPump::Start() {
  if (importers_.empty()) return;
  thread_ = std::thread([this] { Loop(); });
}

void EventPump::Stop() {
  {
    std::lock_guard l(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void EventPump::Loop() {
  std::unique_lock l(mu_);
  while (!cv_.wait_for(l, interval_, [&] { return stop_; })) {
    l.unlock();
    PollNow();
    l.lock();
  }
}

void EventPump::Take(NodeId node, EventImporter::Batch batch) {
  // Called with mu_ held: events reach the store in file order per node.
  counts_.skipped += batch.skipped;
  for (auto& e : batch.events) {
    store_->RecordNodeEvent(run_id_, e);
    ++counts_.events;
    events_[node].push_back(std::move(e));
  }
}

void EventPump::PollNow() {
  std::lock_guard l(mu_);
  if (finished_) return;
  for (auto& [node, importer] : importers_) Take(node, importer->Poll());
}

IngestCounts EventPump::Finish() {
  Stop();
  std::lock_guard l(mu_);
  if (!finished_) {
    for (auto& [node, importer] : importers_) {
      Take(node, importer->Poll());
      Take(node, importer->Finish());
    }
    finished_ = true;
  }
  return counts_;
}

IngestCounts EventPump::counts() const {
  std::lock_guard l(mu_);
  return counts_;
}

std::map<NodeId, std::vector<checkers::NodeEvent>> EventPump::Events() const {
  std::lock_guard l(mu_);
  return events_;
}

}  // namespace faultline::harness
