// runtime::SyncWorker — one thread that runs NodeRuntime::StartSync() jobs (fsyncs) for zabd, so
// its event loop keeps reading, pinging and proposing while the disk works (node_runtime.h
// "Pipelined sync"). One job at a time; the owner thread submits it and later collects its
// result with Wait(). `on_done` runs on the worker thread when a job finished: zabd posts from
// it to its event loop, which then calls Wait() (returning at once).
#pragma once

#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

#include "common/status.h"

namespace runtime {

class SyncWorker {
 public:
  using Job = std::function<faultline::Status()>;
  explicit SyncWorker(std::function<void()> on_done);
  // Finishes the job in flight (its result is dropped), then joins the thread.
  ~SyncWorker();
  SyncWorker(const SyncWorker&) = delete;
  SyncWorker& operator=(const SyncWorker&) = delete;

  // Precondition: !busy().
  void Submit(Job job);
  // A job was submitted and its result not yet collected.
  bool busy() const { return busy_; }
  // Blocks until the submitted job finished; returns its result. Precondition: busy().
  faultline::Status Wait();

 private:
  void Loop();

  std::function<void()> on_done_;
  bool busy_ = false;  // owner thread only
  std::mutex mu_;
  std::condition_variable cv_;
  Job job_;  // guarded by mu_: the job to run, if any
  bool done_ = false;
  bool stop_ = false;
  faultline::Status result_;
  std::thread thread_;
};

}  // namespace runtime
