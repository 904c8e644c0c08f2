// zab::testing::SimNode — the process and the disk of one simulated zabd node, built from the
// code that runs in production: storage::Storage over a crashable storage::MemEnv (the disk; it
// outlives the process) through a storage::FaultyEnv (so the process can die in the middle of a
// storage call), and runtime::NodeRuntime executing the core's outputs over it. The simulator
// (cluster.h) owns only the network and the clock.
//
// Crash model: Kill() is a power cut — the runtime's queued batch and every byte storage did
// not fsync are lost (MemEnv::Crash); Kill(/*power_cut=*/false) a process death, which loses the
// queued batch but not what storage had written (the page cache survives a SIGKILL: the fsync
// in flight, if any, is run first). DieAfterStorageOps(n) arms a death n storage mutations into
// the next Flush (a write, a fsync, a rename, ...), so a crash can land between any two file
// operations of a batch, e.g. between a NEWLEADER batch's log fsync and its currentEpoch rename.
//
// Thread-safety: none; the simulator's loop calls everything.
#pragma once

#include <cerrno>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "server/core/peer.h"
#include "server/runtime/node_runtime.h"
#include "server/storage/faulty_env.h"
#include "server/storage/mem_env.h"
#include "server/storage/storage.h"

namespace zab::testing {

struct DurableState;

class SimNode {
 public:
  SimNode();
  ~SimNode();
  SimNode(const SimNode&) = delete;
  SimNode& operator=(const SimNode&) = delete;

  // Replaces the disk (process down) by `disk`, written through the real storage calls. "" or
  // why storage refused it.
  std::string WriteDisk(const DurableState& disk);
  // Starts the process: real recovery of the disk, then the core at now_ms. "" or why recovery
  // refused the disk (every disk a crash leaves must recover: a simulator failure).
  std::string Boot(const Config& config, const storage::Options& options, uint64_t now_ms,
                   runtime::Transport* transport, runtime::EventSink* events,
                   runtime::ReplyHandler replies);
  // The process dies now (see the crash model).
  void Kill(bool power_cut = true);
  // The next Flush dies after `ops` more successful storage mutations (then Kill() it).
  void DieAfterStorageOps(uint64_t ops) { faulty_.FailEverythingAfter(ops); }
  // Every fsync fails with EIO until the next Boot (the disk broke).
  void FailSyncs() { faulty_.FailSyncsAfter(0, EIO); }

  bool up() const { return runtime_ != nullptr; }
  runtime::NodeRuntime& runtime() { return *runtime_; }
  const runtime::NodeRuntime& runtime() const { return *runtime_; }
  // Executes the queued batch: "" or the storage failure (the node must then be killed).
  std::string Flush();

  // The pipelined flush (node_runtime.h "Pipelined sync"), for a disk whose fsync takes
  // simulated time: Begin() the queued batch (its storage ops written, not yet synced, unless
  // it holds a non-append op: then synced at once); StartSync() takes the fsync job covering
  // what was begun (false: none needed, or one is in flight); FinishSync() runs it (the disk
  // makes it durable now) and releases what it covered. Each: "" or the storage failure (kill
  // the node then). A Kill before FinishSync loses what the job was to sync (power cut).
  std::string Begin();
  std::string StartSync(bool* started);
  std::string FinishSync();
  bool sync_pending() const { return static_cast<bool>(sync_job_); }

  // What a crash now would leave, read back from a crash image by the real recovery code
  // (cached until the disk changes). Not for hot paths: it recovers the whole disk.
  const DurableState& durable() const;

 private:
  storage::MemEnv disk_;
  storage::FaultyEnv faulty_{&disk_};
  std::unique_ptr<storage::Storage> storage_;
  std::unique_ptr<runtime::NodeRuntime> runtime_;
  std::function<faultline::Status()> sync_job_;  // the fsync in flight (StartSync)
  uint64_t generation_ = 0;  // bumped whenever the disk may have changed
  mutable uint64_t view_generation_ = UINT64_MAX;
  mutable std::unique_ptr<DurableState> view_;
};

}  // namespace zab::testing
