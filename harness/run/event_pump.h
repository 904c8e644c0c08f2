// EventPump: node events into the store AS THE RUN GOES. One EventImporter per node (from the
// System; nodes without one are skipped), polled every `interval` on the pump's thread; each new
// event is recorded in node_events at once (the store commits within kCommitIntervalMs), so a
// controller killed mid-run leaves every event the pump had seen. Finish, after the nodes have
// stopped, drains what is left (a torn last line included, which is skipped and counted).
//
// Thread-safety: Start/Stop/Finish from the owner; counts() and Events() from any thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "harness/history/history_store.h"
#include "harness/system/system.h"

namespace faultline::harness {

struct IngestCounts {
  int events = 0;
  int skipped = 0;
};

class EventPump {
 public:
  EventPump(HistoryStore* store, int64_t run_id, System& system, const std::vector<NodeInfo>& nodes,
            std::chrono::milliseconds interval = kEventPollInterval);
  ~EventPump();  // Stop

  void Start();
  void Stop();
  // Stops the thread, drains every importer (Finish), returns the totals.
  IngestCounts Finish();
  // Polls every importer once now (the caller's thread; e.g. before judging a condition).
  void PollNow();

  IngestCounts counts() const;
  // Every event ingested so far, per node, in file order.
  std::map<NodeId, std::vector<checkers::NodeEvent>> Events() const;

 private:
  void Loop();
  void Take(NodeId node, EventImporter::Batch batch);

  HistoryStore* store_;
  int64_t run_id_;
  std::chrono::milliseconds interval_;
  mutable std::mutex mu_;  // importers_, events_, counts_ (PollNow and the loop may race)
  std::condition_variable cv_;
  bool stop_ = false;
  bool finished_ = false;
  std::map<NodeId, std::unique_ptr<EventImporter>> importers_;
  std::map<NodeId, std::vector<checkers::NodeEvent>> events_;
  IngestCounts counts_;
  std::thread thread_;
};

}  // namespace faultline::harness
