#include "server/runtime/sync_worker.h"

#include <utility>

namespace runtime {

SyncWorker::SyncWorker(std::function<void()> on_done)
    : on_done_(std::move(on_done)), thread_([this] { Loop(); }) {}

SyncWorker::~SyncWorker() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void SyncWorker::Submit(Job job) {
  busy_ = true;
  {
    std::lock_guard<std::mutex> lock(mu_);
    job_ = std::move(job);
    done_ = false;
  }
  cv_.notify_all();
}

faultline::Status SyncWorker::Wait() {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [this] { return done_; });
  busy_ = false;
  done_ = false;
  return std::move(result_);
}

void SyncWorker::Loop() {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    cv_.wait(lock, [this] { return stop_ || job_; });
    if (!job_) return;  // stopping and idle
    Job job = std::move(job_);
    job_ = nullptr;
    lock.unlock();
    faultline::Status result = job();
    lock.lock();
    result_ = std::move(result);
    done_ = true;
    cv_.notify_all();
    if (on_done_) {
      lock.unlock();
      on_done_();
      lock.lock();
    }
  }
}

}  // namespace runtime
