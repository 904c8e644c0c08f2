// IptablesPartitioner: a grudge as iptables DROP rules between node addresses
// (root only, and only inside a private namespace from EnterPrivateNetns(): the
// constructor refuses to run in the machine's root namespace).
//
// Rules live in one chain faultline owns (FAULTLINE, jumped from INPUT). "b
// drops from a" is
// `-A FAULTLINE -s <a's host> -d <b's host> -j DROP`. Heal flushes only that
// chain.
//
// Requirement on the nodes: each node must use its own address as the source of
// the peer connections it dials (zabd binds outgoing peer sockets to its `peer`
// host), otherwise the kernel picks 127.0.0.1 and the source match cannot tell
// nodes apart. Hence every node needs its own host
// (AddressMode::kPrivateNetns).
//
// Thread-safety: thread-safe (a mutex serializes iptables invocations).
#pragma once

#include <map>
#include <memory>
#include <string>

#include "common/status.h"
#include "harness/cluster/node.h"
#include "harness/net/partitioner.h"

namespace faultline::harness {

class IptablesPartitioner final : public Partitioner {
 public:
  // `hosts`: node id -> the node's address (distinct). Creates the chain and
  // the INPUT jump. Unavailable when not root or when still in the initial
  // network namespace; IoError when iptables fails.
  static Result<std::unique_ptr<IptablesPartitioner>> Create(std::map<NodeId, std::string> hosts);
  ~IptablesPartitioner() override;  // flushes the chain (the namespace dies soon anyway)

  Status Apply(const Grudge &grudge) override;
  Status Heal() override;
  bool SupportsLinkFaults() const override { return false; }
  Status SetDelay(NodeId from, NodeId to, int delay_ms) override;  // Unavailable
  Status SetLoss(NodeId from, NodeId to,
                 double probability) override;  // Unavailable
  std::string Name() const override { return "iptables"; }

  static constexpr const char *kChain = "FAULTLINE";

 private:
  struct Impl;
  explicit IptablesPartitioner(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace faultline::harness
