// SyncWorker: a job runs on the worker's thread, Wait() returns its result, on_done fires once
// per job, and the destructor finishes a job in flight.
#include "server/runtime/sync_worker.h"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <thread>

namespace runtime {
namespace {

TEST(SyncWorker, RunsEachJobOnItsOwnThreadAndWaitReturnsItsResult) {
  std::atomic<int> done{0};
  SyncWorker worker([&] { ++done; });
  EXPECT_FALSE(worker.busy());
  std::thread::id ran_on;
  worker.Submit([&] {
    ran_on = std::this_thread::get_id();
    return faultline::Status::IoError("fdatasync: EIO");
  });
  EXPECT_TRUE(worker.busy());
  faultline::Status s = worker.Wait();
  EXPECT_EQ(s.code(), faultline::StatusCode::kIoError);
  EXPECT_FALSE(worker.busy());
  EXPECT_NE(ran_on, std::this_thread::get_id());
  worker.Submit([] { return faultline::Status::Ok(); });
  EXPECT_TRUE(worker.Wait().ok());
  while (done.load() < 2) std::this_thread::yield();  // on_done may trail Wait()
  EXPECT_EQ(done.load(), 2);
}

TEST(SyncWorker, TheOwnerKeepsRunningWhileAJobBlocksAndTheDestructorFinishesIt) {
  std::promise<void> release;
  std::shared_future<void> gate = release.get_future().share();
  std::atomic<bool> finished{false};
  {
    SyncWorker worker(nullptr);
    worker.Submit([&] {
      gate.wait();  // a slow fsync
      finished = true;
      return faultline::Status::Ok();
    });
    EXPECT_FALSE(finished.load());  // Submit did not wait for it
    release.set_value();
  }
  EXPECT_TRUE(finished.load());
}

}  // namespace
}  // namespace runtime
