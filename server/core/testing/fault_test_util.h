// Helpers shared by the fault-point tests (faults_test.cc, faults_mistakes_test.cc).
#pragma once

#include <string>
#include <vector>

#include "server/core/testing/cluster.h"
#include "server/core/testing/lone_peer.h"

namespace zab::testing {

constexpr uint64_t Z(uint32_t e, uint32_t c) { return (uint64_t{e} << 32) | c; }

// PROPOSAL of MakeTxn(e, c) sent in epoch msg_epoch, prev = the entry before it in epoch e.
inline Proposal Prop(uint32_t msg_epoch, uint32_t e, uint32_t c) {
  return Proposal{Epoch{msg_epoch}, MakeTxn(e, c), c > 1 ? Zxid{Z(e, c - 1)} : Zxid{}};
}

// The names of the storage ops of an Output, in order ("append", "epoch", ...).
inline std::vector<std::string> StorageKinds(const Output& out) {
  std::vector<std::string> r;
  for (const StorageOp& op : out.storage) {
    if (std::holds_alternative<AppendTxn>(op)) r.push_back("append");
    if (std::holds_alternative<WriteCurrentEpoch>(op)) r.push_back("epoch");
    if (std::holds_alternative<WriteAcceptedEpoch>(op)) r.push_back("accepted");
    if (std::holds_alternative<TruncateLog>(op)) r.push_back("truncate");
    if (std::holds_alternative<WriteSnapshot>(op)) r.push_back("snapshot");
    if (std::holds_alternative<InstallSnapshot>(op)) r.push_back("install");
  }
  return r;
}

// An ACK of the NEWLEADER marker of `epoch` is among the Output's messages.
inline bool AcksNewLeader(const Output& out, uint32_t epoch = 1) {
  for (const Ack& a : MessagesOf<Ack>(out)) {
    if (a.zxid == Zxid::Make(Epoch{epoch}, 0)) return true;
  }
  return false;
}

// Follower 1 of 3, empty disk, DIFF-synced by leader 3 in epoch 1 with the committed 1|1, 1|2.
// Returns the Output of NEWLEADER.
inline Output SyncTwoCommittedTxns(LonePeer& p) {
  p.ElectLeader(3, Zxid{}, Epoch{});
  p.Receive(3, LeaderInfo{Epoch{1}});
  p.Receive(3, Diff{Epoch{1}, Zxid{Z(1, 2)}});
  p.Receive(3, Prop(1, 1, 1));
  p.Receive(3, Commit{Epoch{1}, Zxid{Z(1, 1)}});
  p.Receive(3, Prop(1, 1, 2));
  p.Receive(3, Commit{Epoch{1}, Zxid{Z(1, 2)}});
  return p.Receive(3, NewLeader{Epoch{1}, Zxid{Z(1, 2)}});
}

// Runs node `id`'s Cluster until it is LEADING in BROADCAST (up to 5 s of logical time).
inline bool RunUntilLeader(Cluster& c, uint64_t id) {
  return c.RunUntil([&] { return c.Leader() == id; }, 5000);
}

}  // namespace zab::testing
