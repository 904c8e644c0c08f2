// sim::SimClient — the Client (harness/client/client.h) of one simulated zabd node, on simulated
// time. It speaks to the node's core what zabd's RESP command table would hand it (SET -> a kSet
// write, CAS key from to -> a kCas write, GET -> a read in the run's read mode; a set add is a SET
// of key:element, as ZabdClient does) and maps the answers the way ZabdClient maps zabd's replies:
//   ok reply                        -> ok (a CAS that did not swap: fail, "cas mismatch")
//   NOTAPPLIED                      -> fail (certainly not applied)
//   UNKNOWN                         -> info
//   node down when the op is issued -> fail (connection refused: nothing was sent)
//   node died with the op in flight -> info (connection lost after sending)
//   no answer by the deadline       -> info (a timeout is never a fail)
// A node that is paused when the op is issued holds it (the kernel accepted the connection; the
// process reads it when it resumes), so it is submitted at the resume or times out.
//
// Two ways to use it:
//   - Invoke (the Client interface; final reads): runs the world until the answer or the
//     timeout — blocking in simulated time, which is how a synchronous client waits here;
//   - Begin / Poll (sim::Workers): issue now, look for the answer whenever the world settles an
//     instant, so many workers' ops are in flight together without threads.
//
// Thread-safety: none (the simulator's thread).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>

#include "harness/client/client.h"
#include "harness/sim/world.h"

namespace faultline::harness::sim {

class SimClient final : public Client {
 public:
  SimClient(World* world, NodeId node, zab::ReadMode read_mode);

  OpResult Invoke(const checkers::Op& op, std::chrono::milliseconds timeout) override;
  int64_t node() const override { return node_; }

  // Issues `op` now; its answer (or the deadline) is seen by Poll. One op at a time.
  void Begin(const checkers::Op& op, uint64_t deadline_ms);
  // The result once it is known; nullopt while the op is still in flight (or nothing was begun).
  std::optional<OpResult> Poll();
  // When Poll should be tried next: now if an answer may be there, else the deadline.
  std::optional<uint64_t> WakeMs() const;
  bool busy() const { return phase_ != Phase::kIdle; }

 private:
  enum class Phase { kIdle, kHeld, kInFlight, kDone };
  // Hands the op to the node (it is up and not paused).
  void Submit();
  // A read-set (set final reads): one GET per candidate element, run to the end through Invoke.
  OpResult ReadSet(const checkers::Op& op, std::chrono::milliseconds timeout);

  World* world_;
  NodeId node_;
  zab::ReadMode read_mode_;
  Phase phase_ = Phase::kIdle;
  checkers::Op op_;
  uint64_t deadline_ms_ = 0;
  uint64_t incarnation_ = 0;  // of the node when the op was submitted
  uint64_t request_id_ = 0;
  OpResult result_;
};

}  // namespace faultline::harness::sim
